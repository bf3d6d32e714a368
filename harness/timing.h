/* Wall-clock timing of kernel calls (CLOCK_MONOTONIC). */
#ifndef FK_TIMING_H
#define FK_TIMING_H

#include <stdint.h>

#define FK_MIN_SAMPLE_NS 1.0e6   /* a sample is a batch lasting >= 1 ms */
#define FK_MIN_TICKS 20          /* and >= 20 timer ticks */
#define FK_MAX_REPS (1ll << 30)

typedef void (*fk_call_fn)(void *ctx);

uint64_t fk_now_ns(void);
/* Timer resolution in ns (clock_getres), >= 1. */
double fk_timer_res_ns(void);

/* Calls fn until a batch of reps calls lasts >= FK_MIN_SAMPLE_NS and
 * FK_MIN_TICKS ticks; the calls made here are the warm-up and are discarded.
 * Returns reps per sample. */
int64_t fk_calibrate(fk_call_fn fn, void *ctx);

/* One sample: reps calls back to back; returns ns per call. */
double fk_sample(fk_call_fn fn, void *ctx, int64_t reps);

/* Clock and overhead sanity of a sample set (recorded per replicate; a set
 * that violates a bound is discarded, not judged). */
#define FK_MAX_OVERHEAD_FRACTION 0.01  /* harness cost per call < 1% of the smallest timed call */
#define FK_MAX_MHZ_DRIFT 0.10          /* CPU clock may move < 10% across a replicate */

/* Observed timer resolution: the smallest non-zero step between
 * back-to-back reads, or clock_getres if that is larger. */
double fk_timer_res_measured_ns(void);
/* ns per call that fk_sample itself adds: an empty call through the same
 * loop (indirect call and compiler barrier), median of 5 batches. */
double fk_call_overhead_ns(void);
/* Mean current CPU clock in MHz from /sys cpufreq (scaling_cur_freq) or
 * /proc/cpuinfo ("cpu MHz"); NaN when neither is readable. */
double fk_cpu_mhz(void);

#endif
