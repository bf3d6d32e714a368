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

/* FNV-1a over the bytes, 8 at a time (a change detector, not a MAC). */
/* FNV-1a over 64-bit words in four independent lanes (one multiply chain
 * would bound this to ~2 bytes per cycle; it hashes every cold copy of the
 * packed weights twice per replicate), folded at the end. */
static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h[4] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull, 0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int l = 0; l < 4; l++) {
            uint64_t v;
            memcpy(&v, b + i + 8 * l, 8);
            h[l] = (h[l] ^ v) * 0x100000001b3ull;
        }
    uint64_t r = h[0];
    for (int l = 1; l < 4; l++)
        r = (r ^ h[l]) * 0x100000001b3ull;
    for (; i < n; i++)
        r = (r ^ b[i]) * 0x100000001b3ull;
    return r;
}

int fk_exec_verify(const struct fk_exec *x, const struct fk_case *cs, char *why, size_t n)
{
    const struct fk_kernel *k = x->in->k;
    const char *mode = x->cache == FK_CACHE_COLD ? "cold" : "hot";
    if (cs->x.count && memcmp(x->a.x, cs->x.data, (size_t)cs->x.count * sizeof(float)) != 0) {
        snprintf(why, n, "input mutation in the timed run (%d threads, %s): x changed (inputs are read-only)",
                 x->threads, mode);
        return -1;
    }
    if (cs->x2.count && memcmp(x->a.x2, cs->x2.data, (size_t)cs->x2.count * sizeof(float)) != 0) {
        snprintf(why, n, "input mutation in the timed run (%d threads, %s): x2 changed (inputs are read-only)",
                 x->threads, mode);
        return -1;
    }
    for (int i = 0; i < (x->ncopies > 1 ? x->ncopies : 1) && x->in->packed_bytes; i++) {
        const void *p = x->ncopies > 1 ? x->copies[i] : x->in->packed;
        if (hash_bytes(p, x->in->packed_bytes) != x->packed_hash) {
            snprintf(why, n, "input mutation in the timed run (%d threads, %s): packed weights copy %d changed",
                     x->threads, mode, i);
            return -1;
        }
    }
    struct fk_errstats st;
    const double *gauge = cs->gauge.count ? (const double *)cs->gauge.data : NULL;
    fk_error_stats(x->a.y, cs->ref.data, gauge, x->in->out_count, &st);
    if (!fk_gate_pass(k, &x->a.shape, &st)) {
        const char *metric;
        double bound = fk_gate_bound(k, &x->a.shape, &metric);
        int g = strcmp(metric, "gauge_max") == 0;
        snprintf(why, n, "wrong in the timed run (%d threads, %s): %s %.4g exceeds the bound %.4g at index %lld "
                 "(%lld non-finite)", x->threads, mode, metric, g ? st.gauge_max : st.ulp_max, bound,
                 (long long)(g ? st.gauge_worst : st.ulp_worst), (long long)st.nonfinite);
        return -1;
    }
    return 0;
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
    x->packed_hash = in->packed_bytes ? hash_bytes(in->packed, in->packed_bytes) : 0;
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
