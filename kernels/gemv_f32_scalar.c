/* gemv.f32.scalar — the reference kernel: y[r] = sum_c W[r][c] * x[c].
 *
 * A true scalar baseline: one row at a time, one f32 accumulator, columns in
 * order.  The Makefile builds it with -O2 -fno-tree-vectorize
 * -ffp-contract=off and no ISA flags, so the compiler neither vectorizes the
 * loop nor fuses the multiply-add: each term is rounded twice, as written. */
#include <assert.h>

#include "gemv_f32.h"

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */

    for (int64_t r = r0; r < r1; r++) {
        const float *wr = w + r * cols;
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += wr[c] * x[c];
        y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 1,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_scalar__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_scalar);
