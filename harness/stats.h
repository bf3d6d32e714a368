/* Distribution-free statistics for verdicts. */
#ifndef FK_STATS_H
#define FK_STATS_H

#include <stddef.h>

/* Sorts a copy internally; v itself is left unchanged. */
double fk_median(const double *v, size_t n);
/* Quantile q in [0,1], linear interpolation between order statistics. */
double fk_quantile(const double *v, size_t n, double q);

/* Distribution-free confidence interval for the q-quantile (Le Boudec,
 * "Performance Evaluation", Thm 2.1): order statistics x_(j) <= x_(k) with
 * Binomial(n,q) probability of [j, k) >= 1 - alpha.  Returns 0, or -1 when
 * n is too small for that confidence (then lo/hi are the sample min/max). */
int fk_quantile_ci(const double *v, size_t n, double q, double alpha, double *lo, double *hi);

/* Student t quantile: the p-quantile (0 < p < 1) of t with df >= 1 degrees
 * of freedom (bisection on the CDF through the regularized incomplete beta
 * function; |error| < 1e-10). */
double fk_t_quantile(double p, int df);

/* Replicates: R independent invocations of one comparison, replicate r
 * holding n[r] values of a positive statistic (pair ratio, ns), stored one
 * replicate after the other in v.  The unit of inference is the replicate:
 * each gives the median of its log-values, and the interval is Student's t
 * over those R medians (R-1 degrees of freedom), exponentiated.  It covers
 * within- and between-replicate variation alike, because a replicate
 * median carries both (its shift plus its own sampling noise).
 * between_share = sigma_b^2 / (sigma_b^2 + sigma_w^2) from the one-way
 * random-effects ANOVA of the log-values (method of moments, sigma_b^2
 * floored at 0).  Returns 0, or -1 when R < 2 or a replicate is empty
 * (then fig is the single replicate's median and lo/hi are NaN). */
struct fk_rep_summary {
    int R;
    double fig, lo, hi;       /* geometric mean of replicate medians, its t-interval */
    double rep_lo, rep_hi;    /* smallest and largest replicate median */
    double between_share;     /* in [0, 1], NaN when undefined */
};
int fk_replicate_ci(const double *v, const int *n, int R, double alpha, struct fk_rep_summary *s);

/* Binomial(n, p) CDF P[X <= k]. */
double fk_binom_cdf(long k, long n, double p);

/* Simple splitmix64 / xoshiro256** PRNG for seeded simulations and
 * randomised orders (passed around, no globals). */
struct fk_rng {
    unsigned long long s[4];
};
void fk_rng_seed(struct fk_rng *r, unsigned long long seed);
unsigned long long fk_rng_next(struct fk_rng *r);
double fk_rng_uniform(struct fk_rng *r);  /* [0,1) */

#endif
