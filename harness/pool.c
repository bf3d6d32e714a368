#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* pause iterations (tens of microseconds) a worker polls before sleeping */
#define SPIN_BEFORE_SLEEP 100000
/* pause iterations a barrier waiter spins before it starts yielding */
#define SPIN_BEFORE_YIELD 4096

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct worker {
    struct fk_pool *pool;
    int tid;
    pthread_t th;
    int started;
};

struct fk_pool {
    int size;
    enum fk_barrier_mode mode;
    struct worker *w;    /* w[0] is the caller */
    /* Region hand-off is a sequence lock: gen is odd while the caller
     * writes fn/ctx/active and even once they are published; a worker
     * accepts a region only if gen read the same even value before and
     * after it read the parameters.  (Without this, a worker left out of
     * one region could read the next region's parameters under the old
     * generation and run the next region twice.) */
    _Alignas(64) atomic_uint_fast64_t gen;
    atomic_int quit;
    atomic_int sleepers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic(fk_task_fn) fn;
    _Atomic(void *) ctx;
    atomic_int active;
    /* spin barrier: the last arriver resets the count and advances the
     * epoch; the others spin until the epoch they saw on arrival moves.
     * (An epoch, not a sense bit: threads outside a region skip its
     * barriers, and a per-thread sense would go stale.) */
    _Alignas(64) atomic_int arrived;
    _Alignas(64) atomic_uint epoch;
    pthread_barrier_t *pb;  /* pb[n-1]: a POSIX barrier for n threads */
    cpu_set_t caller_mask;  /* the caller's affinity before pinning, restored on destroy */
    int have_mask;
};


int fk_usable_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

/* The i-th CPU of the affinity mask, or -1. */
static int nth_cpu(int i)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    for (int c = 0, k = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set) && k++ == i)
            return c;
    return -1;
}

static void pin(pthread_t th, int cpu)
{
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(th, sizeof set, &set);  /* best effort */
}

static void spin_barrier(struct fk_pool *p, int n)
{
    unsigned e = atomic_load_explicit(&p->epoch, memory_order_acquire);
    if (atomic_fetch_add_explicit(&p->arrived, 1, memory_order_acq_rel) == n - 1) {
        atomic_store_explicit(&p->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&p->epoch, e + 1, memory_order_release);
    } else {
        /* pure spin while the others are running; when they are not (more
         * threads than free cores) yield, or a waiter burns the time slice
         * the thread it waits for needs */
        for (unsigned spins = 0; atomic_load_explicit(&p->epoch, memory_order_acquire) == e; spins++) {
            if (spins < SPIN_BEFORE_YIELD)
                cpu_relax();
            else
                sched_yield();
        }
    }
}

void fk_pool_barrier(struct fk_pool *p)
{
    int n = atomic_load_explicit(&p->active, memory_order_relaxed);
    if (n <= 1)
        return;
    if (p->mode == FK_BARRIER_SPIN)
        spin_barrier(p, n);
    else
        pthread_barrier_wait(&p->pb[n - 1]);
}

/* gen holds a published region this worker has not run yet */
static int fresh(uint_fast64_t g, uint_fast64_t seen) { return g != seen && (g & 1) == 0; }

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    struct fk_pool *p = me->pool;
    uint_fast64_t seen = 0;
    for (;;) {
        uint_fast64_t g;
        int spins = 0;
        while (!fresh(g = atomic_load(&p->gen), seen) && !atomic_load(&p->quit)) {
            if (++spins < SPIN_BEFORE_SLEEP) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while (!fresh(atomic_load(&p->gen), seen) && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
            spins = 0;
        }
        if (atomic_load(&p->quit))
            break;
        fk_task_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
        void *ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
        int active = atomic_load_explicit(&p->active, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load(&p->gen) != g)
            continue;  /* a newer region is being published: read again */
        seen = g;
        if (me->tid < active) {
            fn(ctx, me->tid, active);
            fk_pool_barrier(p);
        }
    }
    return NULL;
}

