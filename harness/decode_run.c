/* `falsify decode`: runs configurations (model x weights x threads),
 * prints and writes the metrics (decode.csv, decode_tokens.csv with every
 * raw per-token time, decode_ops.csv with the per-op breakdown). */
#include "decode_run.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "decode_hypo.h"
#include "stats.h"
#include "timing.h"
#include "watch.h"

#ifndef FK_GIT_COMMIT
#define FK_GIT_COMMIT "unknown"
#endif
#ifdef __clang__
#define CC_NAME "clang " __VERSION__
#else
#define CC_NAME "gcc " __VERSION__
#endif

/* VmHWM of this process, after clear_refs reset it (Linux >= 4.0). */
static void peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static double peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = NAN;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = atof(line + 6);
    if (f)
        fclose(f);
    return kb * 1024.0;
}

static void median_ci(const double *v, int n, double *med, double *lo, double *hi)
{
    *med = fk_median(v, (size_t)n);
    if (fk_quantile_ci(v, (size_t)n, 0.5, 0.05, lo, hi) != 0) {
        *lo = NAN;
        *hi = NAN;
    }
}

double fk_decode_kv_bytes(const struct fk_model *m, int positions)
{
    const struct fk_model_cfg *c = &m->cfg;
    return 2.0 * c->n_layers * (double)c->n_kv_heads * (c->dim / c->n_heads) * (double)positions * 4.0;
}

