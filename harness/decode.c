/* The forward pass of `falsify decode` (see decode.h). */
#include "decode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "timing.h"
#include "watch.h"

static const char *const dop_names[FK_DOP_COUNT] = {
    [FK_DOP_EMBED] = "embed",       [FK_DOP_RMSNORM] = "rmsnorm",   [FK_DOP_QKV] = "qkv",
    [FK_DOP_ROPE] = "rope",         [FK_DOP_KV] = "kv_cache",       [FK_DOP_ATTENTION] = "attention",
    [FK_DOP_WO] = "wo",             [FK_DOP_FFN_UP] = "ffn_up",     [FK_DOP_SWIGLU] = "swiglu",
    [FK_DOP_FFN_DOWN] = "ffn_down", [FK_DOP_RESIDUAL] = "residual", [FK_DOP_CLS] = "classifier",
    [FK_DOP_ARGMAX] = "argmax",
};

const char *fk_dop_name(enum fk_dop op)
{
    return op >= 0 && op < FK_DOP_COUNT ? dop_names[op] : "?";
}

/* The format token of plugin names for (weights, activations). */
static const char *format_token(enum fk_format w, enum fk_format a)
{
    if (w == FK_FMT_Q4_0 && a == FK_FMT_Q8_0)
        return "w4a8";
    return fk_format_name(w == FK_FMT_NONE ? a : w);
}

static int formats_fit(const struct fk_entry *en, enum fk_op op, enum fk_format w, enum fk_format a)
{
    return en && en->k->op == op && en->k->weights == w && en->k->acts == a;
}

const struct fk_entry *fk_decode_best(const struct fk_registry *reg, enum fk_op op, enum fk_format w,
                                      enum fk_format a, char *why, size_t n)
{
    char of[64], name[96], best_why[1024] = "";
    snprintf(of, sizeof of, "%s.%s", fk_op_name(op), format_token(w, a));
    /* the registry's role: best runnable variant by declared ISA preference,
     * never scalar, emulated or a mutant */
    const struct fk_entry *en = fk_registry_best(reg, of, reg->cpu, best_why, sizeof best_why);
    if (formats_fit(en, op, w, a))
        return en;
    if (en)
        snprintf(best_why, sizeof best_why, "%s takes %s x %s", en->k->name, fk_format_name(en->k->weights),
                 fk_format_name(en->k->acts));
    /* then the reference variant, the declared last resort (rope on aarch64) */
    snprintf(name, sizeof name, "%s.scalar", of);
    en = fk_registry_find(reg, name);
    if (formats_fit(en, op, w, a) && !(en->k->flags & (FK_KERNEL_MUTANT | FK_KERNEL_EMULATED)))
        return en;
    if (why)
        snprintf(why, n, "no runnable %s plugin for %s weights x %s activations: %s", fk_op_name(op),
                 fk_format_name(w), fk_format_name(a), best_why[0] ? best_why : "none built");
    return NULL;
}

/* ---- running one op on the pool, as exec.c does for check ---- */

struct call {
    const struct fk_kernel *k;
    const struct fk_args *a;
    struct fk_pool *pool;
};

static void call_task(void *ctx, int tid, int n)
{
    const struct call *c = ctx;
    if (c->k->prepare) {
        if (tid == 0)
            c->k->prepare(c->a);
        if (n > 1)
            fk_pool_barrier(c->pool);  /* run() reads what prepare() wrote */
    }
    int64_t r0, r1;
    fk_partition(c->a->shape.rows, c->k->row_block, tid, n, &r0, &r1);
    if (r0 < r1)
        c->k->run(c->a, r0, r1);
}

/* Plugin calls run in this process, outside the sandbox of check: the
 * watch (watch.h) names the plugin and op if one faults or hangs. */
