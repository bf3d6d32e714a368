/* gemv.f32.mutant-rowspill — DELIBERATELY WRONG: after its rows it also
 * writes y[r1], the first row of the next range (or one past the end of y
 * when r1 == rows).  Run in ascending pieces the next piece overwrites it
 * and the result looks right; run 2-threaded the write races the other
 * thread.  Caught by the gate's descending split check into canaried
 * outputs and by the canary / guard page after y (class: neighbour-row
 * write). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* Rows [r0, r1) of y = W x, then y[r1] = y[r1 - 1]. */
static void gemv_f32_rowspill__run(const struct fk_args *a, int64_t r0, int64_t r1)
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
    a->y[r1] = a->y[r1 - 1];  /* outside [r0, r1) */
}

static const struct fk_kernel gemv_f32_rowspill = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-rowspill",
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
    .run = gemv_f32_rowspill__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_rowspill);
