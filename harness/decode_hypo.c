/* Model-level hypotheses (hypotheses/decode.ini), judged by
 * `falsify decode --hypotheses FILE` with the verdict machinery of judge.c:
 * paired, interleaved per-token times of two configurations (speedup,
 * parity, kvcache) or per-token roofline fractions (roofline) through
 * fk_sequential; the p99 / p50 jitter and the peak-memory ratio directly.
 *
 *   [id]
 *   claim     = ...                      ; the claim as its source states it
 *   source    = ...                      ; where it comes from
 *   kind      = speedup | parity | roofline | jitter | memory | kvcache
 *   model     = tiny | stories15M | stories110M | tinyllama
 *   subject   = CONFIG                   ; WEIGHTS[@THREADS][:op=plugin,...]
 *   baseline  = CONFIG                   ; speedup, parity
 *   threshold = NUMBER                   ; speedup/kvcache ratio (>=), roofline fraction (>=),
 *                                        ; jitter p99/p50 (<=), memory peak RSS / weights (<=)
 *   role      = claim | guard
 *   tolerance = 0.05                     ; parity: |ratio - 1|
 *   metric    = decode | prefill         ; speedup, parity (default decode)
 *   context   = 64 256                   ; kvcache: cached positions
 *   steps     = N                        ; jitter tokens (default 300)
 *   budget_s  = S                        ; per judged pair series (default 20)
 *
 * CONFIG op keys: gemv, gemm, attention, rmsnorm, rope, swiglu (a plugin
 * name each, or "none" for gemm = prefill by GEMV rows); engine = numpy
 * runs oracle/forward.py --serve on the same model instead of the plugins
 * (one thread, no op keys; speedup and parity only); decode = gemm runs
 * the decode tokens (batch 1) through the GEMM plugin as well. */
#include "decode_hypo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ini.h>

#include "decode_numpy.h"
#include "stats.h"
#include "timing.h"

#ifndef FK_GIT_COMMIT
#define FK_GIT_COMMIT "unknown"
#endif

static const char *const dkind_names[] = {"speedup", "parity", "roofline", "jitter", "memory", "kvcache"};
enum { DK_SPEEDUP, DK_PARITY, DK_ROOFLINE, DK_JITTER, DK_MEMORY, DK_KVCACHE, DK_COUNT };

struct dconf {
    char text[160];
    enum fk_wconf w;
    int threads;
    char ops[6][96];  /* gemv gemm attention rmsnorm rope swiglu */
    int no_gemm;
    int numpy;        /* engine = numpy: oracle/forward.py, not the plugins */
    int gemm_decode;  /* decode = gemm: batch-1 tokens through the GEMM plugin */
};

struct dhypo {
    char id[64], file[256];
    int line;
    char claim[512], source[256], model[32];
    int kind;
    struct dconf subject, baseline;
    int has_baseline;
    double threshold, tolerance, budget_s;
    int role_guard, role_set, metric_prefill;
    int context[8], ncontext, steps;
    int seen_threshold;
};

struct dparse {
    struct dhypo *h;
    int n;
    const char *path;
    char err[1024];
    char err_section[64], err_key[64];  /* where the first error is */
};

static const char *const op_keys[6] = {"gemv", "gemm", "attention", "rmsnorm", "rope", "swiglu"};

