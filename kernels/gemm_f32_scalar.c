/* gemm.f32.scalar — the reference GEMM: Y[m][r] = sum_c W[r][c] * X[m][c].
 *
 * A true scalar baseline: one output at a time, one f32 accumulator, columns
 * in order (the same arithmetic as gemv.f32.scalar, once per batch row).
 * Built with -O2 -fno-tree-vectorize -ffp-contract=off and no ISA flags: no
 * vectorization, no fused multiply-add.  The packed operand is W itself. */
#include <assert.h>

#include "gemv_f32.h"

/* Columns [r0, r1) of Y = X W^T, for every batch row m. */
static void gemm_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t rows = a->shape.rows, cols = a->shape.cols, batch = a->shape.batch;
    const float *w = a->w;  /* (rows, cols) row-major */
    const float *x = a->x;  /* (batch, cols) */
    float *y = a->y;        /* (batch, rows) */

    for (int64_t m = 0; m < batch; m++) {
        const float *xm = x + m * cols;
        for (int64_t r = r0; r < r1; r++) {
            const float *wr = w + r * cols;
            float acc = 0.0f;
            for (int64_t c = 0; c < cols; c++)
                acc += wr[c] * xm[c];
            y[m * rows + r] = acc;
        }
    }
}

static const struct fk_kernel gemm_f32_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 1,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemm_f32_scalar__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemm_f32_scalar);
