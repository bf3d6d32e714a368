/* gemv.f32.mutant-overread — DELIBERATELY WRONG: the scalar reference that
 * reads one float past the end of the last row (w[rows * cols]) and throws
 * it away.  The outputs are exact; only the access is out of bounds, hidden
 * by allocator padding in an ordinary heap buffer.  Caught by the gate's
 * guard page after the packed weights (class: over-read). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* Rows [r0, r1) of y = W x; the last row also loads w[rows * cols]. */
static void gemv_f32_overread__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    for (int64_t r = r0; r < r1; r++) {
        const float *wr = w + r * cols;
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += wr[c] * a->x[c];
        if (r == a->shape.rows - 1) {
            volatile float past = wr[cols];  /* one float past the last row */
            (void)past;
        }
        a->y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_overread = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-overread",
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
    .run = gemv_f32_overread__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_overread);