int fk_decode_measure(const struct fk_model *m, const struct fk_registry *reg, const struct fk_registry *mut,
                      const struct fk_decode_opts *o, int prompt_len, int steps, int prefill_reps,
                      const struct fk_machine *ceilings,
                      uint64_t seed, int progress, struct fk_decode_result *r, struct fk_err *e)
{
    memset(r, 0, sizeof *r);
    if (prompt_len < 1 || steps < 2 || prompt_len + steps > m->cfg.seq_len)
        return fk_fail(e, "decode: prompt %d + %d steps must fit the context of %d (seq_len), steps >= 2", prompt_len,
                       steps, m->cfg.seq_len);
    peak_rss_reset();
    struct fk_decoder d;
    struct fk_decode_opts oc = *o;
    oc.max_ctx = prompt_len + steps + 1;  /* the cache this run fills, not the model's whole context */
    const uint64_t t0 = fk_now_ns();
    if (fk_decoder_init(&d, m, reg, mut, &oc, prompt_len, e) != 0)
        return -1;
    r->pack_s = (double)(fk_now_ns() - t0) * 1e-9;
    r->peak_rss = peak_rss_bytes();
    peak_rss_reset();
    fk_decoder_describe(&d, r->plugins, sizeof r->plugins);
    snprintf(r->gemv, sizeof r->gemv, "%s", d.mm[0].gemv->k->name);
    snprintf(r->gemm, sizeof r->gemm, "%s", d.mm[0].gemm ? d.mm[0].gemm->k->name : "gemv-per-row");
    snprintf(r->attention, sizeof r->attention, "%s", d.attention->k->name);
    r->threads = d.threads;
    r->prompt_len = prompt_len;
    snprintf(r->model, sizeof r->model, "%s", m->name);
    for (char *c = r->model; *c; c++)  /* a CSV key field: a path's ',', '"' or newline become '_' */
        if (*c == ',' || *c == '"' || *c == '\n' || *c == '\r')
            *c = '_';
    snprintf(r->wconf, sizeof r->wconf, "%s", m->wconf);
    snprintf(r->source, sizeof r->source, "%s", m->source);
    r->weight_bytes = fk_model_weight_bytes(m);
    snprintf(r->level, sizeof r->level, "none");
    int *prompt = malloc((size_t)prompt_len * sizeof *prompt);
    r->ns = calloc((size_t)steps, sizeof *r->ns);
    r->bytes = calloc((size_t)steps, sizeof *r->bytes);
    r->tokens = calloc((size_t)steps, sizeof *r->tokens);
    double *pf = calloc((size_t)prefill_reps + 1, sizeof *pf);
    if (!prompt || !r->ns || !r->bytes || !r->tokens || !pf) {
        free(prompt);
        free(pf);
        fk_decoder_free(&d);
        fk_decode_result_free(r);
        return fk_fail(e, "out of memory");
    }
    fk_decode_prompt(prompt, prompt_len, m->cfg.vocab, seed);
    /* prefill: one warm-up, then prefill_reps timed runs of the prompt */
    int rc = 0;
    for (int rep = 0; rep <= prefill_reps && !rc; rep++) {
        fk_decoder_reset(&d);
        const uint64_t a = fk_now_ns();
        rc = fk_decoder_forward(&d, prompt, prompt_len, e);
        if (rep > 0)
            pf[rep - 1] = (double)prompt_len / ((double)(fk_now_ns() - a) * 1e-9);
    }
    if (!rc)
        median_ci(pf, prefill_reps, &r->prefill_tok_s, &r->prefill_lo, &r->prefill_hi);
    /* decode: greedy from the last prefill; the first step is a warm-up */
    memset(d.op_ns, 0, sizeof d.op_ns);
    int tok = fk_decoder_argmax(&d);
    double op0[FK_DOP_COUNT];
    for (int s = 0; s <= steps && !rc; s++) {
        if (s == 1)
            memcpy(op0, d.op_ns, sizeof op0);
        const int pos = d.pos;
        const uint64_t a = fk_now_ns();
        rc = fk_decoder_forward(&d, &tok, 1, e);
        if (rc)
            break;
        tok = fk_decoder_argmax(&d);
        const double ns = (double)(fk_now_ns() - a);
        if (s > 0) {
            r->ns[s - 1] = ns;
            r->tokens[s - 1] = tok;
            r->bytes[s - 1] = fk_model_step_weight_bytes(m) + fk_decode_kv_bytes(m, pos + 1);
        }
        if (progress && (s % 4 == 0 || s == steps))
            fprintf(stderr, "\r  %s %s T=%d: token %d/%d  ", m->name, m->wconf, d.threads, s, steps);
    }
    if (progress)
        fprintf(stderr, "\r%60s\r", "");
    if (!rc) {
        r->n = steps;
        for (int i = 0; i < FK_DOP_COUNT; i++)
            r->op_ns[i] = (d.op_ns[i] - op0[i]) / steps;
        double *tps = malloc((size_t)steps * sizeof *tps);
        if (tps) {
            double wb = 0, kvb = 0;
            for (int s = 0; s < steps; s++) {
                tps[s] = 1e9 / r->ns[s];
                kvb += fk_decode_kv_bytes(m, prompt_len + 1 + s + 1) / steps;
                wb += fk_model_step_weight_bytes(m) / steps;
            }
            median_ci(tps, steps, &r->decode_tok_s, &r->decode_lo, &r->decode_hi);
            r->p50_ms = fk_quantile(r->ns, (size_t)steps, 0.5) * 1e-6;
            r->p90_ms = fk_quantile(r->ns, (size_t)steps, 0.9) * 1e-6;
            r->p99_ms = fk_quantile(r->ns, (size_t)steps, 0.99) * 1e-6;
            r->weight_bytes_token = wb;
            r->kv_bytes_token = kvb;
        }
        free(tps);
        fk_decode_roofline(r, m, ceilings);
        r->run_rss = peak_rss_bytes();
        if (r->run_rss > r->peak_rss)
            r->peak_rss = r->run_rss;
    }
    free(prompt);
    free(pf);
    fk_decoder_free(&d);
    if (rc)
        fk_decode_result_free(r);
    return rc;
}

void fk_decode_roofline(struct fk_decode_result *r, const struct fk_model *m, const struct fk_machine *ceilings)
{
    r->dram_gbs = 0;
    r->roofline_ms = r->fraction = r->fraction_lo = r->fraction_hi = NAN;
    snprintf(r->level, sizeof r->level, "none");
    if (!ceilings || r->threads > FK_MAX_THREADS || r->n < 1 || !r->ns)
        return;
    /* the ceiling of the level the per-token bytes live in (hot cache: a
     * model smaller than the L3 is bounded by the L3, not by DRAM) */
    const double b = fk_model_step_weight_bytes(m) + fk_decode_kv_bytes(m, r->prompt_len + r->n);
    const int lv = fk_level_of(ceilings, b, r->threads, 0);
    const double gbs = ceilings->level_gbs[lv][r->threads];
    snprintf(r->level, sizeof r->level, "%s", fk_level_name(lv));
    double *fr = malloc((size_t)r->n * sizeof *fr);
    if (!fr || !(gbs > 0)) {
        free(fr);
        return;
    }
    for (int s = 0; s < r->n; s++)
        fr[s] = r->bytes[s] / gbs / r->ns[s];
    r->dram_gbs = gbs;
    r->roofline_ms = (r->weight_bytes_token + r->kv_bytes_token) / gbs * 1e-6;
    median_ci(fr, r->n, &r->fraction, &r->fraction_lo, &r->fraction_hi);
    free(fr);
}