static void run_op(struct fk_decoder *d, const struct fk_kernel *k, const struct fk_args *a)
{
    const int64_t chunks = (a->shape.rows + k->row_block - 1) / k->row_block;
    const int n = chunks < d->threads ? (int)chunks : d->threads;
    struct call c = {k, a, d->pool};
    struct fk_cost cost = {0, 0, 0, 0};
    if (k->cost)
        k->cost(&a->shape, &cost);
    fk_watch_enter(k->name, fk_dop_name(d->cur_op), d->cur_layer, d->cur_pos, d->cur_npos, cost.ops);
    if (n <= 1 || !d->pool)
        call_task(&c, 0, 1);
    else
        fk_pool_run(d->pool, n, call_task, &c);
    fk_watch_leave();
}

/* ---- set-up ---- */

static const struct fk_entry *find_any(const struct fk_registry *reg, const struct fk_registry *mut, const char *name)
{
    const struct fk_registry *regs[2] = {reg, mut};
    for (int r = 0; r < 2; r++)
        if (regs[r])
            for (int i = 0; i < regs[r]->n; i++)
                if (regs[r]->e[i].k && strcmp(regs[r]->e[i].k->name, name) == 0)
                    return &regs[r]->e[i];
    return NULL;
}

/* The plugin for op: the override if given (it must exist, be runnable and
 * take this op and these formats), else the best. */
static int choose(const struct fk_registry *reg, const struct fk_registry *mut, const char *flag, const char *want,
                  enum fk_op op, enum fk_format w, enum fk_format a, const struct fk_entry **out, struct fk_err *e)
{
    char why[256];
    if (!want) {
        *out = fk_decode_best(reg, op, w, a, why, sizeof why);
        return *out ? 0 : fk_fail(e, "decode: %s", why);
    }
    const struct fk_entry *en = find_any(reg, mut, want);
    const char *dot = strrchr(want, '.');
    if (!en && dot && fk_variant_rank(dot + 1, NULL) >= 0)  /* amx on aarch64: a capability, not a typo */
        return fk_fail(e, "%s '%s': not runnable here: no %s plugin is built for this architecture", flag, want,
                       dot + 1);
    if (!en)
        return fk_fail(e, "%s '%s': no such plugin (see 'falsify list --mutants')", flag, want);
    if (en->status != FK_RUNNABLE)
        return fk_fail(e, "%s '%s': not runnable here: %s", flag, want, en->why);
    if (en->k->op != op || en->k->weights != w || en->k->acts != a)
        return fk_fail(e, "%s '%s': is %s %s x %s, this op needs %s %s x %s", flag, want, fk_op_name(en->k->op),
                       fk_format_name(en->k->weights), fk_format_name(en->k->acts), fk_op_name(op),
                       fk_format_name(w), fk_format_name(a));
    *out = en;
    return 0;
}

/* Packed operand of t for plugin en: t's own bytes when the plugin reads
 * plain GGML rows of t's format at FK_ALIGN, else pack() of the
 * dequantized tensor into an owned buffer (for Q4_0 from ggml's reference
 * quantizer that round trip is exact: every block holds its -8 extreme). */
