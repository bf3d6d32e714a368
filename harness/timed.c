#include "timed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "sandbox.h"
#include "stats.h"
#include "timing.h"

#define BARRIER_EPISODES 256   /* barriers per timed call of a barrier arm */

double fk_pair_value(const struct fk_timed *t, double ns0, double ns1)
{
    switch (t->judge.kind) {
    case FK_KIND_LATENCY:
        return ns0;
    case FK_KIND_SCALING:        /* arm 0 at T threads, arm 1 at 1 thread */
        return ns1 / ns0 / t->arm[0].threads;
    case FK_KIND_ROOFLINE: {     /* arm 1 reads the same bytes: bandwidth ratio, or the compute cap */
        double mem = ns1 / ns0;
        double comp = t->peak > 0 ? t->ops / (ns0 * 1e-9) / t->peak : 0.0;
        return mem > comp ? mem : comp;
    }
    default:                     /* speedup, parity: t(baseline) / t(subject) */
        return ns1 / ns0;
    }
}

/* ---- arms inside the child ---- */

struct barrier_arm {
    struct fk_pool *pool;
    int threads;
};

static void barrier_task(void *ctx, int tid, int n)
{
    struct barrier_arm *b = ctx;
    (void)tid;
    (void)n;
    for (int i = 0; i < BARRIER_EPISODES; i++)
        fk_pool_barrier(b->pool);
}

static void barrier_call(void *ctx)
{
    struct barrier_arm *b = ctx;
    fk_pool_run(b->pool, b->threads, barrier_task, b);
}

struct read_arm {
    struct fk_pool *pool;
    int threads;
    fk_read_fn rd;
    int streams;                /* concurrent streams per thread: the ceiling's winning pattern */
    void **bufs;
    int nbufs, next;
    size_t bytes;
};

static void read_call(void *ctx)
{
    struct read_arm *r = ctx;
    void *one[1] = {r->bufs[r->next]};
    r->next = r->next + 1 == r->nbufs ? 0 : r->next + 1;
    fk_read_sample(r->pool, r->threads, r->rd, r->streams, one, 1, r->bytes, 1);
}

struct live_arm {
    fk_call_fn fn;
    void *ctx;
    int64_t reps;
    double per_call_div;   /* barrier: episodes per call */
    struct fk_case cs;
    struct fk_inst in;
    struct fk_exec ex;
    struct barrier_arm ba;
    struct read_arm ra;
    int has_case, has_inst, has_exec;
};

struct child {
    const struct fk_timed *t;
    int fd;
    struct live_arm la[2];
    struct fk_pool *pool;        /* shared by kernel and read arms */
    struct fk_rng rng;
    uint64_t t0;
    char what[128];
};

static int setup_arm(struct child *ch, int s, struct fk_err *e)
{
    const struct fk_timed *t = ch->t;
    const struct fk_arm *a = &t->arm[s];
    struct live_arm *la = &ch->la[s];
    la->per_call_div = 1.0;
    switch (a->type) {
    case FK_ARM_KERNEL: {
        const struct fk_kernel *k = a->en->k;
        if (fk_case_load(&la->cs, t->c->oracle_dir, k->op, &t->shape, t->c->seed, k->weights, k->acts, e) != 0)
            return -1;
        la->has_case = 1;
        char cache[1024] = "";
        if (t->c->pack_cache[0])
            snprintf(cache, sizeof cache, "%s/%s-%lldx%lldx%lld-s%u.packed", t->c->pack_cache, k->name,
                     (long long)t->shape.rows, (long long)t->shape.cols, (long long)t->shape.batch, t->c->seed);
        if (fk_inst_init_cached(&la->in, k, &la->cs, cache[0] ? cache : NULL, e) != 0)
            return -1;
        la->has_inst = 1;
        if (fk_exec_init(&la->ex, &la->in, ch->pool, a->threads, a->cache, t->llc_bytes, e) != 0)
            return -1;
        la->has_exec = 1;
        la->fn = fk_exec_call;
        la->ctx = &la->ex;
        return 0;
    }
    case FK_ARM_BARRIER:
        if (fk_pool_create(&la->ba.pool, a->threads, a->barrier, e) != 0)
            return -1;
        la->ba.threads = a->threads;
        la->fn = barrier_call;
        la->ctx = &la->ba;
        la->per_call_div = BARRIER_EPISODES;
        return 0;
    case FK_ARM_READ: {
        struct read_arm *r = &la->ra;
        r->pool = ch->pool;
        r->threads = a->threads;
        /* the pattern (ISA, streams) that won this level's ceiling */
        int level = t->c->ceilings ? fk_level_of(t->c->ceilings, a->read_bytes, a->threads, a->cache == FK_CACHE_COLD) : -1;
        fk_machine_pattern(t->c->ceilings, t->c->cpu, level, a->threads, &r->rd, &r->streams);
        r->bytes = fk_read_round(a->read_bytes, a->threads);
        r->nbufs = 1;
        if (a->cache == FK_CACHE_COLD) {
            size_t want = (2 * t->llc_bytes + r->bytes - 1) / r->bytes;
            r->nbufs = want < 2 ? 2 : want > 64 ? 64 : (int)want;
        }
        r->bufs = calloc((size_t)r->nbufs, sizeof *r->bufs);
        if (!r->bufs || !r->rd)
            return fk_fail(e, "read arm: no probe or out of memory");
        for (int i = 0; i < r->nbufs; i++) {
            r->bufs[i] = fk_alloc(r->bytes);
            if (!r->bufs[i])
                return fk_fail(e, "read arm: cannot allocate %d x %zu bytes", r->nbufs, r->bytes);
            memset(r->bufs[i], i + 1, r->bytes);
        }
        la->fn = read_call;
        la->ctx = r;
        return 0;
    }
    }
    return fk_fail(e, "unknown arm type");
}

