#include "timing.h"

#include <time.h>

uint64_t fk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double fk_timer_res_ns(void)
{
    struct timespec ts;
    if (clock_getres(CLOCK_MONOTONIC, &ts) != 0)
        return 1000.0;
    double r = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
    return r < 1.0 ? 1.0 : r;
}

double fk_sample(fk_call_fn fn, void *ctx, int64_t reps)
{
    uint64_t t0 = fk_now_ns();
    for (int64_t i = 0; i < reps; i++) {
        fn(ctx);
        /* outputs live in memory the compiler must assume is read later */
        __asm__ __volatile__("" ::: "memory");
    }
    uint64_t t1 = fk_now_ns();
    return (double)(t1 - t0) / (double)reps;
}

int64_t fk_calibrate(fk_call_fn fn, void *ctx)
{
    double min_ns = FK_MIN_SAMPLE_NS;
    double ticks_ns = FK_MIN_TICKS * fk_timer_res_ns();
    if (ticks_ns > min_ns)
        min_ns = ticks_ns;
    int64_t reps = 1;
    fk_sample(fn, ctx, 1);  /* first touch, page faults, lazy binding */
    for (;;) {
        double per = fk_sample(fn, ctx, reps);
        double total = per * (double)reps;
        if (total >= min_ns || reps >= FK_MAX_REPS) {
            /* one more confirms the batch size after warm-up */
            per = fk_sample(fn, ctx, reps);
            if (per * (double)reps >= min_ns || reps >= FK_MAX_REPS)
                return reps;
        }
        int64_t next = total > 0 ? (int64_t)(reps * 1.2 * min_ns / total) + 1 : reps * 10;
        reps = next > reps * 100 ? reps * 100 : (next > reps ? next : reps * 2);
        if (reps > FK_MAX_REPS)
            reps = FK_MAX_REPS;
    }
}
