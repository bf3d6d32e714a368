/* gemv.q8_0.neon — y = W x with Q8_0 weights (plain GGML blocks,
 * gemv_quant.h packing) and f32 activations on NEON: per block, widen the
 * 32 int8 to int32 and convert to f32 (exact), two vfmaq_f32 chains for the
 * block's partial vector, then one FMA by d into the row accumulator.  Two
 * rows per pass share every load of x; one horizontal sum per row.
 *
 * Built for aarch64 only (FLAGS_neon). */
#include <arm_neon.h>
#include <assert.h>

#include "gemv_quant.h"
#include "vecmath_neon.h"

/* acc += d * sum_j q_j x_j over one block, kept as 4 lanes. */
static inline float32x4_t q8_0_block_fma(const fk_block_q8_0 *blk, const float32x4_t x[8], float32x4_t acc)
{
    const int8x16_t v0 = vld1q_s8(blk->qs), v1 = vld1q_s8(blk->qs + 16);
    const int16x8_t q[4] = {vmovl_s8(vget_low_s8(v0)), vmovl_high_s8(v0), vmovl_s8(vget_low_s8(v1)),
                            vmovl_high_s8(v1)};
    float32x4_t p = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(q[0]))), x[0]);
    float32x4_t s = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(q[0])), x[1]);
    for (int i = 1; i < 4; i++) {
        p = vfmaq_f32(p, vcvtq_f32_s32(vmovl_s16(vget_low_s16(q[i]))), x[2 * i]);
        s = vfmaq_f32(s, vcvtq_f32_s32(vmovl_high_s16(q[i])), x[2 * i + 1]);
    }
    return vfmaq_n_f32(acc, vaddq_f32(p, s), fk_fp16_to_f32_neon(blk->d));
}

/* Rows [r0, r1); w: (rows, cols/32) Q8_0 blocks of 34 B, x: (cols) f32. */
static void gemv_q8_0_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q8_0 *w = a->w;
    const float *x = a->x;
    float *y = a->y;  /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q8_0 *w0 = w + r * nb;
        const fk_block_q8_0 *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + 32 * b;
            const float32x4_t xv[8] = {vld1q_f32(xb),      vld1q_f32(xb + 4),  vld1q_f32(xb + 8),
                                       vld1q_f32(xb + 12), vld1q_f32(xb + 16), vld1q_f32(xb + 20),
                                       vld1q_f32(xb + 24), vld1q_f32(xb + 28)};
            a0 = q8_0_block_fma(w0 + b, xv, a0);
            a1 = q8_0_block_fma(w1 + b, xv, a1);
        }
        y[r] = vaddvq_f32(a0);
        if (r + 1 < r1)
            y[r + 1] = vaddvq_f32(a1);
    }
}

static const struct fk_kernel gemv_q8_0_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0.neon",
    .isa = "neon",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = gemv_quant__packed_size_q8_0,
    .pack = gemv_quant__pack_q8_0,
    .run = gemv_q8_0_neon__run,
    .cost = gemv_quant__cost_q8_0,
};

FK_PLUGIN(&gemv_q8_0_neon);
