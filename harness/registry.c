#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"

static const char *const op_names[FK_OP_COUNT] = {
    [FK_OP_NONE] = "none",       [FK_OP_GEMV] = "gemv",       [FK_OP_GEMM] = "gemm",
    [FK_OP_DOT] = "dot",         [FK_OP_RMSNORM] = "rmsnorm", [FK_OP_SOFTMAX] = "softmax",
    [FK_OP_SWIGLU] = "swiglu",   [FK_OP_ROPE] = "rope",       [FK_OP_ATTENTION] = "attention",
};

static const char *const format_names[FK_FMT_COUNT] = {
    [FK_FMT_NONE] = "none", [FK_FMT_F32] = "f32",   [FK_FMT_F16] = "f16",
    [FK_FMT_Q4_0] = "q4_0", [FK_FMT_Q8_0] = "q8_0", [FK_FMT_Q4_K] = "q4_k",
};

const char *fk_op_name(enum fk_op op)
{
    return (op >= 0 && op < FK_OP_COUNT) ? op_names[op] : "?";
}

const char *fk_format_name(enum fk_format f)
{
    return (f >= 0 && f < FK_FMT_COUNT) ? format_names[f] : "?";
}

static int valid_token(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == 'x'))
            return 0;
    }
    return 1;
}

int fk_kernel_validate(const struct fk_kernel *k, struct fk_err *e)
{
    if (k->abi != FK_ABI_VERSION)
        return fk_fail(e, "descriptor ABI version %u, harness expects %u: rebuild the plugin against kernels/kernel.h",
                       k->abi, FK_ABI_VERSION);
    if (k->size != sizeof(struct fk_kernel))
        return fk_fail(e, "descriptor size %u, harness expects %zu: rebuild the plugin against kernels/kernel.h",
                       k->size, sizeof(struct fk_kernel));
    if (!k->name || strlen(k->name) >= 96)
        return fk_fail(e, "descriptor has no name (or one over 95 characters)");
    /* name = op.format.variant, op and format matching the fields */
    const char *d1 = strchr(k->name, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || !valid_token(k->name, (size_t)(d1 - k->name)) ||
        !valid_token(d1 + 1, (size_t)(d2 - d1 - 1)) || !valid_token(d2 + 1, strlen(d2 + 1)))
        return fk_fail(e, "name '%s' is not op.format.variant (lower-case letters, digits, '_' or '-')", k->name);
    if (k->op <= FK_OP_NONE || k->op >= FK_OP_COUNT)
        return fk_fail(e, "'%s': op %d out of range", k->name, (int)k->op);
    size_t oplen = strlen(op_names[k->op]);
    if ((size_t)(d1 - k->name) != oplen || strncmp(k->name, op_names[k->op], oplen) != 0)
        return fk_fail(e, "'%s': name must start with '%s.' for its op", k->name, op_names[k->op]);
    if (k->weights < FK_FMT_NONE || k->weights >= FK_FMT_COUNT || k->acts <= FK_FMT_NONE || k->acts >= FK_FMT_COUNT)
        return fk_fail(e, "'%s': weight format %d or activation format %d out of range", k->name, (int)k->weights,
                       (int)k->acts);
    if (!k->isa || !k->isa[0])
        return fk_fail(e, "'%s': isa is empty", k->name);
    if (k->cols_multiple < 1 || k->row_block < 1)
        return fk_fail(e, "'%s': cols_multiple %d and row_block %d must be >= 1", k->name, k->cols_multiple,
                       k->row_block);
    if (!k->run || !k->cost)
        return fk_fail(e, "'%s': run and cost are required", k->name);
    if (!k->packed_size != !k->pack)
        return fk_fail(e, "'%s': packed_size and pack go together", k->name);
    if (k->weights != FK_FMT_NONE && !k->pack)
        return fk_fail(e, "'%s': has a weight format but no pack", k->name);
    if ((k->flags & FK_KERNEL_REPACKED) && !k->to_ggml)
        return fk_fail(e, "'%s': FK_KERNEL_REPACKED needs to_ggml so the layout can be checked", k->name);
    if (k->prepare && !k->prepare_size)
        return fk_fail(e, "'%s': prepare needs prepare_size", k->name);
    if (k->flags & ~(uint32_t)(FK_KERNEL_MUTANT | FK_KERNEL_EMULATED | FK_KERNEL_REPACKED))
        return fk_fail(e, "'%s': unknown flag bits 0x%x", k->name, k->flags);
    return 0;
}

