/* Distribution-free statistics for verdicts: quantiles, rank confidence
 * intervals for quantiles (Le Boudec, "Performance Evaluation of Computer and
 * Communication Systems", Thm 2.1), an accurate binomial CDF, and a seeded
 * PRNG. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586476925286766559

/* Total order for qsort: NaN sorts after every number, so the comparator is
 * consistent even on bad input (qsort's contract requires it). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    int xn = isnan(x), yn = isnan(y);
    if (xn || yn)
        return xn - yn;
    return (x > y) - (x < y);
}

/* Sorted copy of v (n >= 1), or NULL. */
static double *sorted_copy(const double *v, size_t n)
{
    double *s = malloc(n * sizeof *s);
    if (!s)
        return NULL;
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    return s;
}

/* Linear interpolation between order statistics of sorted s (Hyndman-Fan
 * type 7): h = (n-1) q, s[floor h] + frac(h) (s[floor h + 1] - s[floor h]). */
static double quantile_sorted(const double *s, size_t n, double q)
{
    if (q <= 0)
        return s[0];
    if (q >= 1)
        return s[n - 1];
    double h = (double)(n - 1) * q;
    size_t i = (size_t)h;
    double f = h - (double)i;
    if (i + 1 >= n)
        return s[n - 1];
    return s[i] + f * (s[i + 1] - s[i]);
}

double fk_quantile(const double *v, size_t n, double q)
{
    if (n == 0 || !(q >= 0 && q <= 1))
        return NAN;
    double *s = sorted_copy(v, n);
    if (!s)
        return NAN;
    double r = quantile_sorted(s, n, q);
    free(s);
    return r;
}

double fk_median(const double *v, size_t n) { return fk_quantile(v, n, 0.5); }

/* ---- binomial distribution ----
 *
 * Point probabilities use Loader's saddle-point form ("Fast and accurate
 * computation of binomial probabilities", 2000; the algorithm of R's
 * dbinom): relative error near machine precision for any n, where the naive
 * lgamma difference loses ~log10(n lg n) digits to cancellation. */

