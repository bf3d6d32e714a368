/* gemv.q4_0.neon — "Int4": y = W x with Q4_0 weights (plain GGML blocks,
 * gemv_quant.h packing) and f32 activations on NEON: dequantize, then FMA.
 *
 * Per block: split the 16 bytes into low nibbles (elements 0..15) and high
 * nibbles (16..31), subtract 8 in int8 (values in [-8, 7]), widen to int32
 * and convert to f32 (exact); two vfmaq_f32 chains form the block's partial
 * vector sum_j (q_j - 8) x_j, scaled by d with one FMA into the row
 * accumulator ((q - 8) d is exact in f32, so this is the dequantized dot).
 * Two rows per pass share every load of x; one horizontal sum per row.
 *
 * Built for aarch64 only (FLAGS_neon). */
#include <arm_neon.h>
#include <assert.h>

#include "gemv_quant.h"
#include "vecmath_neon.h"

/* acc += d * sum_j (q_j - 8) x_j over one block, kept as 4 lanes;
 * x: 8 vectors = the block's 32 activations. */
static inline float32x4_t q4_0_block_fma(const fk_block_q4_0 *blk, const float32x4_t x[8], float32x4_t acc)
{
    const uint8x16_t v = vld1q_u8(blk->qs);
    const int8x16_t eight = vdupq_n_s8(8);
    const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0f))), eight);
    const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), eight);
    const int16x8_t l0 = vmovl_s8(vget_low_s8(lo)), l1 = vmovl_high_s8(lo);
    const int16x8_t h0 = vmovl_s8(vget_low_s8(hi)), h1 = vmovl_high_s8(hi);
    float32x4_t p = vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(l0))), x[0]);
    float32x4_t s = vmulq_f32(vcvtq_f32_s32(vmovl_high_s16(l0)), x[1]);
    p = vfmaq_f32(p, vcvtq_f32_s32(vmovl_s16(vget_low_s16(l1))), x[2]);
    s = vfmaq_f32(s, vcvtq_f32_s32(vmovl_high_s16(l1)), x[3]);
    p = vfmaq_f32(p, vcvtq_f32_s32(vmovl_s16(vget_low_s16(h0))), x[4]);
    s = vfmaq_f32(s, vcvtq_f32_s32(vmovl_high_s16(h0)), x[5]);
    p = vfmaq_f32(p, vcvtq_f32_s32(vmovl_s16(vget_low_s16(h1))), x[6]);
    s = vfmaq_f32(s, vcvtq_f32_s32(vmovl_high_s16(h1)), x[7]);
    return vfmaq_n_f32(acc, vaddq_f32(p, s), fk_fp16_to_f32_neon(blk->d));
}

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks of 18 B, x: (cols) f32. */
static void gemv_q4_0_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q4_0 *w = a->w;
    const float *x = a->x;
    float *y = a->y;  /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_0 *w0 = w + r * nb;
        const fk_block_q4_0 *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;  /* a lone last row is computed twice */
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
        for (int64_t b = 0; b < nb; b++) {
            const float *xb = x + 32 * b;
            const float32x4_t xv[8] = {vld1q_f32(xb),      vld1q_f32(xb + 4),  vld1q_f32(xb + 8),
                                       vld1q_f32(xb + 12), vld1q_f32(xb + 16), vld1q_f32(xb + 20),
                                       vld1q_f32(xb + 24), vld1q_f32(xb + 28)};
            a0 = q4_0_block_fma(w0 + b, xv, a0);
            a1 = q4_0_block_fma(w1 + b, xv, a1);
        }
        y[r] = vaddvq_f32(a0);
        if (r + 1 < r1)
            y[r + 1] = vaddvq_f32(a1);
    }
}

static const struct fk_kernel gemv_q4_0_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_0.neon",
    .isa = "neon",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .run = gemv_q4_0_neon__run,
    .cost = gemv_quant__cost_q4_0,
};

FK_PLUGIN(&gemv_q4_0_neon);