static int conf_parse(const char *s, struct dconf *c, char *err, size_t n)
{
    memset(c, 0, sizeof *c);
    snprintf(c->text, sizeof c->text, "%s", s);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    char *ops = strchr(buf, ':');
    if (ops)
        *ops++ = 0;
    char *at = strchr(buf, '@');
    c->threads = 1;
    if (at) {
        *at++ = 0;
        char *end;
        const long t = strtol(at, &end, 10);
        if (*end || t < 1 || t > 64) {
            snprintf(err, n, "'%s': threads after '@' must be an integer in 1..64", s);
            return -1;
        }
        c->threads = (int)t;
    }
    struct fk_err e;
    if (fk_wconf_parse(buf, &c->w, &e) != 0) {
        snprintf(err, n, "'%s': %s", s, e.msg);
        return -1;
    }
    for (char *sv = NULL, *t = ops ? strtok_r(ops, ",", &sv) : NULL; t; t = strtok_r(NULL, ",", &sv)) {
        char *eq = strchr(t, '=');
        int k = -1;
        if (eq) {
            *eq++ = 0;
            for (int i = 0; i < 6; i++)
                if (!strcmp(t, op_keys[i]))
                    k = i;
        }
        if (eq && !strcmp(t, "decode")) {
            if (strcmp(eq, "gemm") && strcmp(eq, "gemv")) {
                snprintf(err, n, "'%s': decode '%s': gemv (default) or gemm (batch-1 tokens through the GEMM "
                         "plugin)", s, eq);
                return -1;
            }
            c->gemm_decode = !strcmp(eq, "gemm");
            continue;
        }
        if (eq && !strcmp(t, "engine")) {
            if (strcmp(eq, "numpy") && strcmp(eq, "plugins")) {
                snprintf(err, n, "'%s': engine '%s': numpy or plugins", s, eq);
                return -1;
            }
            c->numpy = !strcmp(eq, "numpy");
            continue;
        }
        if (k < 0 || !*eq) {
            snprintf(err, n, "'%s': '%s' is not op=plugin (ops: gemv gemm attention rmsnorm rope swiglu; "
                     "engine=numpy)", s, t);
            return -1;
        }
        if (k == 1 && !strcmp(eq, "none"))
            c->no_gemm = 1;
        else
            snprintf(c->ops[k], sizeof c->ops[k], "%s", eq);
    }
    int nops = c->no_gemm + c->gemm_decode;
    for (int i = 0; i < 6; i++)
        nops += c->ops[i][0] != 0;
    if (c->numpy && (nops || c->threads != 1)) {
        snprintf(err, n, "'%s': engine=numpy runs oracle/forward.py on one thread: no op keys, threads 1", s);
        return -1;
    }
    return 0;
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
    struct dparse *P = user;
    if (P->err[0])
        return 0;
    struct dhypo *h = P->n ? &P->h[P->n - 1] : NULL;
    if (!h || strcmp(h->id, section) != 0) {
        for (int i = 0; i < P->n; i++)
            if (!strcmp(P->h[i].id, section)) {
                snprintf(P->err, sizeof P->err, "[%s]: duplicate section", section);
                snprintf(P->err_section, sizeof P->err_section, "%s", section);
                return 0;
            }
        struct dhypo *nh = realloc(P->h, (size_t)(P->n + 1) * sizeof *nh);
        if (!nh) {
            snprintf(P->err, sizeof P->err, "out of memory");
            return 0;
        }
        P->h = nh;
        h = &P->h[P->n++];
        memset(h, 0, sizeof *h);
        snprintf(h->id, sizeof h->id, "%s", section);
        snprintf(h->file, sizeof h->file, "%s", P->path);
        h->kind = -1;
        h->tolerance = 0.05;
        h->budget_s = 20;
        h->steps = 300;
    }
    char why[600] = "";
#define BAD(...) snprintf(why, sizeof why, __VA_ARGS__)
    char *end;
    if (!strcmp(key, "claim"))
        snprintf(h->claim, sizeof h->claim, "%s", value);
    else if (!strcmp(key, "source"))
        snprintf(h->source, sizeof h->source, "%s", value);
    else if (!strcmp(key, "model")) {
        struct fk_model_cfg cfg;
        struct fk_err e;
        if (fk_model_preset_cfg(value, &cfg, &e) != 0)
            BAD("%s", e.msg);
        snprintf(h->model, sizeof h->model, "%s", value);
    } else if (!strcmp(key, "kind")) {
        for (int i = 0; i < DK_COUNT; i++)
            if (!strcmp(value, dkind_names[i]))
                h->kind = i;
        if (h->kind < 0)
            BAD("unknown kind '%s' (valid: speedup, parity, roofline, jitter, memory, kvcache)", value);
    } else if (!strcmp(key, "subject"))
        conf_parse(value, &h->subject, why, sizeof why);
    else if (!strcmp(key, "baseline")) {
        conf_parse(value, &h->baseline, why, sizeof why);
        h->has_baseline = 1;
    } else if (!strcmp(key, "threshold")) {
        h->threshold = strtod(value, &end);
        h->seen_threshold = 1;
        if (*end || !(h->threshold > 0) || !isfinite(h->threshold))
            BAD("'%s' is not a finite number > 0", value);
    } else if (!strcmp(key, "tolerance")) {
        h->tolerance = strtod(value, &end);
        if (*end || !(h->tolerance > 0 && h->tolerance < 1))
            BAD("'%s' is not a number in (0, 1)", value);
    } else if (!strcmp(key, "budget_s")) {
        h->budget_s = strtod(value, &end);
        if (*end || !(h->budget_s > 0 && h->budget_s <= 3600))
            BAD("'%s' is not a number of seconds in (0, 3600]", value);
    } else if (!strcmp(key, "role")) {
        h->role_set = 1;
        if (!strcmp(value, "guard"))
            h->role_guard = 1;
        else if (strcmp(value, "claim"))
            BAD("'%s' is not guard or claim", value);
    } else if (!strcmp(key, "metric")) {
        if (!strcmp(value, "prefill"))
            h->metric_prefill = 1;
        else if (strcmp(value, "decode"))
            BAD("'%s' is not decode or prefill", value);
    } else if (!strcmp(key, "steps")) {
        const long v = strtol(value, &end, 10);
        if (*end || v < 20 || v > 100000)
            BAD("'%s' is not an integer in 20..100000", value);
        h->steps = (int)v;
    } else if (!strcmp(key, "context")) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", value);
        h->ncontext = 0;
        for (char *sv = NULL, *t = strtok_r(buf, " ,", &sv); t && !why[0]; t = strtok_r(NULL, " ,", &sv)) {
            const long v = strtol(t, &end, 10);
            if (*end || v < 1 || v > 1 << 20 || h->ncontext == 8)
                BAD("'%s' is not a list of at most 8 positive integers", value);
            else
                h->context[h->ncontext++] = (int)v;
        }
    } else
        BAD("unknown key (valid: claim, source, kind, model, subject, baseline, threshold, role, tolerance, "
            "metric, context, steps, budget_s)");
