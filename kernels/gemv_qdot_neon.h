/* Shared by the NEON integer-dot GEMVs with activations quantized in
 * prepare() (gemv_{q8_0_q8_0,q4_k_q8_k}_{neon,neondot}.c): plain GGML
 * weights, scratch = plain Q8_0 / Q8_K blocks from the reference
 * quantizers (gemv_qdot.h), two rows per pass sharing the activation
 * loads.  The 16-byte int8 dot is SDOT where the plugin is built with
 * +dotprod (__ARM_FEATURE_DOTPROD), else vmull_s8 + vpadalq_s16; both are
 * exact, so the two plugins compute the same integers and the same f32
 * operations in the same order as the scalar reference.  Aarch64 only. */
#ifndef FK_GEMV_QDOT_NEON_H
#define FK_GEMV_QDOT_NEON_H

#include <arm_neon.h>

#include "gemv_qdot.h"
#include "vecmath_neon.h"

/* acc + 4-lane partial sums of a . b (16 int8 each), exact. */
static inline int32x4_t qdot_neon__dot16(int32x4_t acc, int8x16_t a, int8x16_t b)
{
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    const int16x8_t p0 = vmull_s8(vget_low_s8(a), vget_low_s8(b));   /* |p| <= 128 * 128 */
    const int16x8_t p1 = vmull_high_s8(a, b);
    return vpadalq_s16(vpadalq_s16(acc, p0), p1);
#endif
}

/* Q8_0 x Q8_0, rows [r0, r1): w (rows, cols/32) Q8_0, scratch (cols/32) Q8_0. */
static inline void qdot_neon__rows_q8_0(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t nb = a->shape.cols / 32;
    const fk_block_q8_0 *w = a->w;
    const fk_block_q8_0 *x = a->scratch;
    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q8_0 *w0 = w + r * nb;
        const fk_block_q8_0 *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;
        float acc0 = 0.0f, acc1 = 0.0f;
        for (int64_t b = 0; b < nb; b++) {
            const int8x16_t x0 = vld1q_s8(x[b].qs), x1 = vld1q_s8(x[b].qs + 16);
            const float dx = fk_fp16_to_f32_neon(x[b].d);
            const int32x4_t s0 = qdot_neon__dot16(qdot_neon__dot16(vdupq_n_s32(0), vld1q_s8(w0[b].qs), x0),
                                                  vld1q_s8(w0[b].qs + 16), x1);
            const int32x4_t s1 = qdot_neon__dot16(qdot_neon__dot16(vdupq_n_s32(0), vld1q_s8(w1[b].qs), x0),
                                                  vld1q_s8(w1[b].qs + 16), x1);
            acc0 += (float)vaddvq_s32(s0) * (fk_fp16_to_f32_neon(w0[b].d) * dx);
            acc1 += (float)vaddvq_s32(s1) * (fk_fp16_to_f32_neon(w1[b].d) * dx);
        }
        a->y[r] = acc0;
        if (r + 1 < r1)
            a->y[r + 1] = acc1;
    }
}

/* One Q4_K super-block against one Q8_K block: acc += d * isum - dmin * msum. */
static inline float qdot_neon__block_q4_k(const fk_block_q4_k *w, const fk_block_q8_k *x, float acc)
{
    uint8_t sc[8], m[8];
    qdot__q4_k_scales(w, sc, m);
    const uint8x16_t m4 = vdupq_n_u8(0x0f);
    int32_t isum = 0, msum = 0;
    for (int c = 0; c < 4; c++) {
        const uint8x16_t q0 = vld1q_u8(w->qs + 32 * c), q1 = vld1q_u8(w->qs + 32 * c + 16);
        const int8_t *xc = x->qs + 64 * c;
        int32x4_t lo = qdot_neon__dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(vandq_u8(q0, m4)), vld1q_s8(xc));
        lo = qdot_neon__dot16(lo, vreinterpretq_s8_u8(vandq_u8(q1, m4)), vld1q_s8(xc + 16));
        int32x4_t hi = qdot_neon__dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)), vld1q_s8(xc + 32));
        hi = qdot_neon__dot16(hi, vreinterpretq_s8_u8(vshrq_n_u8(q1, 4)), vld1q_s8(xc + 48));
        isum += sc[2 * c] * vaddvq_s32(lo) + sc[2 * c + 1] * vaddvq_s32(hi);
    }
    for (int j = 0; j < 8; j++)
        msum += m[j] * (x->bsums[2 * j] + x->bsums[2 * j + 1]);
    const float d = fk_fp16_to_f32_neon(w->d) * x->d;
    const float dmin = fk_fp16_to_f32_neon(w->dmin) * x->d;
    return acc + (d * (float)isum - dmin * (float)msum);
}

/* Q4_K x Q8_K, rows [r0, r1): w (rows, cols/256) Q4_K, scratch (cols/256) Q8_K. */
static inline void qdot_neon__rows_q4_k(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;
    const fk_block_q8_k *x = a->scratch;
    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_k *w0 = w + r * nb;
        const fk_block_q4_k *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;
        float acc0 = 0.0f, acc1 = 0.0f;
        for (int64_t b = 0; b < nb; b++) {
            acc0 = qdot_neon__block_q4_k(w0 + b, x + b, acc0);
            acc1 = qdot_neon__block_q4_k(w1 + b, x + b, acc1);
        }
        a->y[r] = acc0;
        if (r + 1 < r1)
            a->y[r + 1] = acc1;
    }
}

#endif /* FK_GEMV_QDOT_NEON_H */
