#include "machine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../kernels/kernel.h"
#include "stats.h"
#include "timing.h"

#define PROBE_VERSION 2      /* bump when a probe or the sweep changes (2: streams, patterns, sanity) */
#define SWEEP_SAMPLES 5
#define SWEEP_MIN_BYTES (16u << 10)
#define SWEEP_MAX_BYTES (256u << 20)

static const char *const level_names[FK_LEVELS] = {"L1", "L2", "L3", "DRAM"};

const char *fk_level_name(int level)
{
    return level >= 0 && level < FK_LEVELS ? level_names[level] : "between";
}

/* "32K", "1024K", "32M" -> bytes */
static size_t parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end == 'K' || *end == 'k')
        v *= 1024;
    else if (*end == 'M' || *end == 'm')
        v *= 1024 * 1024;
    return (size_t)v;
}

static int read_line(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(buf, (int)n, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = 0;
    return 0;
}

/* CPUs in a sysfs cpu list such as "0-1,4". */
static int count_cpus(const char *list)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        n += (int)(b - a + 1);
        p = *end == ',' ? end + 1 : end;
    }
    return n > 0 ? n : 1;
}

int fk_caches_read(struct fk_caches *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < 16; i++) {
        char path[256], level[16], type[32], size[32], shared[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        if (read_line(path, level, sizeof level) != 0)
            break;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if (read_line(path, type, sizeof type) != 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (read_line(path, size, sizeof size) != 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list", i);
        if (read_line(path, shared, sizeof shared) != 0)
            snprintf(shared, sizeof shared, "0");
        int lv = atoi(level);
        size_t bytes = parse_size(size);
        if (lv == 1 && strcmp(type, "Instruction") != 0)
            c->l1d = bytes;
        else if (lv == 2) {
            c->l2 = bytes;
            c->l2_shared = count_cpus(shared);
        } else if (lv == 3) {
            c->l3 = bytes;
            c->l3_shared = count_cpus(shared);
        }
    }
    /* conservative defaults where sysfs says nothing (some VMs, qemu-user) */
    if (!c->l1d)
        c->l1d = 32u << 10;
    if (!c->l2)
        c->l2 = 1u << 20, c->l2_shared = 1;
    if (!c->l3)
        c->l3 = 8u << 20, c->l3_shared = 1;
    return 0;
}

void fk_machine_key(uint64_t cpu, const char *cpu_model, int ncpu, char *buf, size_t n)
{
#ifdef __clang__
    const char *cc = "clang " __VERSION__;
#else
    const char *cc = "gcc " __VERSION__;
#endif
    snprintf(buf, n, "%s|features=%llx|cores=%d|%s|probes=v%d", cpu_model, (unsigned long long)cpu, ncpu, cc,
             PROBE_VERSION);
}

fk_read_fn fk_best_read(uint64_t cpu)
{
    const struct fk_probe *p[8];
    int n = fk_probes(p, 8);
    fk_read_fn best = NULL;
    for (int i = 0; i < n; i++)
        if (p[i]->read && (p[i]->requires & ~cpu) == 0)
            best = p[i]->read;
    return best;
}

fk_read_fn fk_read_of(uint64_t cpu, const char *isa)
{
    const struct fk_probe *p[8];
    int n = fk_probes(p, 8);
    for (int i = 0; i < n; i++)
        if (p[i]->read && (p[i]->requires & ~cpu) == 0 && strcmp(p[i]->isa, isa) == 0)
            return p[i]->read;
    return NULL;
}

void fk_machine_pattern(const struct fk_machine *m, uint64_t cpu, int level, int threads, fk_read_fn *rd,
                        int *streams)
{
    *rd = fk_best_read(cpu);
    *streams = 4;
    if (!m || level < 0 || level >= FK_LEVELS || threads < 1 || threads > FK_MAX_THREADS)
        return;
    const struct fk_read_pattern *p = &m->level_pat[level][threads];
    fk_read_fn f = p->isa[0] ? fk_read_of(cpu, p->isa) : NULL;
    if (f && p->streams >= 1 && p->streams <= FK_READ_MAX_STREAMS) {
        *rd = f;
        *streams = p->streams;
    }
}

size_t fk_read_round(double bytes, int threads)
{
    size_t unit = (size_t)FK_READ_GRANULE * FK_READ_MAX_STREAMS * (size_t)(threads > 0 ? threads : 1);
    size_t b = bytes > 0 ? (size_t)bytes : 1;
    return (b + unit - 1) / unit * unit;
}

struct read_task {
    fk_read_fn rd;
    int streams;
    void **bufs;        /* rotated per pass (cold mode), nbufs >= 1 */
    int nbufs;
    size_t per;         /* bytes per thread, multiple of 256 */
    int64_t reps;
    uint64_t sink[FK_MAX_THREADS];
};

/* Each thread reads its own slice reps times: one parallel region per
 * sample, so pool wake-up and barrier cost stay out of the bandwidth. */
static void read_task(void *ctx, int tid, int n)
{
    struct read_task *t = ctx;
    (void)n;
    uint64_t s = 0;
    for (int64_t r = 0; r < t->reps; r++)
        s ^= t->rd((const char *)t->bufs[r % t->nbufs] + (size_t)tid * t->per, t->per, t->streams);
    t->sink[tid] = s;
}

double fk_read_sample(struct fk_pool *pool, int threads, fk_read_fn rd, int streams, void **bufs, int nbufs,
                      size_t bytes, int64_t reps)
{
    struct read_task t;
    memset(&t, 0, sizeof t);
    t.rd = rd;
    t.streams = streams;
    t.bufs = bufs;
    t.nbufs = nbufs;
    size_t unit = (size_t)FK_READ_GRANULE * (size_t)streams;
    t.per = bytes / (size_t)threads / unit * unit;
    t.reps = reps;
    uint64_t t0 = fk_now_ns();
    if (threads == 1 || !pool)
        read_task(&t, 0, 1);
    else
        fk_pool_run(pool, threads, read_task, &t);
    uint64_t t1 = fk_now_ns();
    __asm__ __volatile__("" : : "r"(t.sink[0]) : "memory");
    return (double)(t.per * (size_t)threads) * (double)reps / (double)(t1 - t0);
}

static int64_t calibrate_reads(struct fk_pool *pool, int threads, fk_read_fn rd, int streams, void **bufs,
                               size_t bytes)
{
    int64_t reps = 1;
    for (;;) {
        uint64_t t0 = fk_now_ns();
        fk_read_sample(pool, threads, rd, streams, bufs, 1, bytes, reps);
        double ns = (double)(fk_now_ns() - t0);
        if (ns >= 2e6 || reps > (1ll << 30))
            return reps;
        reps = ns > 0 ? (int64_t)(reps * 2.5e6 / ns) + 1 : reps * 10;
    }
}

int fk_level_of(const struct fk_machine *m, double total_bytes, int threads, int cold)
{
    if (cold)
        return 3;
    const struct fk_caches *c = &m->caches;
    double per = total_bytes / (threads > 0 ? threads : 1);
    if (per <= c->l1d)
        return 0;
    if (per <= c->l2 / (c->l2_shared > 1 ? c->l2_shared : 1))
        return 1;
    if (total_bytes <= c->l3)
        return 2;
    return 3;
}

/* Level of a sweep point, or -1 in the transition zones between levels. */
static int sweep_level(const struct fk_caches *c, size_t total, int threads)
{
    double per = (double)total / threads;
    double l2 = (double)c->l2 / (c->l2_shared > 1 ? c->l2_shared : 1);
    if (per <= c->l1d / 2.0)
        return 0;
    if (per >= 2.0 * c->l1d && per <= l2 / 2.0)
        return 1;
    if (per >= 2.0 * l2 && total <= c->l3 / 2.0)
        return 2;
    if (total >= 2.0 * c->l3)   /* one pass over twice the LLC, as cold mode's rotation */
        return 3;
    return -1;
}

/* ---- the read sweep: every point with every pattern, the best kept ---- */

struct sweep_ctx {
    struct fk_pool *pool;
    void *buf;
    struct fk_read_pattern pats[8];
    fk_read_fn fns[8];
    int npats;
};

/* Patterns: the widest read probe this CPU runs and the next one down
 * (not the baseline one once a wider exists), each with 1, 2, 4, 8 streams. */
static void sweep_patterns(struct sweep_ctx *x, uint64_t cpu)
{
    const struct fk_probe *p[8];
    int n = fk_probes(p, 8), isas = 0;
    x->npats = 0;
    for (int i = n - 1; i >= 0 && isas < 2; i--) {
        if (!p[i]->read || (p[i]->requires & ~cpu) != 0)
            continue;
        if (isas == 1 && p[i]->requires == 0)
            break;  /* the baseline probe only where nothing wider runs */
        for (int st = 1; st <= FK_READ_MAX_STREAMS && x->npats < 8; st *= 2) {
            snprintf(x->pats[x->npats].isa, sizeof x->pats[x->npats].isa, "%s", p[i]->isa);
            x->pats[x->npats].streams = st;
            x->fns[x->npats++] = p[i]->read;
        }
        isas++;
    }
}

/* Measures point p with every pattern and keeps the best median.  Over
 * re-measurements a quiet measurement (spread <= FK_SANITY_DISPERSION)
 * beats a noisy one, then the higher median wins (a ceiling is what the
 * machine can do: best-of, as STREAM). */
static void measure_point(struct sweep_ctx *x, struct fk_sweep_point *p)
{
    void *bufs[1] = {x->buf};
    struct fk_sweep_point best = *p;
    best.gbs = 0;
    for (int k = 0; k < x->npats; k++) {
        int st = x->pats[k].streams;
        int64_t reps = calibrate_reads(x->pool, p->threads, x->fns[k], st, bufs, p->bytes);
        double s[SWEEP_SAMPLES];
        for (int i = 0; i < SWEEP_SAMPLES; i++)
            s[i] = fk_read_sample(x->pool, p->threads, x->fns[k], st, bufs, 1, p->bytes, reps);
        double med = fk_median(s, SWEEP_SAMPLES);
        if (med > best.gbs) {
            best.gbs = med;
            best.pat = x->pats[k];
            double lo = fk_quantile(s, SWEEP_SAMPLES, 0), hi = fk_quantile(s, SWEEP_SAMPLES, 1);
            best.dispersion = med > 0 ? (hi - lo) / med : INFINITY;
        }
    }
    int quiet_new = best.dispersion <= FK_SANITY_DISPERSION, quiet_old = p->gbs > 0 && p->dispersion <= FK_SANITY_DISPERSION;
    if (p->gbs <= 0 || quiet_new > quiet_old || (quiet_new == quiet_old && best.gbs > p->gbs))
        *p = best;
}

void fk_machine_levels(struct fk_machine *m)
{
    memset(m->level_gbs, 0, sizeof m->level_gbs);
    memset(m->level_pat, 0, sizeof m->level_pat);
    for (int i = 0; i < m->nsweep; i++) {
        const struct fk_sweep_point *p = &m->sweep[i];
        if (p->level >= 0 && p->gbs > m->level_gbs[p->level][p->threads]) {
            m->level_gbs[p->level][p->threads] = p->gbs;
            m->level_pat[p->level][p->threads] = p->pat;
        }
    }
}

static void append_note(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append_note(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 3 >= n)
        return;
    if (len)
        len += (size_t)snprintf(buf + len, n - len, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

void fk_machine_sanity(const struct fk_machine *m, int *redo, char *note, size_t n)
{
    note[0] = 0;
    int nd = 0, nm = 0, nl = 0, nt = 0;
    char wd[160] = "", wm[160] = "", wl[160] = "", wt[160] = "";
    double worst_d = 0, worst_m = 0, worst_l = 0, worst_t = 0;
    for (int i = 0; i < m->nsweep; i++) {
        const struct fk_sweep_point *p = &m->sweep[i];
        if (p->dispersion > FK_SANITY_DISPERSION) {
            redo[i] = 1;
            nd++;
            if (p->dispersion > worst_d) {
                worst_d = p->dispersion;
                snprintf(wd, sizeof wd, "%.0f%% at %d thread(s), %zu B", 100 * p->dispersion, p->threads, p->bytes);
            }
        }
        /* along the sweep: bandwidth may not rise beyond tolerance */
        const struct fk_sweep_point *q = i > 0 ? &m->sweep[i - 1] : NULL;
        if (q && q->threads == p->threads && p->gbs > (1 + FK_SANITY_MONOTONE_TOL) * q->gbs) {
            redo[i] = redo[i - 1] = 1;
            nm++;
            if (p->gbs / q->gbs > worst_m) {
                worst_m = p->gbs / q->gbs;
                snprintf(wm, sizeof wm, "%.1f GB/s at %zu B after %.1f at %zu B, %d thread(s)", p->gbs, p->bytes,
                         q->gbs, q->bytes, p->threads);
            }
        }
    }
    for (int t = 1; t <= m->ncpu; t++) {
        for (int l = 0; l + 1 < FK_LEVELS; l++) {
            double a = m->level_gbs[l][t], b = m->level_gbs[l + 1][t];
            if (a > 0 && b > 0 && a < (1 - FK_SANITY_LEVEL_TOL) * b) {
                for (int i = 0; i < m->nsweep; i++)
                    if (m->sweep[i].threads == t && (m->sweep[i].level == l || m->sweep[i].level == l + 1))
                        redo[i] = 1;
                nl++;
                if (b / a > worst_l) {
                    worst_l = b / a;
                    snprintf(wl, sizeof wl, "%s %.1f < %s %.1f GB/s at %d thread(s)", level_names[l], a,
                             level_names[l + 1], b, t);
                }
            }
        }
        for (int l = 0; l < FK_LEVELS && t > 1; l++) {
            double a = m->level_gbs[l][t], one = m->level_gbs[l][1];
            if (a > 0 && one > 0 && a < FK_SANITY_THREADS * one) {
                for (int i = 0; i < m->nsweep; i++)
                    if (m->sweep[i].level == l && (m->sweep[i].threads == t || m->sweep[i].threads == 1))
                        redo[i] = 1;
                nt++;
                if (one / a > worst_t) {
                    worst_t = one / a;
                    snprintf(wt, sizeof wt, "%s %.1f GB/s at %d threads vs %.1f at 1", level_names[l], a, t, one);
                }
            }
        }
    }
    if (nl)
        append_note(note, n, "level order (each >= %.0f%% of the next) broken %d time(s), worst %s",
                    100 * (1 - FK_SANITY_LEVEL_TOL), nl, wl);
    if (nt)
        append_note(note, n, "thread scaling (T >= %.1fx 1 thread) broken %d time(s), worst %s", FK_SANITY_THREADS,
                    nt, wt);
    if (nm)
        append_note(note, n, "sweep not monotone (+%.0f%%) at %d step(s), worst %s", 100 * FK_SANITY_MONOTONE_TOL, nm,
                    wm);
    if (nd)
        append_note(note, n, "%d point(s) spread > %.0f%%, worst %s", nd, 100 * FK_SANITY_DISPERSION, wd);
}

/* Busy ticks of all CPUs (/proc/stat: user nice system irq softirq steal),
 * in seconds; -1 when unreadable. */
static double machine_busy_s(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7]);
    fclose(f);
    if (n < 8)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (hz > 0 ? hz : 100);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static double loadavg1(void)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l = NAN;
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = NAN;
        fclose(f);
    }
    return l;
}

struct peak_task {
    fk_peak_fn fn;
    int64_t iters;
    double ops[FK_MAX_THREADS];
    float sink[FK_MAX_THREADS];
};

static void peak_task(void *ctx, int tid, int n)
{
    struct peak_task *t = ctx;
    (void)n;
    t->ops[tid] = t->fn(t->iters, &t->sink[tid]);
}

static double peak_sample(struct fk_pool *pool, int threads, fk_peak_fn fn, int64_t iters)
{
    struct peak_task t;
    memset(&t, 0, sizeof t);
    t.fn = fn;
    t.iters = iters;
    uint64_t t0 = fk_now_ns();
    if (threads == 1)
        peak_task(&t, 0, 1);
    else
        fk_pool_run(pool, threads, peak_task, &t);
    double ns = (double)(fk_now_ns() - t0);
    double ops = 0;
    for (int i = 0; i < threads; i++)
        ops += t.ops[i];
    return ops / ns * 1e9;
}

static double measure_peak(struct fk_pool *pool, int threads, fk_peak_fn fn)
{
    int64_t iters = 1000;
    for (;;) {
        uint64_t t0 = fk_now_ns();
        peak_sample(pool, 1, fn, iters);
        double ns = (double)(fk_now_ns() - t0);
        if (ns >= 5e6)
            break;
        iters = (int64_t)(iters * 6e6 / (ns > 1 ? ns : 1)) + 1;
    }
    double best = 0;
    for (int round = 0; round <= FK_SANITY_ROUNDS; round++) {
        double s[SWEEP_SAMPLES];
        for (int i = 0; i < SWEEP_SAMPLES; i++)
            s[i] = peak_sample(pool, threads, fn, iters);
        double med = fk_median(s, SWEEP_SAMPLES);
        double spread = med > 0 ? (fk_quantile(s, SWEEP_SAMPLES, 1) - fk_quantile(s, SWEEP_SAMPLES, 0)) / med : INFINITY;
        best = med > best ? med : best;
        if (spread <= FK_SANITY_DISPERSION)
            break;  /* a quiet measurement; otherwise measure again, best-of */
    }
    return best;
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int fk_machine_measure(struct fk_machine *m, uint64_t cpu, const char *key, int ncpu, int verbose,
                       struct fk_err *e)
{
    memset(m, 0, sizeof *m);
    snprintf(m->key, sizeof m->key, "%s", key);
    fk_caches_read(&m->caches);
    m->ncpu = ncpu > FK_MAX_THREADS ? FK_MAX_THREADS : ncpu;
    iso_now(m->date, sizeof m->date);
    struct sweep_ctx x;
    memset(&x, 0, sizeof x);
    sweep_patterns(&x, cpu);
    if (x.npats == 0)
        return fk_fail(e, "machine: no read probe runs on this CPU");
    m->loadavg = loadavg1();
    double busy0 = machine_busy_s(), self0 = self_cpu_s();
    uint64_t wall0 = fk_now_ns();
    if (m->ncpu > 1 && fk_pool_create(&x.pool, m->ncpu, FK_BARRIER_SPIN, e) != 0)
        return -1;
    struct fk_pool *pool = x.pool;
    /* DRAM: one point at or above twice the L3 (sweep_level) */
    size_t max = SWEEP_MAX_BYTES;
    while (max < 2 * m->caches.l3)
        max *= 2;
    void *buf = fk_alloc(max);
    if (!buf) {
        fk_pool_destroy(pool);
        return fk_fail(e, "machine: cannot allocate %zu bytes for the bandwidth sweep", max);
    }
    for (size_t i = 0; i < max; i += 4096)
        ((char *)buf)[i] = (char)i;
    x.buf = buf;
    for (int t = 1; t <= m->ncpu; t++) {
        for (size_t total = SWEEP_MIN_BYTES * (size_t)t; total <= max; total *= 2) {
            if (m->nsweep >= (int)(sizeof m->sweep / sizeof m->sweep[0]))
                break;
            struct fk_sweep_point *p = &m->sweep[m->nsweep++];
            memset(p, 0, sizeof *p);
            p->threads = t;
            p->bytes = total;
            p->level = sweep_level(&m->caches, total, t);
            measure_point(&x, p);
            if (verbose)
                fprintf(stderr, "  read %2d thread(s) %10zu B  %8.1f GB/s  %-7s %s x%d (spread %.0f%%)\n", t, total,
                        p->gbs, fk_level_name(p->level), p->pat.isa, p->pat.streams, 100 * p->dispersion);
        }
    }
    /* sanity rules, re-measuring the points behind a broken one */
    fk_machine_levels(m);
    char note[sizeof m->sanity];
    for (int round = 0;; round++) {
        int redo[FK_MAX_SWEEP * 4] = {0};
        fk_machine_sanity(m, redo, note, sizeof note);
        if (!note[0] || round == FK_SANITY_ROUNDS)
            break;
        if (verbose)
            fprintf(stderr, "  sanity: %s: re-measuring\n", note);
        for (int i = 0; i < m->nsweep; i++)
            if (redo[i])
                measure_point(&x, &m->sweep[i]);
        fk_machine_levels(m);
    }
    /* peaks: the best probe per thread count; a spread-out or non-scaling
     * figure is measured again (best-of) */
    const struct fk_probe *pr[8];
    int np = fk_probes(pr, 8);
    for (int i = 0; i < np; i++) {
        if ((pr[i]->requires & ~cpu) != 0)
            continue;
        for (int t = 1; t <= m->ncpu; t++) {
            if (pr[i]->fma) {
                double v = measure_peak(pool, t, pr[i]->fma);
                if (v > m->peak_f32[t]) {
                    m->peak_f32[t] = v;
                    snprintf(m->f32_isa, sizeof m->f32_isa, "%s", pr[i]->isa);
                }
            }
            if (pr[i]->int8) {
                double v = measure_peak(pool, t, pr[i]->int8);
                if (v > m->peak_int8[t]) {
                    m->peak_int8[t] = v;
                    snprintf(m->int8_isa, sizeof m->int8_isa, "%s", pr[i]->isa);
                }
            }
        }
    }
    for (int t = 2; t <= m->ncpu; t++) {
        /* T threads at least 0.8x one thread (each core runs its own chains) */
        if (m->peak_f32[t] < FK_SANITY_THREADS * m->peak_f32[1])
            append_note(note, sizeof note, "peak f32 %.1f GFLOP/s at %d threads < %.1fx 1 thread %.1f", m->peak_f32[t] * 1e-9,
                        t, FK_SANITY_THREADS, m->peak_f32[1] * 1e-9);
        if (m->peak_int8[t] < FK_SANITY_THREADS * m->peak_int8[1])
            append_note(note, sizeof note, "peak int8 %.1f GOP/s at %d threads < %.1fx 1 thread %.1f", m->peak_int8[t] * 1e-9,
                        t, FK_SANITY_THREADS, m->peak_int8[1] * 1e-9);
    }
    if (verbose)
        for (int t = 1; t <= m->ncpu; t++)
            fprintf(stderr, "  peak %2d thread(s) f32 %.1f GFLOP/s (%s), int8 %.1f GOP/s (%s)\n", t,
                    m->peak_f32[t] * 1e-9, m->f32_isa, m->peak_int8[t] * 1e-9, m->int8_isa);
    double wall = (double)(fk_now_ns() - wall0) * 1e-9;
    double busy1 = machine_busy_s(), self1 = self_cpu_s();
    m->others_share = busy0 >= 0 && busy1 >= 0 && wall > 0
                          ? ((busy1 - busy0) - (self1 - self0)) / (wall * (double)sysconf(_SC_NPROCESSORS_ONLN))
                          : NAN;
    if (m->others_share < 0)
        m->others_share = 0;
    if (m->others_share > FK_SANITY_OTHERS) {  /* first: it explains the rest */
        char rest[sizeof note];
        snprintf(rest, sizeof rest, "%s", note);
        snprintf(note, sizeof note, "busy: other processes used %.0f%% of the CPUs while measuring (load average %.2f "
                 "at the start)", 100 * m->others_share, m->loadavg);
        if (rest[0])
            append_note(note, sizeof note, "%s", rest);
    }
    snprintf(m->sanity, sizeof m->sanity, "%s", note[0] ? note : "ok");
    if (note[0])
        fprintf(stderr, "falsify machine: WARNING: ceilings fail their sanity rules after %d re-measurements: %s\n"
                        "  they are used for this run and written flagged; every run that loads them warns\n",
                FK_SANITY_ROUNDS, note);
    fk_free(buf);
    fk_pool_destroy(pool);
    return 0;
}

int fk_machine_write(const struct fk_machine *m, const char *path, const char *machine, const char *cpu_model,
                     struct fk_err *e)
{
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    FILE *f = a.f;
    fprintf(f, "kind,name,threads,bytes,value,unit,machine,cpu_model,key,date\n");
    if (m->extra_rows)
        fputs(m->extra_rows, f);
#define ROW(kind, name, t, bytes, v, unit)                                                                 \
    fprintf(f, "%s,%s,%d,%zu,%.6g,%s,%s,\"%s\",\"%s\",%s\n", kind, name, t, (size_t)(bytes), v, unit, machine, \
            cpu_model, m->key, m->date)
    ROW("cache", "L1d", 1, m->caches.l1d, (double)m->caches.l1d, "bytes");
    ROW("cache", "L2", m->caches.l2_shared, m->caches.l2, (double)m->caches.l2, "bytes");
    ROW("cache", "L3", m->caches.l3_shared, m->caches.l3, (double)m->caches.l3, "bytes");
    for (int i = 0; i < m->nsweep; i++)
        ROW("read_sweep", fk_level_name(m->sweep[i].level), m->sweep[i].threads, m->sweep[i].bytes, m->sweep[i].gbs,
            "GB/s");
    for (int l = 0; l < FK_LEVELS; l++)
        for (int t = 1; t <= m->ncpu; t++)
            if (m->level_gbs[l][t] > 0)
                ROW("read_ceiling", level_names[l], t, 0, m->level_gbs[l][t], "GB/s");
    /* the pattern that won each ceiling: value = streams, unit = probe ISA */
    for (int l = 0; l < FK_LEVELS; l++)
        for (int t = 1; t <= m->ncpu; t++)
            if (m->level_gbs[l][t] > 0)
                ROW("read_pattern", level_names[l], t, 0, (double)m->level_pat[l][t].streams, m->level_pat[l][t].isa);
    for (int t = 1; t <= m->ncpu; t++) {
        if (m->peak_f32[t] > 0)
            ROW("peak_f32", m->f32_isa, t, 0, m->peak_f32[t] * 1e-9, "GFLOP/s");
        if (m->peak_int8[t] > 0)
            ROW("peak_int8", m->int8_isa, t, 0, m->peak_int8[t] * 1e-9, "GOP/s");
    }
#undef ROW
    /* sanity: "ok", or the rules still broken (a flagged set is measured
     * again by the next run); value = other processes' CPU share */
    char why[sizeof m->sanity];
    snprintf(why, sizeof why, "%s", m->sanity[0] ? m->sanity : "unchecked");
    for (char *q = why; *q; q++)
        if (*q == '"')
            *q = '\'';
    fprintf(f, "sanity,\"%s\",1,0,%.6g,fraction,%s,\"%s\",\"%s\",%s\n", why, m->others_share, machine, cpu_model,
            m->key, m->date);
    return fk_atomic_commit(&a, e);
}

/* Splits one CSV line (RFC 4180 quotes) into at most max fields in place. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            *w = 0;
            /* p is at ',' or end */
        } else {
            f[n++] = p;
            p += strcspn(p, ",\r\n");
        }
        if (*p != ',') {
            *p = 0;
            break;
        }
        *p++ = 0;
    }
    return n;
}

