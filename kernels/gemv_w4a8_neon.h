/* Shared by the NEON W4A8 GEMVs (gemv_w4a8_neon.c, gemv_w4a8_neondot.c):
 * the Q4_0 nibble unpack and the two-rows-per-pass loop.  The plugins
 * differ only in the exact integer block dot they pass in (vmull/vpadal or
 * vdotq); static inline, so each is compiled with its own flags and the
 * block dot is inlined into the loop.  Aarch64 only. */
#ifndef FK_GEMV_W4A8_NEON_H
#define FK_GEMV_W4A8_NEON_H

#include <arm_neon.h>
#include <assert.h>

#include "gemv_quant.h"
#include "vecmath_neon.h"

/* sum_j (q4_j - 8) q8_j of one block pair, exact. */
typedef int32_t (*w4a8_neon__isum_fn)(int8x16_t lo, int8x16_t hi, int8x16_t x0, int8x16_t x1);

/* Nibbles of one Q4_0 block minus 8: lo = elements 0..15, hi = 16..31, in [-8, 7]. */
static inline void w4a8_neon__unpack(const fk_block_q4_0 *w, int8x16_t *lo, int8x16_t *hi)
{
    const uint8x16_t v = vld1q_u8(w->qs);
    const int8x16_t eight = vdupq_n_s8(8);
    *lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0f))), eight);
    *hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(v, 4)), eight);
}

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, scratch: (cols/32) Q8_0
 * blocks.  acc += isum * (fp16(dw) * fp16(dx)) in block order, as the
 * scalar reference, so the result is bit-identical to gemv.w4a8.scalar.
 * Two rows per pass share the activation loads. */
static inline void w4a8_neon__rows(const struct fk_args *a, int64_t r0, int64_t r1, w4a8_neon__isum_fn isum)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q4_0 *w = a->w;
    const fk_block_q8_0 *x = a->scratch;
    float *y = a->y;  /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_0 *w0 = w + r * nb;
        const fk_block_q4_0 *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;
        float acc0 = 0.0f, acc1 = 0.0f;
        for (int64_t b = 0; b < nb; b++) {
            const int8x16_t x0 = vld1q_s8(x[b].qs), x1 = vld1q_s8(x[b].qs + 16);
            const float dx = fk_fp16_to_f32_neon(x[b].d);
            int8x16_t lo0, hi0, lo1, hi1;
            w4a8_neon__unpack(w0 + b, &lo0, &hi0);
            w4a8_neon__unpack(w1 + b, &lo1, &hi1);
            acc0 += (float)isum(lo0, hi0, x0, x1) * (fk_fp16_to_f32_neon(w0[b].d) * dx);
            acc1 += (float)isum(lo1, hi1, x0, x1) * (fk_fp16_to_f32_neon(w1[b].d) * dx);
        }
        y[r] = acc0;
        if (r + 1 < r1)
            y[r + 1] = acc1;
    }
}

#endif