static int pack_tensor(struct fk_decoder *d, const struct fk_entry *en, const struct fk_tensor *t, const void **w,
                       void **own, struct fk_err *e)
{
    const struct fk_kernel *k = en->k;
    struct fk_shape s = {t->rows, t->cols, 1};
    if (fk_shape_ok(k, &s, e) != 0)
        return fk_fail(e, "%s: tensor %s (%lldx%lld) for %s: %s", d->m->name, t->name, (long long)t->rows,
                       (long long)t->cols, k->name, e->msg);
    const size_t ps = k->packed_size(&s);
    if (k->weights == t->fmt && !(k->flags & FK_KERNEL_REPACKED) && ps == t->bytes &&
        ((uintptr_t)t->data % FK_ALIGN) == 0) {
        *w = t->data;
        return 0;
    }
    float *f = malloc((size_t)t->rows * (size_t)t->cols * sizeof *f);
    *own = fk_alloc(ps);
    if (!f || !*own) {
        free(f);
        return fk_fail(e, "out of memory packing %s for %s (%zu bytes)", t->name, k->name, ps);
    }
    fk_tensor_f32(t, f);
    fk_watch_enter(k->name, "pack", -1, -1, 0, 100.0 * (double)t->rows * (double)t->cols);
    const int rc = k->pack(&s, f, *own);
    fk_watch_leave();
    free(f);
    if (rc != 0)
        return fk_fail(e, "%s: pack of %s (%lldx%lld) failed", k->name, t->name, (long long)t->rows,
                       (long long)t->cols);
    d->packed_extra_bytes += (double)ps;
    *w = *own;
    return 0;
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

static size_t prep_size(const struct fk_kernel *k, struct fk_shape s)
{
    return k->prepare_size ? k->prepare_size(&s) : 0;
}

int fk_decoder_init(struct fk_decoder *d, const struct fk_model *m, const struct fk_registry *reg,
                    const struct fk_registry *mut, const struct fk_decode_opts *o, int maxp, struct fk_err *e)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    d->o = *o;
    d->threads = o->threads < 1 ? 1 : o->threads;
    d->maxp = maxp < 1 ? 1 : maxp;
    d->cur_layer = d->cur_pos = -1;
    d->cur_npos = 0;
    const struct fk_model_cfg *c = &m->cfg;
    d->ctx = o->max_ctx > 0 && o->max_ctx < c->seq_len ? o->max_ctx : c->seq_len;
    if (c->dim % c->n_heads || c->n_heads % c->n_kv_heads || (c->dim / c->n_heads) % 2)
        return fk_fail(e, "%s: dim %d, heads %d, kv heads %d: dim must split into heads of even size and heads "
                          "into KV groups", m->name, c->dim, c->n_heads, c->n_kv_heads);
    if (d->threads > 1 && fk_pool_create(&d->pool, d->threads, FK_BARRIER_SPIN, e) != 0)
        return -1;
    const int L = c->n_layers, D = c->dim, H = c->hidden, hd = D / c->n_heads, nkv = c->n_kv_heads;
    const int kvd = nkv * hd;
    if (choose(reg, mut, "--rmsnorm", o->rmsnorm, FK_OP_RMSNORM, FK_FMT_F32, FK_FMT_F32, &d->rmsnorm, e) ||
        choose(reg, mut, "--rope", o->rope, FK_OP_ROPE, FK_FMT_NONE, FK_FMT_F32, &d->rope, e) ||
        choose(reg, mut, "--attention", o->attention, FK_OP_ATTENTION, FK_FMT_F32, FK_FMT_F32, &d->attention, e) ||
        choose(reg, mut, "--swiglu", o->swiglu, FK_OP_SWIGLU, FK_FMT_NONE, FK_FMT_F32, &d->swiglu, e))
        goto fail;
    const int nmm = 7 * L + 1;
    d->mm = calloc((size_t)nmm, sizeof *d->mm);
    d->norm_packed = calloc((size_t)(2 * L + 1), sizeof *d->norm_packed);
    if (!d->mm || !d->norm_packed) {
        fk_fail(e, "out of memory");
        goto fail;
    }
    for (int l = 0; l < L; l++) {
        const struct fk_layer *ly = &m->layers[l];
        const struct fk_tensor *ts[7] = {&ly->wq, &ly->wk, &ly->wv, &ly->wo, &ly->w1, &ly->w3, &ly->w2};
        for (int i = 0; i < 7; i++)
            d->mm[7 * l + i].t = ts[i];
    }
    d->mm[7 * L].t = &m->cls;
    int gemv_used = 0, gemm_used = 0;
    size_t scratch = 0;
    for (int i = 0; i < nmm; i++) {
        struct fk_mm *mm = &d->mm[i];
        const enum fk_format wf = mm->t->fmt == FK_FMT_F16 ? FK_FMT_F32 : mm->t->fmt;
        /* overrides apply where their formats fit; else the best */
        const struct fk_entry *ov = o->gemv ? find_any(reg, mut, o->gemv) : NULL;
        const char *want = ov && ov->k && ov->k->weights == wf && ov->k->acts == m->acts ? o->gemv : NULL;
        if (o->gemv && !ov) {  /* says why: not built for this architecture, or no such plugin */
            choose(reg, mut, "--gemv", o->gemv, FK_OP_GEMV, wf, m->acts, &mm->gemv, e);
            goto fail;
        }
        if (choose(reg, mut, "--gemv", want, FK_OP_GEMV, wf, m->acts, &mm->gemv, e) ||
            pack_tensor(d, mm->gemv, mm->t, &mm->wv, &mm->own_v, e))
            goto fail;
        gemv_used += want != NULL;
        scratch = max_sz(scratch, prep_size(mm->gemv->k, (struct fk_shape){mm->t->rows, mm->t->cols, 1}));
        if ((d->maxp > 1 || o->gemm_decode) && !o->no_gemm && i < 7 * L) {  /* the classifier: one row, GEMV */
            char why[256];
            const struct fk_entry *gov = o->gemm ? find_any(reg, mut, o->gemm) : NULL;
            if (o->gemm && !gov) {
                choose(reg, mut, "--gemm", o->gemm, FK_OP_GEMM, wf, m->acts, &mm->gemm, e);
                goto fail;
            }
            if (gov && gov->k && gov->k->weights == wf && gov->k->acts == m->acts) {
                if (choose(reg, mut, "--gemm", o->gemm, FK_OP_GEMM, wf, m->acts, &mm->gemm, e))
                    goto fail;
                gemm_used++;
            } else {
                mm->gemm = fk_decode_best(reg, FK_OP_GEMM, wf, m->acts, why, sizeof why);
                if (!mm->gemm)
                    snprintf(d->gemm_note, sizeof d->gemm_note, "prefill via GEMV: %s", why);
            }
            if (mm->gemm) {
                struct fk_shape s = {mm->t->rows, mm->t->cols, d->maxp};
                if (fk_shape_ok(mm->gemm->k, &s, e) != 0) {
                    snprintf(d->gemm_note, sizeof d->gemm_note, "prefill via GEMV for %s: %s: %s", mm->t->name,
                             mm->gemm->k->name, e->msg);
                    mm->gemm = NULL;
                } else {
                    if (pack_tensor(d, mm->gemm, mm->t, &mm->wm, &mm->own_m, e))
                        goto fail;
                    for (int64_t p = 1; p <= d->maxp; p++) {
                        s.batch = p;
                        scratch = max_sz(scratch, prep_size(mm->gemm->k, s));
                    }
                }
            }
        }
    }
    if (o->gemv && !gemv_used) {
        fk_fail(e, "--gemv '%s': takes none of this model's matmuls (%s weights x %s activations)", o->gemv,
                fk_format_name(d->mm[0].t->fmt), fk_format_name(m->acts));
        goto fail;
    }
    if (o->gemm && (d->maxp > 1 || o->gemm_decode) && !o->no_gemm && !gemm_used) {
        fk_fail(e, "--gemm '%s': takes none of this model's matmuls", o->gemm);
        goto fail;
    }
    /* norms */
    for (int i = 0; i < 2 * L + 1; i++) {
        const struct fk_tensor *g = i == 2 * L ? &m->final_norm : (i % 2 ? &m->layers[i / 2].ffn_norm
                                                                          : &m->layers[i / 2].att_norm);
        if (pack_tensor(d, d->rmsnorm, g, (const void **)&d->norm_packed[i], &d->norm_packed[i], e))
            goto fail;
        if (d->norm_packed[i] == g->data)  /* borrowed: never freed */
            d->norm_packed[i] = (void *)g->data;
    }
    for (int p = 1; p <= d->maxp; p++)
        scratch = max_sz(scratch, prep_size(d->rmsnorm->k, (struct fk_shape){p, D, 1}));
    scratch = max_sz(scratch, prep_size(d->rope->k, (struct fk_shape){c->n_heads, hd, 1}));
    scratch = max_sz(scratch, prep_size(d->swiglu->k, (struct fk_shape){d->maxp, H, 1}));
    const struct fk_shape kvs = {nkv, hd, d->ctx};
    scratch = max_sz(scratch, prep_size(d->attention->k, kvs));
    d->scratch_bytes = scratch;
    const size_t P = (size_t)d->maxp, S = (size_t)d->ctx;
    float **bufs[] = {&d->x, &d->xb, &d->q, &d->qr, &d->att, &d->ob};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        *bufs[i] = fk_alloc(P * (size_t)D * sizeof(float));
    d->k = fk_alloc(P * (size_t)kvd * sizeof(float));
    d->v = fk_alloc(P * (size_t)kvd * sizeof(float));
    d->h1 = fk_alloc(P * (size_t)H * sizeof(float));
    d->h3 = fk_alloc(P * (size_t)H * sizeof(float));
    d->hs = fk_alloc(P * (size_t)H * sizeof(float));
    d->logits = fk_alloc((size_t)c->vocab * sizeof(float));
    d->kcache = fk_alloc((size_t)L * (size_t)kvd * S * sizeof(float));
    d->vcache = fk_alloc((size_t)L * (size_t)kvd * S * sizeof(float));
    d->stage = fk_alloc(2 * (size_t)kvd * S * sizeof(float));
    d->kv_packed = fk_alloc(d->attention->k->packed_size(&kvs));
    d->qg = fk_alloc((size_t)kvd * sizeof(float));
    d->og = fk_alloc((size_t)kvd * sizeof(float));
    d->scratch = fk_alloc(scratch ? scratch : 64);
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (!*bufs[i])
            goto oom;
    if (!d->k || !d->v || !d->h1 || !d->h3 || !d->hs || !d->logits || !d->kcache || !d->vcache || !d->stage ||
        !d->kv_packed || !d->qg || !d->og || !d->scratch)
        goto oom;
    return 0;
oom:
    fk_fail(e, "%s: out of memory for activations and a %d-position KV cache", m->name, d->ctx);
fail:
    fk_decoder_free(d);
    return -1;
}

