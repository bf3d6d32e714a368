/* gemv.q4_k.neon — y = W x with Q4_K weights (plain GGML blocks,
 * gemv_quant.h packing) and f32 activations on NEON.
 *
 * Each weight is dequantized exactly as ggml's dequantize_row_q4_K rounds
 * it, (d sc_j) q - dmin m_j with a separate multiply and subtract (no
 * fusion: the same f32 value the oracle's reference sees), then multiplied
 * by x in a vfmaq_f32 chain.  Per 64-element chunk the 32 bytes give the low
 * nibbles (elements 64c + l) and high nibbles (64c + 32 + l); nibbles are
 * widened to u32 and converted to f32 (exact).  Two accumulators per row.
 *
 * Built for aarch64 only (FLAGS_neon). */
#include <arm_neon.h>
#include <assert.h>

#include "gemv_quant.h"
#include "vecmath_neon.h"

/* acc += sum over 16 nibbles n of (ds * n - dm) * x; n: 16 values in [0,15]. */
static inline float32x4_t q4_k_16(uint8x16_t n, float32x4_t ds, float32x4_t dm, const float *x, float32x4_t acc)
{
    const uint16x8_t n0 = vmovl_u8(vget_low_u8(n)), n1 = vmovl_high_u8(n);
    const float32x4_t q[4] = {vcvtq_f32_u32(vmovl_u16(vget_low_u16(n0))), vcvtq_f32_u32(vmovl_high_u16(n0)),
                              vcvtq_f32_u32(vmovl_u16(vget_low_u16(n1))), vcvtq_f32_u32(vmovl_high_u16(n1))};
    for (int i = 0; i < 4; i++)
        acc = vfmaq_f32(acc, vsubq_f32(vmulq_f32(ds, q[i]), dm), vld1q_f32(x + 4 * i));
    return acc;
}

/* sum_c W[c] x[c] for one Q4_K row w: (nb) blocks, x: (256 nb) f32. */
static float q4_k_row(const fk_block_q4_k *w, const float *x, int64_t nb)
{
    float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0;
    const uint8x16_t m4 = vdupq_n_u8(0x0f);
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32_neon(w[i].d), dmin = fk_fp16_to_f32_neon(w[i].dmin);
        for (int c = 0; c < 4; c++) {  /* 64-element chunks */
            uint8_t sc, m;
            fk_q4_k_get_scale_min(2 * c, w[i].scales, &sc, &m);
            const float32x4_t d1 = vdupq_n_f32(d * (float)sc), m1 = vdupq_n_f32(dmin * (float)m);
            fk_q4_k_get_scale_min(2 * c + 1, w[i].scales, &sc, &m);
            const float32x4_t d2 = vdupq_n_f32(d * (float)sc), m2 = vdupq_n_f32(dmin * (float)m);
            const uint8_t *q = w[i].qs + 32 * c;
            const float *xc = x + 256 * i + 64 * c;
            const uint8x16_t v0 = vld1q_u8(q), v1 = vld1q_u8(q + 16);
            acc0 = q4_k_16(vandq_u8(v0, m4), d1, m1, xc, acc0);       /* elements 64c + 0..15 */
            acc1 = q4_k_16(vandq_u8(v1, m4), d1, m1, xc + 16, acc1);  /* 64c + 16..31 */
            acc0 = q4_k_16(vshrq_n_u8(v0, 4), d2, m2, xc + 32, acc0); /* 64c + 32..47 */
            acc1 = q4_k_16(vshrq_n_u8(v1, 4), d2, m2, xc + 48, acc1); /* 64c + 48..63 */
        }
    }
    return vaddvq_f32(vaddq_f32(acc0, acc1));
}

/* Rows [r0, r1); w: (rows, cols/256) Q4_K blocks of 144 B, x: (cols) f32. */
static void gemv_q4_k_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(q4_k_row, fk_block_q4_k, float, a->x, 256);
}

static const struct fk_kernel gemv_q4_k_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k.neon",
    .isa = "neon",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_k,
    .pack = gemv_quant__pack_q4_k,
    .run = gemv_q4_k_neon__run,
    .cost = gemv_quant__cost_q4_k,
};

FK_PLUGIN(&gemv_q4_k_neon);
