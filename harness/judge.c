#include "judge.h"

#include <math.h>
#include <string.h>

#include "stats.h"

const int fk_look_pairs[FK_N_LOOKS] = {10, 20, 40, 80, 160, 320};

const char *fk_verdict_name(enum fk_verdict v)
{
    static const char *const names[] = {"SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE"};
    return (v >= FK_SUPPORTED && v <= FK_UNTESTABLE) ? names[v] : "?";
}

/* The verdict an interval [lo, hi] of the statistic gives. */
static enum fk_verdict decide(const struct fk_judge_in *j, double lo, double hi)
{
    double t = j->threshold;
    switch (j->kind) {
    case FK_KIND_LATENCY:       /* claim: at most threshold ns */
        return hi <= t ? FK_SUPPORTED : lo > t ? FK_FALSIFIED : FK_INCONCLUSIVE;
    case FK_KIND_PARITY: {
        double up = 1.0 + j->tolerance, down = 1.0 / up;
        if (lo >= down && hi <= up)
            return FK_SUPPORTED;
        if (lo > up || hi < down)
            return FK_FALSIFIED;
        return FK_INCONCLUSIVE;
    }
    case FK_KIND_ROOFLINE:
        if (lo > FK_MODEL_ERROR_FRACTION)
            return FK_INCONCLUSIVE;  /* the caller names it a model error */
        /* fallthrough */
    default:                    /* claim: at least threshold */
        return lo >= t ? FK_SUPPORTED : hi < t ? FK_FALSIFIED : FK_INCONCLUSIVE;
    }
}

enum fk_verdict fk_judge(const struct fk_judge_in *j, const double *v, int n, double *fig, double *lo, double *hi)
{
    *fig = fk_median(v, (size_t)n);
    /* rank intervals are invariant under monotone maps, so the interval of
     * the ratio is that of the log-ratio, exponentiated */
    int ok = fk_quantile_ci(v, (size_t)n, 0.5, FK_ALPHA / FK_N_LOOKS, lo, hi) == 0;
    if (!ok)
        return FK_INCONCLUSIVE;
    return decide(j, *lo, *hi);
}

enum fk_verdict fk_judge_replicates(const struct fk_judge_in *j, const double *v, const int *n, int R,
                                    struct fk_rep_verdict *out)
{
    memset(out, 0, sizeof *out);
    out->verdict = FK_INCONCLUSIVE;
    if (fk_replicate_ci(v, n, R, FK_ALPHA, &out->s) != 0)
        return out->verdict;
    enum fk_verdict pooled = decide(j, out->s.lo, out->s.hi);
    /* each replicate: the side its median lies on, and what its own rank
     * interval would decide */
    int side[2] = {0, 0}, alone[2] = {0, 0};
    int first[2] = {-1, -1};
    const double *x = v;
    for (int r = 0; r < R; r++) {
        double fig, lo, hi;
        enum fk_verdict own = fk_judge(j, x, n[r], &fig, &lo, &hi);
        enum fk_verdict at = decide(j, fig, fig);
        for (int k = 0; k < 2; k++) {
            enum fk_verdict want = k == 0 ? FK_SUPPORTED : FK_FALSIFIED;
            if (at == want) {
                side[k]++;
                if (first[k] < 0)
                    first[k] = r;
            }
            alone[k] += own == want;
        }
        x += n[r];
    }
    int contradict = alone[0] > 0 && alone[1] > 0;
    if (pooled == FK_SUPPORTED || pooled == FK_FALSIFIED) {
        int k = pooled == FK_SUPPORTED ? 0 : 1;
        if (side[k] == R && alone[1 - k] == 0) {
            out->verdict = pooled;
            return out->verdict;
        }
        out->unstable = 1;
    } else if (contradict) {
        out->unstable = 1;
    }
    out->rep_supporting = first[0];
    out->rep_falsifying = first[1];
    return out->verdict;
}

enum fk_verdict fk_sequential(const struct fk_judge_in *j, fk_pair_fn next, void *ctx,
                              int (*budget_check)(void *ctx), double *values, int *n, double *fig,
                              double *lo, double *hi)
{
    int look = 0;
    enum fk_verdict v = FK_INCONCLUSIVE;
    *n = 0;
    *fig = *lo = *hi = NAN;
    for (int i = 0; i < FK_MAX_PAIRS; i++) {
        if (next(ctx, i, &values[i]) != 0)
            break;
        *n = i + 1;
        if (*n == fk_look_pairs[look]) {
            v = fk_judge(j, values, *n, fig, lo, hi);
            look++;
            int model_error = j->kind == FK_KIND_ROOFLINE && *lo > FK_MODEL_ERROR_FRACTION;
            if (v != FK_INCONCLUSIVE || model_error || look == FK_N_LOOKS || (budget_check && budget_check(ctx)))
                return v;
        }
    }
    if (*n > 0)
        v = fk_judge(j, values, *n, fig, lo, hi);
    return *n >= fk_look_pairs[0] ? v : FK_INCONCLUSIVE;
}
