/* Model files: the oracle dump (.npy); llama2.c checkpoints and GGUF v3
 * (read with mmap, written atomically). */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kernels/quant.h"
#include "npy.h"
#include "registry.h"
#include "timing.h"

/* ---- oracle dump ---- */

static int dump_tensor(const struct fk_tensor *t, const char *dir, const char *name, struct fk_err *e)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    float *f = malloc((size_t)t->rows * (size_t)t->cols * sizeof *f);
    if (!f)
        return fk_fail(e, "out of memory dumping %s", name);
    fk_tensor_f32(t, f);
    const int64_t shape[2] = {t->rows, t->cols};
    const int rc = fk_npy_write(path, "<f4", t->rows == 1 ? 1 : 2, t->rows == 1 ? shape + 1 : shape, f, e);
    free(f);
    return rc;
}

int fk_model_dump_npy(const struct fk_model *m, const char *dir, struct fk_err *e)
{
    if (fk_mkdirs(dir, e) != 0)
        return -1;
    char path[1200];
    snprintf(path, sizeof path, "%s/config.txt", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    const struct fk_model_cfg *c = &m->cfg;
    fprintf(a.f, "dim %d\nhidden %d\nn_layers %d\nn_heads %d\nn_kv_heads %d\nvocab %d\nseq_len %d\n", c->dim,
            c->hidden, c->n_layers, c->n_heads, c->n_kv_heads, c->vocab, c->seq_len);
    fprintf(a.f, "rope_theta %.9g\nnorm_eps %.9g\nacts %s\n", c->rope_theta, c->norm_eps, fk_format_name(m->acts));
    if (fk_atomic_commit(&a, e) != 0)
        return -1;
    if (dump_tensor(&m->tok_emb, dir, "tok_emb", e) || dump_tensor(&m->final_norm, dir, "final_norm", e) ||
        dump_tensor(&m->cls, dir, "cls", e))
        return -1;
    for (int l = 0; l < c->n_layers; l++) {
        const struct fk_layer *L = &m->layers[l];
        const struct fk_tensor *ts[] = {&L->att_norm, &L->wq, &L->wk, &L->wv, &L->wo,
                                        &L->ffn_norm, &L->w1, &L->w3, &L->w2};
        static const char *const nm[] = {"att_norm", "wq", "wk", "wv", "wo", "ffn_norm", "w1", "w3", "w2"};
        for (int i = 0; i < 9; i++) {
            char name[64];
            snprintf(name, sizeof name, "l%d_%s", l, nm[i]);
            if (dump_tensor(ts[i], dir, name, e) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---- mapping ---- */

static int map_file(const char *path, void **map, size_t *bytes, struct fk_err *e)
{
    const int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fk_fail(e, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fk_fail(e, "%s: not a regular file", path);
    }
    *bytes = (size_t)st.st_size;
    if (*bytes == 0) {
        close(fd);
        return fk_fail(e, "%s: offset 0: empty file (rule: a model file starts with a header)", path);
    }
    *map = mmap(NULL, *bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*map == MAP_FAILED) {
        *map = NULL;
        return fk_fail(e, "%s: mmap failed: %s", path, strerror(errno));
    }
    return 0;
}

/* Hyper-parameters a file may claim: positive, within the sanity limits,
 * heads dividing the width into even head sizes, KV heads dividing heads. */
static int cfg_check(const char *path, size_t off, const struct fk_model_cfg *c, struct fk_err *e)
{
    const struct {
        const char *name;
        int v, max;
    } f[] = {{"dim", c->dim, FK_MODEL_MAX_DIM},          {"hidden_dim", c->hidden, 4 * FK_MODEL_MAX_DIM},
             {"n_layers", c->n_layers, FK_MODEL_MAX_LAYERS}, {"n_heads", c->n_heads, FK_MODEL_MAX_DIM},
             {"n_kv_heads", c->n_kv_heads, FK_MODEL_MAX_DIM}, {"vocab_size", c->vocab, FK_MODEL_MAX_VOCAB},
             {"seq_len", c->seq_len, FK_MODEL_MAX_SEQ}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].v < 1 || f[i].v > f[i].max)
            return fk_fail(e, "%s: offset %zu: %s = %d is absurd (rule: 1..%d)", path, off, f[i].name, f[i].v,
                           f[i].max);
    if (c->dim % c->n_heads || (c->dim / c->n_heads) % 2)
        return fk_fail(e, "%s: offset %zu: dim %d, n_heads %d (rule: dim splits into heads of even size)", path, off,
                       c->dim, c->n_heads);
    if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads)
        return fk_fail(e, "%s: offset %zu: n_heads %d, n_kv_heads %d (rule: KV heads divide the heads)", path, off,
                       c->n_heads, c->n_kv_heads);
    return 0;
}

static void set_tensor(struct fk_tensor *t, const char *name, enum fk_format f, int64_t rows, int64_t cols,
                       const void *data)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->fmt = f;
    t->rows = rows;
    t->cols = cols;
    t->data = data;
    t->bytes = (size_t)rows * fk_format_row_bytes(f, cols);
}

/* ---- llama2.c ---- */

int fk_model_load_llama2c(struct fk_model *m, const char *path, struct fk_err *e)
{
    const uint64_t t0 = fk_now_ns();
    memset(m, 0, sizeof *m);
    if (map_file(path, &m->map, &m->map_bytes, e) != 0)
        return -1;
    if (m->map_bytes < 28) {
        fk_fail(e, "%s: offset %zu: truncated header (rule: llama2.c checkpoints start with 7 int32, 28 bytes)", path,
                m->map_bytes);
        goto fail;
    }
    int32_t h[7];
    memcpy(h, m->map, sizeof h);
    struct fk_model_cfg *c = &m->cfg;
    *c = (struct fk_model_cfg){h[0], h[1], h[2], h[3], h[4], h[5] < 0 ? -h[5] : h[5], h[6], 10000.0f, 1e-5f};
    const int shared = h[5] > 0;
    if (h[5] == INT32_MIN)
        c->vocab = 0;
    if (cfg_check(path, 0, c, e) != 0)
        goto fail;
    const int64_t D = c->dim, H = c->hidden, L = c->n_layers, hs = D / c->n_heads, kvd = c->n_kv_heads * hs;
    const double need = 28.0 + 4.0 * ((double)c->vocab * D + L * D + L * D * D + 2.0 * L * kvd * D + L * D * D +
                                      L * D + 3.0 * L * H * D + D + (double)c->seq_len * hs +
                                      (shared ? 0.0 : (double)c->vocab * D));
    if ((double)m->map_bytes != need) {
        fk_fail(e, "%s: offset %zu: file is %zu bytes, the header (dim %d, hidden %d, %d layers, %d heads, %d kv "
                   "heads, vocab %d%s, seq %d) needs %.0f (rule: %s)",
                path, m->map_bytes < need ? m->map_bytes : (size_t)need, m->map_bytes, c->dim, c->hidden, c->n_layers,
                c->n_heads, c->n_kv_heads, c->vocab, shared ? " shared" : " unshared", c->seq_len, need,
                m->map_bytes < need ? "truncated" : "shape mismatch: trailing bytes");
        goto fail;
    }
    m->layers = calloc((size_t)L, sizeof *m->layers);
    if (!m->layers) {
        fk_fail(e, "out of memory");
        goto fail;
    }
    const float *p = (const float *)((const uint8_t *)m->map + 28);
    set_tensor(&m->tok_emb, "token_embedding_table", FK_FMT_F32, c->vocab, D, p);
    p += (size_t)c->vocab * D;
    char nm[64];
#define EACH(field, rows, cols, label)                                                 \
    for (int l = 0; l < L; l++, p += (size_t)(rows) * (cols)) {                          \
        snprintf(nm, sizeof nm, "%s[%d]", label, l);                                      \
        set_tensor(&m->layers[l].field, nm, FK_FMT_F32, rows, cols, p);                   \
    }
    EACH(att_norm, 1, D, "rms_att_weight")
    EACH(wq, D, D, "wq")
    EACH(wk, kvd, D, "wk")
    EACH(wv, kvd, D, "wv")
    EACH(wo, D, D, "wo")
    EACH(ffn_norm, 1, D, "rms_ffn_weight")
    EACH(w1, H, D, "w1")
    EACH(w2, D, H, "w2")
    EACH(w3, H, D, "w3")
#undef EACH
    set_tensor(&m->final_norm, "rms_final_weight", FK_FMT_F32, 1, D, p);
    p += D + (size_t)c->seq_len * hs;  /* skip the legacy freq_cis tables */
    if (shared)
        m->cls = m->tok_emb;
    else
        set_tensor(&m->cls, "wcls", FK_FMT_F32, c->vocab, D, p);
    snprintf(m->name, sizeof m->name, "%s", path);
    snprintf(m->source, sizeof m->source, "llama2.c");
    snprintf(m->wconf, sizeof m->wconf, "f32");
    m->acts = FK_FMT_F32;
    m->load_s = (double)(fk_now_ns() - t0) * 1e-9;
    return 0;
fail:
    fk_model_free(m);
    return -1;
}

int fk_model_export_llama2c(const struct fk_model *m, const char *path, struct fk_err *e)
{
    const struct fk_model_cfg *c = &m->cfg;
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    const int shared = m->cls.data == m->tok_emb.data;
    const int32_t h[7] = {c->dim, c->hidden, c->n_layers, c->n_heads, c->n_kv_heads, shared ? c->vocab : -c->vocab,
                          c->seq_len};
    fwrite(h, sizeof h, 1, a.f);
    float *row = malloc((size_t)(c->dim > c->hidden ? c->dim : c->hidden) * sizeof *row);
    if (!row) {
        fk_atomic_abort(&a);
        return fk_fail(e, "out of memory");
    }
#define PUT(t)                                            \
    for (int64_t r = 0; r < (t)->rows; r++) {             \
        fk_tensor_row_f32(t, r, row);                     \
        fwrite(row, sizeof *row, (size_t)(t)->cols, a.f); \
    }
    PUT(&m->tok_emb)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].att_norm)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].wq)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].wk)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].wv)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].wo)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].ffn_norm)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].w1)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].w2)
    for (int l = 0; l < c->n_layers; l++) PUT(&m->layers[l].w3)
    PUT(&m->final_norm)
    const int hs = c->dim / c->n_heads;
    for (int64_t i = 0; i < (int64_t)c->seq_len * hs; i++) {  /* legacy freq_cis: real then imag halves */
        const float z = 0.0f;
        fwrite(&z, sizeof z, 1, a.f);
    }
    if (!shared)
        PUT(&m->cls)