#undef BAD
    if (why[0]) {
        snprintf(P->err, sizeof P->err, "[%s] key '%s': %s", section, key, why);
        snprintf(P->err_section, sizeof P->err_section, "%s", section);
        snprintf(P->err_key, sizeof P->err_key, "%s", key);
    }
    return 1;
}

static int line_of(const char *path, const char *id)
{
    FILE *f = fopen(path, "r");
    char line[1024], want[80];
    snprintf(want, sizeof want, "[%s]", id);
    int n = 0, at = 0;
    while (f && fgets(line, sizeof line, f) && !at) {
        n++;
        if (!strncmp(line, want, strlen(want)))
            at = n;
    }
    if (f)
        fclose(f);
    return at;
}

/* Line of `key` in section `id` (the header's line for key ""), 0 if not found:
 * Debian's inih does not tell the handler its line. */
static int key_line(const char *path, const char *id, const char *key)
{
    const int at = line_of(path, id);
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0, found = key[0] ? 0 : at;
    while (f && !found && fgets(line, sizeof line, f)) {
        if (++n <= at)
            continue;
        if (line[0] == '[')
            break;
        const char *p = line + strspn(line, " \t");
        if (!strncmp(p, key, strlen(key)) && strchr(" \t=", p[strlen(key)]))
            found = n;
    }
    if (f)
        fclose(f);
    return found;
}

static int parse(const char *path, struct dhypo **out, int *n, struct fk_err *e)
{
    struct dparse P = {NULL, 0, path, "", "", ""};
    const int rc = ini_parse(path, handler, &P);
    if (rc < 0)
        return fk_fail(e, "%s: cannot read", path);
    if (P.err[0]) {
        free(P.h);
        return fk_fail(e, "%s:%d: %s", path, key_line(path, P.err_section, P.err_key), P.err);
    }
    if (rc > 0 && !P.err[0])
        snprintf(P.err, sizeof P.err, "%s:%d: not a section header, comment or key = value", path, rc);
    for (int i = 0; i < P.n && !P.err[0]; i++) {
        struct dhypo *h = &P.h[i];
        h->line = line_of(path, h->id);
        const char *missing = !h->claim[0] ? "claim" : !h->source[0] ? "source" : h->kind < 0 ? "kind"
                            : !h->model[0] ? "model" : !h->subject.text[0] ? "subject"
                            : !h->seen_threshold ? "threshold" : !h->role_set ? "role"
                            : (h->kind == DK_SPEEDUP || h->kind == DK_PARITY) && !h->has_baseline ? "baseline"
                            : h->kind == DK_KVCACHE && !h->ncontext ? "context" : NULL;
        if (missing)
            snprintf(P.err, sizeof P.err, "%s:%d: [%s] missing required key '%s'", path, h->line, h->id, missing);
        else if ((h->subject.numpy || h->baseline.numpy) && h->kind != DK_SPEEDUP && h->kind != DK_PARITY)
            snprintf(P.err, sizeof P.err, "%s:%d: [%s] engine=numpy: kind %s needs the plugins (numpy: speedup, "
                     "parity)", path, h->line, h->id, dkind_names[h->kind]);
    }
    if (P.err[0]) {
        free(P.h);
        return fk_fail(e, "%s", P.err);
    }
    *out = P.h;
    *n = P.n;
    return 0;
}

/* ---- evaluation ---- */

struct arm {
    struct fk_model *m;
    struct fk_decoder d;
    struct fk_numpy_engine np;  /* engine = numpy: used instead of d */
    int numpy;
    int tok;
    int live;
};

/* Models built for earlier hypotheses, kept for later ones (a TinyLlama
 * build takes longer than most verdicts): two slots, keyed by preset and
 * weights. */
struct mcache {
    struct fk_model *m[2];
    char key[2][64];
    long used[2], clock;  /* last use: the least recently used slot is evicted */
};

static void mcache_flush(struct mcache *mc)
{
    for (int k = 0; k < 2; k++) {
        if (mc->m[k]) {
            fk_model_free(mc->m[k]);
            free(mc->m[k]);
        }
        mc->m[k] = NULL;
        mc->key[k][0] = 0;
    }
}

