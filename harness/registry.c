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
    [FK_FMT_S8_ROW] = "s8_row", [FK_FMT_U8_ASYM] = "u8_asym",
    [FK_FMT_Q8_K] = "q8_k",
};

const char *fk_op_name(enum fk_op op)
{
    return (op >= 0 && op < FK_OP_COUNT) ? op_names[op] : "?";
}

const char *fk_format_name(enum fk_format f)
{
    return (f >= 0 && f < FK_FMT_COUNT) ? format_names[f] : "?";
}

/* Peer libraries by the variant token of their plugins' names
 * (kernels/peer_<library>.c), and the Debian package that brings each. */
static const struct {
    const char *variant, *library;
} peer_libraries[] = {
    {"openblas", "OpenBLAS (Debian libopenblas-dev)"},
    {"blis", "BLIS (Debian libblis-dev)"},
    {"onednn", "oneDNN (Debian libdnnl-dev)"},
};

const char *fk_peer_library(const char *name)
{
    const char *d1 = strchr(name, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || strpbrk(name, "*?[ \t"))
        return NULL;
    for (size_t i = 0; i < sizeof peer_libraries / sizeof peer_libraries[0]; i++)
        if (strcmp(d2 + 1, peer_libraries[i].variant) == 0)
            return peer_libraries[i].library;
    return NULL;
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
    /* the current size, or the size before the optional tail fields
     * (provenance, release) were appended: those read as NULL */
    if (k->size != sizeof(struct fk_kernel) && k->size != FK_KERNEL_SIZE_V1)
        return fk_fail(e, "descriptor size %u, harness expects %zu (or %zu without the optional tail): rebuild the "
                       "plugin against kernels/kernel.h", k->size, sizeof(struct fk_kernel), FK_KERNEL_SIZE_V1);
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
    if ((k->flags & FK_KERNEL_PEER) && !fk_kernel_provenance(k))
        return fk_fail(e, "'%s': FK_KERNEL_PEER needs provenance (library version and code path)", k->name);
    if (k->flags & ~(uint32_t)(FK_KERNEL_MUTANT | FK_KERNEL_EMULATED | FK_KERNEL_REPACKED | FK_KERNEL_PEER))
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
#ifdef __SANITIZE_ADDRESS__
    /* sanitized builds keep plugins mapped after dlclose, so a leak report
     * names the plugin or library that allocated instead of "<unknown module>" */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
#else
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
#endif
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
    if (n > 1)  /* qsort(NULL, 0, ...) is undefined (an empty folder) */
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

/* ---------------------------------------------------------------- roles */

/* The declared ISA preference order (see registry.h), best first. */
static const struct {
    const char *variant;
    int rank;
    const char *family;
} variant_ranks[] = {
    {"amx", 100, "amx"},          {"avx512vnni", 90, "avx512"}, {"avxvnni", 80, "avx2"},
    {"avx512", 70, "avx512"},     {"avx2", 60, "avx2"},         {"neondot", 50, "neon"},
    {"neon", 40, "neon"},         {"tiled4x4neon", 30, "neon"}, {"tiled4x4", 20, "base"},
    {"sse", 20, "base"},          {"scalar", 0, "scalar"},
};

int fk_variant_rank(const char *variant, const char **family)
{
    for (size_t i = 0; i < sizeof variant_ranks / sizeof variant_ranks[0]; i++)
        if (strcmp(variant, variant_ranks[i].variant) == 0) {
            if (family)
                *family = variant_ranks[i].family;
            return variant_ranks[i].rank;
        }
    if (family)
        *family = "";
    return -1;
}

static const char *const pick_names[] = {[FK_PICK_BEST] = "best", [FK_PICK_SAME_ISA] = "same-isa",
                                         [FK_PICK_SCALAR] = "scalar"};

int fk_role_parse(const char *s, char *op_format, size_t n, struct fk_err *e)
{
    const char *colon = strchr(s, ':');
    if (!colon)
        return FK_PICK_NONE;
    int pick = -1;
    for (int i = FK_PICK_BEST; i <= FK_PICK_SCALAR; i++)
        if ((size_t)(colon - s) == strlen(pick_names[i]) && strncmp(s, pick_names[i], (size_t)(colon - s)) == 0)
            pick = i;
    if (pick < 0)
        return fk_fail(e, "'%s': unknown role '%.*s' (valid: best:OP.FMT, same-isa:OP.FMT, scalar:OP.FMT)", s,
                       (int)(colon - s), s);
    const char *of = colon + 1;
    const char *dot = strchr(of, '.');
    if (!dot || strchr(dot + 1, '.') || !valid_token(of, (size_t)(dot - of)) || !valid_token(dot + 1, strlen(dot + 1)))
        return fk_fail(e, "'%s': a role names op.format after the ':' (e.g. best:gemv.f32), not a kernel or glob", s);
    if (strlen(of) >= n)
        return fk_fail(e, "'%s': op.format longer than %zu characters", s, n - 1);
    snprintf(op_format, n, "%s", of);
    return pick;
}

/* Appends ", name: reason" to why (bounded). */
static void why_add(char *why, size_t nwhy, const char *name, const char *reason)
{
    size_t k = strlen(why);
    if (k + 1 < nwhy)
        snprintf(why + k, nwhy - k, "%s%s: %s", k ? "; " : "", name, reason);
}

/* Variant part of an entry's name, if the entry belongs to op_format. */
static const char *variant_of(const struct fk_entry *en, const char *op_format)
{
    size_t n = strlen(op_format);
    if (!en->k || strncmp(en->k->name, op_format, n) != 0 || en->k->name[n] != '.')
        return NULL;
    return en->k->name + n + 1;
}

/* Runnable with features cpu, and not a mutant or a software model;
 * otherwise the reason in buf. */
static int candidate(const struct fk_entry *en, uint64_t cpu, char *buf, size_t n)
{
    if (en->status == FK_REFUSED) {
        snprintf(buf, n, "refused");
        return 0;
    }
    if (en->k->flags & FK_KERNEL_MUTANT) {
        snprintf(buf, n, "mutant");
        return 0;
    }
    if (en->k->flags & FK_KERNEL_EMULATED) {
        snprintf(buf, n, "emulated (software model)");
        return 0;
    }
    if (en->k->flags & FK_KERNEL_PEER) {
        snprintf(buf, n, "peer library (named only exactly)");
        return 0;
    }
    if (en->status != FK_RUNNABLE) {
        snprintf(buf, n, "%s", en->why);
        return 0;
    }
    if (en->k->requires & ~cpu) {
        char names[256];
        snprintf(buf, n, "CPU lacks %s", fk_cpu_feature_list(en->k->requires & ~cpu, names, sizeof names));
        return 0;
    }
    return 1;
}

const struct fk_entry *fk_registry_best(const struct fk_registry *r, const char *op_format, uint64_t cpu,
                                        char *why, size_t nwhy)
{
    if (nwhy)
        why[0] = 0;
    const struct fk_entry *best = NULL;
    int best_rank = -1, seen = 0;
    for (int i = 0; i < r->n; i++) {
        const struct fk_entry *en = &r->e[i];
        const char *v = variant_of(en, op_format);
        if (!v)
            continue;
        seen++;
        char reason[300];
        int rank = fk_variant_rank(v, NULL);
        if (!candidate(en, cpu, reason, sizeof reason)) {
            why_add(why, nwhy, en->k->name, reason);
            continue;
        }
        if (rank <= 0) {
            why_add(why, nwhy, en->k->name, rank == 0 ? "scalar (ask with scalar:)" : "variant not in the ISA order");
            continue;
        }
        if (rank > best_rank) {
            best = en;
            best_rank = rank;
        }
    }
    if (best) {
        if (nwhy)
            why[0] = 0;
        return best;
    }
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", nwhy ? why : "");
    if (!seen)
        snprintf(why, nwhy, "no %s kernel is built here", op_format);
    else
        snprintf(why, nwhy, "no runnable SIMD variant of %s here (%s)", op_format, detail);
    return NULL;
}

const struct fk_entry *fk_registry_same_isa(const struct fk_registry *r, const char *op_format,
                                            const struct fk_entry *subject, uint64_t cpu, char *why, size_t nwhy)
{
    if (nwhy)
        why[0] = 0;
    if (!subject || !subject->k) {
        snprintf(why, nwhy, "same-isa:%s needs a kernel subject", op_format);
        return NULL;
    }
    const char *sv = strrchr(subject->k->name, '.') + 1;
    const char *sfam;
    int srank = fk_variant_rank(sv, &sfam);
    uint64_t sreq = subject->k->requires;
    /* tier 0: same family, no extra feature; 1: same family; 2: no extra feature */
    const struct fk_entry *pick[3] = {NULL, NULL, NULL};
    int prank[3] = {-1, -1, -1};
    for (int i = 0; i < r->n; i++) {
        const struct fk_entry *en = &r->e[i];
        const char *v = variant_of(en, op_format);
        char reason[300];
        if (!v || !candidate(en, cpu, reason, sizeof reason))
            continue;
        const char *fam;
        int rank = fk_variant_rank(v, &fam);
        if (rank < 0 || (rank == 0 && srank != 0))
            continue;
        int same = srank >= 0 && strcmp(fam, sfam) == 0;
        int subset = (en->k->requires & ~sreq) == 0;
        for (int t = 0; t < 3; t++) {
            int fits = t == 0 ? same && subset : t == 1 ? same : subset;
            if (fits && rank > prank[t]) {
                pick[t] = en;
                prank[t] = rank;
            }
        }
    }
    for (int t = 0; t < 3; t++)
        if (pick[t])
            return pick[t];
    snprintf(why, nwhy, "no runnable variant of %s of the ISA of %s (family %s) here", op_format, subject->k->name,
             sfam[0] ? sfam : "unranked");
    return NULL;
}

const struct fk_entry *fk_registry_resolve(const struct fk_registry *r, const char *spec,
                                           const struct fk_entry *subject, uint64_t cpu, char *why, size_t nwhy)
{
    char of[96];
    struct fk_err e;
    int pick = fk_role_parse(spec, of, sizeof of, &e);
    if (nwhy)
        why[0] = 0;
    switch (pick) {
    case FK_PICK_NONE: {
        const struct fk_entry *en = fk_registry_find(r, spec);
        const char *lib = fk_peer_library(spec);
        if (!en && lib)  /* a capability, like a missing CPU feature */
            snprintf(why, nwhy, "peer library not installed: %s", lib);
        else if (!en)
            snprintf(why, nwhy, "%s is not available here", spec);
        return en;
    }
    case FK_PICK_BEST:
        return fk_registry_best(r, of, cpu, why, nwhy);
    case FK_PICK_SAME_ISA:
        return fk_registry_same_isa(r, of, subject, cpu, why, nwhy);
    case FK_PICK_SCALAR: {
        char name[128];
        snprintf(name, sizeof name, "%s.scalar", of);
        const struct fk_entry *en = fk_registry_find(r, name);
        if (!en)
            snprintf(why, nwhy, "no %s kernel is built here", name);
        return en;
    }
    default:
        snprintf(why, nwhy, "%s", e.msg);
        return NULL;
    }
}

void fk_registry_mask(struct fk_registry *r, uint64_t allowed, const char *label)
{
    r->cpu &= allowed;
    for (int i = 0; i < r->n; i++) {
        struct fk_entry *en = &r->e[i];
        if (en->status != FK_RUNNABLE || !(en->k->requires & ~allowed))
            continue;
        char names[256];
        en->status = FK_SKIPPED;
        en->missing = en->k->requires & ~allowed;
        snprintf(en->why, sizeof en->why, "masked (%s): needs %s", label,
                 fk_cpu_feature_list(en->missing, names, sizeof names));
    }
}