#undef PUT
    free(row);
    return fk_atomic_commit(&a, e);
}

/* ---- GGUF v3 ---- */

enum { GT_U8, GT_I8, GT_U16, GT_I16, GT_U32, GT_I32, GT_F32, GT_BOOL, GT_STR, GT_ARR, GT_U64, GT_I64, GT_F64 };
enum { GG_F32 = 0, GG_F16 = 1, GG_Q4_0 = 2, GG_Q8_0 = 8, GG_Q4_K = 12 };
#define GGUF_MAX_TENSORS 65536
#define GGUF_MAX_KV 65536
#define GGUF_MAX_STR (1 << 20)

struct rd {
    const uint8_t *p;
    size_t n, off;
    const char *path;
    struct fk_err *e;
};

static int rd_need(struct rd *r, size_t k, const char *what)
{
    if (k > r->n - r->off)
        return fk_fail(r->e, "%s: offset %zu: truncated in %s (rule: %zu more bytes needed, %zu left)", r->path,
                       r->off, what, k, r->n - r->off);
    return 0;
}

static int rd_u32(struct rd *r, uint32_t *v, const char *what)
{
    if (rd_need(r, 4, what))
        return -1;
    memcpy(v, r->p + r->off, 4);
    r->off += 4;
    return 0;
}