/* stirlerr(n) = log(n!) - log(sqrt(2 pi n) (n/e)^n), integer n >= 0. */
static double stirlerr(double n)
{
    if (n <= 15.0) {
        if (n == 0)
            return 0.0;  /* limit: log(0!) - log(sqrt(0)) is handled by callers */
        /* small n: lgamma is exact to ~1 ulp and the terms are O(10),
         * so the difference keeps ~15 digits */
        return lgamma(n + 1.0) - (n + 0.5) * log(n) + n - 0.5 * log(TWO_PI);
    }
    const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680,
                 s4 = 1.0 / 1188;
    double nn = n * n;
    if (n > 500)
        return (s0 - s1 / nn) / n;
    if (n > 80)
        return (s0 - (s1 - s2 / nn) / nn) / n;
    if (n > 35)
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/* bd0(x, m) = x log(x/m) + m - x, computed without cancellation near x = m. */
static double bd0(double x, double m)
{
    if (fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double ej = 2 * x * v;
        v *= v;
        for (int j = 1; j < 1000; j++) {
            ej *= v;
            double s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return x * log(x / m) + m - x;
}

/* P[X = x], X ~ Binomial(n, p), 0 < p < 1, q = 1 - p, 0 <= x <= n. */
static double binom_pmf(double x, double n, double p, double q)
{
    if (x == 0)
        return exp(p < 0.1 ? -bd0(n, n * q) - n * p : n * log(q));
    if (x == n)
        return exp(q < 0.1 ? -bd0(n, n * p) - n * q : n * log(p));
    double lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    double lf = log(TWO_PI) + log(x) + log1p(-x / n);
    return exp(lc - 0.5 * lf);
}

/* P[X <= k] into *lo and P[X > k] into *up, 0 <= k < n, 0 < p < 1.  The
 * smaller-looking side is summed directly from k (resp. k+1) outward, where
 * the terms decrease monotonically (k < np lies at or below the mode, k >=
 * np puts k+1 at or above it), and the other is 1 minus it; so tail
 * probabilities keep full relative precision. */
static void binom_split(long k, long n, double p, double *lo, double *up)
{
    double q = 1.0 - p, dn = (double)n, sum = 0;
    if ((double)k < dn * p) {
        for (long i = k; i >= 0; i--) {
            double t = binom_pmf((double)i, dn, p, q);
            sum += t;
            if (t <= sum * 1e-18)  /* remaining terms shrink geometrically */
                break;
        }
        *lo = sum;
        *up = 1.0 - sum;
    } else {
        for (long i = k + 1; i <= n; i++) {
            double t = binom_pmf((double)i, dn, p, q);
            sum += t;
            if (t <= sum * 1e-18)
                break;
        }
        *up = sum;
        *lo = 1.0 - sum;
    }
    if (*lo < 0)
        *lo = 0;
    if (*up < 0)
        *up = 0;
}

double fk_binom_cdf(long k, long n, double p)
{
    if (n < 0 || !(p >= 0 && p <= 1))
        return NAN;
    if (k < 0)
        return 0.0;
    if (k >= n)
        return 1.0;
    if (p == 0)
        return 1.0;
    if (p == 1)
        return 0.0;
    double lo, up;
    binom_split(k, n, p, &lo, &up);
    return lo;
}

/* P[B < j] = P[B <= j-1] (lower tail below order statistic j). */
static double tail_below(long j, long n, double q)
{
    double lo, up;
    if (j <= 0)
        return 0.0;
    if (j > n)
        return 1.0;
    binom_split(j - 1, n, q, &lo, &up);
    return lo;
}

/* P[B >= k] = P[B > k-1] (upper tail from order statistic k). */
static double tail_from(long k, long n, double q)
{
    double lo, up;
    if (k <= 0)
        return 1.0;
    if (k > n)
        return 0.0;
    binom_split(k - 1, n, q, &lo, &up);
    return up;
}

/* Largest j in [1, n] with tail_below(j) <= a, or 0 if none (tail_below is
 * non-decreasing in j, so binary search). */
static long largest_j(long n, double q, double a)
{
    if (tail_below(1, n, q) > a)
        return 0;
    long lo = 1, hi = n;  /* invariant: tail_below(lo) <= a */
    while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        if (tail_below(mid, n, q) <= a)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Smallest k in [1, n] with tail_from(k) <= a, or n+1 if none (tail_from is
 * non-increasing in k). */
static long smallest_k(long n, double q, double a)
{
    if (tail_from(n, n, q) > a)
        return n + 1;
    long lo = 1, hi = n;  /* invariant: tail_from(hi) <= a */
    while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        if (tail_from(mid, n, q) <= a)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Order-statistic indices (1-based) j < k with P[j <= B < k] >= 1 - alpha,
 * B ~ Binomial(n, q) = number of samples below the true q-quantile, so that
 * P[x_(j) <= quantile <= x_(k)] >= 1 - alpha for continuous data.
 *
 * Choice: equal tails, P[B < j] <= alpha/2 and P[B >= k] <= alpha/2 with j
 * as large and k as small as those allow (for the median this gives
 * j + k = n + 1, Le Boudec's symmetric interval).  When one tail cannot
 * reach alpha/2 even at the extreme order statistic (extreme q, small n),
 * that side is pinned at 1 (or n) and the other side spends the rest of
 * alpha.  Returns 0, or -1 when even [x_(1), x_(n)] has coverage < 1-alpha. */
static int ci_indices(long n, double q, double alpha, long *jo, long *ko)
{
    long j = largest_j(n, q, alpha / 2);
    long k = smallest_k(n, q, alpha / 2);
    if (j == 0 && k == n + 1)
        return -1;
    if (j == 0) {
        j = 1;
        k = smallest_k(n, q, alpha - tail_below(1, n, q));
    } else if (k == n + 1) {
        k = n;
        j = largest_j(n, q, alpha - tail_from(n, n, q));
    }
    if (j < 1 || k > n || j >= k)
        return -1;
    *jo = j;
    *ko = k;
    return 0;
}

int fk_quantile_ci(const double *v, size_t n, double q, double alpha, double *lo, double *hi)
{
    if (n == 0 || !(q > 0 && q < 1) || !(alpha > 0 && alpha < 1)) {
        *lo = *hi = NAN;
        return -1;
    }
    double *s = sorted_copy(v, n);
    if (!s) {
        *lo = *hi = NAN;
        return -1;
    }
    long j, k;
    int rc = ci_indices((long)n, q, alpha, &j, &k);
    if (rc == 0) {
        *lo = s[j - 1];
        *hi = s[k - 1];
    } else {
        *lo = s[0];
        *hi = s[n - 1];
    }
    free(s);
    return rc;
}

/* ---- PRNG: splitmix64 expands the seed into xoshiro256** state ---- */

static unsigned long long splitmix64(unsigned long long *x)
{
    unsigned long long z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void fk_rng_seed(struct fk_rng *r, unsigned long long seed)
{
    unsigned long long x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);  /* never all zero: splitmix64 is a bijection */
}

static unsigned long long rotl(unsigned long long x, int k)
{
    return (x << k) | (x >> (64 - k));
}

unsigned long long fk_rng_next(struct fk_rng *r)
{
    unsigned long long *s = r->s;
    unsigned long long result = rotl(s[1] * 5, 7) * 9;
    unsigned long long t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double fk_rng_uniform(struct fk_rng *r)
{
    return (double)(fk_rng_next(r) >> 11) * 0x1.0p-53;  /* 53 random bits: [0, 1) */
}