void fk_decoder_free(struct fk_decoder *d)
{
    if (d->mm)
        for (int i = 0; i < 7 * d->m->cfg.n_layers + 1; i++) {
            fk_free(d->mm[i].own_v);
            fk_free(d->mm[i].own_m);
        }
    free(d->mm);
    if (d->norm_packed)
        for (int i = 0; i < 2 * d->m->cfg.n_layers + 1; i++) {
            const struct fk_tensor *g = i == 2 * d->m->cfg.n_layers ? &d->m->final_norm
                                        : (i % 2 ? &d->m->layers[i / 2].ffn_norm : &d->m->layers[i / 2].att_norm);
            if (d->norm_packed[i] != g->data)
                fk_free(d->norm_packed[i]);
        }
    free(d->norm_packed);
    void *bufs[] = {d->x,      d->xb,     d->q,     d->qr,        d->att, d->ob, d->k,      d->v,
                    d->h1,     d->h3,     d->hs,    d->logits,    d->kcache, d->vcache, d->stage,
                    d->kv_packed, d->qg,  d->og,    d->scratch};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        fk_free(bufs[i]);
    if (d->pool)
        fk_pool_destroy(d->pool);
    memset(d, 0, sizeof *d);
}

void fk_decoder_reset(struct fk_decoder *d)
{
    d->pos = 0;
    memset(d->op_ns, 0, sizeof d->op_ns);
}

