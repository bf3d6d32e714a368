/* cmocka tests for harness/stats.c: quantiles, the binomial CDF, the rank
 * confidence interval for quantiles (against an independent brute force and
 * by simulated coverage), and the PRNG. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../stats.h"

#define TWO_PI 6.283185307179586476925286766559

static void assert_close(double got, double want, double rel)
{
    double err = fabs(got - want);
    if (!(err <= rel * fabs(want))) {
        print_error("got %.17g, want %.17g (relative error %.3g > %.3g)\n", got, want,
                    err / fabs(want), rel);
        fail();
    }
}

static void test_median_quantile(void **state)
{
    (void)state;
    double odd[] = {3, 1, 2};
    double even[] = {4, 1, 3, 2};
    double five[] = {50, 10, 40, 20, 30};
    assert_true(fk_median(odd, 3) == 2.0);
    assert_true(fk_median(even, 4) == 2.5);
    assert_true(fk_median(five, 5) == 30.0);
    /* type 7: h = (n-1) q */
    assert_true(fk_quantile(five, 5, 0.0) == 10.0);
    assert_true(fk_quantile(five, 5, 1.0) == 50.0);
    assert_true(fk_quantile(five, 5, 0.25) == 20.0);
    assert_close(fk_quantile(five, 5, 0.1), 14.0, 1e-15);
    assert_close(fk_quantile(five, 5, 0.9), 46.0, 1e-15);
    double one[] = {7};
    assert_true(fk_median(one, 1) == 7.0);
    /* input left unchanged */
    assert_true(five[0] == 50 && five[1] == 10 && five[4] == 30);
    assert_true(isnan(fk_median(five, 0)));
}

/* Hand values: exact rational sums (Python fractions / integer binomials). */
static void test_binom_cdf(void **state)
{
    (void)state;
    assert_close(fk_binom_cdf(3, 10, 0.5), 176.0 / 1024.0, 1e-14);
    assert_close(fk_binom_cdf(9, 31, 0.5), 0.014724686741828918, 1e-13);
    assert_close(fk_binom_cdf(0, 20, 0.1), 0.1215766545905693, 1e-13);
    assert_close(fk_binom_cdf(15, 20, 0.9), 0.043174495284463384, 1e-13);
    assert_close(fk_binom_cdf(49800, 100000, 0.5), 0.10351948588211242, 1e-10);
    assert_close(fk_binom_cdf(49000, 100000, 0.5), 1.294358019173449e-10, 1e-9);
    assert_close(fk_binom_cdf(950, 100000, 0.01), 0.056927834566250696, 1e-10);
    /* symmetry P[X <= k; p] = 1 - P[X <= n-k-1; 1-p] at large n */
    assert_close(fk_binom_cdf(50300, 100000, 0.5), 1.0 - fk_binom_cdf(49699, 100000, 0.5), 1e-12);
    /* edges */
    assert_true(fk_binom_cdf(-1, 10, 0.5) == 0.0);
    assert_true(fk_binom_cdf(10, 10, 0.5) == 1.0);
    assert_true(fk_binom_cdf(0, 10, 0.0) == 1.0);
    assert_true(fk_binom_cdf(9, 10, 1.0) == 0.0);
    assert_close(fk_binom_cdf(0, 10, 0.5), 1.0 / 1024.0, 1e-14);
}

/* Independent reference: Binomial(n, q) pmf built by n Bernoulli
 * convolutions in long double (no lgamma, no saddle point), then the
 * equal-tailed rule applied by linear scan. */
static void brute_indices(int n, double q, double alpha, int *jo, int *ko, long double *cov)
{
    long double pmf[64] = {1.0L};
    for (int m = 0; m < n; m++)
        for (int i = m + 1; i >= 0; i--)
            pmf[i] = (i > 0 ? pmf[i - 1] * q : 0) + pmf[i] * (1.0L - q);
    int j = 0, k = n + 1;
    long double below = 0;  /* P[B < jj] */
    for (int jj = 1; jj <= n; jj++) {
        below += pmf[jj - 1];
        if (below <= alpha / 2)
            j = jj;
    }
    long double from = 0;  /* P[B >= kk] */
    for (int kk = n; kk >= 1; kk--) {
        from += pmf[kk];
        if (from <= alpha / 2)
            k = kk;
    }
    *jo = j;
    *ko = k;
    *cov = 0;
    for (int i = j; i < k && j >= 1 && k <= n; i++)
        *cov += pmf[i];
}

