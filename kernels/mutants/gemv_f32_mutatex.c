/* gemv.f32.mutant-mutatex — DELIBERATELY WRONG: scales x[0] by (1 + 2^-20)
 * in place (casting away const) before computing y = W x correctly from
 * the modified x.  One call is within the error bound; after 10^5 calls the
 * drift is far beyond it.  Caught by the gate's check that inputs are
 * unchanged after every call (class: input mutation). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* x[0] *= 1 + 2^-20 (once per call: by the range that holds row 0), then
 * rows [r0, r1) of y = W x. */
static void gemv_f32_mutatex__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    float *x = (float *)(uintptr_t)a->x;  /* the bug: inputs are read-only */
    if (r0 == 0)
        x[0] *= 1.0f + 0x1p-20f;
    const float *w = a->w;  /* (rows, cols) row-major */
    for (int64_t r = r0; r < r1; r++) {
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += w[r * cols + c] * x[c];
        a->y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_mutatex = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-mutatex",
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
    .run = gemv_f32_mutatex__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_mutatex);
