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
    void **bufs;
    int nbufs, next;
    size_t bytes;
};

static void read_call(void *ctx)
{
    struct read_arm *r = ctx;
    void *one[1] = {r->bufs[r->next]};
    r->next = r->next + 1 == r->nbufs ? 0 : r->next + 1;
    fk_read_sample(r->pool, r->threads, r->rd, one, 1, r->bytes, 1);
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
        if (fk_inst_init(&la->in, k, &la->cs, e) != 0)
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
        r->rd = fk_best_read(t->c->cpu);
        r->bytes = ((size_t)a->read_bytes + 256 * (size_t)a->threads - 1) / (256 * (size_t)a->threads) * 256 *
                   (size_t)a->threads;
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

static int next_pair(void *ctx, int i, double *value)
{
    struct child *ch = ctx;
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

static int over_budget(void *ctx)
{
    struct child *ch = ctx;
    return (double)(fk_now_ns() - ch->t0) * 1e-9 > ch->t->budget_s;
}

static int timed_child(void *vctx, int fd)
{
    const struct fk_timed *t = vctx;
    struct child ch;
    memset(&ch, 0, sizeof ch);
    ch.t = t;
    ch.fd = fd;
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
    /* warm-up and batch size per arm (>= 1 ms and >= 20 timer ticks) */
    for (int s = 0; s < t->narms; s++) {
        fk_send_begin(fd, t->arm[s].name, ch.what);
        ch.la[s].reps = fk_calibrate(ch.la[s].fn, ch.la[s].ctx);
        fk_send_end(fd, t->arm[s].name);
    }
    fk_rng_seed(&ch.rng, t->c->rng_seed ^ (uint64_t)(t->shape.rows * 1000003 + t->shape.cols * 7 + t->shape.batch));
    ch.t0 = fk_now_ns();
    double *values = malloc(FK_MAX_PAIRS * sizeof *values);
    if (!values) {
        teardown(&ch);
        return -1;
    }
    int n;
    double fig, lo, hi;
    fk_sequential(&t->judge, next_pair, &ch, over_budget, values, &n, &fig, &lo, &hi);
    free(values);
    teardown(&ch);
    return 0;
}

int fk_timed_run(const struct fk_timed *t, struct fk_timed_out *out, struct fk_err *e)
{
    memset(out, 0, sizeof *out);
    out->fig = out->lo = out->hi = NAN;
    struct fk_job_out jo;
    if (fk_sandbox(timed_child, (void *)t, 0, &jo, e) != 0)
        return -1;
    int cap = 0;
    for (int i = 0; i < jo.n; i++)
        if (jo.m[i].type == FK_MSG_SAMPLE && jo.m[i].i[0] + 1 > cap)
            cap = (int)jo.m[i].i[0] + 1;
    for (int s = 0; s < 2; s++)
        out->ns[s] = calloc((size_t)cap + 1, sizeof(double));
    for (int i = 0; i < jo.n; i++) {
        const struct fk_msg *m = &jo.m[i];
        if (m->type == FK_MSG_FAIL)
            snprintf(out->reason, sizeof out->reason, "%s: %s", m->kernel, m->text);
        if (m->type == FK_MSG_SAMPLE && m->i[2] >= 0 && m->i[2] < 2) {
            out->ns[m->i[2]][m->i[0]] = m->v[0];
            out->reps[m->i[2]] = m->i[1];
        }
    }
    int n = 0;  /* complete pairs only */
    while (n < cap && out->ns[0][n] > 0 && (t->narms == 1 || out->ns[1][n] > 0))
        n++;
    out->n = n;
    if (n > 0) {
        double *v = malloc((size_t)n * sizeof *v);
        for (int i = 0; i < n; i++)
            v[i] = fk_pair_value(t, out->ns[0][i], t->narms > 1 ? out->ns[1][i] : 0);
        out->verdict = fk_judge(&t->judge, v, n, &out->fig, &out->lo, &out->hi);
        free(v);
        for (int s = 0; s < t->narms; s++) {
            out->median_ns[s] = fk_median(out->ns[s], (size_t)n);
            out->min_ns[s] = fk_quantile(out->ns[s], (size_t)n, 0.0);
        }
        if (n < fk_look_pairs[0])
            out->verdict = FK_INCONCLUSIVE;
    } else {
        out->verdict = FK_UNTESTABLE;
    }
    if (jo.crashed) {
        out->crashed = 1;
        out->verdict = FK_UNTESTABLE;
        snprintf(out->reason, sizeof out->reason, "crashed: %s (%s); %d pairs kept", jo.where,
                 jo.signal ? strsignal(jo.signal) : "non-zero exit", n);
    } else if (n == 0 && !out->reason[0]) {
        snprintf(out->reason, sizeof out->reason, "no samples");
    }
    fk_job_out_free(&jo);
    return 0;
}

void fk_timed_out_free(struct fk_timed_out *out)
{
    free(out->ns[0]);
    free(out->ns[1]);
    memset(out, 0, sizeof *out);
}