int fk_machine_load(struct fk_machine *m, const char *path, const char *key, struct fk_err *e)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    memset(m, 0, sizeof *m);
    char line[2048];
    int lineno = 0, stale = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1)
            continue;
        char *fl[10];
        if (split_csv(line, fl, 10) != 10) {
            fclose(f);
            return fk_fail(e, "%s:%d: expected 10 fields (kind,name,threads,bytes,value,unit,machine,cpu_model,key,date)",
                           path, lineno);
        }
        if (strcmp(fl[8], key) != 0) {
            stale = 1;
            break;
        }
        if (strcmp(fl[0], "cpu") == 0)  /* identity rows (ident.h): not ceilings */
            continue;
        snprintf(m->key, sizeof m->key, "%s", fl[8]);
        snprintf(m->date, sizeof m->date, "%s", fl[9]);
        int t = atoi(fl[2]);
        double v = strtod(fl[4], NULL);
        size_t bytes = (size_t)strtoull(fl[3], NULL, 10);
        if (t < 1 || t > FK_MAX_THREADS) {
            fclose(f);
            return fk_fail(e, "%s:%d: threads %d out of range 1..%d", path, lineno, t, FK_MAX_THREADS);
        }
        if (t > m->ncpu)
            m->ncpu = t;
        if (strcmp(fl[0], "cache") == 0) {
            if (strcmp(fl[1], "L1d") == 0)
                m->caches.l1d = bytes;
            else if (strcmp(fl[1], "L2") == 0)
                m->caches.l2 = bytes, m->caches.l2_shared = t;
            else if (strcmp(fl[1], "L3") == 0)
                m->caches.l3 = bytes, m->caches.l3_shared = t;
        } else if (strcmp(fl[0], "read_sweep") == 0) {
            if (m->nsweep < (int)(sizeof m->sweep / sizeof m->sweep[0])) {
                struct fk_sweep_point *p = &m->sweep[m->nsweep++];
                p->threads = t;
                p->bytes = bytes;
                p->gbs = v;
                p->level = -1;
                for (int l = 0; l < FK_LEVELS; l++)
                    if (strcmp(fl[1], level_names[l]) == 0)
                        p->level = l;
            }
        } else if (strcmp(fl[0], "read_ceiling") == 0) {
            for (int l = 0; l < FK_LEVELS; l++)
                if (strcmp(fl[1], level_names[l]) == 0)
                    m->level_gbs[l][t] = v;
        } else if (strcmp(fl[0], "read_pattern") == 0) {
            for (int l = 0; l < FK_LEVELS; l++)
                if (strcmp(fl[1], level_names[l]) == 0) {
                    snprintf(m->level_pat[l][t].isa, sizeof m->level_pat[l][t].isa, "%s", fl[5]);
                    m->level_pat[l][t].streams = (int)v;
                }
        } else if (strcmp(fl[0], "sanity") == 0) {
            snprintf(m->sanity, sizeof m->sanity, "%s", fl[1]);
            m->others_share = v;
            /* a flagged set is reused only with its warning (the caller
             * prints it); 'falsify machine --force' measures it again */
        } else if (strcmp(fl[0], "peak_f32") == 0) {
            m->peak_f32[t] = v * 1e9;
            snprintf(m->f32_isa, sizeof m->f32_isa, "%s", fl[1]);
        } else if (strcmp(fl[0], "peak_int8") == 0) {
            m->peak_int8[t] = v * 1e9;
            snprintf(m->int8_isa, sizeof m->int8_isa, "%s", fl[1]);
        } else {
            fclose(f);
            return fk_fail(e, "%s:%d: unknown kind '%s'", path, lineno, fl[0]);
        }
    }
    fclose(f);
    if (stale || lineno < 2)
        return 1;
    return 0;
}