static void test_ci_indices_brute(void **state)
{
    (void)state;
    const double qs[] = {0.5, 0.25, 0.75};
    for (size_t iq = 0; iq < sizeof qs / sizeof qs[0]; iq++) {
        double q = qs[iq];
        for (int n = 6; n <= 50; n++) {
            /* x_(i) = i, so the returned bounds are the indices */
            double v[50];
            for (int i = 0; i < n; i++)
                v[i] = (double)(n - i);  /* reversed: the function must sort */
            double lo, hi;
            int rc = fk_quantile_ci(v, (size_t)n, q, 0.05, &lo, &hi);
            int j, k;
            long double cov;
            brute_indices(n, q, 0.05, &j, &k, &cov);
            if (j < 1 || k > n) {
                /* tails don't fit at alpha/2 each: only allowed to succeed
                 * via the lopsided rule, and then must still cover */
                if (rc == 0) {
                    assert_true(lo >= 1 && hi <= n && lo < hi);
                } else {
                    assert_true(lo == 1.0 && hi == (double)n);
                }
                continue;
            }
            assert_int_equal(rc, 0);
            if ((int)lo != j || (int)hi != k)
                print_error("n=%d q=%g: got [%g, %g], brute force [%d, %d]\n", n, q, lo, hi, j,
                            k);
            assert_int_equal((int)lo, j);
            assert_int_equal((int)hi, k);
            assert_true(cov >= 0.95L);
            if (q == 0.5) {
                /* Le Boudec Thm 2.1 normal approximation, within one rank */
                int jn = (int)floor((n - 1.96 * sqrt(n)) / 2);
                int kn = (int)ceil(1 + (n + 1.96 * sqrt(n)) / 2);
                assert_true(abs(jn - j) <= 1 && abs(kn - k) <= 1);
                assert_int_equal(j + k, n + 1);  /* symmetric for the median */
            }
        }
    }
    /* Le Boudec's table, median, 95%: n=6 -> [1,6], n=10 -> [2,9], n=31 -> [10,22] */
    double v[31];
    for (int i = 0; i < 31; i++)
        v[i] = i + 1;
    double lo, hi;
    assert_int_equal(fk_quantile_ci(v, 6, 0.5, 0.05, &lo, &hi), 0);
    assert_true(lo == 1 && hi == 6);
    assert_int_equal(fk_quantile_ci(v, 10, 0.5, 0.05, &lo, &hi), 0);
    assert_true(lo == 2 && hi == 9);
    assert_int_equal(fk_quantile_ci(v, 31, 0.5, 0.05, &lo, &hi), 0);
    assert_true(lo == 10 && hi == 22);
}

static void test_ci_small_n(void **state)
{
    (void)state;
    double v[] = {5, 3, 9, 1, 7};
    double lo, hi;
    /* n = 5: even [x_(1), x_(5)] covers the median with 1 - 2/32 < 0.95 */
    assert_int_equal(fk_quantile_ci(v, 5, 0.5, 0.05, &lo, &hi), -1);
    assert_true(lo == 1 && hi == 9);
    assert_int_equal(fk_quantile_ci(v, 1, 0.5, 0.05, &lo, &hi), -1);
    assert_true(lo == 5 && hi == 5);
    /* extreme quantile needs many samples */
    double w[30];
    for (int i = 0; i < 30; i++)
        w[i] = i;
    assert_int_equal(fk_quantile_ci(w, 30, 0.99, 0.05, &lo, &hi), -1);
    /* q = 0.9, n = 30: upper tail P[B = 30] = 0.042 > alpha/2, so k = n and
     * the lower side takes the remaining alpha */
    assert_int_equal(fk_quantile_ci(w, 30, 0.9, 0.05, &lo, &hi), 0);
    assert_true(hi == 29 && lo >= 0 && lo < 29);
}

/* Lognormal exp(Z), Z ~ N(0,1) by Box-Muller: skewed, true median exactly 1. */
static double lognormal(struct fk_rng *r)
{
    double u1 = 1.0 - fk_rng_uniform(r);  /* (0, 1]: log is finite */
    double u2 = fk_rng_uniform(r);
    return exp(sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2));
}

