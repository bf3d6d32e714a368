#include "check.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "stats.h"
#include "timing.h"

extern char **environ;

/* Speedup decisions: looks after these numbers of pairs, alpha split evenly
 * (Bonferroni) so the chance of any wrong decision over all looks <= alpha. */
static const int look_pairs[] = {10, 20, 40, 80, 160, 320};
#define N_LOOKS ((int)(sizeof look_pairs / sizeof look_pairs[0]))
#define ALPHA 0.05

const char *fk_verdict_name(enum fk_verdict v)
{
    static const char *const names[] = {"SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE"};
    return (v >= FK_SUPPORTED && v <= FK_UNTESTABLE) ? names[v] : "?";
}

/* ---------------------------------------------------------------- oracle */

int fk_oracle_ensure(const struct fk_ctx *c, char **specs, int nspecs, struct fk_err *e)
{
    if (nspecs == 0)
        return 0;
    if (access(c->python, X_OK) != 0)
        return fk_fail(e, "oracle: interpreter '%s' not found: set FALSIFY_PYTHON to a Python 3 with NumPy "
                          "(Debian: apt-get install python3-numpy; 'make' picks one itself)", c->python);
    char **argv = calloc((size_t)nspecs + 6, sizeof *argv);
    if (!argv)
        return fk_fail(e, "oracle: out of memory");
    int a = 0;
    argv[a++] = (char *)c->python;
    argv[a++] = (char *)c->oracle_script;
    argv[a++] = "--out";
    argv[a++] = (char *)c->oracle_dir;
    for (int i = 0; i < nspecs; i++)
        argv[a++] = specs[i];
    argv[a] = NULL;
    fflush(stdout);
    pid_t pid;
    int rc = posix_spawn(&pid, c->python, NULL, NULL, argv, environ);
    free(argv);
    if (rc != 0)
        return fk_fail(e, "oracle: cannot start %s: %s", c->python, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fk_fail(e, "oracle: %s %s failed (exit status %d); see its message above", c->python,
                       c->oracle_script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

/* ---------------------------------------------------------- matching */

static int is_subject(const struct fk_ctx *c, const struct fk_hypo *h, const struct fk_entry *en)
{
    if (!en->k || en->status == FK_REFUSED)
        return 0;
    int mutant = (en->k->flags & FK_KERNEL_MUTANT) != 0;
    if (mutant != (c->mutants != 0))
        return 0;
    if (h->baseline[0] && strcmp(en->k->name, h->baseline) == 0)
        return 0;
    char buf[sizeof h->subject];
    snprintf(buf, sizeof buf, "%s", h->subject);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
        if (fnmatch(tok, en->k->name, 0) == 0)
            return 1;
    return 0;
}

static struct fk_krow *krow_get(struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s, int threads,
                                enum fk_cache cache, int create)
{
    for (int i = 0; i < run->nk; i++) {
        struct fk_krow *r = &run->k[i];
        if (r->en == en && r->shape.rows == s->rows && r->shape.cols == s->cols && r->shape.batch == s->batch &&
            r->threads == threads && r->cache == cache)
            return r;
    }
    if (!create)
        return NULL;
    struct fk_krow *nk = realloc(run->k, (size_t)(run->nk + 1) * sizeof *nk);
    if (!nk)
        return NULL;
    run->k = nk;
    struct fk_krow *r = &run->k[run->nk++];
    memset(r, 0, sizeof *r);
    r->en = en;
    r->shape = *s;
    r->threads = threads;
    r->cache = cache;
    return r;
}

/* Correctness is judged once per (kernel, shape): the row with threads 1, hot. */
static struct fk_krow *kcorrect(struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s)
{
    return krow_get(run, en, s, 1, FK_CACHE_HOT, 0);
}

static int krow_add_ns(struct fk_krow *r, double ns)
{
    if (r->nns == r->capns) {
        int cap = r->capns ? r->capns * 2 : 64;
        double *n = realloc(r->ns, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        r->ns = n;
        r->capns = cap;
    }
    r->ns[r->nns++] = ns;
    return 0;
}

static struct fk_hrow *hrow_new(struct fk_run *run, const struct fk_hypo *h, const char *kernel)
{
    struct fk_hrow *nh = realloc(run->h, (size_t)(run->nh + 1) * sizeof *nh);
    if (!nh)
        return NULL;
    run->h = nh;
    struct fk_hrow *r = &run->h[run->nh++];
    memset(r, 0, sizeof *r);
    r->h = h;
    snprintf(r->kernel, sizeof r->kernel, "%s", kernel);
    r->threads = h->nthreads ? h->threads[0] : 1;
    r->figure = r->lo = r->hi = NAN;
    r->median_a_ns = r->median_b_ns = NAN;
    return r;
}

/* ------------------------------------------------------ correctness job */

struct correct_job {
    const struct fk_ctx *c;
    const struct fk_entry *en;
    struct fk_shape shape;
};

static int correct_child(void *vctx, int fd)
{
    struct correct_job *j = vctx;
    const struct fk_kernel *k = j->en->k;
    struct fk_err e;
    struct fk_case cs;
    char what[128];
    fk_shape_format(&j->shape, what, sizeof what);
    if (fk_case_load(&cs, j->c->oracle_dir, k->op, &j->shape, j->c->seed, k->weights, k->acts, &e) != 0) {
        fk_send_fail(fd, k->name, e.msg);
        return -1;
    }
    struct fk_inst in;
    if (fk_inst_init(&in, k, &cs, &e) != 0) {
        fk_send_fail(fd, k->name, e.msg);
        fk_case_free(&cs);
        return -1;
    }
    const double *gauge = cs.gauge.count ? (const double *)cs.gauge.data : NULL;
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = FK_MSG_ERRSTATS;
    snprintf(m.kernel, sizeof m.kernel, "%s", k->name);

    fk_send_begin(fd, k->name, what);
    fk_inst_call(&in);
    fk_send_end(fd, k->name);
    fk_error_stats(in.a.y, cs.ref.data, gauge, in.out_count, &m.es);

    /* the same call split at the partition granule: a kernel that writes
     * outside [r0, r1) or mishandles a row offset shows up here */
    struct fk_errstats split;
    memset(in.a.y, 0, (size_t)in.out_count * sizeof(float));
    char what2[160];
    snprintf(what2, sizeof what2, "%s (rows split in pieces of %d)", what, k->row_block);
    fk_send_begin(fd, k->name, what2);
    fk_inst_call_split(&in, k->row_block);
    fk_send_end(fd, k->name);
    fk_error_stats(in.a.y, cs.ref.data, gauge, in.out_count, &split);
    if (split.gauge_max > m.es.gauge_max || split.nonfinite > m.es.nonfinite) {
        m.es.gauge_max = split.gauge_max;
        m.es.gauge_worst = split.gauge_worst;
        m.es.nonfinite = split.nonfinite;
    }
    if (split.gauge_p99 > m.es.gauge_p99)
        m.es.gauge_p99 = split.gauge_p99;
    if (split.ulp_max > m.es.ulp_max) {
        m.es.ulp_max = split.ulp_max;
        m.es.ulp_worst = split.ulp_worst;
    }
    fk_send(fd, &m);
    fk_inst_free(&in);
    fk_case_free(&cs);
    return 0;
}

static void run_correctness(struct fk_ctx *c, struct fk_run *run, struct fk_krow *r)
{
    struct correct_job j = {c, r->en, r->shape};
    struct fk_job_out out;
    struct fk_err e;
    char sh[64];
    fk_shape_format(&r->shape, sh, sizeof sh);
    r->checked = 1;
    r->bound = fk_gate_bound(r->en->k, &r->shape, NULL);
    if (fk_sandbox(correct_child, &j, &out, &e) != 0) {
        snprintf(r->note, sizeof r->note, "could not run: %s", e.msg);
        run->kernel_failures++;
        return;
    }
    int got = 0;
    for (int i = 0; i < out.n; i++) {
        if (out.m[i].type == FK_MSG_ERRSTATS) {
            r->es = out.m[i].es;
            got = 1;
        } else if (out.m[i].type == FK_MSG_FAIL) {
            snprintf(r->note, sizeof r->note, "%s", out.m[i].text);
        }
    }
    if (out.crashed) {
        r->crashed = 1;
        snprintf(r->note, sizeof r->note, "crashed: %s (%s)", out.where,
                 out.signal ? strsignal(out.signal) : "non-zero exit");
        run->kernel_failures++;
    } else if (!got) {
        if (!r->note[0])
            snprintf(r->note, sizeof r->note, "no result from correctness job");
        run->kernel_failures++;
    } else {
        r->correct = fk_gate_pass(r->en->k, &r->shape, &r->es);
        if (!r->correct) {
            const char *metric;
            double bound = fk_gate_bound(r->en->k, &r->shape, &metric);
            snprintf(r->note, sizeof r->note,
                     "wrong: %s %.4g exceeds the bound %.4g at seed %u index %lld (%lld non-finite)", metric,
                     strcmp(metric, "gauge_max") == 0 ? r->es.gauge_max : r->es.ulp_max, bound, c->seed,
                     (long long)(strcmp(metric, "gauge_max") == 0 ? r->es.gauge_worst : r->es.ulp_worst),
                     (long long)r->es.nonfinite);
            run->kernel_failures++;
        }
    }
    if (!c->quiet)
        fprintf(stderr, "  check %-28s %-12s %s\n", r->en->k->name, sh,
                r->correct ? "ok" : r->note);
    fk_job_out_free(&out);
}

/* ---------------------------------------------------------- speedup job */

struct speed_job {
    const struct fk_ctx *c;
    const struct fk_entry *a, *b;   /* subject, baseline */
    struct fk_shape shape;
    const struct fk_hypo *h;
};

static void call_inst(void *p) { fk_inst_call(p); }

/* log(t_b / t_a) per pair, the speedup of a over b. */
static void log_ratios(const double *ta, const double *tb, int n, double *out)
{
    for (int i = 0; i < n; i++)
        out[i] = log(tb[i] / ta[i]);
}

/* Median speedup and CI at level alpha_look; verdict against threshold. */
static enum fk_verdict judge_speedup(const double *lr, int n, double threshold, double *fig, double *lo, double *hi)
{
    double l, h;
    *fig = exp(fk_median(lr, (size_t)n));
    int ok = fk_quantile_ci(lr, (size_t)n, 0.5, ALPHA / N_LOOKS, &l, &h) == 0;
    *lo = exp(l);
    *hi = exp(h);
    if (!ok)
        return FK_INCONCLUSIVE;
    if (*lo >= threshold)
        return FK_SUPPORTED;
    if (*hi < threshold)
        return FK_FALSIFIED;
    return FK_INCONCLUSIVE;
}

static int speed_child(void *vctx, int fd)
{
    struct speed_job *j = vctx;
    const struct fk_entry *en[2] = {j->a, j->b};
    struct fk_case cs[2];
    struct fk_inst in[2];
    struct fk_err e;
    char what[128];
    fk_shape_format(&j->shape, what, sizeof what);
    for (int s = 0; s < 2; s++) {
        const struct fk_kernel *k = en[s]->k;
        if (fk_case_load(&cs[s], j->c->oracle_dir, k->op, &j->shape, j->c->seed, k->weights, k->acts, &e) != 0 ||
            fk_inst_init(&in[s], k, &cs[s], &e) != 0) {
            fk_send_fail(fd, k->name, e.msg);
            return -1;
        }
    }
    int64_t reps[2];
    for (int s = 0; s < 2; s++) {
        fk_send_begin(fd, en[s]->k->name, what);
        reps[s] = fk_calibrate(call_inst, &in[s]);
        fk_send_end(fd, en[s]->k->name);
    }
    struct fk_rng rng;
    fk_rng_seed(&rng, j->c->rng_seed ^ (uint64_t)(j->shape.rows * 1000003 + j->shape.cols));
    int max_pairs = look_pairs[N_LOOKS - 1];
    double *t[2], *lr;
    t[0] = malloc((size_t)max_pairs * sizeof(double));
    t[1] = malloc((size_t)max_pairs * sizeof(double));
    lr = malloc((size_t)max_pairs * sizeof(double));
    if (!t[0] || !t[1] || !lr) {
        fk_send_fail(fd, en[0]->k->name, "out of memory for samples");
        return -1;
    }
    uint64_t t0 = fk_now_ns();
    int look = 0;
    for (int i = 0; i < max_pairs; i++) {
        int first = (int)(fk_rng_next(&rng) & 1);  /* randomised order within the pair */
        for (int q = 0; q < 2; q++) {
            int s = q == 0 ? first : 1 - first;
            fk_send_begin(fd, en[s]->k->name, what);
            t[s][i] = fk_sample(call_inst, &in[s], reps[s]);
            fk_send_end(fd, en[s]->k->name);
            struct fk_msg m;
            memset(&m, 0, sizeof m);
            m.type = FK_MSG_SAMPLE;
            snprintf(m.kernel, sizeof m.kernel, "%s", en[s]->k->name);
            m.v[0] = t[s][i];
            m.i[0] = i;
            m.i[1] = reps[s];
            m.i[2] = s;
            fk_send(fd, &m);
        }
        if (i + 1 == look_pairs[look]) {
            double fig, lo, hi;
            log_ratios(t[0], t[1], i + 1, lr);
            enum fk_verdict v = judge_speedup(lr, i + 1, j->h->threshold, &fig, &lo, &hi);
            look++;
            double elapsed_s = (double)(fk_now_ns() - t0) * 1e-9;
            if (v != FK_INCONCLUSIVE || look == N_LOOKS || elapsed_s > j->h->budget_s)
                break;
        }
    }
    free(t[0]);
    free(t[1]);
    free(lr);
    for (int s = 0; s < 2; s++) {
        fk_inst_free(&in[s]);
        fk_case_free(&cs[s]);
    }
    return 0;
}

static void run_speedup(struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h, const struct fk_entry *a,
                        const struct fk_entry *b, const struct fk_shape *s, struct fk_hrow *hr)
{
    struct speed_job j = {c, a, b, *s, h};
    struct fk_job_out out;
    struct fk_err e;
    if (fk_sandbox(speed_child, &j, &out, &e) != 0) {
        hr->verdict = FK_UNTESTABLE;
        snprintf(hr->reason, sizeof hr->reason, "could not run: %s", e.msg);
        return;
    }
    int cap = 0;
    for (int i = 0; i < out.n; i++)
        if (out.m[i].type == FK_MSG_SAMPLE && out.m[i].i[0] + 1 > cap)
            cap = (int)out.m[i].i[0] + 1;
    double *ta = calloc((size_t)cap + 1, sizeof *ta), *tb = calloc((size_t)cap + 1, sizeof *tb);
    double *lr = calloc((size_t)cap + 1, sizeof *lr);
    /* create both rows first: a create may move the array */
    krow_get(run, a, s, 1, h->cache, 1);
    struct fk_krow *kb = krow_get(run, b, s, 1, h->cache, 1);
    struct fk_krow *ka = krow_get(run, a, s, 1, h->cache, 0);
    for (int i = 0; i < out.n; i++) {
        const struct fk_msg *m = &out.m[i];
        if (m->type == FK_MSG_FAIL)
            snprintf(hr->reason, sizeof hr->reason, "%s: %s", m->kernel, m->text);
        if (m->type != FK_MSG_SAMPLE)
            continue;
        (m->i[2] == 0 ? ta : tb)[m->i[0]] = m->v[0];
        krow_add_ns(m->i[2] == 0 ? ka : kb, m->v[0]);
    }
    /* complete pairs only */
    int n = 0;
    while (n < cap && ta[n] > 0 && tb[n] > 0)
        n++;
    if (out.crashed) {
        hr->verdict = FK_UNTESTABLE;
        snprintf(hr->reason, sizeof hr->reason, "crashed: %s (%s); %d pairs kept", out.where,
                 out.signal ? strsignal(out.signal) : "non-zero exit", n);
        run->kernel_failures++;
        struct fk_krow *kr = krow_get(run, strncmp(out.where, a->k->name, strlen(a->k->name)) == 0 ? a : b, s, 1,
                                      h->cache, 1);
        if (kr) {
            kr->crashed = 1;
            snprintf(kr->note, sizeof kr->note, "crashed while timed: %s", out.where);
        }
    }
    if (n > 0) {
        log_ratios(ta, tb, n, lr);
        enum fk_verdict v = judge_speedup(lr, n, h->threshold, &hr->figure, &hr->lo, &hr->hi);
        if (!out.crashed)
            hr->verdict = v;
        hr->n = n;
        hr->median_a_ns = fk_median(ta, (size_t)n);
        hr->median_b_ns = fk_median(tb, (size_t)n);
        if (!out.crashed && v == FK_INCONCLUSIVE)
            snprintf(hr->reason, sizeof hr->reason,
                     "interval [%.3g, %.3g] contains the threshold %.3g after %d pairs (budget %.0f s)", hr->lo,
                     hr->hi, h->threshold, n, h->budget_s);
    } else if (!out.crashed) {
        hr->verdict = FK_UNTESTABLE;
        if (!hr->reason[0])
            snprintf(hr->reason, sizeof hr->reason, "no samples");
    }
    free(ta);
    free(tb);
    free(lr);
    fk_job_out_free(&out);
}

/* ----------------------------------------------------------- verdicts */

static void judge_error(const struct fk_hypo *h, const struct fk_krow *r, struct fk_hrow *hr, unsigned seed)
{
    if (strcmp(h->metric, "ulp_max") == 0) {
        hr->figure = r->es.ulp_max;
    } else if (strcmp(h->metric, "gauge_p99") == 0) {
        hr->figure = r->es.gauge_p99;
    } else {
        hr->figure = r->es.gauge_max;
    }
    /* deterministic on these inputs: the figure is exact for this case */
    hr->lo = hr->hi = hr->figure;
    hr->n = r->es.n;
    if (r->es.nonfinite || !(hr->figure <= h->threshold)) {
        hr->verdict = FK_FALSIFIED;
        int64_t idx = strcmp(h->metric, "ulp_max") == 0 ? r->es.ulp_worst : r->es.gauge_worst;
        snprintf(hr->reason, sizeof hr->reason, "%s %.4g > %.4g: counterexample seed %u output %lld%s", h->metric,
                 hr->figure, h->threshold, seed, (long long)idx, r->es.nonfinite ? " (non-finite output)" : "");
    } else {
        hr->verdict = FK_SUPPORTED;
    }
}

/* Aggregate of a hypothesis over shapes for one kernel: FALSIFIED if any
 * shape is; SUPPORTED only if all are; the figure is the worst shape's. */
static void aggregate(struct fk_run *run, int first, const struct fk_hypo *h, const char *kernel)
{
    int nf = 0, ns = 0, nu = 0, ni = 0, worst = -1;
    int lower_is_worse = h->kind == FK_KIND_SPEEDUP;
    for (int i = first; i < run->nh; i++) {
        struct fk_hrow *r = &run->h[i];
        switch (r->verdict) {
        case FK_FALSIFIED: nf++; break;
        case FK_SUPPORTED: ns++; break;
        case FK_UNTESTABLE: nu++; break;
        default: ni++; break;
        }
        if (isnan(r->figure))
            continue;
        if (worst < 0 || (run->h[worst].verdict != FK_FALSIFIED && r->verdict == FK_FALSIFIED) ||
            ((run->h[worst].verdict == FK_FALSIFIED) == (r->verdict == FK_FALSIFIED) &&
             (lower_is_worse ? r->figure < run->h[worst].figure : r->figure > run->h[worst].figure)))
            worst = i;
    }
    int total = run->nh - first;
    struct fk_hrow *agg = hrow_new(run, h, kernel);
    if (!agg)
        return;
    agg->aggregate = 1;
    snprintf(agg->shape, sizeof agg->shape, "all");
    if (worst >= 0) {
        const struct fk_hrow *w = &run->h[worst];
        agg->figure = w->figure;
        agg->lo = w->lo;
        agg->hi = w->hi;
        agg->n = w->n;
        agg->median_a_ns = w->median_a_ns;
        agg->median_b_ns = w->median_b_ns;
        snprintf(agg->shape, sizeof agg->shape, "%s", w->shape);
    }
    if (nf) {
        agg->verdict = FK_FALSIFIED;
    } else if (ns == total) {
        agg->verdict = FK_SUPPORTED;
    } else if (nu == total) {
        agg->verdict = FK_UNTESTABLE;
    } else {
        agg->verdict = FK_INCONCLUSIVE;
    }
    /* reason: the worst shape's, else the first shape with the same verdict */
    if (worst >= 0 && run->h[worst].verdict == agg->verdict && run->h[worst].reason[0])
        snprintf(agg->reason, sizeof agg->reason, "%s", run->h[worst].reason);
    for (int i = first; i < run->nh - 1 && !agg->reason[0]; i++) {
        if (run->h[i].verdict == agg->verdict && run->h[i].reason[0]) {
            snprintf(agg->reason, sizeof agg->reason, "at %s: %s", run->h[i].shape, run->h[i].reason);
            break;
        }
    }
    if (!agg->reason[0] && agg->verdict == FK_INCONCLUSIVE)
        snprintf(agg->reason, sizeof agg->reason, "%d of %d shapes undecided or untestable", ni + nu, total);
}

/* ---------------------------------------------------------- the driver */

static int supported_kind(enum fk_kind k)
{
    return k == FK_KIND_SPEEDUP || k == FK_KIND_ERROR;
}

int fk_check_run(struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_run *run, struct fk_err *e)
{
    memset(run, 0, sizeof *run);
    /* 1. validate every hypothesis against the kernels it names, before running anything */
    for (int i = 0; i < nh; i++) {
        if (!supported_kind(h[i].kind))
            return fk_fail(e, "%s:%d: [%s] kind '%s' is not judged by this build (supported: speedup, error)",
                           h[i].file, h[i].line, h[i].id, fk_kind_name(h[i].kind));
        for (int t = 0; t < h[i].nthreads; t++)
            if (h[i].threads[t] != 1)
                return fk_fail(e, "%s:%d: [%s] threads = %d: this build measures 1 thread only", h[i].file,
                               h[i].line, h[i].id, h[i].threads[t]);
        if (h[i].cache != FK_CACHE_HOT)
            return fk_fail(e, "%s:%d: [%s] cache = cold: this build measures hot cache only", h[i].file, h[i].line,
                           h[i].id);
        const struct fk_entry *base = NULL;
        if (h[i].baseline[0]) {
            base = fk_registry_find(&c->reg, h[i].baseline);
            if (!base && !c->mutants)
                fprintf(stderr, "%s:%d: [%s] note: baseline '%s' is not available here\n", h[i].file, h[i].line,
                        h[i].id, h[i].baseline);
        }
        for (int k = 0; k < c->reg.n; k++) {
            const struct fk_entry *en = &c->reg.e[k];
            if (!is_subject(c, &h[i], en) && en != base)
                continue;
            for (int s = 0; s < h[i].nshapes; s++) {
                struct fk_err why;
                if (fk_shape_ok(en->k, &h[i].shapes[s], &why) != 0) {
                    char sh[64];
                    fk_shape_format(&h[i].shapes[s], sh, sizeof sh);
                    return fk_fail(e, "%s:%d: [%s] shape %s invalid for %s: %s", h[i].file, h[i].line, h[i].id, sh,
                                   en->k->name, why.msg);
                }
            }
        }
    }

    /* 2. correctness rows for every runnable kernel named, oracle vectors first */
    char **specs = NULL;
    int nspecs = 0;
    for (int i = 0; i < nh; i++) {
        const struct fk_entry *base = h[i].baseline[0] ? fk_registry_find(&c->reg, h[i].baseline) : NULL;
        for (int k = 0; k < c->reg.n; k++) {
            const struct fk_entry *en = &c->reg.e[k];
            if ((!is_subject(c, &h[i], en) && en != base) || en->status != FK_RUNNABLE)
                continue;
            for (int s = 0; s < h[i].nshapes; s++) {
                struct fk_krow *r = krow_get(run, en, &h[i].shapes[s], 1, FK_CACHE_HOT, 1);
                if (!r || r->bound > 0)
                    continue;
                r->bound = -1;  /* marks "queued" */
                if (fk_case_present(c->oracle_dir, en->k->op, &r->shape, c->seed, en->k->weights, en->k->acts))
                    continue;
                char spec[160];
                fk_case_spec(en->k->op, &r->shape, c->seed, en->k->weights, en->k->acts, spec, sizeof spec);
                int dup = 0;
                for (int q = 0; q < nspecs; q++)
                    dup |= strcmp(specs[q], spec) == 0;
                if (dup)
                    continue;
                char **ns = realloc(specs, (size_t)(nspecs + 1) * sizeof *ns);
                if (!ns)
                    break;
                specs = ns;
                specs[nspecs++] = strdup(spec);
            }
        }
    }
    int orc = fk_oracle_ensure(c, specs, nspecs, e);
    for (int q = 0; q < nspecs; q++)
        free(specs[q]);
    free(specs);
    if (orc != 0)
        return -1;
    if (!c->quiet)
        fprintf(stderr, "correctness against the oracle (seed %u):\n", c->seed);
    int nk = run->nk;
    for (int i = 0; i < nk; i++)
        run_correctness(c, run, &run->k[i]);

    /* 3. hypotheses */
    for (int i = 0; i < nh; i++) {
        const struct fk_hypo *hy = &h[i];
        const struct fk_entry *base = hy->baseline[0] ? fk_registry_find(&c->reg, hy->baseline) : NULL;
        int matched = 0;
        for (int k = 0; k < c->reg.n; k++) {
            const struct fk_entry *en = &c->reg.e[k];
            if (!is_subject(c, hy, en))
                continue;
            matched++;
            int first = run->nh;
            for (int s = 0; s < hy->nshapes; s++) {
                const struct fk_shape *sh = &hy->shapes[s];
                struct fk_hrow *hr = hrow_new(run, hy, en->k->name);
                if (!hr)
                    break;
                fk_shape_format(sh, hr->shape, sizeof hr->shape);
                if (en->status != FK_RUNNABLE) {
                    hr->verdict = FK_UNTESTABLE;
                    snprintf(hr->reason, sizeof hr->reason, "%s: %s", en->k->name, en->why);
                    continue;
                }
                struct fk_krow *kr = kcorrect(run, en, sh);
                if (hy->kind == FK_KIND_ERROR) {
                    if (!kr || !kr->checked || (kr->crashed || (kr->note[0] && !kr->correct && kr->es.n == 0))) {
                        hr->verdict = c->mutants ? FK_FALSIFIED : FK_UNTESTABLE;
                        snprintf(hr->reason, sizeof hr->reason, "%s", kr ? kr->note : "not checked");
                    } else {
                        judge_error(hy, kr, hr, c->seed);
                    }
                    continue;
                }
                /* speedup */
                if (!base || base->status != FK_RUNNABLE) {
                    hr->verdict = FK_UNTESTABLE;
                    snprintf(hr->reason, sizeof hr->reason, "baseline %s %s", hy->baseline,
                             base ? base->why : "is not available here");
                    continue;
                }
                struct fk_krow *kb = kcorrect(run, base, sh);
                if (!kr || !kr->correct || !kb || !kb->correct) {
                    hr->verdict = FK_UNTESTABLE;
                    snprintf(hr->reason, sizeof hr->reason, "not timed: %s failed correctness at %s",
                             (!kr || !kr->correct) ? en->k->name : base->k->name, hr->shape);
                    continue;
                }
                if ((en->k->flags | base->k->flags) & FK_KERNEL_EMULATED) {
                    hr->verdict = FK_UNTESTABLE;
                    snprintf(hr->reason, sizeof hr->reason, "emulated kernel: no speed verdict");
                    continue;
                }
                if (!c->quiet)
                    fprintf(stderr, "  time  %-28s vs %s at %s\n", en->k->name, base->k->name, hr->shape);
                run_speedup(c, run, hy, en, base, sh, hr);
            }
            aggregate(run, first, hy, en->k->name);
        }
        if (!matched) {
            struct fk_hrow *hr = hrow_new(run, hy, "-");
            if (hr) {
                hr->aggregate = 1;
                snprintf(hr->shape, sizeof hr->shape, "all");
                hr->verdict = FK_UNTESTABLE;
                snprintf(hr->reason, sizeof hr->reason, "no %skernel here matches '%s'", c->mutants ? "mutant " : "",
                         hy->subject);
            }
        }
    }
    for (int i = 0; i < run->nh; i++)
        if (run->h[i].aggregate && run->h[i].verdict == FK_FALSIFIED && run->h[i].h->role == FK_ROLE_GUARD)
            run->guard_falsified++;
    return 0;
}

void fk_run_free(struct fk_run *run)
{
    for (int i = 0; i < run->nk; i++)
        free(run->k[i].ns);
    free(run->k);
    free(run->h);
    memset(run, 0, sizeof *run);
}