/* ---- the forward pass ---- */

#define TIMED(d, slot, ...)                                    \
    do {                                                       \
        (d)->cur_op = (slot);                                  \
        const uint64_t t0_ = fk_now_ns();                      \
        __VA_ARGS__;                                           \
        (d)->op_ns[slot] += (double)(fk_now_ns() - t0_);       \
    } while (0)

/* y (n, rows) = x (n, cols) . W^T for matmul mm: GEMM when n > 1 (or
 * gemm_decode) and a GEMM plugin was chosen, else GEMV per row. */
static void matmul(struct fk_decoder *d, const struct fk_mm *mm, const float *x, float *y, int n)
{
    struct fk_args a;
    memset(&a, 0, sizeof a);
    a.scratch = d->scratch;
    if ((n > 1 || d->o.gemm_decode) && mm->gemm) {
        a.shape = (struct fk_shape){mm->t->rows, mm->t->cols, n};
        a.w = mm->wm;
        a.x = x;
        a.y = y;
        run_op(d, mm->gemm->k, &a);
        return;
    }
    a.shape = (struct fk_shape){mm->t->rows, mm->t->cols, 1};
    a.w = mm->wv;
    for (int i = 0; i < n; i++) {
        a.x = x + (int64_t)i * mm->t->cols;
        a.y = y + (int64_t)i * mm->t->rows;
        run_op(d, mm->gemv->k, &a);
    }
}

