#include "exec.h"

#include <stdlib.h>
#include <string.h>

#define COLD_MAX_COPIES 64
#define COLD_MAX_BYTES (4ull << 30)

static void task(void *ctx, int tid, int n)
{
    struct fk_exec *x = ctx;
    const struct fk_kernel *k = x->in->k;
    if (k->prepare) {
        if (tid == 0)
            k->prepare(&x->a);
        if (n > 1)
            fk_pool_barrier(x->pool);  /* run() reads what prepare() wrote */
    }
    int64_t r0, r1;
    fk_partition(x->a.shape.rows, k->row_block, tid, n, &r0, &r1);
    if (r0 < r1)
        k->run(&x->a, r0, r1);
}

void fk_exec_call(void *vx)
{
    struct fk_exec *x = vx;
    if (x->ncopies > 1) {
        x->a.w = x->copies[x->next];
        x->next = x->next + 1 == x->ncopies ? 0 : x->next + 1;
    }
    if (x->threads <= 1 || !x->pool)
        task(x, 0, 1);
    else
        fk_pool_run(x->pool, x->threads, task, x);
}

int fk_exec_init(struct fk_exec *x, const struct fk_inst *in, struct fk_pool *pool, int threads,
                 enum fk_cache cache, size_t llc_bytes, struct fk_err *e)
{
    memset(x, 0, sizeof *x);
    x->in = in;
    x->a = in->a;
    x->pool = pool;
    x->threads = threads;
    x->cache = cache;
    if (threads > 1 && (!pool || fk_pool_size(pool) < threads))
        return fk_fail(e, "%s: %d threads need a pool of at least that size", in->k->name, threads);
    x->ncopies = 1;
    if (cache == FK_CACHE_COLD && in->packed_bytes > 0) {
        size_t want = (2 * llc_bytes + in->packed_bytes - 1) / in->packed_bytes;
        if (want < 2 && in->packed_bytes < 2 * llc_bytes)
            want = 2;
        if (want > COLD_MAX_COPIES)
            want = COLD_MAX_COPIES;
        while (want > 1 && want * in->packed_bytes > COLD_MAX_BYTES)
            want--;
        x->ncopies = (int)(want < 1 ? 1 : want);
    }
    if (x->ncopies > 1) {
        x->copies = calloc((size_t)x->ncopies, sizeof *x->copies);
        if (!x->copies)
            return fk_fail(e, "%s: out of memory for cold copies", in->k->name);
        x->copies[0] = in->packed;
        for (int i = 1; i < x->ncopies; i++) {
            x->copies[i] = fk_alloc(in->packed_bytes);
            if (!x->copies[i]) {
                fk_exec_free(x);
                return fk_fail(e, "%s: out of memory for %d cold copies of %zu bytes", in->k->name, x->ncopies,
                               in->packed_bytes);
            }
            memcpy(x->copies[i], in->packed, in->packed_bytes);
        }
    }
    return 0;
}

void fk_exec_free(struct fk_exec *x)
{
    if (x->copies)
        for (int i = 1; i < x->ncopies; i++)
            fk_free(x->copies[i]);
    free(x->copies);
    memset(x, 0, sizeof *x);
}