static int rd_u64(struct rd *r, uint64_t *v, const char *what)
{
    if (rd_need(r, 8, what))
        return -1;
    memcpy(v, r->p + r->off, 8);
    r->off += 8;
    return 0;
}

static int rd_str(struct rd *r, const char **s, uint64_t *len, const char *what)
{
    if (rd_u64(r, len, what))
        return -1;
    if (*len > GGUF_MAX_STR)
        return fk_fail(r->e, "%s: offset %zu: string length %llu in %s (rule: at most %d)", r->path, r->off - 8,
                       (unsigned long long)*len, what, GGUF_MAX_STR);
    if (rd_need(r, (size_t)*len, what))
        return -1;
    *s = (const char *)r->p + r->off;
    r->off += (size_t)*len;
    return 0;
}

static const size_t gt_size[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* Skips or reads one value of type t: integers and floats into *num. */
static int rd_value(struct rd *r, uint32_t t, double *num, uint64_t *arr_n, int depth)
{
    *num = NAN;
    if (t > GT_F64)
        return fk_fail(r->e, "%s: offset %zu: metadata value type %u (rule: GGUF types 0..12)", r->path, r->off - 4, t);
    if (t == GT_STR) {
        const char *s;
        uint64_t len;
        return rd_str(r, &s, &len, "a metadata string");
    }
    if (t == GT_ARR) {
        uint32_t et;
        uint64_t n;
        if (depth > 2 || rd_u32(r, &et, "an array type") || rd_u64(r, &n, "an array length"))
            return depth > 2 ? fk_fail(r->e, "%s: offset %zu: arrays nested too deep", r->path, r->off) : -1;
        if (arr_n)
            *arr_n = n;
        if (et != GT_STR && et != GT_ARR && et <= GT_F64) {
            if (n > (r->n - r->off) / gt_size[et])
                return fk_fail(r->e, "%s: offset %zu: array of %llu elements runs past the end (truncated)", r->path,
                               r->off, (unsigned long long)n);
            r->off += (size_t)n * gt_size[et];
            return 0;
        }
        for (uint64_t i = 0; i < n; i++) {
            double d;
            if (rd_value(r, et, &d, NULL, depth + 1))
                return -1;
        }
        return 0;
    }
    if (rd_need(r, gt_size[t], "a metadata value"))
        return -1;
    const uint8_t *p = r->p + r->off;
    r->off += gt_size[t];
    union {
        uint8_t u8; int8_t i8; uint16_t u16; int16_t i16; uint32_t u32; int32_t i32; float f32; uint64_t u64;
        int64_t i64; double f64;
    } u;
    memcpy(&u, p, gt_size[t]);
    switch (t) {
    case GT_U8: case GT_BOOL: *num = u.u8; break;
    case GT_I8: *num = u.i8; break;
    case GT_U16: *num = u.u16; break;
    case GT_I16: *num = u.i16; break;
    case GT_U32: *num = u.u32; break;
    case GT_I32: *num = u.i32; break;
    case GT_F32: *num = u.f32; break;
    case GT_U64: *num = (double)u.u64; break;
    case GT_I64: *num = (double)u.i64; break;
    case GT_F64: *num = u.f64; break;
    }
    return 0;
}

struct ginfo {
    const char *name;
    size_t name_len;
    uint32_t ndim, type;
    uint64_t dims[4];
    uint64_t offset;
    size_t info_off;
};

static int key_is(const char *k, uint64_t n, const char *want)
{
    return strlen(want) == n && memcmp(k, want, n) == 0;
}

int fk_model_load_gguf(struct fk_model *m, const char *path, struct fk_err *e)
{
    const uint64_t t0 = fk_now_ns();
    memset(m, 0, sizeof *m);
    struct ginfo *ti = NULL;
    if (map_file(path, &m->map, &m->map_bytes, e) != 0)
        return -1;
    struct rd r = {m->map, m->map_bytes, 0, path, e};
    uint32_t magic, version;
    uint64_t nt, nkv;
    if (rd_u32(&r, &magic, "the magic") || rd_u32(&r, &version, "the version"))
        goto fail;
    if (memcmp(m->map, "GGUF", 4) != 0) {
        fk_fail(e, "%s: offset 0: magic '%.4s' (rule: a GGUF file starts with 'GGUF')", path, (const char *)m->map);
        goto fail;
    }
    if (version != 3) {
        fk_fail(e, "%s: offset 4: GGUF version %u (rule: version 3 is supported)", path, version);
        goto fail;
    }
    if (rd_u64(&r, &nt, "the tensor count") || rd_u64(&r, &nkv, "the metadata count"))
        goto fail;
    if (nt > GGUF_MAX_TENSORS || nkv > GGUF_MAX_KV) {
        fk_fail(e, "%s: offset 8: %llu tensors, %llu metadata entries (rule: at most %d each)", path,
                (unsigned long long)nt, (unsigned long long)nkv, GGUF_MAX_TENSORS);
        goto fail;
    }
    struct fk_model_cfg *c = &m->cfg;
    memset(c, 0, sizeof *c);
    c->rope_theta = 10000.0f;
    c->norm_eps = 1e-5f;
    c->seq_len = 2048;
    uint64_t align = 32, vocab_tokens = 0;
    int arch_ok = 0;
    size_t arch_off = 0;
    for (uint64_t i = 0; i < nkv; i++) {
        const char *k;
        uint64_t kl;
        uint32_t t;
        const size_t koff = r.off;
        if (rd_str(&r, &k, &kl, "a metadata key") || rd_u32(&r, &t, "a metadata type"))
            goto fail;
        if (key_is(k, kl, "general.architecture")) {
            const char *s;
            uint64_t sl;
            arch_off = koff;
            if (t != GT_STR) {
                fk_fail(e, "%s: offset %zu: general.architecture has type %u (rule: a string)", path, koff, t);
                goto fail;
            }
            if (rd_str(&r, &s, &sl, "general.architecture"))
                goto fail;
            if (!(sl == 5 && memcmp(s, "llama", 5) == 0)) {
                fk_fail(e, "%s: offset %zu: general.architecture '%.*s' (rule: llama)", path, koff,
                        (int)(sl > 40 ? 40 : sl), s);
                goto fail;
            }
            arch_ok = 1;
            continue;
        }
        double v;
        uint64_t an = 0;
        if (rd_value(&r, t, &v, &an, 0))
            goto fail;
        int *dst = key_is(k, kl, "llama.embedding_length") ? &c->dim
                 : key_is(k, kl, "llama.feed_forward_length") ? &c->hidden
                 : key_is(k, kl, "llama.block_count") ? &c->n_layers
                 : key_is(k, kl, "llama.attention.head_count") ? &c->n_heads
                 : key_is(k, kl, "llama.attention.head_count_kv") ? &c->n_kv_heads
                 : key_is(k, kl, "llama.context_length") ? &c->seq_len : NULL;
        if (dst) {
            if (!(v >= 0 && v <= 1e9)) {
                fk_fail(e, "%s: offset %zu: %.*s = %g (rule: a non-negative integer)", path, koff, (int)kl, k, v);
                goto fail;
            }
            *dst = (int)v;
        } else if (key_is(k, kl, "llama.rope.freq_base") && isfinite(v))
            c->rope_theta = (float)v;
        else if (key_is(k, kl, "llama.attention.layer_norm_rms_epsilon") && isfinite(v))
            c->norm_eps = (float)v;
        else if (key_is(k, kl, "general.alignment")) {
            if (!(v >= 1 && v <= 65536) || ((uint64_t)v & ((uint64_t)v - 1))) {
                fk_fail(e, "%s: offset %zu: general.alignment %g (rule: a power of two up to 65536)", path, koff, v);
                goto fail;
            }
            align = (uint64_t)v;
        } else if (key_is(k, kl, "tokenizer.ggml.tokens"))
            vocab_tokens = an;
    }
    if (!arch_ok) {
        fk_fail(e, "%s: offset %zu: no general.architecture (rule: llama)", path, arch_off ? arch_off : r.off);
        goto fail;
    }
    if (c->n_kv_heads == 0)
        c->n_kv_heads = c->n_heads;
    ti = calloc(nt ? (size_t)nt : 1, sizeof *ti);
    if (!ti) {
        fk_fail(e, "out of memory");
        goto fail;
    }
    for (uint64_t i = 0; i < nt; i++) {
        struct ginfo *g = &ti[i];
        g->info_off = r.off;
        uint64_t nl;
        if (rd_str(&r, &g->name, &nl, "a tensor name") || rd_u32(&r, &g->ndim, "a tensor's dimension count"))
            goto fail;
        g->name_len = (size_t)nl;
        if (g->ndim < 1 || g->ndim > 4) {
            fk_fail(e, "%s: offset %zu: tensor '%.*s' has %u dimensions (rule: 1..4)", path, g->info_off, (int)nl,
                    g->name, g->ndim);
            goto fail;
        }
        for (uint32_t d = 0; d < g->ndim; d++)
            if (rd_u64(&r, &g->dims[d], "a tensor dimension"))
                goto fail;
        if (rd_u32(&r, &g->type, "a tensor type") || rd_u64(&r, &g->offset, "a tensor offset"))
            goto fail;
    }
    const size_t data0 = (r.off + align - 1) / align * align;
    /* the vocabulary must agree with the embedding */
    const struct ginfo *emb = NULL;
    for (uint64_t i = 0; i < nt; i++)
        if (key_is(ti[i].name, ti[i].name_len, "token_embd.weight"))
            emb = &ti[i];
    if (!emb) {
        fk_fail(e, "%s: offset %zu: no tensor token_embd.weight (rule: llama tensors)", path, r.off);
        goto fail;
    }
    if (emb->ndim < 2 || emb->dims[1] < 1 || emb->dims[1] > FK_MODEL_MAX_VOCAB) {
        fk_fail(e, "%s: offset %zu: token_embd.weight has %llu rows: the vocabulary is absurd (rule: 1..%d)", path,
                emb->info_off, emb->ndim < 2 ? 0ull : (unsigned long long)emb->dims[1], FK_MODEL_MAX_VOCAB);
        goto fail;
    }
    c->vocab = (int)emb->dims[1];
    if (vocab_tokens && (uint64_t)c->vocab != vocab_tokens) {
        fk_fail(e, "%s: offset %zu: token_embd.weight has %d rows, tokenizer.ggml.tokens %llu (rule: shape mismatch)",
                path, emb->info_off, c->vocab, (unsigned long long)vocab_tokens);
        goto fail;
    }
    if (cfg_check(path, 16, c, e) != 0)
        goto fail;
    const int64_t D = c->dim, H = c->hidden, hs = D / c->n_heads, kvd = c->n_kv_heads * hs;
    m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!m->layers) {
        fk_fail(e, "out of memory");
        goto fail;
    }
    /* every expected tensor: name, shape (rows, cols), where it goes */
    const int nexp = 3 + 9 * c->n_layers;
    for (int x = 0; x < nexp; x++) {
        char want[64];
        struct fk_tensor *dst;
        int64_t rows, cols;
        int optional = 0;
        if (x == 0) {
            snprintf(want, sizeof want, "token_embd.weight"), dst = &m->tok_emb, rows = c->vocab, cols = D;
        } else if (x == 1) {
            snprintf(want, sizeof want, "output_norm.weight"), dst = &m->final_norm, rows = 1, cols = D;
        } else if (x == 2) {
            snprintf(want, sizeof want, "output.weight"), dst = &m->cls, rows = c->vocab, cols = D, optional = 1;
        } else {
            const int l = (x - 3) / 9, j = (x - 3) % 9;
            struct fk_layer *ly = &m->layers[l];
            static const char *const nm[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                              "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
            struct fk_tensor *ds[9] = {&ly->att_norm, &ly->wq, &ly->wk, &ly->wv, &ly->wo,
                                       &ly->ffn_norm, &ly->w1, &ly->w3, &ly->w2};
            const int64_t rs[9] = {1, D, kvd, kvd, D, 1, H, H, D}, cs[9] = {D, D, D, D, D, D, D, D, H};
            snprintf(want, sizeof want, "blk.%d.%s.weight", l, nm[j]);
            dst = ds[j], rows = rs[j], cols = cs[j];
        }
        const struct ginfo *g = NULL;
        for (uint64_t i = 0; i < nt && !g; i++)
            if (key_is(ti[i].name, ti[i].name_len, want))
                g = &ti[i];
        if (!g) {
            if (optional)
                continue;
            fk_fail(e, "%s: offset %zu: no tensor %s (rule: llama tensors)", path, r.off, want);
            goto fail;
        }
        const uint64_t gr = g->ndim >= 2 ? g->dims[1] : 1;
        int extra = 0;
        for (uint32_t d = 2; d < g->ndim; d++)
            extra |= g->dims[d] != 1;
        if (g->dims[0] != (uint64_t)cols || gr != (uint64_t)rows || extra) {
            fk_fail(e, "%s: offset %zu: tensor %s is %llux%llu, the hyper-parameters make it %lldx%lld (cols x rows; "
                       "rule: shape mismatch)",
                    path, g->info_off, want, (unsigned long long)g->dims[0], (unsigned long long)gr, (long long)cols,
                    (long long)rows);
            goto fail;
        }
        enum fk_format f;
        switch (g->type) {
        case GG_F32: f = FK_FMT_F32; break;
        case GG_F16: f = FK_FMT_F16; break;
        case GG_Q4_0: f = FK_FMT_Q4_0; break;
        case GG_Q8_0: f = FK_FMT_Q8_0; break;
        case GG_Q4_K: f = FK_FMT_Q4_K; break;
        default:
            fk_fail(e, "%s: offset %zu: tensor %s has ggml type %u (rule: supported F32 0, F16 1, Q4_0 2, Q8_0 8, "
                       "Q4_K 12)", path, g->info_off, want, g->type);
            goto fail;
        }
        const int64_t qk = f == FK_FMT_Q4_0 || f == FK_FMT_Q8_0 ? 32 : f == FK_FMT_Q4_K ? 256 : 1;
        if (cols % qk) {
            fk_fail(e, "%s: offset %zu: tensor %s: %lld columns in %s (rule: a multiple of %lld)", path, g->info_off,
                    want, (long long)cols, fk_format_name(f), (long long)qk);
            goto fail;
        }
        const size_t bytes = (size_t)rows * fk_format_row_bytes(f, cols);
        if (g->offset % align || g->offset > m->map_bytes || data0 + g->offset > m->map_bytes ||
            bytes > m->map_bytes - data0 - g->offset) {
            fk_fail(e, "%s: offset %zu: tensor %s data at %llu + %zu bytes (rule: aligned to %llu and inside the "
                       "file of %zu bytes: truncated?)",
                    path, g->info_off, want, (unsigned long long)(data0 + g->offset), bytes,
                    (unsigned long long)align, m->map_bytes);
            goto fail;
        }
        set_tensor(dst, want, f, rows, cols, (const uint8_t *)m->map + data0 + g->offset);
        if (rows == 1 && f == FK_FMT_F16) {
            /* norms are read as f32 by the rmsnorm plugin: convert */
            float *own = fk_alloc((size_t)cols * sizeof *own);
            if (!own) {
                fk_fail(e, "out of memory");
                goto fail;
            }
            fk_tensor_f32(dst, own);
            set_tensor(dst, want, FK_FMT_F32, rows, cols, own);
            dst->owned = own;
        }
        if (rows == 1 && dst->fmt != FK_FMT_F32) {
            fk_fail(e, "%s: offset %zu: norm %s stored as %s (rule: F32 or F16)", path, g->info_off, want,
                    fk_format_name(dst->fmt));
            goto fail;
        }
    }
    if (!m->cls.data)
        m->cls = m->tok_emb;  /* shared classifier */
    {
        const enum fk_format f0 = m->layers[0].wq.fmt;
        snprintf(m->wconf, sizeof m->wconf, "%s", fk_format_name(f0 == FK_FMT_F16 ? FK_FMT_F32 : f0));
    }
    snprintf(m->name, sizeof m->name, "%s", path);
    snprintf(m->source, sizeof m->source, "gguf");
    m->acts = FK_FMT_F32;
    m->load_s = (double)(fk_now_ns() - t0) * 1e-9;
    free(ti);
    return 0;
fail:
    free(ti);
    if (m->cls.data == m->tok_emb.data)
        m->cls.owned = NULL;
    fk_model_free(m);
    return -1;
}

int fk_model_load(struct fk_model *m, const char *path, struct fk_err *e)
{
    uint8_t magic[4] = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        return fk_fail(e, "%s: cannot open: %s", path, strerror(errno));
    const size_t n = fread(magic, 1, 4, f);
    fclose(f);
    if (n == 4 && memcmp(magic, "GGUF", 4) == 0)
        return fk_model_load_gguf(m, path, e);
    if (fk_model_load_llama2c(m, path, e) == 0)
        return 0;
    if (e) {  /* say how the file was read */
        const size_t l = strlen(e->msg);
        snprintf(e->msg + l, sizeof e->msg - l, " [no GGUF magic: read as a llama2.c checkpoint]");
    }
    return -1;
}

/* ---- GGUF writer ---- */

static void w_u32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void w_u64(FILE *f, uint64_t v) { fwrite(&v, 8, 1, f); }
static void w_str(FILE *f, const char *s)
{
    w_u64(f, strlen(s));
    fwrite(s, 1, strlen(s), f);
}
static void kv_u32(FILE *f, const char *k, uint32_t v)
{
    w_str(f, k);
    w_u32(f, GT_U32);
    w_u32(f, v);
}
static void kv_f32(FILE *f, const char *k, float v)
{
    w_str(f, k);
    w_u32(f, GT_F32);
    fwrite(&v, 4, 1, f);
}
static void kv_str(FILE *f, const char *k, const char *v)
{
    w_str(f, k);
    w_u32(f, GT_STR);
    w_str(f, v);
}

#define EXPORT_ALIGN 64  /* tensors land at FK_ALIGN: plugins read them in place */

static void token_text(int i, char *buf, size_t n)
{
    if (i == 0)
        snprintf(buf, n, "<unk>");
    else if (i == 1)
        snprintf(buf, n, "<s>");
    else if (i == 2)
        snprintf(buf, n, "</s>");
    else if (i < 3 + 256)
        snprintf(buf, n, "<0x%02X>", i - 3);
    else
        snprintf(buf, n, "tok%d", i);
}

int fk_model_export_gguf(const struct fk_model *m, const char *path, struct fk_err *e)
{
    const struct fk_model_cfg *c = &m->cfg;
    const int L = c->n_layers, shared = m->cls.data == m->tok_emb.data;
    const int nt = 2 + !shared + 9 * L;
    const struct fk_tensor **ts = calloc((size_t)nt, sizeof *ts);
    if (!ts)
        return fk_fail(e, "out of memory");
    int k = 0;
    ts[k++] = &m->tok_emb;
    ts[k++] = &m->final_norm;
    if (!shared)
        ts[k++] = &m->cls;
    for (int l = 0; l < L; l++) {
        const struct fk_layer *ly = &m->layers[l];
        const struct fk_tensor *x[9] = {&ly->att_norm, &ly->wq, &ly->wk, &ly->wv, &ly->wo,
                                        &ly->ffn_norm, &ly->w1, &ly->w3, &ly->w2};
        for (int j = 0; j < 9; j++)
            ts[k++] = x[j];
    }
    static const char *const lnm[9] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
                                       "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
    for (int i = 0; i < nt; i++)
        if (ts[i]->fmt != FK_FMT_F32 && ts[i]->fmt != FK_FMT_Q4_0 && ts[i]->fmt != FK_FMT_Q8_0 &&
            ts[i]->fmt != FK_FMT_Q4_K && ts[i]->fmt != FK_FMT_F16) {
            free(ts);
            return fk_fail(e, "%s: tensor %s in format %s cannot be written", path, ts[i]->name,
                           fk_format_name(ts[i]->fmt));
        }
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0) {
        free(ts);
        return -1;
    }
    FILE *f = a.f;
    fwrite("GGUF", 1, 4, f);
    w_u32(f, 3);
    w_u64(f, (uint64_t)nt);
    w_u64(f, 20);  /* metadata entries below */
    kv_str(f, "general.architecture", "llama");
    kv_str(f, "general.name", m->name);
    kv_u32(f, "general.alignment", EXPORT_ALIGN);
    kv_u32(f, "llama.context_length", (uint32_t)c->seq_len);
    kv_u32(f, "llama.embedding_length", (uint32_t)c->dim);
    kv_u32(f, "llama.feed_forward_length", (uint32_t)c->hidden);
    kv_u32(f, "llama.block_count", (uint32_t)L);
    kv_u32(f, "llama.attention.head_count", (uint32_t)c->n_heads);
    kv_u32(f, "llama.attention.head_count_kv", (uint32_t)c->n_kv_heads);
    kv_u32(f, "llama.rope.dimension_count", (uint32_t)(c->dim / c->n_heads));
    kv_f32(f, "llama.rope.freq_base", c->rope_theta);
    kv_f32(f, "llama.attention.layer_norm_rms_epsilon", c->norm_eps);
    kv_u32(f, "llama.vocab_size", (uint32_t)c->vocab);
    kv_u32(f, "general.file_type", 0);
    kv_str(f, "tokenizer.ggml.model", "llama");
    char tok[32];
    w_str(f, "tokenizer.ggml.tokens");
    w_u32(f, GT_ARR);
    w_u32(f, GT_STR);
    w_u64(f, (uint64_t)c->vocab);
    for (int i = 0; i < c->vocab; i++) {
        token_text(i, tok, sizeof tok);
        w_str(f, tok);
    }
    w_str(f, "tokenizer.ggml.scores");
    w_u32(f, GT_ARR);
    w_u32(f, GT_F32);
    w_u64(f, (uint64_t)c->vocab);
    for (int i = 0; i < c->vocab; i++) {
        const float s = i < 259 ? 0.0f : -(float)i;
        fwrite(&s, 4, 1, f);
    }
    w_str(f, "tokenizer.ggml.token_type");
    w_u32(f, GT_ARR);
    w_u32(f, GT_I32);
    w_u64(f, (uint64_t)c->vocab);
    for (int i = 0; i < c->vocab; i++) {
        const int32_t t = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;  /* unknown, control, byte, normal */
        fwrite(&t, 4, 1, f);
    }
    kv_u32(f, "tokenizer.ggml.bos_token_id", 1);
    kv_u32(f, "tokenizer.ggml.eos_token_id", 2);
    uint64_t off = 0;
    for (int i = 0; i < nt; i++) {
        char name[64];
        if (ts[i] == &m->tok_emb)
            snprintf(name, sizeof name, "token_embd.weight");
        else if (ts[i] == &m->final_norm)
            snprintf(name, sizeof name, "output_norm.weight");
        else if (ts[i] == &m->cls)
            snprintf(name, sizeof name, "output.weight");
        else {
            const int j = (i - (3 - shared)) % 9, l = (i - (3 - shared)) / 9;
            snprintf(name, sizeof name, "blk.%d.%s.weight", l, lnm[j]);
        }
        w_str(f, name);
        const int two = ts[i]->rows > 1;
        w_u32(f, two ? 2 : 1);
        w_u64(f, (uint64_t)ts[i]->cols);
        if (two)
            w_u64(f, (uint64_t)ts[i]->rows);
        const uint32_t gt = ts[i]->fmt == FK_FMT_F32 ? GG_F32 : ts[i]->fmt == FK_FMT_F16 ? GG_F16
                          : ts[i]->fmt == FK_FMT_Q4_0 ? GG_Q4_0 : ts[i]->fmt == FK_FMT_Q8_0 ? GG_Q8_0 : GG_Q4_K;
        w_u32(f, gt);
        w_u64(f, off);
        off += (ts[i]->bytes + EXPORT_ALIGN - 1) / EXPORT_ALIGN * EXPORT_ALIGN;
    }
    static const uint8_t zero[EXPORT_ALIGN] = {0};
    long pos = ftell(f);
    fwrite(zero, 1, (size_t)((EXPORT_ALIGN - pos % EXPORT_ALIGN) % EXPORT_ALIGN), f);
    for (int i = 0; i < nt; i++) {
        fwrite(ts[i]->data, 1, ts[i]->bytes, f);
        fwrite(zero, 1, (EXPORT_ALIGN - ts[i]->bytes % EXPORT_ALIGN) % EXPORT_ALIGN, f);
    }
    free(ts);
    return fk_atomic_commit(&a, e);
}