static void rmsnorm(struct fk_decoder *d, const void *g, const float *x, float *y, int n)
{
    struct fk_args a;
    memset(&a, 0, sizeof a);
    a.shape = (struct fk_shape){n, d->m->cfg.dim, 1};
    a.w = g;
    a.x = x;
    a.y = y;
    a.scratch = d->scratch;
    a.param[0] = d->m->cfg.norm_eps;
    run_op(d, d->rmsnorm->k, &a);
}

static void rope(struct fk_decoder *d, const float *x, float *y, int heads, int pos)
{
    const struct fk_model_cfg *c = &d->m->cfg;
    struct fk_args a;
    memset(&a, 0, sizeof a);
    a.shape = (struct fk_shape){heads, c->dim / c->n_heads, 1};
    a.x = x;
    a.y = y;
    a.scratch = d->scratch;
    a.param[0] = (float)pos;
    a.param[1] = c->rope_theta;
    run_op(d, d->rope->k, &a);
}

/* Attention of one position p (its K and V already in the cache) for layer
 * l: the cache's (n_kv, p+1, hd) K then V staged for the plugin's pack(),
 * then one call per query head of each KV group (rows = n_kv heads). */
static void attention(struct fk_decoder *d, int l, int p, const float *q, float *out)
{
    const struct fk_model_cfg *c = &d->m->cfg;
    const int hd = c->dim / c->n_heads, nkv = c->n_kv_heads, g = c->n_heads / nkv, T = p + 1;
    const size_t S = (size_t)d->ctx, head = S * (size_t)hd;
    const float *kc = d->kcache + (size_t)l * nkv * head, *vc = d->vcache + (size_t)l * nkv * head;
    const struct fk_shape s = {nkv, hd, T};
    uint64_t t0 = fk_now_ns();
    float *ks = d->stage, *vs = d->stage + (size_t)nkv * T * hd;  /* (nkv, T, hd) each */
    for (int h = 0; h < nkv; h++) {
        memcpy(ks + (size_t)h * T * hd, kc + h * head, (size_t)T * hd * sizeof(float));
        memcpy(vs + (size_t)h * T * hd, vc + h * head, (size_t)T * hd * sizeof(float));
    }
    d->cur_op = FK_DOP_KV;
    fk_watch_enter(d->attention->k->name, "kv_cache pack", l, p, 1, 0);
    d->attention->k->pack(&s, d->stage, d->kv_packed);
    fk_watch_leave();
    d->cur_op = FK_DOP_ATTENTION;
    uint64_t t1 = fk_now_ns();
    d->op_ns[FK_DOP_KV] += (double)(t1 - t0);
    struct fk_args a;
    memset(&a, 0, sizeof a);
    a.shape = s;
    a.w = d->kv_packed;
    a.x = d->qg;
    a.y = d->og;
    a.scratch = d->scratch;
    a.param[0] = 1.0f / sqrtf((float)hd);
    for (int j = 0; j < g; j++) {
        for (int h = 0; h < nkv; h++)  /* query head h*g + j reads KV head h */
            memcpy(d->qg + (size_t)h * hd, q + (size_t)(h * g + j) * hd, (size_t)hd * sizeof(float));
        run_op(d, d->attention->k, &a);
        for (int h = 0; h < nkv; h++)
            memcpy(out + (size_t)(h * g + j) * hd, d->og + (size_t)h * hd, (size_t)hd * sizeof(float));
    }
    d->op_ns[FK_DOP_ATTENTION] += (double)(fk_now_ns() - t1);
}