static void teardown(struct child *ch)
{
    for (int s = 0; s < 2; s++) {
        struct live_arm *la = &ch->la[s];
        if (la->has_exec)
            fk_exec_free(&la->ex);
        if (la->has_inst)
            fk_inst_free(&la->in);
        if (la->has_case)
            fk_case_free(&la->cs);
        if (la->ba.pool)
            fk_pool_destroy(la->ba.pool);
        if (la->ra.bufs) {
            for (int i = 0; i < la->ra.nbufs; i++)
                fk_free(la->ra.bufs[i]);
            free(la->ra.bufs);
        }
    }
    fk_pool_destroy(ch->pool);
}

static double sample_arm(struct child *ch, int s, int i)
{
    struct live_arm *la = &ch->la[s];
    fk_send_begin(ch->fd, ch->t->arm[s].name, ch->what);
    double ns = fk_sample(la->fn, la->ctx, la->reps) / la->per_call_div;
    fk_send_end(ch->fd, ch->t->arm[s].name);
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = FK_MSG_SAMPLE;
    snprintf(m.kernel, sizeof m.kernel, "%s", ch->t->arm[s].name);
    m.v[0] = ns;
    m.i[0] = i;
    m.i[1] = la->reps;
    m.i[2] = s;
    fk_send(ch->fd, &m);
    return ns;
}

static int next_pair(struct child *ch, int i, double *value)
{
    const struct fk_timed *t = ch->t;
    double ns[2] = {0, 0};
    if (t->narms == 1) {
        ns[0] = sample_arm(ch, 0, i);
    } else {
        int first = (int)(fk_rng_next(&ch->rng) & 1);  /* random order within the pair */
        ns[first] = sample_arm(ch, first, i);
        ns[1 - first] = sample_arm(ch, 1 - first, i);
    }
    *value = fk_pair_value(t, ns[0], ns[1]);
    return 0;
}

/* this replicate's share of the comparison's budget */
static int over_budget(struct child *ch)
{
    return (double)(fk_now_ns() - ch->t0) * 1e-9 > ch->t->budget_s / FK_REPLICATES;
}

static int over_budget_all(struct child *ch)
{
    return (double)(fk_now_ns() - ch->t0) * 1e-9 > ch->t->budget_s;
}

struct rep_job {
    const struct fk_timed *t;
    int replicate;
};

/* phases: seconds of set-up, of calibration and the first check, of
 * sampling (the closing message only; NULL at the start) */
static void send_clock(int fd, const char *arm, double res_ns, double overhead_ns, double mhz, const double *phases)
{
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = FK_MSG_CLOCK;
    snprintf(m.kernel, sizeof m.kernel, "%s", arm);
    m.v[0] = res_ns;
    m.v[1] = overhead_ns;
    m.v[2] = mhz;
    for (int i = 0; i < 3 && phases; i++)
        m.v[3 + i] = phases[i];
    fk_send(fd, &m);
}

/* Correctness where the timing runs (exec.h): each kernel arm's outputs
 * and inputs after its first samples (calibration) and after its last. */