void fk_decode_result_free(struct fk_decode_result *r)
{
    free(r->ns);
    free(r->bytes);
    free(r->tokens);
    r->ns = r->bytes = NULL;
    r->tokens = NULL;
}

/* ---- CSV: merged by key (the first nkey fields), written atomically ---- */

/* Keeps the lines of path whose first nkey fields are not among the keys
 * of fresh (a block of lines without header), then appends fresh. */
int fk_decode_merge_csv(const char *path, const char *header, const char *fresh, int nkey, struct fk_err *e)
{
    char *old = NULL;
    size_t oldn = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        fseek(f, 0, SEEK_SET);
        old = malloc((size_t)sz + 1);
        if (old) {
            oldn = fread(old, 1, (size_t)sz, f);
            old[oldn] = 0;
        }
        fclose(f);
    }
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0) {
        free(old);
        return -1;
    }
    fprintf(a.f, "%s\n", header);
    const size_t hl = strlen(header);
    if (old && strncmp(old, header, hl) == 0 && old[hl] == '\n') {  /* same columns: keep other keys' rows */
        for (char *line = old + hl + 1; *line;) {
            char *nl = strchr(line, '\n');
            const size_t len = nl ? (size_t)(nl - line) : strlen(line);
            size_t klen = 0;
            for (int k = 0; k < nkey && klen < len; klen++)
                if (line[klen] == ',' && ++k == nkey)
                    break;
            int dup = 0;
            for (const char *p = fresh; *p && !dup;) {
                const char *q = strchr(p, '\n');
                if (strncmp(p, line, klen + 1) == 0)
                    dup = 1;
                p = q ? q + 1 : p + strlen(p);
            }
            if (!dup && len)
                fprintf(a.f, "%.*s\n", (int)len, line);
            line = nl ? nl + 1 : line + len;
        }
    }
    fputs(fresh, a.f);
    free(old);
    return fk_atomic_commit(&a, e);
}

struct buf {
    char *s;
    size_t n, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        const size_t room = b->cap - b->n;
        const int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (w < 0)
            return;
        if (b->s && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        const size_t cap = (b->cap + (size_t)w + 1) * 2;
        char *ns = realloc(b->s, cap);
        if (!ns)
            return;
        b->s = ns;
        b->cap = cap;
    }
}

static const char *DECODE_HEADER =
    "model,weights,threads,source,gemv,gemm,attention,prompt_tokens,decode_tokens,"
    "prefill_tok_s,prefill_tok_s_lo,prefill_tok_s_hi,decode_tok_s,decode_tok_s_lo,decode_tok_s_hi,"
    "ms_token_p50,ms_token_p90,ms_token_p99,jitter_p99_over_p50,weight_bytes_per_token,kv_bytes_per_token,"
    "level,read_ceiling_gbytes_per_s,roofline_ms_token,roofline_fraction,roofline_fraction_lo,roofline_fraction_hi,"
    "weight_bytes,peak_rss_bytes,peak_rss_over_weights,run_rss_bytes,run_rss_over_weights,load_s,pack_s,machine,cpu_model,cores_used,compiler,"
    "git_commit,date,emulated";