struct eval {
    const struct fk_decode_env *env;
    struct mcache *mc;
    const struct dhypo *h;
    struct arm a[2];          /* subject, baseline */
    int prompt_len, limit;    /* context used before a reset */
    int *prompt;
    uint64_t t_end;
    struct fk_rng rng;
    double *ns[2];
    int nns;
    const struct fk_machine *ceil;
    double gbs;               /* roofline: ceiling of the level, subject's threads */
    int ctx;                  /* kvcache: cached positions */
    struct fk_err e;
    int failed;
};

static void opts_of(const struct dconf *c, struct fk_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    const char **dst[6] = {&o->gemv, &o->gemm, &o->attention, &o->rmsnorm, &o->rope, &o->swiglu};
    for (int i = 0; i < 6; i++)
        *dst[i] = c->ops[i][0] ? c->ops[i] : NULL;
    o->threads = c->threads;
    o->no_gemm = c->no_gemm;
    o->gemm_decode = c->gemm_decode;
}

static int arm_fresh(struct eval *x, struct arm *a, int n)
{
    if (a->numpy) {
        double ns;
        return fk_numpy_prompt(&a->np, x->prompt, n, &a->tok, &ns, &x->e);
    }
    fk_decoder_reset(&a->d);
    if (fk_decoder_forward(&a->d, x->prompt, n, &x->e) != 0)
        return -1;
    a->tok = fk_decoder_argmax(&a->d);
    return 0;
}

/* One decode token of arm i: ns. */
static double arm_step(struct eval *x, int i)
{
    struct arm *a = &x->a[i];
    if ((a->numpy ? a->np.pos : a->d.pos) + 1 > x->limit && arm_fresh(x, a, x->prompt_len) != 0)
        return -1;
    if (a->numpy) {  /* timed by the interpreter around its forward pass and argmax */
        double ns;
        return fk_numpy_step(&a->np, a->tok, &a->tok, &ns, &x->e) == 0 ? ns : -1;
    }
    const uint64_t t0 = fk_now_ns();
    if (fk_decoder_forward(&a->d, &a->tok, 1, &x->e) != 0)
        return -1;
    a->tok = fk_decoder_argmax(&a->d);
    return (double)(fk_now_ns() - t0);
}

static double arm_prefill(struct eval *x, int i, int n)
{
    if (x->a[i].numpy) {
        double ns;
        return fk_numpy_prompt(&x->a[i].np, x->prompt, n, &x->a[i].tok, &ns, &x->e) == 0 ? ns : -1;
    }
    const uint64_t t0 = fk_now_ns();
    if (arm_fresh(x, &x->a[i], n) != 0)
        return -1;
    return (double)(fk_now_ns() - t0);
}

static int budget_over(void *ctx)
{
    const struct eval *x = ctx;
    return fk_now_ns() > x->t_end;
}

/* Pair i: both arms in random order; value per kind. */
static int next_pair(void *ctx, int i, double *value)
{
    struct eval *x = ctx;
    if (x->failed)
        return -1;
    double t[2] = {0, 0};
    const int first = (int)(fk_rng_next(&x->rng) & 1);
    for (int k = 0; k < 2; k++) {
        const int j = k ^ first;
        if (x->h->kind == DK_ROOFLINE) {
            if (j == 1)
                continue;
            const int pos = x->a[0].d.pos;
            t[0] = arm_step(x, 0);
            const double bytes = fk_model_step_weight_bytes(x->a[0].m) + fk_decode_kv_bytes(x->a[0].m, pos + 1);
            *value = t[0] > 0 ? bytes / x->gbs / t[0] : NAN;
        } else if (x->h->kind == DK_KVCACHE) {
            if (j == 0) {  /* cached: one step at ctx positions */
                if (arm_fresh(x, &x->a[0], x->ctx) != 0)
                    return x->failed = 1, -1;
                const uint64_t t0 = fk_now_ns();
                if (fk_decoder_forward(&x->a[0].d, &x->a[0].tok, 1, &x->e) != 0)
                    return x->failed = 1, -1;
                t[0] = (double)(fk_now_ns() - t0);
            } else {       /* no cache: the whole prefix again, ctx + 1 positions */
                t[1] = arm_prefill(x, 0, x->ctx + 1);
            }
        } else {
            t[j] = x->h->metric_prefill ? arm_prefill(x, j, x->prompt_len) : arm_step(x, j);
        }
        if (t[j] < 0)
            return x->failed = 1, -1;
    }
    if (x->h->kind != DK_ROOFLINE) {
        *value = t[1] / t[0];  /* baseline / subject: > 1 when the subject is faster */
        x->ns[0][i] = t[0];
        x->ns[1][i] = t[1];
    } else {
        x->ns[0][i] = t[0];
    }
    x->nns = i + 1;
    return 0;
}

