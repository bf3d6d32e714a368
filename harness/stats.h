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