int fk_decode_write(const char *results_dir, const char *machine, const char *cpu_model, int ncpu, int emulated,
                    const struct fk_decode_result *r, int n, struct fk_err *e)
{
    if (fk_mkdirs(results_dir, e) != 0)
        return -1;
    char date[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct buf main = {0}, tok = {0}, ops = {0};
    for (int i = 0; i < n; i++) {
        const struct fk_decode_result *x = &r[i];
        const double wbytes = x->weight_bytes;
        bprintf(&main, "%s,%s,%d,%s,%s,%s,%s,%d,%d,", x->model, x->wconf, x->threads, x->source, x->gemv, x->gemm,
                x->attention, x->prompt_len, x->n);
        bprintf(&main, "%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,", x->prefill_tok_s, x->prefill_lo, x->prefill_hi,
                x->decode_tok_s, x->decode_lo, x->decode_hi);
        bprintf(&main, "%.6g,%.6g,%.6g,%.6g,%.0f,%.0f,%s,%.6g,%.6g,%.6g,%.6g,%.6g,", x->p50_ms, x->p90_ms, x->p99_ms,
                x->p99_ms / x->p50_ms, x->weight_bytes_token, x->kv_bytes_token, x->level, x->dram_gbs, x->roofline_ms,
                x->fraction, x->fraction_lo, x->fraction_hi);
        bprintf(&main, "%.0f,%.0f,%.4g,%.0f,%.4g,%.4g,%.4g,%s,\"%s\",%d,\"%s\",%s,%s,%d\n", wbytes, x->peak_rss,
                x->peak_rss / wbytes, x->run_rss, x->run_rss / wbytes, x->load_s, x->pack_s, machine, cpu_model, x->threads, CC_NAME, FK_GIT_COMMIT,
                date, emulated);
        for (int s = 0; s < x->n; s++)
            bprintf(&tok, "%s,%s,%d,%d,%d,%.0f,%.0f,%s\n", x->model, x->wconf, x->threads, s, x->tokens[s], x->ns[s],
                    x->bytes[s], date);
        for (int k = 0; k < FK_DOP_COUNT; k++) {
            double tot = 0;
            for (int j = 0; j < FK_DOP_COUNT; j++)
                tot += x->op_ns[j];
            bprintf(&ops, "%s,%s,%d,%s,%.0f,%.4f,%s\n", x->model, x->wconf, x->threads, fk_dop_name(k), x->op_ns[k],
                    tot > 0 ? x->op_ns[k] / tot : NAN, date);
        }
    }
    char path[700];
    int rc = 0;
    snprintf(path, sizeof path, "%s/decode.csv", results_dir);
    rc |= fk_decode_merge_csv(path, DECODE_HEADER, main.s ? main.s : "", 3, e);
    snprintf(path, sizeof path, "%s/decode_tokens.csv", results_dir);
    if (!rc)
        rc |= fk_decode_merge_csv(path, "model,weights,threads,step,token,ns,bytes,date", tok.s ? tok.s : "", 3, e);
    snprintf(path, sizeof path, "%s/decode_ops.csv", results_dir);
    if (!rc)
        rc |= fk_decode_merge_csv(path, "model,weights,threads,op,ns_per_token,share,date", ops.s ? ops.s : "", 3, e);
    free(main.s);
    free(tok.s);
    free(ops.s);
    return rc ? -1 : 0;
}

void fk_decode_print(const struct fk_decode_result *x, FILE *f)
{
    fprintf(f, "%-12s %-5s T=%d  prefill %8.1f tok/s [%.1f, %.1f]  decode %8.2f tok/s [%.2f, %.2f]  "
               "ms/token p50 %.2f p90 %.2f p99 %.2f  %.1f MB/token  %s roofline %.2f ms -> fraction %.3f [%.3f, %.3f]  "
               "peak RSS %.1f MB (%.2fx weights; %.2fx while running)\n",
            x->model, x->wconf, x->threads, x->prefill_tok_s, x->prefill_lo, x->prefill_hi, x->decode_tok_s,
            x->decode_lo, x->decode_hi, x->p50_ms, x->p90_ms, x->p99_ms,
            (x->weight_bytes_token + x->kv_bytes_token) * 1e-6, x->level, x->roofline_ms, x->fraction, x->fraction_lo,
            x->fraction_hi, x->peak_rss * 1e-6, x->peak_rss / x->weight_bytes, x->run_rss / x->weight_bytes);
    double tot = 0;
    for (int k = 0; k < FK_DOP_COUNT; k++)
        tot += x->op_ns[k];
    fprintf(f, "  per token:");
    for (int k = 0; k < FK_DOP_COUNT; k++)
        if (x->op_ns[k] > 0.005 * tot)
            fprintf(f, " %s %.0f%%", fk_dop_name(k), 100.0 * x->op_ns[k] / tot);
    fprintf(f, "\n  plugins: %s\n", x->plugins);
}

/* ---- the verb ---- */

static void decode_usage(FILE *f)
{
    fprintf(f,
            "usage: falsify decode [--preset tiny|stories15M|stories110M|tinyllama[,...]] [--weights f32,int4,w4a8,q8_0,q4_k]\n"
            "                      [--model FILE [--acts f32|q8_0]] [--threads 1,2] [--prompt-len N] [--steps N] [--reps N]\n"
            "                      [--gemv P] [--gemm P] [--attention P] [--rmsnorm P] [--rope P] [--swiglu P] [--no-gemm]\n"
            "                      [--export-gguf FILE] [--no-write] [--seed N]\n"
            "       falsify decode --hypotheses hypotheses/decode.ini   model-level claims -> decode_hypotheses.csv\n"
            "  every op is a plugin: default the best runnable variant by ISA preference; P names one\n"
            "  (mutants too, from --mutants-dir).  Writes results/<machine>/decode.csv, decode_tokens.csv,\n"
            "  decode_ops.csv.\n");
}

static int parse_int(const char *flag, const char *v, int lo, int hi, int *out)
{
    char *end;
    const long x = strtol(v, &end, 10);
    if (*end || x < lo || x > hi) {
        fprintf(stderr, "falsify: %s '%s': not an integer in %d..%d\n", flag, v, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int decode_configs(const struct fk_decode_env *env, struct fk_decode_opts *op, const char *presets,
                          const char *weights, const char *model_file, const char *acts, const char *export_gguf,
                          int prompt_len, int steps, int reps, int write);

int fk_decode_cmd(const struct fk_decode_env *env, char **args, int nargs)
{
    if (!env) {  /* --help */
        decode_usage(stdout);
        return 0;
    }
    const char *presets = "stories15M", *weights = "w4a8", *model_file = NULL, *acts = "f32", *export_gguf = NULL,
               *hypotheses = NULL;
    int prompt_len = 16, steps = 32, reps = 10, write = 1;
    struct fk_decode_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < nargs; i++) {
        const char *a = args[i];
        const char *v = i + 1 < nargs ? args[i + 1] : NULL;
        const char **str = !strcmp(a, "--preset") ? &presets : !strcmp(a, "--weights") ? &weights
                         : !strcmp(a, "--model") ? &model_file : !strcmp(a, "--acts") ? &acts
                         : !strcmp(a, "--export-gguf") ? &export_gguf : !strcmp(a, "--gemv") ? &o.gemv
                         : !strcmp(a, "--gemm") ? &o.gemm : !strcmp(a, "--attention") ? &o.attention
                         : !strcmp(a, "--rmsnorm") ? &o.rmsnorm : !strcmp(a, "--rope") ? &o.rope
                         : !strcmp(a, "--swiglu") ? &o.swiglu : !strcmp(a, "--hypotheses") ? &hypotheses : NULL;
        int *num = !strcmp(a, "--prompt-len") ? &prompt_len : !strcmp(a, "--steps") ? &steps
                 : !strcmp(a, "--reps") ? &reps : NULL;
        if ((str || num) && !v) {
            fprintf(stderr, "falsify: decode: %s needs a value\n", a);
            return 2;
        }
        if (str)
            *str = args[++i];
        else if (num) {
            if (parse_int(a, args[++i], 1, 1 << 20, num) != 0)
                return 2;
        } else if (!strcmp(a, "--no-gemm"))
            o.no_gemm = 1;
        else if (!strcmp(a, "--no-write"))
            write = 0;
        else {
            fprintf(stderr, "falsify: decode: unknown argument '%s'\n", a);
            decode_usage(stderr);
            return 2;
        }
    }
    /* plugins run in this process: a fault or a hang ends the run with
     * the plugin and op named (watch.h), never a silent crash or a hang */
    struct fk_err e;
    if (fk_watch_start(env->emulated, &e) != 0) {
        fprintf(stderr, "falsify: decode: %s\n", e.msg);
        return 2;
    }
    const int rc = hypotheses ? fk_decode_hypotheses(env, hypotheses)
                              : decode_configs(env, &o, presets, weights, model_file, acts, export_gguf, prompt_len,
                                               steps, reps, write);
    fk_watch_stop();
    return rc;
}

/* The configurations (presets x weights x threads, or --model), measured,
 * printed and written. */
static int decode_configs(const struct fk_decode_env *env, struct fk_decode_opts *op, const char *presets,
                          const char *weights, const char *model_file, const char *acts, const char *export_gguf,
                          int prompt_len, int steps, int reps, int write)
{
    struct fk_decode_opts o = *op;
    if (strcmp(acts, "f32") && strcmp(acts, "q8_0")) {
        fprintf(stderr, "falsify: decode: --acts '%s': f32 or q8_0\n", acts);
        return 2;
    }
    /* the configurations: presets x weights, or the one file */
    char pbuf[256], wbuf[256];
    snprintf(pbuf, sizeof pbuf, "%s", presets);
    snprintf(wbuf, sizeof wbuf, "%s", weights);
    char *pl[8], *wl[8];
    int np = 0, nw = 0;
    for (char *s = NULL, *t = strtok_r(pbuf, ",", &s); t && np < 8; t = strtok_r(NULL, ",", &s))
        pl[np++] = t;
    for (char *s = NULL, *t = strtok_r(wbuf, ",", &s); t && nw < 8; t = strtok_r(NULL, ",", &s))
        wl[nw++] = t;
    struct fk_err e;
    for (int i = 0; i < np; i++) {
        struct fk_model_cfg cfg;
        if (fk_model_preset_cfg(pl[i], &cfg, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            return 2;
        }
    }
    for (int i = 0; i < nw; i++) {
        enum fk_wconf w;
        if (fk_wconf_parse(wl[i], &w, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            return 2;
        }
    }
    const int nconf = model_file ? 1 : np * nw;
    const int nres = nconf * env->nthreads;
    struct fk_model *models = calloc((size_t)nconf, sizeof *models);
    struct fk_decode_result *res = calloc((size_t)nres, sizeof *res);
    if (!models || !res) {
        free(models);
        free(res);
        fprintf(stderr, "falsify: out of memory\n");
        return 2;
    }
    int rc = 0, nr = 0, asked = 0;
    const struct fk_machine *ceil = NULL;
    const int progress = !env->quiet && isatty(2);
    for (int c = 0; c < nconf && !rc; c++) {
        struct fk_model *m = &models[c];
        if (model_file) {
            if (fk_model_load(m, model_file, &e) != 0) {
                fprintf(stderr, "falsify: %s\n", e.msg);
                rc = 2;
                break;
            }
            if (!strcmp(acts, "q8_0"))
                m->acts = FK_FMT_Q8_0;
        } else {
            struct fk_model_cfg cfg;
            enum fk_wconf w;
            fk_model_preset_cfg(pl[c / nw], &cfg, &e);
            fk_wconf_parse(wl[c % nw], &w, &e);
            if (!env->quiet)
                fprintf(stderr, "building %s %s (seed %u)...\n", pl[c / nw], wl[c % nw], env->seed);
            if (fk_model_synthetic(m, pl[c / nw], &cfg, w, env->seed, &e) != 0) {
                fprintf(stderr, "falsify: %s\n", e.msg);
                rc = 2;
                break;
            }
        }
        if (m->note[0])
            printf("%s %s: %s\n", m->name, m->wconf, m->note);
        if (export_gguf) {
            if (fk_model_export_gguf(m, export_gguf, &e) != 0) {
                fprintf(stderr, "falsify: %s\n", e.msg);
                rc = 2;
            } else {
                printf("wrote %s (%s %s, GGUF v3)\n", export_gguf, m->name, m->wconf);
            }
            break;
        }
        for (int t = 0; t < env->nthreads && !rc; t++) {
            o.threads = env->threads[t];
            if (fk_decode_measure(m, env->reg, env->mut, &o, prompt_len, steps, reps, NULL, env->seed, progress,
                                  &res[nr], &e) != 0) {
                fprintf(stderr, "falsify: %s\n", e.msg);
                rc = 2;
                break;
            }
            /* asked after the first measurement: a run whose plugin breaks
             * stops before the ceilings are measured */
            if (!asked++)
                ceil = env->ceilings ? env->ceilings(env->ceilings_ctx) : NULL;
            fk_decode_roofline(&res[nr], m, ceil);
            res[nr].load_s = m->load_s;
            fk_decode_print(&res[nr], stdout);
            nr++;
        }
        fk_model_free(m);  /* before the next: each peak RSS is its own model's */
    }
    if (!rc && nr && write && !env->emulated) {
        if (fk_decode_write(env->results_dir, env->machine, env->cpu_model, env->ncpu, env->emulated, res, nr,
                            &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            rc = 2;
        } else {
            printf("results: %s/decode.csv, decode_tokens.csv, decode_ops.csv\n", env->results_dir);
        }
    }
    if (!ceil && nr)
        printf("no machine ceilings (emulated or not measured): roofline figures are empty\n");
    for (int i = 0; i < nr; i++)
        fk_decode_result_free(&res[i]);
    for (int c = 0; c < nconf; c++)
        fk_model_free(&models[c]);
    free(models);
    free(res);
    return rc;
}
