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

#endif