struct drow {
    const struct dhypo *h;
    char subject[160], baseline[160], note[64];
    enum fk_verdict v;
    double fig, lo, hi, med_a, med_b;
    int n;
    char reason[600];
};

static int arm_build(struct eval *x, int i, const struct dconf *c, int maxp)
{
    struct arm *a = &x->a[i];
    struct fk_model_cfg cfg;
    fk_model_preset_cfg(x->h->model, &cfg, &x->e);
    char key[64];
    snprintf(key, sizeof key, "%s/%s", x->h->model, fk_wconf_name(c->w));
    struct mcache *mc = x->mc;
    for (int k = 0; k < 2 && !a->m; k++)
        if (mc->m[k] && !strcmp(mc->key[k], key)) {
            a->m = mc->m[k];
            mc->used[k] = ++mc->clock;
        }
    if (!a->m) {
        int k = !mc->m[0] ? 0 : !mc->m[1] ? 1 : mc->used[0] <= mc->used[1] ? 0 : 1;
        if (i == 1 && mc->m[k] && mc->m[k] == x->a[0].m)  /* never evict the other arm's model */
            k ^= 1;
        mc->used[k] = ++mc->clock;
        if (mc->m[k]) {
            fk_model_free(mc->m[k]);
            free(mc->m[k]);
            mc->m[k] = NULL;
        }
        struct fk_model *m = calloc(1, sizeof *m);
        if (!m)
            return fk_fail(&x->e, "out of memory");
        if (!x->env->quiet)
            fprintf(stderr, "  building %s %s (seed %u)...\n", x->h->model, fk_wconf_name(c->w), x->env->seed);
        if (fk_model_synthetic(m, x->h->model, &cfg, c->w, x->env->seed, &x->e) != 0) {
            free(m);
            return -1;
        }
        mc->m[k] = a->m = m;
        snprintf(mc->key[k], sizeof mc->key[k], "%s", key);
    }
    if (c->numpy) {
        char script[700];
        const char *gen = x->env->oracle_script;
        const char *slash = gen ? strrchr(gen, '/') : NULL;
        snprintf(script, sizeof script, "%.*s%sforward.py", slash ? (int)(slash - gen) : 0, gen ? gen : "",
                 slash ? "/" : "");
        if (fk_numpy_start(&a->np, a->m, x->env->python, script, &x->e) != 0)
            return -1;
        a->numpy = a->live = 1;
        return arm_fresh(x, a, x->prompt_len < maxp ? x->prompt_len : maxp);
    }
    struct fk_decode_opts o;
    opts_of(c, &o);
    o.max_ctx = (x->limit > maxp ? x->limit : maxp) + 1;  /* the positions the pairs reach */
    if (fk_decoder_init(&a->d, a->m, x->env->reg, x->env->mut, &o, maxp, &x->e) != 0)
        return -1;
    a->live = 1;
    return arm_fresh(x, a, x->prompt_len < maxp ? x->prompt_len : maxp);
}

static void arms_free(struct eval *x)
{
    for (int i = 0; i < 2; i++) {  /* models stay in the cache */
        if (x->a[i].live && x->a[i].numpy)
            fk_numpy_stop(&x->a[i].np);
        else if (x->a[i].live)
            fk_decoder_free(&x->a[i].d);
        memset(&x->a[i], 0, sizeof x->a[i]);
    }
}

static void judge_pairs(struct eval *x, struct drow *r, enum fk_kind kind)
{
    double *vals = calloc(FK_MAX_PAIRS, sizeof *vals);
    x->ns[0] = calloc(FK_MAX_PAIRS, sizeof(double));
    x->ns[1] = calloc(FK_MAX_PAIRS, sizeof(double));
    x->nns = 0;
    x->t_end = fk_now_ns() + (uint64_t)(x->h->budget_s * 1e9);
    struct fk_judge_in j = {kind, x->h->threshold, x->h->tolerance};
    r->v = fk_sequential(&j, next_pair, x, budget_over, vals, &r->n, &r->fig, &r->lo, &r->hi);
    if (x->failed) {
        r->v = FK_UNTESTABLE;
        snprintf(r->reason, sizeof r->reason, "failed: %s", x->e.msg);
    } else if (kind == FK_KIND_ROOFLINE && r->lo > FK_MODEL_ERROR_FRACTION) {
        snprintf(r->reason, sizeof r->reason, "model error: fraction above %.2f", FK_MODEL_ERROR_FRACTION);
    } else if (r->v == FK_INCONCLUSIVE) {
        snprintf(r->reason, sizeof r->reason, "interval straddles the threshold after %d pairs (budget %.0f s)",
                 r->n, x->h->budget_s);
    }
    r->med_a = x->nns ? fk_median(x->ns[0], (size_t)x->nns) : NAN;
    r->med_b = x->nns && kind != FK_KIND_ROOFLINE ? fk_median(x->ns[1], (size_t)x->nns) : NAN;
    free(vals);
    free(x->ns[0]);
    free(x->ns[1]);
}

