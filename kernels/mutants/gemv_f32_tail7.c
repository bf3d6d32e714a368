/* gemv.f32.mutant-tail7 — DELIBERATELY WRONG: drops the last column only
 * when cols % 8 == 7 (an 8-wide main loop whose 7-element tail loop stops
 * one short).  Exact for every other cols, so no shape of the hypotheses
 * (multiples of 8, and 33, 8192) shows it; the gate's edge shapes (every
 * cols residue mod 32) do (class: tail bug, wrong result). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* Rows [r0, r1) of y = W x, minus column cols - 1 when cols % 8 == 7. */
static void gemv_f32_tail7__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const int64_t body = cols / 8 * 8;
    const int64_t end = cols % 8 == 7 ? cols - 1 : cols;  /* the bug */
    const float *w = a->w;  /* (rows, cols) row-major */
    for (int64_t r = r0; r < r1; r++) {
        const float *wr = w + r * cols;
        float acc = 0.0f;
        for (int64_t c = 0; c < body; c++)
            acc += wr[c] * a->x[c];
        for (int64_t c = body; c < end; c++)
            acc += wr[c] * a->x[c];
        a->y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_tail7 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-tail7",
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
    .run = gemv_f32_tail7__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_tail7);
