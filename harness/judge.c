#include "judge.h"

#include <math.h>

#include "stats.h"

const int fk_look_pairs[FK_N_LOOKS] = {10, 20, 40, 80, 160, 320};

const char *fk_verdict_name(enum fk_verdict v)
{
    static const char *const names[] = {"SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE"};
    return (v >= FK_SUPPORTED && v <= FK_UNTESTABLE) ? names[v] : "?";
}

enum fk_verdict fk_judge(const struct fk_judge_in *j, const double *v, int n, double *fig, double *lo, double *hi)
{
    *fig = fk_median(v, (size_t)n);
    /* rank intervals are invariant under monotone maps, so the interval of
     * the ratio is that of the log-ratio, exponentiated */
    int ok = fk_quantile_ci(v, (size_t)n, 0.5, FK_ALPHA / FK_N_LOOKS, lo, hi) == 0;
    if (!ok)
        return FK_INCONCLUSIVE;
    double t = j->threshold;
    switch (j->kind) {
    case FK_KIND_LATENCY:       /* claim: at most threshold ns */
        return *hi <= t ? FK_SUPPORTED : *lo > t ? FK_FALSIFIED : FK_INCONCLUSIVE;
    case FK_KIND_PARITY: {
        double up = 1.0 + j->tolerance, down = 1.0 / up;
        if (*lo >= down && *hi <= up)
            return FK_SUPPORTED;
        if (*lo > up || *hi < down)
            return FK_FALSIFIED;
        return FK_INCONCLUSIVE;
    }
    case FK_KIND_ROOFLINE:
        if (*lo > FK_MODEL_ERROR_FRACTION)
            return FK_INCONCLUSIVE;  /* the caller names it a model error */
        /* fallthrough */
    default:                    /* claim: at least threshold */
        return *lo >= t ? FK_SUPPORTED : *hi < t ? FK_FALSIFIED : FK_INCONCLUSIVE;
    }
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