/* Threads beyond the usable cores: UNTESTABLE (the capability it is about). */
static int too_many_threads(const struct fk_decode_env *env, const struct dhypo *h, struct drow *r)
{
    const int t = h->subject.threads > h->baseline.threads ? h->subject.threads : h->baseline.threads;
    if (t <= env->ncpu)
        return 0;
    r->v = FK_UNTESTABLE;
    snprintf(r->reason, sizeof r->reason, "needs %d threads on as many cores; %d usable here", t, env->ncpu);
    return 1;
}

static void eval_one(const struct fk_decode_env *env, struct mcache *mc, const struct dhypo *h, struct drow *rows,
                     int *nrows,
                     const struct fk_machine **ceil, int *asked)
{
    struct eval x;
    memset(&x, 0, sizeof x);
    x.env = env;
    x.mc = mc;
    x.h = h;
    fk_rng_seed(&x.rng, env->seed ^ 0xdec0de);
    struct fk_model_cfg cfg;
    fk_model_preset_cfg(h->model, &cfg, &x.e);
    x.prompt_len = 8;
    x.limit = cfg.seq_len < 256 ? cfg.seq_len : 256;
    const int maxctx = h->kind == DK_KVCACHE ? h->context[h->ncontext - 1] + 1 : x.prompt_len;
    x.prompt = malloc((size_t)(maxctx > x.prompt_len ? maxctx : x.prompt_len) * sizeof *x.prompt);
    fk_decode_prompt(x.prompt, maxctx > x.prompt_len ? maxctx : x.prompt_len, cfg.vocab, env->seed);
    struct drow *r = &rows[(*nrows)++];
    memset(r, 0, sizeof *r);
    r->h = h;
    r->v = FK_UNTESTABLE;  /* until measured */
    r->fig = r->lo = r->hi = r->med_a = r->med_b = NAN;
    snprintf(r->subject, sizeof r->subject, "%s", h->subject.text);
    snprintf(r->baseline, sizeof r->baseline, "%s", h->has_baseline ? h->baseline.text : "");
    if (too_many_threads(env, h, r))
        goto out;
    if (env->emulated && h->kind != DK_MEMORY) {
        r->v = FK_UNTESTABLE;
        snprintf(r->reason, sizeof r->reason, "emulated: no speed verdicts");
        goto out;
    }
    if (!env->quiet)
        fprintf(stderr, "[%s] %s on %s ...\n", h->id, dkind_names[h->kind], h->model);
    switch (h->kind) {
    case DK_SPEEDUP:
    case DK_PARITY:
        if (arm_build(&x, 0, &h->subject, x.prompt_len) != 0 || arm_build(&x, 1, &h->baseline, x.prompt_len) != 0)
            break;
        judge_pairs(&x, r, h->kind == DK_SPEEDUP ? FK_KIND_SPEEDUP : FK_KIND_PARITY);
        break;
    case DK_ROOFLINE: {
        if (arm_build(&x, 0, &h->subject, x.prompt_len) != 0)
            break;
        if (!(*asked)++)  /* only here: a run that needs none never measures them */
            *ceil = env->ceilings ? env->ceilings(env->ceilings_ctx) : NULL;
        if (!*ceil) {
            r->v = FK_UNTESTABLE;
            snprintf(r->reason, sizeof r->reason, "no machine ceilings");
            break;
        }
        const double b = fk_model_step_weight_bytes(x.a[0].m) + fk_decode_kv_bytes(x.a[0].m, x.limit);
        const int lv = fk_level_of(*ceil, b, h->subject.threads, 0);
        x.gbs = (*ceil)->level_gbs[lv][h->subject.threads];
        snprintf(r->note, sizeof r->note, "%s %.1f GB/s", fk_level_name(lv), x.gbs);
        judge_pairs(&x, r, FK_KIND_ROOFLINE);
        break;
    }
    case DK_JITTER: {
        if (arm_build(&x, 0, &h->subject, x.prompt_len) != 0)
            break;
        double *ns = calloc((size_t)h->steps, sizeof *ns);
        arm_step(&x, 0);  /* warm-up */
        for (int s = 0; s < h->steps && ns; s++)
            if ((ns[s] = arm_step(&x, 0)) < 0) {
                x.failed = 1;
                break;
            }
        if (ns && !x.failed) {
            const double med = fk_median(ns, (size_t)h->steps);
            r->n = h->steps;
            r->med_a = med;
            r->fig = fk_quantile(ns, (size_t)h->steps, 0.99) / med;
            if (fk_quantile_ci(ns, (size_t)h->steps, 0.99, FK_ALPHA, &r->lo, &r->hi) != 0) {
                r->v = FK_INCONCLUSIVE;
                r->lo = r->hi = NAN;
                snprintf(r->reason, sizeof r->reason, "%d tokens are too few for a p99 interval", h->steps);
            } else {
                r->lo /= med;
                r->hi /= med;
                r->v = r->hi <= h->threshold ? FK_SUPPORTED : r->lo > h->threshold ? FK_FALSIFIED : FK_INCONCLUSIVE;
            }
        }
        free(ns);
        break;
    }
    case DK_MEMORY: {
        mcache_flush(mc);  /* the RSS must be this model's alone */
        struct fk_decode_result res;
        struct fk_model m;
        enum fk_wconf w = h->subject.w;
        if (fk_model_synthetic(&m, h->model, &cfg, w, env->seed, &x.e) != 0) {
            x.failed = 1;
            break;
        }
        struct fk_decode_opts o;
        opts_of(&h->subject, &o);
        if (fk_decode_measure(&m, env->reg, env->mut, &o, x.prompt_len, 4, 1, NULL, env->seed, 0, &res, &x.e) != 0)
            x.failed = 1;
        else {
            /* while inferring (after packing: its f32 transients are a
             * load-time cost, reported beside) */
            r->fig = r->lo = r->hi = res.run_rss / res.weight_bytes;
            r->n = 1;
            r->v = r->fig <= h->threshold ? FK_SUPPORTED : FK_FALSIFIED;
            snprintf(r->reason, sizeof r->reason, "RSS while inferring %.1f MB, with packing %.1f MB, over %.1f MB of "
                     "weights (%s)", res.run_rss * 1e-6, res.peak_rss * 1e-6, res.weight_bytes * 1e-6, res.plugins);
            fk_decode_result_free(&res);
        }
        fk_model_free(&m);
        break;
    }
    case DK_KVCACHE: {
        if (arm_build(&x, 0, &h->subject, maxctx) != 0)
            break;
        for (int c = 0; c < h->ncontext; c++) {
            if (c > 0) {
                r = &rows[(*nrows)++];
                memset(r, 0, sizeof *r);
                r->h = h;
                r->v = FK_UNTESTABLE;
                r->fig = r->lo = r->hi = r->med_a = r->med_b = NAN;
                snprintf(r->subject, sizeof r->subject, "%s", h->subject.text);
            }
            x.ctx = h->context[c];
            snprintf(r->baseline, sizeof r->baseline, "recompute %d positions", x.ctx + 1);
            snprintf(r->note, sizeof r->note, "context %d", x.ctx);
            if (x.ctx + 1 > cfg.seq_len) {
                r->v = FK_UNTESTABLE;
                snprintf(r->reason, sizeof r->reason, "context %d beyond seq_len %d", x.ctx, cfg.seq_len);
                continue;
            }
            judge_pairs(&x, r, FK_KIND_SPEEDUP);
        }
        break;
    }
    }
    if (x.failed || (r->v == FK_UNTESTABLE && !r->reason[0])) {
        r->v = FK_UNTESTABLE;
        snprintf(r->reason, sizeof r->reason, "failed: %s", x.e.msg[0] ? x.e.msg : "not measured");
    }
out:
    arms_free(&x);
    free(x.prompt);
}