static int verify_arms(struct child *ch, const char *when)
{
    for (int s = 0; s < ch->t->narms; s++) {
        struct live_arm *la = &ch->la[s];
        char why[400];
        if (!la->has_exec || fk_exec_verify(&la->ex, &la->cs, why, sizeof why) == 0)
            continue;
        struct fk_msg m;
        memset(&m, 0, sizeof m);
        m.type = FK_MSG_FAIL;
        m.i[0] = FK_FAIL_WRONG;
        m.i[1] = s;
        snprintf(m.kernel, sizeof m.kernel, "%s", ch->t->arm[s].name);
        snprintf(m.text, sizeof m.text, "%s (%s samples)", why, when);
        fk_send(ch->fd, &m);
        return -1;
    }
    return 0;
}

static int timed_child(void *vctx, int fd)
{
    const struct rep_job *job = vctx;
    const struct fk_timed *t = job->t;
    struct child ch;
    memset(&ch, 0, sizeof ch);
    ch.t = t;
    ch.fd = fd;
    fk_rng_seed(&ch.rng, t->c->rng_seed ^ (uint64_t)(t->shape.rows * 1000003 + t->shape.cols * 7 + t->shape.batch) ^
                             ((uint64_t)(job->replicate + 1) << 40));
    /* a random heap offset (0..64 KiB in cache lines) ahead of this
     * replicate's allocations, so the buffers' placement differs too */
    size_t spacer_bytes = 64 * (1 + (size_t)(fk_rng_next(&ch.rng) % 1024));
    volatile char *spacer = malloc(spacer_bytes);
    if (spacer)
        spacer[spacer_bytes - 1] = 1;
    uint64_t t_setup = fk_now_ns();
    send_clock(fd, t->arm[0].name, fk_timer_res_measured_ns(), fk_call_overhead_ns(), fk_cpu_mhz(), NULL);
    fk_shape_format(&t->shape, ch.what, sizeof ch.what);
    struct fk_err e;
    int maxt = 1;
    for (int s = 0; s < t->narms; s++)
        if (t->arm[s].type != FK_ARM_BARRIER && t->arm[s].threads > maxt)
            maxt = t->arm[s].threads;
    if (maxt > 1 && fk_pool_create(&ch.pool, maxt, FK_BARRIER_SPIN, &e) != 0) {
        fk_send_fail(fd, t->arm[0].name, e.msg);
        return -1;
    }
    for (int s = 0; s < t->narms; s++) {
        if (setup_arm(&ch, s, &e) != 0) {
            fk_send_fail(fd, t->arm[s].name, e.msg);
            teardown(&ch);
            return -1;
        }
    }
    uint64_t t_calib = fk_now_ns();
    /* warm-up and batch size per arm (>= 1 ms and >= 20 timer ticks) */
    for (int s = 0; s < t->narms; s++) {
        fk_send_begin(fd, t->arm[s].name, ch.what);
        ch.la[s].reps = fk_calibrate(ch.la[s].fn, ch.la[s].ctx);
        fk_send_end(fd, t->arm[s].name);
    }
    if (verify_arms(&ch, "first") != 0) {
        teardown(&ch);
        free((void *)spacer);
        return -1;
    }
    ch.t0 = fk_now_ns();
    /* a fixed number of pairs, fewer when this replicate's share of the
     * budget is spent (but at least FK_REP_MIN_PAIRS unless the whole
     * budget is gone) */
    if (t->min_time_s > 0) {
        /* measuring (bench): a time rule, not a fixed pair count */
        for (int i = 0; i < FK_MEASURE_MAX_PAIRS; i++) {
            double value;
            next_pair(&ch, i, &value);
            if (i + 1 >= FK_REP_MIN_PAIRS && (double)(fk_now_ns() - ch.t0) * 1e-9 >= t->min_time_s)
                break;
        }
    } else {
        for (int i = 0; i < FK_REP_PAIRS; i++) {
            double value;
            next_pair(&ch, i, &value);
            if (over_budget(&ch) && (i + 1 >= FK_REP_MIN_PAIRS || over_budget_all(&ch)))
                break;
        }
    }
    double phases[3] = {(double)(t_calib - t_setup) * 1e-9, (double)(ch.t0 - t_calib) * 1e-9,
                        (double)(fk_now_ns() - ch.t0) * 1e-9};
    send_clock(fd, t->arm[0].name, fk_timer_res_measured_ns(), fk_call_overhead_ns(), fk_cpu_mhz(), phases);
    verify_arms(&ch, "last");
    teardown(&ch);
    free((void *)spacer);
    return 0;
}

void fk_timed_out_init(struct fk_timed_out *out)
{
    memset(out, 0, sizeof *out);
    out->fig = out->lo = out->hi = out->between_share = NAN;
    out->median_ns[0] = out->median_ns[1] = out->min_ns[0] = out->min_ns[1] = NAN;
    out->mhz_drift = NAN;
    out->wrong_arm = -1;
}

