/* gemv.f32.mutant-halfacc — DELIBERATELY WRONG: the scalar reference with a
 * reduced-precision accumulator.  After every add the running sum is rounded
 * to bfloat16 (8 significant bits, round to nearest even), as a kernel that
 * accumulates in bf16 would.  The relative error of a sum grows to about
 * 2^-9 per add, i.e. a gauge error rho of order 2^15 and more, where the
 * f32 kernels stay near 1..cols.
 *
 * The rounding is integer bit manipulation on the float, so the file needs
 * no ISA flags.  NaN and infinity never arise from finite test data and are
 * not treated specially. */
#include <assert.h>
#include <string.h>

#include "../gemv_f32.h"

/* v rounded to the nearest bfloat16 (ties to even), returned as f32. */
static inline float round_bf16(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits += 0x7fffu + ((bits >> 16) & 1u);  /* carry into bit 16 when above half */
    bits &= 0xffff0000u;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* Rows [r0, r1) of y = W x, the running sum kept in bf16. */
static void gemv_f32_halfacc__run(const struct fk_args *a, int64_t r0, int64_t r1)
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
            acc = round_bf16(acc + wr[c] * x[c]);
        y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_halfacc = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-halfacc",
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
    .run = gemv_f32_halfacc__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_halfacc);