int fk_decoder_forward(struct fk_decoder *d, const int *tokens, int n, struct fk_err *e)
{
    const struct fk_model *m = d->m;
    const struct fk_model_cfg *c = &m->cfg;
    if (n < 1 || n > d->maxp)
        return fk_fail(e, "decode: %d tokens in one forward call, the buffers hold 1..%d", n, d->maxp);
    if (d->pos + n > d->ctx)
        return fk_fail(e, "decode: position %d exceeds the context of %d (%s)", d->pos + n - 1, d->ctx,
                       d->ctx < c->seq_len ? "the cache the run asked for" : "seq_len");
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab)
            return fk_fail(e, "decode: token %d out of the vocabulary [0, %d)", tokens[i], c->vocab);
    const int D = c->dim, H = c->hidden, hd = D / c->n_heads, nkv = c->n_kv_heads, kvd = nkv * hd, L = c->n_layers;
    const size_t head = (size_t)d->ctx * hd;
    TIMED(d, FK_DOP_EMBED, for (int i = 0; i < n; i++) fk_tensor_row_f32(&m->tok_emb, tokens[i], d->x + (size_t)i * D));
    d->cur_pos = d->pos;
    for (int l = 0; l < L; l++) {
        const struct fk_mm *mm = &d->mm[7 * l];
        d->cur_layer = l;
        d->cur_pos = d->pos;
        d->cur_npos = n;  /* the projections see every prompt row */
        TIMED(d, FK_DOP_RMSNORM, rmsnorm(d, d->norm_packed[2 * l], d->x, d->xb, n));
        TIMED(d, FK_DOP_QKV, {
            matmul(d, &mm[0], d->xb, d->q, n);
            matmul(d, &mm[1], d->xb, d->k, n);
            matmul(d, &mm[2], d->xb, d->v, n);
        });
        for (int i = 0; i < n; i++) {
            const int p = d->pos + i;
            d->cur_pos = p;
            d->cur_npos = 1;
            TIMED(d, FK_DOP_ROPE, {
                rope(d, d->q + (size_t)i * D, d->qr + (size_t)i * D, c->n_heads, p);
                rope(d, d->k + (size_t)i * kvd, d->og, nkv, p);
            });
            TIMED(d, FK_DOP_KV, for (int h = 0; h < nkv; h++) {
                float *kc = d->kcache + ((size_t)l * nkv + h) * head + (size_t)p * hd;
                float *vc = d->vcache + ((size_t)l * nkv + h) * head + (size_t)p * hd;
                memcpy(kc, d->og + (size_t)h * hd, (size_t)hd * sizeof(float));
                memcpy(vc, d->v + (size_t)i * kvd + (size_t)h * hd, (size_t)hd * sizeof(float));
            });
            attention(d, l, p, d->qr + (size_t)i * D, d->att + (size_t)i * D);
        }
        d->cur_pos = d->pos;
        d->cur_npos = n;
        TIMED(d, FK_DOP_WO, matmul(d, &mm[3], d->att, d->ob, n));
        TIMED(d, FK_DOP_RESIDUAL, for (size_t j = 0; j < (size_t)n * D; j++) d->x[j] += d->ob[j]);
        TIMED(d, FK_DOP_RMSNORM, rmsnorm(d, d->norm_packed[2 * l + 1], d->x, d->xb, n));
        TIMED(d, FK_DOP_FFN_UP, {
            matmul(d, &mm[4], d->xb, d->h1, n);
            matmul(d, &mm[5], d->xb, d->h3, n);
        });
        TIMED(d, FK_DOP_SWIGLU, {
            struct fk_args a;
            memset(&a, 0, sizeof a);
            a.shape = (struct fk_shape){n, H, 1};
            a.x = d->h1;
            a.x2 = d->h3;
            a.y = d->hs;
            a.scratch = d->scratch;
            run_op(d, d->swiglu->k, &a);
        });
        TIMED(d, FK_DOP_FFN_DOWN, matmul(d, &mm[6], d->hs, d->ob, n));
        TIMED(d, FK_DOP_RESIDUAL, for (size_t j = 0; j < (size_t)n * D; j++) d->x[j] += d->ob[j]);
    }
    d->cur_layer = -1;
    d->cur_pos = d->pos + n - 1;
    d->cur_npos = 1;  /* the classifier runs on the last row only */
    const float *last = d->x + (size_t)(n - 1) * D;
    TIMED(d, FK_DOP_RMSNORM, rmsnorm(d, d->norm_packed[2 * L], last, d->xb, 1));
    TIMED(d, FK_DOP_CLS, matmul(d, &d->mm[7 * L], d->xb, d->logits, 1));
    d->pos += n;
    return 0;
}

