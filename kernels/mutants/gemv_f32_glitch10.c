/* gemv.f32.mutant-glitch10 — DELIBERATELY WRONG: every 10th run() call
 * (counted over the whole process) moves its first output one ulp up.
 * Within the error bound every time; a check that makes fewer than 10
 * calls per process (one fork per case, two calls each) never sees it.
 * Caught by the gate's repeated calls, which must be bit-identical, in
 * fork and in-process mode alike (class: nondeterminism). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

#include <math.h>
#include <stdatomic.h>

/* The state of the bug: a mutant may hold what a kernel must not. */
static atomic_uint gemv_f32_glitch10__calls;

/* Rows [r0, r1) of y = W x; y[r0] nudged by one ulp on every 10th call. */
static void gemv_f32_glitch10__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    for (int64_t r = r0; r < r1; r++) {
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += w[r * cols + c] * a->x[c];
        a->y[r] = acc;
    }
    if ((atomic_fetch_add(&gemv_f32_glitch10__calls, 1) + 1) % 10 == 0)
        a->y[r0] = nextafterf(a->y[r0], INFINITY);
}

static const struct fk_kernel gemv_f32_glitch10 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-glitch10",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 1,
    .row_block = 1,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_glitch10__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_glitch10);
