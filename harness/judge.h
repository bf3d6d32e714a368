/* Verdicts from paired timing samples: the statistic per pair, its median
 * with a distribution-free rank confidence interval, and the sequential
 * rule (looks after a fixed schedule of pair counts, alpha split evenly
 * across the looks so the chance of any wrong decision stays <= alpha). */
#ifndef FK_JUDGE_H
#define FK_JUDGE_H

#include "hypo.h"
#include "stats.h"

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

/* Replication (DESIGN.md, Measurement): a timed comparison is FK_REPLICATES
 * independent invocations (fresh child process, fresh allocations and
 * heap offset, a fresh calibration), run interleaved in time with the other
 * comparisons of the suite; the verdict comes from the replicate-level
 * t-interval of stats.h (fk_replicate_ci) at confidence 1 - FK_ALPHA. */
#define FK_REPLICATES 5
#define FK_MIN_REPLICATES 3      /* fewer valid replicates: INCONCLUSIVE */
#define FK_REP_PAIRS 16          /* pairs per replicate (fewer when the budget ends first) */
#define FK_REP_MIN_PAIRS 5       /* a replicate with fewer pairs is not used */

struct fk_rep_verdict {
    enum fk_verdict verdict;
    struct fk_rep_summary s;
    int unstable;                /* replicates disagree: INCONCLUSIVE, "unstable across replicates" */
    int rep_supporting;          /* first replicate whose median supports the claim, or -1 */
    int rep_falsifying;          /* first replicate whose median falsifies it, or -1 */
};

/* Judges R replicates (values of replicate r: n[r] pair statistics, one
 * replicate after the other in v).  The interval decides as fk_judge's
 * does; a decided verdict stands only when every replicate's median lies on
 * its side of the threshold and no replicate on its own (its rank interval)
 * decides the opposite way; otherwise INCONCLUSIVE and unstable = 1. */
enum fk_verdict fk_judge_replicates(const struct fk_judge_in *j, const double *v, const int *n, int R,
                                    struct fk_rep_verdict *out);

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