int fk_shape_ok(const struct fk_kernel *k, const struct fk_shape *s, struct fk_err *e)
{
    if (s->rows < 1 || s->cols < 1 || s->batch < 1)
        return fk_fail(e, "dimensions must be >= 1");
    if (s->cols % k->cols_multiple != 0)
        return fk_fail(e, "cols must be a multiple of %d", k->cols_multiple);
    if ((k->op == FK_OP_GEMV || k->op == FK_OP_DOT) && s->batch != 1)
        return fk_fail(e, "%s takes batch 1 (RxC)", fk_op_name(k->op));
    if (k->op == FK_OP_DOT && s->rows != 1)
        return fk_fail(e, "dot takes rows = 1 (1xC)");
    if (k->op == FK_OP_ROPE && s->cols % 2 != 0)
        return fk_fail(e, "rope rotates pairs: cols (head_dim) must be even");
    if ((k->op == FK_OP_RMSNORM || k->op == FK_OP_SOFTMAX || k->op == FK_OP_SWIGLU || k->op == FK_OP_ROPE) &&
        s->batch != 1)
        return fk_fail(e, "%s takes batch 1 (RxC)", fk_op_name(k->op));
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct fk_entry *push(struct fk_registry *r, const char *path)
{
    struct fk_entry *ne = realloc(r->e, (size_t)(r->n + 1) * sizeof *ne);
    if (!ne)
        return NULL;
    r->e = ne;
    struct fk_entry *x = &r->e[r->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->path, sizeof x->path, "%s", path);
    return x;
}

static void load_one(struct fk_registry *r, const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        struct fk_entry *x = push(r, path);
        if (x) {
            x->status = FK_REFUSED;
            snprintf(x->why, sizeof x->why, "%s: cannot load: %s", path, dlerror());
        }
        return;
    }
    void **nh = realloc(r->handles, (size_t)(r->nhandles + 1) * sizeof *nh);
    if (!nh) {
        dlclose(h);
        return;
    }
    r->handles = nh;
    r->handles[r->nhandles++] = h;

    fk_entry_fn entry;
    void *sym = dlsym(h, FK_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);  /* object -> function pointer, as POSIX allows */
    const char *build = dlsym(h, FK_BUILD_SYMBOL);
    const struct fk_plugin *p = entry ? entry() : NULL;
    if (!entry || !p || p->abi != FK_ABI_VERSION || p->count == 0 || p->count > 64 || !p->kernels) {
        struct fk_entry *x = push(r, path);
        if (!x)
            return;
        x->status = FK_REFUSED;
        if (!entry)
            snprintf(x->why, sizeof x->why, "%s: no '%s' symbol: not a falsify plugin", path, FK_ENTRY_SYMBOL);
        else if (!p)
            snprintf(x->why, sizeof x->why, "%s: %s() returned NULL", path, FK_ENTRY_SYMBOL);
        else if (p->abi != FK_ABI_VERSION)
            snprintf(x->why, sizeof x->why, "%s: plugin ABI version %u, harness expects %u: rebuild it against kernels/kernel.h",
                     path, p->abi, FK_ABI_VERSION);
        else
            snprintf(x->why, sizeof x->why, "%s: plugin lists %u kernels (must be 1..64)", path, p->count);
        return;
    }
    for (uint32_t i = 0; i < p->count; i++) {
        const struct fk_kernel *k = p->kernels[i];
        struct fk_entry *x = push(r, path);
        if (!x)
            return;
        snprintf(x->build, sizeof x->build, "%s", build ? build : "(not recorded)");
        struct fk_err err;
        if (!k || fk_kernel_validate(k, &err) != 0) {
            x->status = FK_REFUSED;
            snprintf(x->why, sizeof x->why, "%s: kernel %u: %s", path, i, k ? err.msg : "NULL descriptor");
            continue;
        }
        x->k = k;
        for (int j = 0; j < r->n - 1; j++) {
            if (r->e[j].k && strcmp(r->e[j].k->name, k->name) == 0) {
                x->status = FK_REFUSED;
                snprintf(x->why, sizeof x->why, "%s: kernel '%s' already provided by %s", path, k->name, r->e[j].path);
                break;
            }
        }
        if (x->status == FK_REFUSED)
            continue;
        x->missing = k->requires & ~r->cpu;
        if (x->missing) {
            char names[256];
            x->status = FK_SKIPPED;
            snprintf(x->why, sizeof x->why, "CPU lacks %s", fk_cpu_feature_list(x->missing, names, sizeof names));
        }
    }
}

int fk_registry_scan(struct fk_registry *r, const char *dir, uint64_t cpu, struct fk_err *e)
{
    r->cpu = cpu;
    DIR *d = opendir(dir);
    if (!d)
        return fk_fail(e, "plugin directory %s: %s (build with 'make', or point --plugins / FALSIFY_PLUGINS elsewhere)",
                       dir, strerror(errno));
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        load_one(r, path);
        free(names[i]);
    }
    free(names);
    return 0;
}

void fk_registry_free(struct fk_registry *r)
{
    free(r->e);
    for (int i = 0; i < r->nhandles; i++)
        dlclose(r->handles[i]);
    free(r->handles);
    memset(r, 0, sizeof *r);
}

const struct fk_entry *fk_registry_find(const struct fk_registry *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].k && r->e[i].status != FK_REFUSED && strcmp(r->e[i].k->name, name) == 0)
            return &r->e[i];
    return NULL;
}
