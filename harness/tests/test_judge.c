/* The verdict machinery on seeded simulations: every verdict is reached on
 * samples built for it, and the sequential stopping rule's chance of a
 * wrong decision stays at or below alpha. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../judge.h"
#include "../stats.h"

static double normal(struct fk_rng *r)
{
    double u1 = fk_rng_uniform(r), u2 = fk_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Pair statistics: median m, multiplicative log-normal noise sigma. */
struct gen {
    struct fk_rng rng;
    double m, sigma;
    int limit;   /* stop after this many pairs (0: never) */
};

static int next_lognormal(void *ctx, int i, double *v)
{
    struct gen *g = ctx;
    if (g->limit && i >= g->limit)
        return -1;
    *v = g->m * exp(g->sigma * normal(&g->rng));
    return 0;
}

static enum fk_verdict run_seq(enum fk_kind kind, double thr, double tol, double m, double sigma, int limit,
                               unsigned long long seed, int *n, double *lo, double *hi)
{
    struct fk_judge_in j = {kind, thr, tol};
    struct gen g;
    fk_rng_seed(&g.rng, seed);
    g.m = m;
    g.sigma = sigma;
    g.limit = limit;
    double v[FK_MAX_PAIRS], fig;
    return fk_sequential(&j, next_lognormal, &g, NULL, v, n, &fig, lo, hi);
}

static void test_each_verdict(void **state)
{
    (void)state;
    int n;
    double lo, hi;
    /* clearly faster than the threshold */
    assert_int_equal(run_seq(FK_KIND_SPEEDUP, 1.5, 0, 2.0, 0.05, 0, 1, &n, &lo, &hi), FK_SUPPORTED);
    assert_true(lo >= 1.5);
    assert_int_equal(n, fk_look_pairs[0]);  /* decided at the first look */
    /* clearly slower */
    assert_int_equal(run_seq(FK_KIND_SPEEDUP, 1.5, 0, 1.0, 0.05, 0, 2, &n, &lo, &hi), FK_FALSIFIED);
    assert_true(hi < 1.5);
    /* on the threshold with few pairs allowed: undecided */
    assert_int_equal(run_seq(FK_KIND_SPEEDUP, 1.5, 0, 1.5, 0.3, 20, 3, &n, &lo, &hi), FK_INCONCLUSIVE);
    assert_true(lo < 1.5 && hi >= 1.5);
    /* parity within 5%, and clearly outside */
    assert_int_equal(run_seq(FK_KIND_PARITY, 1, 0.05, 1.0, 0.01, 0, 4, &n, &lo, &hi), FK_SUPPORTED);
    assert_int_equal(run_seq(FK_KIND_PARITY, 1, 0.05, 1.3, 0.01, 0, 5, &n, &lo, &hi), FK_FALSIFIED);
    /* latency: at most threshold */
    assert_int_equal(run_seq(FK_KIND_LATENCY, 1000, 0, 200, 0.1, 0, 6, &n, &lo, &hi), FK_SUPPORTED);
    assert_int_equal(run_seq(FK_KIND_LATENCY, 1000, 0, 5000, 0.1, 0, 7, &n, &lo, &hi), FK_FALSIFIED);
    /* a roofline fraction far above 1 is a model error, never SUPPORTED */
    assert_int_equal(run_seq(FK_KIND_ROOFLINE, 0.9, 0, 1.4, 0.02, 0, 8, &n, &lo, &hi), FK_INCONCLUSIVE);
    assert_true(lo > FK_MODEL_ERROR_FRACTION);
    assert_int_equal(n, fk_look_pairs[0]);  /* stops: nothing more to learn */
    assert_int_equal(run_seq(FK_KIND_ROOFLINE, 0.9, 0, 0.97, 0.02, 0, 9, &n, &lo, &hi), FK_SUPPORTED);
    assert_int_equal(run_seq(FK_KIND_SCALING, 0.5, 0, 0.3, 0.02, 0, 10, &n, &lo, &hi), FK_FALSIFIED);
}

/* The true median sits exactly on the threshold: any decision is wrong.
 * With alpha split over the looks the rate must not exceed alpha (allowing
 * three binomial standard errors of simulation noise). */
static void test_false_decision_rate(void **state)
{
    (void)state;
    const int trials = 2000;
    int wrong = 0;
    for (int t = 0; t < trials; t++) {
        int n;
        double lo, hi;
        enum fk_verdict v = run_seq(FK_KIND_SPEEDUP, 1.5, 0, 1.5, 0.2, 0, 1000 + (unsigned)t, &n, &lo, &hi);
        wrong += v != FK_INCONCLUSIVE;
    }
    double rate = (double)wrong / trials;
    double se = sqrt(FK_ALPHA * (1 - FK_ALPHA) / trials);
    print_message("false-decision rate %.4f (alpha %.2f over %d looks)\n", rate, FK_ALPHA, FK_N_LOOKS);
    assert_true(rate <= FK_ALPHA + 3 * se);
    assert_true(wrong > 0 || trials < 1000);  /* the rule does look: some noise crosses at this size */
}

/* Power: a true effect 20% past the threshold is found almost always. */
static void test_power(void **state)
{
    (void)state;
    int found = 0;
    for (int t = 0; t < 500; t++) {
        int n;
        double lo, hi;
        found += run_seq(FK_KIND_SPEEDUP, 1.5, 0, 1.8, 0.2, 0, 5000 + (unsigned)t, &n, &lo, &hi) == FK_SUPPORTED;
    }
    print_message("power %.3f\n", found / 500.0);
    assert_true(found >= 475);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_verdict),
        cmocka_unit_test(test_false_decision_rate),
        cmocka_unit_test(test_power),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