int fk_decoder_argmax(struct fk_decoder *d)
{
    const uint64_t t0 = fk_now_ns();
    int best = 0;
    for (int i = 1; i < d->m->cfg.vocab; i++)
        if (d->logits[i] > d->logits[best])
            best = i;
    d->op_ns[FK_DOP_ARGMAX] += (double)(fk_now_ns() - t0);
    return best;
}

void fk_decoder_describe(const struct fk_decoder *d, char *buf, size_t n)
{
    const struct fk_mm *mm = &d->mm[0];
    snprintf(buf, n, "gemv %s, gemm %s, classifier %s, rmsnorm %s, rope %s, attention %s, swiglu %s%s%s",
             mm->gemv->k->name, mm->gemm ? mm->gemm->k->name : "(gemv per row)",
             d->mm[7 * d->m->cfg.n_layers].gemv->k->name, d->rmsnorm->k->name, d->rope->k->name,
             d->attention->k->name, d->swiglu->k->name, d->gemm_note[0] ? "; " : "", d->gemm_note);
}

void fk_decode_prompt(int *tokens, int n, int vocab, uint64_t seed)
{
    struct fk_rng r;
    fk_rng_seed(&r, seed ^ 0x70726f6d7074ull);
    for (int i = 0; i < n; i++)
        tokens[i] = 1 + (int)(fk_rng_next(&r) % (unsigned long long)(vocab - 1));
}

/* Error budget, in units of u = 2^-24 of the classifier gauge.  Each of
 * the 7 L + 1 matmuls on the path of a logit is charged lambda sqrt(K_max)
 * u of its own gauge: f32 rounding errors of a K-term sum behave as a
 * random walk (Higham and Mary's probabilistic bound, lambda = 4: holds
 * with probability > 1 - 2 exp(-8) per sum), where the worst case K u is
 * about sqrt(K) times looser than anything seen.  Every elementwise plugin
 * stays within a few ulp (harness/verify.c gates them): 8 u per op, 6 ops
 * per layer.  W4A8: the oracle quantizes the matmul inputs as the kernels
 * do, but an input within an ulp of a rounding midpoint may round the
 * other way: one Q8_0 step (amax/127, amax <= 4 mean|x| in a block) on one
 * element, about 4/(127 K_min) of a gauge, allowed 4 times per matmul.
 * Errors pass the RMSNorm-rescaled layers with gain <= 1 (first order);
 * the tests print the measured figure beside this bound. */
double fk_decode_logit_bound(const struct fk_model *m)
{
    const struct fk_model_cfg *c = &m->cfg;
    const double kmax = c->dim > c->hidden ? c->dim : c->hidden;
    const double kmin = c->dim < c->hidden ? c->dim : c->hidden;
    const double nmm = 7.0 * c->n_layers + 1.0;
    double b = nmm * 4.0 * sqrt(kmax) + 8.0 * 6.0 * c->n_layers;
    if (m->acts == FK_FMT_Q8_0)
        b += nmm * 4.0 * ldexp(4.0 / (127.0 * kmin), 24);
    return b;
}