static int append(struct fk_timed_out *out, const double *ns0, const double *ns1, int n)
{
    for (int s = 0; s < 2; s++) {
        double *p = realloc(out->ns[s], (size_t)(out->n + n + 1) * sizeof *p);
        if (!p)
            return -1;
        out->ns[s] = p;
        memcpy(p + out->n, s == 0 ? ns0 : ns1, (size_t)n * sizeof *p);
    }
    out->n += n;
    return 0;
}

int fk_timed_replicates(const struct fk_timed *t)
{
    return t->replicates > 0 && t->replicates <= FK_MAX_REPLICATES ? t->replicates : FK_REPLICATES;
}

int fk_timed_replicate(const struct fk_timed *t, int r, struct fk_timed_out *out, struct fk_err *e)
{
    if (out->crashed || out->runs >= fk_timed_replicates(t))
        return 0;
    struct rep_job job = {t, r};
    struct fk_job_out jo;
    /* deadline: the sampling budget twice over, plus setup (cold copies) and calibration */
    if (fk_sandbox_deadline(timed_child, &job, 0, fk_job_deadline(0, 2.0 * t->budget_s + 120.0, 0), &jo, e) != 0)
        return -1;
    out->runs++;
    out->wall_s += jo.elapsed_s;
    int cap = 0;
    for (int i = 0; i < jo.n; i++)
        if (jo.m[i].type == FK_MSG_SAMPLE && jo.m[i].i[0] + 1 > cap)
            cap = (int)jo.m[i].i[0] + 1;
    double *ns[2] = {calloc((size_t)cap + 1, sizeof(double)), calloc((size_t)cap + 1, sizeof(double))};
    double res = 0, over = 0, mhz[2] = {NAN, NAN};
    int nclock = 0;
    int64_t reps[2] = {0, 0};
    for (int i = 0; i < jo.n && ns[0] && ns[1]; i++) {
        const struct fk_msg *m = &jo.m[i];
        if (m->type == FK_MSG_FAIL)
            snprintf(out->reason, sizeof out->reason, "%s: %s", m->kernel, m->text);
        if (m->type == FK_MSG_FAIL && m->i[0] == FK_FAIL_WRONG && out->wrong_arm < 0) {
            out->wrong_arm = (int)m->i[1];
            out->crashed = 1;  /* no verdict, no further replicate: its timed calls are wrong (reason: the FAIL) */
        }
        if (m->type == FK_MSG_SAMPLE && m->i[2] >= 0 && m->i[2] < 2) {
            ns[m->i[2]][m->i[0]] = m->v[0];
            reps[m->i[2]] = m->i[1];
        }
        if (m->type == FK_MSG_CLOCK && nclock < 2) {
            res = m->v[0] > res ? m->v[0] : res;
            over = m->v[1] > over ? m->v[1] : over;
            mhz[nclock++] = m->v[2];
            for (int p = 0; p < 3; p++)
                out->phase_s[p] += m->v[3 + p];
        }
    }
    int n = 0;  /* complete pairs only */
    while (ns[0] && ns[1] && n < cap && ns[0][n] > 0 && (t->narms == 1 || ns[1][n] > 0))
        n++;
    /* sanity of this sample set: overhead against the smallest timed call,
     * batch length against the timer, clock drift */
    double drift = nclock == 2 && mhz[0] > 0 && mhz[1] > 0 ? fabs(mhz[1] - mhz[0]) / mhz[0] : NAN;
    double smallest = INFINITY;
    for (int s = 0; s < t->narms && n > 0; s++) {
        double per_call = fk_median(ns[s], (size_t)n) * (t->arm[s].type == FK_ARM_BARRIER ? BARRIER_EPISODES : 1);
        smallest = per_call < smallest ? per_call : smallest;
        double batch_ns = per_call * (double)reps[s];
        if (batch_ns < FK_MIN_TICKS * res)
            snprintf(out->discard_why, sizeof out->discard_why, "a batch of %lld calls lasts %.3g ns < %d ticks of %.3g ns",
                     (long long)reps[s], batch_ns, FK_MIN_TICKS, res);
    }
    if (over > FK_MAX_OVERHEAD_FRACTION * smallest)
        snprintf(out->discard_why, sizeof out->discard_why,
                 "harness overhead %.3g ns per call is over %.0f%% of the smallest timed call (%.4g ns)", over,
                 100 * FK_MAX_OVERHEAD_FRACTION, smallest);
    if (drift > FK_MAX_MHZ_DRIFT)
        snprintf(out->discard_why, sizeof out->discard_why, "CPU clock moved %.1f%% (%.0f -> %.0f MHz)", 100 * drift,
                 mhz[0], mhz[1]);
    out->timer_res_ns = res > out->timer_res_ns ? res : out->timer_res_ns;
    out->overhead_ns = over > out->overhead_ns ? over : out->overhead_ns;
    if (!(out->mhz_drift >= drift))  /* worst readable drift; NaN stays NaN */
        out->mhz_drift = isnan(drift) ? out->mhz_drift : drift;
    int sane = n > 0 && !(over > FK_MAX_OVERHEAD_FRACTION * smallest) && !(drift > FK_MAX_MHZ_DRIFT);
    for (int s = 0; s < t->narms && sane; s++)
        sane = fk_median(ns[s], (size_t)n) * (t->arm[s].type == FK_ARM_BARRIER ? BARRIER_EPISODES : 1) *
                   (double)reps[s] >= FK_MIN_TICKS * res;
    if (jo.crashed) {
        out->crashed = 1;
        if (jo.hung)
            snprintf(out->reason, sizeof out->reason, "hung in replicate %d: %s after %.0f s (killed); %d pairs kept",
                     r + 1, jo.where, jo.elapsed_s, n);
        else
            snprintf(out->reason, sizeof out->reason, "crashed in replicate %d: %s (%s); %d pairs kept", r + 1,
                     jo.where, jo.signal ? strsignal(jo.signal) : "non-zero exit", n);
    }
    if (n >= FK_REP_MIN_PAIRS && sane && !jo.crashed) {
        if (append(out, ns[0], ns[1], n) == 0)
            out->rep_n[out->R++] = n;
        for (int s = 0; s < 2; s++)
            out->reps[s] = reps[s] > out->reps[s] ? reps[s] : out->reps[s];
    } else if (!jo.crashed && n > 0) {
        out->discarded++;
        if (!out->discard_why[0])
            snprintf(out->discard_why, sizeof out->discard_why, "%d pairs < %d", n, FK_REP_MIN_PAIRS);
    }
    free(ns[0]);
    free(ns[1]);
    fk_job_out_free(&jo);
    return 0;
}

