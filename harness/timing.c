#include "timing.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

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

double fk_timer_res_measured_ns(void)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 2000; i++) {
        uint64_t a = fk_now_ns(), b = fk_now_ns();
        while (b == a)
            b = fk_now_ns();
        if (b - a < best)
            best = b - a;
    }
    double r = (double)best, g = fk_timer_res_ns();
    return r > g ? r : g;
}

static void empty_call(void *ctx) { (void)ctx; }

double fk_call_overhead_ns(void)
{
    /* the function pointer goes through a volatile so the call stays indirect */
    fk_call_fn volatile fn = empty_call;
    double s[5];
    for (int i = 0; i < 5; i++)
        s[i] = fk_sample(fn, NULL, 100000);
    return fk_median(s, 5);
}

double fk_cpu_mhz(void)
{
    double sum = 0;
    int n = 0;
    for (int cpu = 0; cpu < 256; cpu++) {
        char path[128];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", cpu);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        double khz;
        if (fscanf(f, "%lf", &khz) == 1 && khz > 0)
            sum += khz * 1e-3, n++;
        fclose(f);
    }
    if (n > 0)
        return sum / n;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return NAN;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        double mhz;
        if (strncmp(line, "cpu MHz", 7) == 0 && sscanf(strchr(line, ':') ? strchr(line, ':') + 1 : "", "%lf", &mhz) == 1 &&
            mhz > 0)
            sum += mhz, n++;
    }
    fclose(f);
    return n > 0 ? sum / n : NAN;
}