int fk_pool_create(struct fk_pool **out, int nthreads, enum fk_barrier_mode mode, struct fk_err *e)
{
    if (nthreads < 1 || nthreads > 1024)
        return fk_fail(e, "thread pool: %d threads (must be 1..1024)", nthreads);
    struct fk_pool *p = calloc(1, sizeof *p);
    if (!p)
        return fk_fail(e, "thread pool: out of memory");
    p->size = nthreads;
    p->mode = mode;
    p->w = calloc((size_t)nthreads, sizeof *p->w);
    p->pb = calloc((size_t)nthreads, sizeof *p->pb);
    if (!p->w || !p->pb) {
        free(p->w);
        free(p->pb);
        free(p);
        return fk_fail(e, "thread pool: out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int n = 1; n <= nthreads; n++)
        pthread_barrier_init(&p->pb[n - 1], NULL, (unsigned)n);
    /* read the affinity mask once, before pinning the caller narrows it;
     * destroy restores it, or every later pool (and forked child) would
     * inherit a single core */
    p->have_mask = pthread_getaffinity_np(pthread_self(), sizeof p->caller_mask, &p->caller_mask) == 0;
    int *cpus = calloc((size_t)nthreads, sizeof *cpus);
    if (!cpus) {
        fk_pool_destroy(p);
        return fk_fail(e, "thread pool: out of memory");
    }
    for (int t = 0; t < nthreads; t++)
        cpus[t] = nth_cpu(t);
    p->w[0].pool = p;
    p->w[0].tid = 0;
    pin(pthread_self(), cpus[0]);
    for (int t = 1; t < nthreads; t++) {
        p->w[t].pool = p;
        p->w[t].tid = t;
        int rc = pthread_create(&p->w[t].th, NULL, worker_main, &p->w[t]);
        if (rc != 0) {
            free(cpus);
            fk_pool_destroy(p);
            return fk_fail(e, "thread pool: pthread_create for thread %d: %s", t, strerror(rc));
        }
        p->w[t].started = 1;
        pin(p->w[t].th, cpus[t]);
    }
    free(cpus);
    *out = p;
    return 0;
}

int fk_pool_size(const struct fk_pool *p) { return p->size; }

void fk_pool_run(struct fk_pool *p, int nthreads, fk_task_fn fn, void *ctx)
{
    if (nthreads < 1)
        nthreads = 1;
    if (nthreads > p->size)
        nthreads = p->size;
    if (nthreads > 1) {
        uint_fast64_t g = atomic_load(&p->gen);  /* even: no region is being published */
        atomic_store(&p->gen, g + 1);
        atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
        atomic_store_explicit(&p->ctx, ctx, memory_order_relaxed);
        atomic_store_explicit(&p->active, nthreads, memory_order_relaxed);
        atomic_store(&p->gen, g + 2);
        if (atomic_load(&p->sleepers) > 0) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
        }
    } else {
        atomic_store_explicit(&p->active, 1, memory_order_relaxed);
    }
    fn(ctx, 0, nthreads);
    fk_pool_barrier(p);
}

void fk_pool_destroy(struct fk_pool *p)
{
    if (!p)
        return;
    atomic_store(&p->quit, 1);
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->size; t++)
        if (p->w[t].started)
            pthread_join(p->w[t].th, NULL);
    for (int n = 1; n <= p->size; n++)
        pthread_barrier_destroy(&p->pb[n - 1]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    if (p->have_mask)
        pthread_setaffinity_np(pthread_self(), sizeof p->caller_mask, &p->caller_mask);
    free(p->w);
    free(p->pb);
    free(p);
}

void fk_partition(int64_t rows, int64_t block, int tid, int n, int64_t *r0, int64_t *r1)
{
    if (block < 1)
        block = 1;
    int64_t blocks = (rows + block - 1) / block;
    int64_t per = (blocks + n - 1) / n;          /* blocks per thread */
    int64_t a = (int64_t)tid * per * block, b = a + per * block;
    *r0 = a < rows ? a : rows;
    *r1 = b < rows ? b : rows;
}