static void test_ci_coverage(void **state)
{
    (void)state;
    struct fk_rng r;
    fk_rng_seed(&r, 20240531ull);  /* fixed seed: deterministic, not flaky */
    const int trials = 2000, n = 31;
    int covered = 0;
    for (int t = 0; t < trials; t++) {
        double x[31];
        for (int i = 0; i < n; i++)
            x[i] = lognormal(&r);
        double lo, hi;
        assert_int_equal(fk_quantile_ci(x, (size_t)n, 0.5, 0.05, &lo, &hi), 0);
        covered += lo <= 1.0 && 1.0 <= hi;
    }
    double frac = (double)covered / trials;
    /* exact coverage for n = 31 is 1 - 2 P[B <= 9] = 0.9706 */
    if (!(frac >= 0.93 && frac <= 0.985))
        print_error("coverage %.4f outside [0.93, 0.985]\n", frac);
    assert_true(frac >= 0.93 && frac <= 0.985);
}

static void test_rng(void **state)
{
    (void)state;
    struct fk_rng a, b;
    fk_rng_seed(&a, 42);
    fk_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(fk_rng_next(&a) == fk_rng_next(&b));
    fk_rng_seed(&b, 43);
    assert_true(fk_rng_next(&a) != fk_rng_next(&b));
    /* splitmix64 of seed 0 gives the published first output */
    fk_rng_seed(&a, 0);
    assert_true(a.s[0] == 0xE220A8397B1DCDAFull);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = fk_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / 100000 - 0.5) < 0.005);  /* sd of the mean ~ 0.0009 */
}

/* Student t quantiles against published values (R's qt). */
static void test_t_quantile(void **state)
{
    (void)state;
    static const struct { double p; int df; double q; } ref[] = {
        {0.975, 1, 12.706204736}, {0.975, 2, 4.302652730}, {0.975, 4, 2.776445105}, {0.975, 10, 2.228138852},
        {0.975, 30, 2.042272456}, {0.975, 1000, 1.962339081}, {0.995, 4, 4.604094871}, {0.9, 3, 1.637744354},
    };
    for (unsigned i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        assert_true(fabs(fk_t_quantile(ref[i].p, ref[i].df) - ref[i].q) < 1e-6 * ref[i].q);
        assert_true(fabs(fk_t_quantile(1 - ref[i].p, ref[i].df) + ref[i].q) < 1e-6 * ref[i].q);
    }
    assert_true(isnan(fk_t_quantile(0.975, 0)));
    assert_true(isnan(fk_t_quantile(1.0, 3)));
}

/* Replicate summary on hand-computed cases. */
static void test_replicate_ci(void **state)
{
    (void)state;
    struct fk_rep_summary s;
    /* two replicates, no within-replicate spread: all variance is between */
    double a[] = {1, 1, 1, M_E, M_E, M_E};
    int n2[] = {3, 3};
    assert_int_equal(fk_replicate_ci(a, n2, 2, 0.05, &s), 0);
    assert_true(fabs(s.between_share - 1) < 1e-12);
    assert_true(fabs(s.fig - exp(0.5)) < 1e-12);                 /* geometric mean of the medians */
    double half = 12.706204736 * 0.5;                             /* t(0.975, 1) x sd/sqrt(2) = t x 0.5 */
    assert_true(fabs(log(s.lo) - (0.5 - half)) < 1e-6 && fabs(log(s.hi) - (0.5 + half)) < 1e-6);
    assert_true(fabs(s.rep_lo - 1) < 1e-12 && fabs(s.rep_hi - M_E) < 1e-12);
    /* identical replicates: nothing between */
    double b[] = {1, 2, 4, 1, 2, 4, 1, 2, 4};
    int n3[] = {3, 3, 3};
    assert_int_equal(fk_replicate_ci(b, n3, 3, 0.05, &s), 0);
    assert_true(s.between_share == 0);
    assert_true(fabs(s.lo - 2) < 1e-12 && fabs(s.hi - 2) < 1e-12);
    /* one replicate: a figure but no interval */
    assert_int_equal(fk_replicate_ci(b, n3, 1, 0.05, &s), -1);
    assert_true(fabs(s.fig - 2) < 1e-12 && isnan(s.lo));
    int bad[] = {3, 0};
    assert_int_equal(fk_replicate_ci(b, bad, 2, 0.05, &s), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_quantile),
        cmocka_unit_test(test_binom_cdf),
        cmocka_unit_test(test_ci_indices_brute),
        cmocka_unit_test(test_ci_small_n),
        cmocka_unit_test(test_ci_coverage),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_t_quantile),
        cmocka_unit_test(test_replicate_ci),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
