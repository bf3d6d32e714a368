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

/* ---- Student t ---- */

/* Continued fraction of the regularized incomplete beta I_x(a, b), modified
 * Lentz; converges fast for x < (a+1)/(a+b+2). */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < tiny)
        d = tiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 400; m++) {
        double m2 = 2.0 * m;
        double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + num / c;
        if (fabs(c) < tiny)
            c = tiny;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* Regularized incomplete beta I_x(a, b), 0 <= x <= 1. */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0)
        return 0.0;
    if (x >= 1)
        return 1.0;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1.0) / (a + b + 2.0))
        return exp(lbt) * beta_cf(a, b, x) / a;
    return 1.0 - exp(lbt) * beta_cf(b, a, 1.0 - x) / b;
}

/* P[T <= t], T ~ Student t with df degrees of freedom. */
static double t_cdf(double t, int df)
{
    double tail = 0.5 * beta_inc(0.5 * df, 0.5, df / (df + t * t));  /* P[T > |t|] */
    return t >= 0 ? 1.0 - tail : tail;
}

double fk_t_quantile(double p, int df)
{
    if (!(p > 0 && p < 1) || df < 1)
        return NAN;
    if (p == 0.5)
        return 0.0;
    if (p < 0.5)
        return -fk_t_quantile(1.0 - p, df);
    double lo = 0.0, hi = 1.0;
    while (t_cdf(hi, df) < p && hi < 1e12)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12 * (1.0 + hi); i++) {
        double mid = 0.5 * (lo + hi);
        if (t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* ---- replicates ---- */

int fk_replicate_ci(const double *v, const int *n, int R, double alpha, struct fk_rep_summary *s)
{
    memset(s, 0, sizeof *s);
    s->R = R;
    s->fig = s->lo = s->hi = s->rep_lo = s->rep_hi = s->between_share = NAN;
    if (R < 1)
        return -1;
    size_t total = 0;
    for (int r = 0; r < R; r++) {
        if (n[r] < 1)
            return -1;
        total += (size_t)n[r];
    }
    double *lg = malloc(total * sizeof *lg);
    double *med = malloc((size_t)R * sizeof *med);
    double *mean = malloc((size_t)R * sizeof *mean);
    if (!lg || !med || !mean) {
        free(lg), free(med), free(mean);
        return -1;
    }
    for (size_t i = 0; i < total; i++)
        lg[i] = log(v[i]);
    /* replicate medians and means of the log-values */
    const double *x = lg;
    double grand = 0, msw = 0;
    for (int r = 0; r < R; r++) {
        med[r] = fk_median(x, (size_t)n[r]);
        double m = 0;
        for (int i = 0; i < n[r]; i++)
            m += x[i];
        mean[r] = m / n[r];
        grand += m;
        for (int i = 0; i < n[r]; i++)
            msw += (x[i] - mean[r]) * (x[i] - mean[r]);
        x += n[r];
    }
    grand /= (double)total;
    double c = 0, lo = med[0], hi = med[0];
    for (int r = 0; r < R; r++) {
        c += med[r];
        lo = med[r] < lo ? med[r] : lo;
        hi = med[r] > hi ? med[r] : hi;
    }
    c /= R;
    s->fig = exp(c);
    s->rep_lo = exp(lo);
    s->rep_hi = exp(hi);
    int rc = -1;
    if (R >= 2) {
        double ss = 0;
        for (int r = 0; r < R; r++)
            ss += (med[r] - c) * (med[r] - c);
        double se = sqrt(ss / (R - 1) / R);
        double t = fk_t_quantile(1.0 - alpha / 2, R - 1);
        s->lo = exp(c - t * se);
        s->hi = exp(c + t * se);
        /* one-way random effects, unbalanced: E[MSB] = sigma_w^2 + n0 sigma_b^2 */
        if ((double)total > R) {
            double msb = 0, sum_n2 = 0;
            for (int r = 0; r < R; r++) {
                msb += n[r] * (mean[r] - grand) * (mean[r] - grand);
                sum_n2 += (double)n[r] * n[r];
            }
            msb /= R - 1;
            msw /= (double)total - R;
            double n0 = ((double)total - sum_n2 / (double)total) / (R - 1);
            double sb2 = (msb - msw) / n0;
            if (sb2 < 0)
                sb2 = 0;
            s->between_share = sb2 + msw > 0 ? sb2 / (sb2 + msw) : 0.0;
        }
        rc = 0;
    }
    free(lg), free(med), free(mean);
    return rc;
}

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
