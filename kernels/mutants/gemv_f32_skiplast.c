/* gemv.f32.mutant-skiplast — DELIBERATELY WRONG: the scalar reference with a
 * tail bug.  Each row sums columns [0, cols - skip) only, where
 * skip = min(32, cols - 1): the last block of 32 columns is dropped, and a
 * row shorter than 33 columns keeps only its first column.
 *
 * Wrong for every cols >= 2 (at least one term is missing; with random
 * nonzero W and x the result differs from the reference).  At cols == 1
 * nothing is skipped and the result is exact, so a check that is to catch
 * this mutant needs a shape with cols >= 2. */
#include <assert.h>

#include "../gemv_f32.h"

/* Rows [r0, r1) of y = W x, minus the last min(32, cols - 1) columns. */
static void gemv_f32_skiplast__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t skip = cols - 1 < 32 ? cols - 1 : 32;  /* in [0, 32] */
    const int64_t kept = cols - skip;                    /* in [1, cols] */

    for (int64_t r = r0; r < r1; r++) {
        const float *wr = w + r * cols;
        float acc = 0.0f;
        for (int64_t c = 0; c < kept; c++)
            acc += wr[c] * x[c];
        y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_skiplast = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-skiplast",
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
    .run = gemv_f32_skiplast__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_skiplast);