void fk_timed_judge(const struct fk_timed *t, struct fk_timed_out *out)
{
    int n = out->n;
    if (n > 0) {
        for (int s = 0; s < t->narms; s++) {
            out->median_ns[s] = fk_median(out->ns[s], (size_t)n);
            out->min_ns[s] = fk_quantile(out->ns[s], (size_t)n, 0.0);
        }
    }
    if (out->crashed) {
        out->verdict = FK_UNTESTABLE;
        return;
    }
    if (out->R < FK_MIN_REPLICATES) {
        out->verdict = out->runs == 0 || (n == 0 && out->discarded == 0) ? FK_UNTESTABLE : FK_INCONCLUSIVE;
        if (out->discarded)
            snprintf(out->reason, sizeof out->reason, "%d of %d replicates discarded (%s): %d valid < %d", out->discarded,
                     out->runs, out->discard_why, out->R, FK_MIN_REPLICATES);
        else if (!out->reason[0])
            snprintf(out->reason, sizeof out->reason, "%d valid replicates < %d", out->R, FK_MIN_REPLICATES);
        return;
    }
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) {
        out->verdict = FK_INCONCLUSIVE;
        snprintf(out->reason, sizeof out->reason, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++)
        v[i] = fk_pair_value(t, out->ns[0][i], t->narms > 1 ? out->ns[1][i] : 0);
    struct fk_rep_verdict rv;
    out->verdict = fk_judge_replicates(&t->judge, v, out->rep_n, out->R, &rv);
    free(v);
    out->fig = rv.s.fig;
    out->lo = rv.s.lo;
    out->hi = rv.s.hi;
    out->between_share = rv.s.between_share;
    out->unstable = rv.unstable;
    if (rv.unstable)
        snprintf(out->reason, sizeof out->reason,
                 "unstable across replicates: replicate medians %.4g .. %.4g (R=%d) disagree about threshold %.4g "
                 "(between-replicate share of variance %.2f)", rv.s.rep_lo, rv.s.rep_hi, out->R, t->judge.threshold,
                 rv.s.between_share);
    else if (out->discarded)
        snprintf(out->reason, sizeof out->reason, "%d of %d replicates discarded (%s)", out->discarded, out->runs,
                 out->discard_why);
}

void fk_timed_out_free(struct fk_timed_out *out)
{
    free(out->ns[0]);
    free(out->ns[1]);
    fk_timed_out_init(out);
}