/* Parses path and checks every plugin name exists (runnable or not: a
 * typo is bad input).  0, or -1 with the message printed. */
static int load(const struct fk_decode_env *env, const char *path, struct dhypo **hp, int *nhp)
{
    struct dhypo *h = NULL;
    int nh = 0;
    struct fk_err e;
    if (parse(path, &h, &nh, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        return -1;
    }
    for (int i = 0; i < nh; i++)
        for (int c = 0; c < 2; c++) {
            const struct dconf *d = c ? &h[i].baseline : &h[i].subject;
            for (int k = 0; k < 6; k++) {
                if (!d->ops[k][0])
                    continue;
                int found = 0;
                const struct fk_registry *regs[2] = {env->reg, env->mut};
                for (int r = 0; r < 2; r++)
                    for (int j = 0; regs[r] && j < regs[r]->n; j++)
                        found |= regs[r]->e[j].k && !strcmp(regs[r]->e[j].k->name, d->ops[k]);
                /* a variant of a declared ISA family not built for this
                 * architecture (amx on aarch64) is UNTESTABLE, not a typo */
                const char *dot = strrchr(d->ops[k], '.');
                found |= dot && fk_variant_rank(dot + 1, NULL) >= 0;
                if (!found) {
                    fprintf(stderr, "falsify: %s:%d: [%s] %s '%s': no plugin %s (see 'falsify list --mutants')\n",
                            path, h[i].line, h[i].id, op_keys[k], d->text, d->ops[k]);
                    free(h);
                    return -1;
                }
            }
        }
    *hp = h;
    *nhp = nh;
    return 0;
}

int fk_decode_hypotheses_validate(const struct fk_decode_env *env, const char *path)
{
    struct dhypo *h;
    int nh;
    if (load(env, path, &h, &nh) != 0)
        return 2;
    free(h);
    return 0;
}

int fk_decode_hypotheses(const struct fk_decode_env *env, const char *path)
{
    struct dhypo *h = NULL;
    int nh = 0;
    struct fk_err e;
    if (load(env, path, &h, &nh) != 0)
        return 2;
    int cap = 0;
    for (int i = 0; i < nh; i++)
        cap += h[i].kind == DK_KVCACHE ? h[i].ncontext : 1;
    struct drow *rows = calloc((size_t)cap + 1, sizeof *rows);
    int nrows = 0, asked = 0, guard_falsified = 0, broken = 0;
    const struct fk_machine *ceil = NULL;
    struct mcache mc;
    memset(&mc, 0, sizeof mc);
    for (int i = 0; i < nh; i++)
        eval_one(env, &mc, &h[i], rows, &nrows, &ceil, &asked);
    mcache_flush(&mc);
    printf("\n%-32s %-8s %-22s %-26s %-12s %9s %21s %5s  %s\n", "hypothesis", "kind", "subject", "baseline",
           "verdict", "figure", "interval", "n", "note");
    for (int i = 0; i < nrows; i++) {
        const struct drow *r = &rows[i];
        char iv[48];
        snprintf(iv, sizeof iv, "[%.3g, %.3g]", r->lo, r->hi);
        printf("%-32s %-8s %-22s %-26s %-12s %9.3g %21s %5d  %s%s%s\n", r->h->id, dkind_names[r->h->kind],
               r->subject, r->baseline, fk_verdict_name(r->v), r->fig, iv, r->n, r->note,
               r->reason[0] ? " " : "", r->reason);
        guard_falsified += r->h->role_guard && r->v == FK_FALSIFIED;
        /* as check --strict: UNTESTABLE only for a capability (threads,
         * a plugin the CPU cannot run, emulation), never because the run broke */
        broken += r->v == FK_UNTESTABLE && !strncmp(r->reason, "failed: ", 8) &&
                  !strstr(r->reason, "not runnable here");
    }
    /* results/<machine>/decode_hypotheses.csv: this file's rows replace its
     * earlier ones (key: hypothesis, file), other files' rows stay */
    int rc = 0;
    char out[700], date[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(out, sizeof out, "%s/decode_hypotheses.csv", env->results_dir);
    char *fresh = NULL;
    size_t fresh_n = 0;
    FILE *mf = !env->emulated && nrows ? open_memstream(&fresh, &fresh_n) : NULL;
    if (mf) {
        for (int i = 0; i < nrows; i++) {
            const struct drow *r = &rows[i];
            fprintf(mf, "%s,%s,%s,%s,%s,\"%s\",\"%s\",\"%s\",%.6g,%s,%.6g,%.6g,%.6g,%d,%.0f,%.0f,", r->h->id,
                    r->h->file, dkind_names[r->h->kind], r->h->role_guard ? "guard" : "claim", r->h->model,
                    r->subject, r->baseline, r->note, r->h->threshold, fk_verdict_name(r->v), r->fig, r->lo,
                    r->hi, r->n, r->med_a, r->med_b);
            const char *quoted[3] = {r->reason, r->h->claim, r->h->source};
            for (int q = 0; q < 3; q++) {
                fputc('"', mf);
                for (const char *c = quoted[q]; *c; c++)
                    fputs(*c == '"' ? "\"\"" : (char[2]){*c, 0}, mf);
                fputs("\",", mf);
            }
            fprintf(mf, "%s,\"%s\",%d,%s,%s\n", env->machine, env->cpu_model, env->ncpu, FK_GIT_COMMIT, date);
        }
        fclose(mf);
        if (fk_mkdirs(env->results_dir, &e) != 0 ||
            fk_decode_merge_csv(out, "hypothesis,file,kind,role,model,subject,baseline,note,threshold,verdict,figure,"
                                     "lo,hi,n,median_subject_ns,median_baseline_ns,reason,claim,source,machine,"
                                     "cpu_model,cores_used,git_commit,date",
                                fresh ? fresh : "", 2, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            rc = 2;
        } else {
            printf("results: %s\n", out);
        }
        free(fresh);
    }
    if (guard_falsified)
        printf("FAIL: %d guard hypothesis verdict(s) FALSIFIED\n", guard_falsified);
    if (broken)
        printf("FAIL: %d hypothesis verdict(s) UNTESTABLE because the run failed, not for a capability "
               "(see 'failed:' above)\n", broken);
    free(rows);
    free(h);
    return rc ? rc : guard_falsified || broken ? 1 : 0;
}
