/* The thread pool and its barriers under load: every row is computed
 * exactly once for many row/thread/block combinations, barriers separate
 * phases, and thousands of back-to-back regions finish (a lost wake-up
 * would hang: an alarm turns that into a failure). */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../pool.h"

static void test_partition(void **state)
{
    (void)state;
    for (int64_t rows = 1; rows <= 70; rows++)
        for (int64_t block = 1; block <= 16; block *= 2)
            for (int n = 1; n <= 9; n++) {
                int64_t next = 0;
                for (int t = 0; t < n; t++) {
                    int64_t r0, r1;
                    fk_partition(rows, block, t, n, &r0, &r1);
                    assert_true(r0 <= r1);
                    if (r0 == r1)
                        continue;
                    assert_int_equal(r0, next);     /* contiguous, no gap, no overlap */
                    assert_int_equal(r0 % block, 0);
                    next = r1;
                }
                assert_int_equal(next, rows);
            }
}

struct count_ctx {
    struct fk_pool *pool;
    int64_t rows, block;
    atomic_int *hits;
};

static void count_rows(void *vctx, int tid, int n)
{
    struct count_ctx *c = vctx;
    int64_t r0, r1;
    fk_partition(c->rows, c->block, tid, n, &r0, &r1);
    for (int64_t r = r0; r < r1; r++)
        atomic_fetch_add(&c->hits[r], 1);
}

static void rows_exactly_once(enum fk_barrier_mode mode)
{
    struct fk_pool *p;
    struct fk_err e;
    assert_int_equal(fk_pool_create(&p, 4, mode, &e), 0);
    atomic_int hits[300];
    for (int64_t rows = 1; rows < 300; rows += 7)
        for (int64_t block = 1; block <= 8; block *= 2)
            for (int t = 1; t <= 4; t++) {
                for (int i = 0; i < 300; i++)
                    atomic_init(&hits[i], 0);
                struct count_ctx c = {p, rows, block, hits};
                fk_pool_run(p, t, count_rows, &c);
                for (int64_t r = 0; r < rows; r++)
                    if (atomic_load(&hits[r]) != 1)
                        fail_msg("rows %lld block %lld threads %d: row %lld computed %d times", (long long)rows,
                                 (long long)block, t, (long long)r, atomic_load(&hits[r]));
            }
    fk_pool_destroy(p);
}

static void test_rows_once_spin(void **state) { (void)state; rows_exactly_once(FK_BARRIER_SPIN); }
static void test_rows_once_pthread(void **state) { (void)state; rows_exactly_once(FK_BARRIER_PTHREAD); }

struct phase_ctx {
    struct fk_pool *pool;
    atomic_int stamp[8];
    atomic_int errors;
};

/* Each phase: write my stamp, barrier, check everyone's, barrier. */
static void phases(void *vctx, int tid, int n)
{
    struct phase_ctx *c = vctx;
    for (int k = 1; k <= 50; k++) {
        atomic_store(&c->stamp[tid], k);
        fk_pool_barrier(c->pool);
        for (int t = 0; t < n; t++)
            if (atomic_load(&c->stamp[t]) != k)
                atomic_fetch_add(&c->errors, 1);
        fk_pool_barrier(c->pool);
    }
}

static void *burn(void *arg)
{
    atomic_int *stop = arg;
    volatile unsigned x = 0;
    while (!atomic_load(stop))
        x++;
    return NULL;
}

/* Phases separated correctly and many regions back to back, with two extra
 * busy threads competing for the 2 cores (oversubscribed). */
static void barrier_under_load(enum fk_barrier_mode mode)
{
    atomic_int stop;
    atomic_init(&stop, 0);
    pthread_t load[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&load[i], NULL, burn, &stop);
    struct fk_pool *p;
    struct fk_err e;
    assert_int_equal(fk_pool_create(&p, 3, mode, &e), 0);
    struct phase_ctx c;
    memset(&c, 0, sizeof c);
    c.pool = p;
    for (int r = 0; r < 12; r++)
        fk_pool_run(p, 1 + r % 3, phases, &c);
    assert_int_equal(atomic_load(&c.errors), 0);
    struct count_ctx cc;
    atomic_int hits[64];
    cc.pool = p;
    cc.rows = 64;
    cc.block = 4;
    cc.hits = hits;
    for (int i = 0; i < 64; i++)
        atomic_init(&hits[i], 0);
    for (int r = 0; r < 1000; r++) {
        fk_pool_run(p, 1 + r % 3, count_rows, &cc);
        if (r % 250 == 0)
            usleep(2000);  /* let workers fall asleep, then wake them */
    }
    for (int i = 0; i < 64; i++)
        assert_int_equal(atomic_load(&hits[i]), 1000);
    fk_pool_destroy(p);
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(load[i], NULL);
}

static void test_load_spin(void **state) { (void)state; barrier_under_load(FK_BARRIER_SPIN); }
static void test_load_pthread(void **state) { (void)state; barrier_under_load(FK_BARRIER_PTHREAD); }

static void test_bad_size(void **state)
{
    (void)state;
    struct fk_pool *p;
    struct fk_err e;
    assert_int_equal(fk_pool_create(&p, 0, FK_BARRIER_SPIN, &e), -1);
    assert_non_null(strstr(e.msg, "0 threads"));
}

int main(void)
{
    alarm(120);  /* a lost wake-up hangs: fail instead */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition),     cmocka_unit_test(test_rows_once_spin),
        cmocka_unit_test(test_rows_once_pthread), cmocka_unit_test(test_load_spin),
        cmocka_unit_test(test_load_pthread),  cmocka_unit_test(test_bad_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
