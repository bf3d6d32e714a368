/* Verdicts from paired timing samples: the statistic per pair, its median
 * with a distribution-free rank confidence interval, and the sequential
 * rule (looks after a fixed schedule of pair counts, alpha split evenly
 * across the looks so the chance of any wrong decision stays <= alpha). */
#ifndef FK_JUDGE_H
#define FK_JUDGE_H

#include "hypo.h"

enum fk_verdict { FK_SUPPORTED = 0, FK_FALSIFIED, FK_INCONCLUSIVE, FK_UNTESTABLE };

#define FK_ALPHA 0.05
#define FK_N_LOOKS 6
#define FK_MAX_PAIRS 320
extern const int fk_look_pairs[FK_N_LOOKS];   /* 10, 20, 40, 80, 160, 320 */

#define FK_MODEL_ERROR_FRACTION 1.05  /* a roofline fraction above this is a model error */

struct fk_judge_in {
    enum fk_kind kind;
    double threshold;
    double tolerance;   /* parity */
};

const char *fk_verdict_name(enum fk_verdict v);

/* Judges n pair statistics v (speedup / efficiency / fraction / ratio, or
 * ns for latency) at confidence 1 - FK_ALPHA / FK_N_LOOKS.  fig = median,
 * [lo, hi] its rank CI.  INCONCLUSIVE when the interval straddles the
 * threshold (or, for a roofline, lies above FK_MODEL_ERROR_FRACTION). */
enum fk_verdict fk_judge(const struct fk_judge_in *j, const double *v, int n, double *fig, double *lo, double *hi);

/* Produces the statistic of pair i into *value; returns 0, or -1 to stop
 * (budget spent or a failure). */
typedef int (*fk_pair_fn)(void *ctx, int i, double *value);

/* Draws pairs until a look decides, the schedule ends, or next() stops
 * (it is asked for at least the first look's pairs unless it fails).
 * values must hold FK_MAX_PAIRS; *n gets the pairs drawn.  budget_check is
 * called at each undecided look and returns nonzero when time is up. */
enum fk_verdict fk_sequential(const struct fk_judge_in *j, fk_pair_fn next, void *ctx,
                              int (*budget_check)(void *ctx), double *values, int *n, double *fig,
                              double *lo, double *hi);

#endif
