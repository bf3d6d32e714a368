/* Shared pieces of the integer-dot GEMVs whose activations are quantized in
 * prepare(), like ggml's CPU backend does it (gemv_q8_0_q8_0_*.c,
 * gemv_q4_k_q8_k_*.c): plain GGML packing, the reference activation
 * quantizers, the exact per-block integer dots of the scalar reference and
 * the cost model.  Static inline only (STYLE 4); portable C, so the scalar
 * and NEON plugins and the x86 ones (gemv_qdot_x86.h) share it.
 *
 * Arithmetic of the reference (scalar) row dots, f32 without contraction:
 *   Q8_0 x Q8_0, per 32-block: isum = sum_j wq_j * xq_j exact in int32
 *     (|isum| <= 32 * 127 * 127); acc += isum * (fp16(dw) * fp16(dx)).
 *   Q4_K x Q8_K, per 256 super-block (ggml's vec_dot_q4_K_q8_K):
 *     isum = sum_j sc_j * sum_{l in sub-block j} q_l * xq_l
 *            (|isum| <= 8 * 63 * 32 * 15 * 127 < 2^25, exact)
 *     msum = sum_j m_j * (bsums[2j] + bsums[2j+1])   (the dmin * m term
 *            taken from the per-16 sums: |msum| <= 8 * 63 * 4064)
 *     acc += (fp16(d) * dx) * isum - (fp16(dmin) * dx) * msum.
 * Against the exact product of the dequantized operands only the scale
 * products and the f32 sums round. */
#ifndef FK_GEMV_QDOT_H
#define FK_GEMV_QDOT_H

#include <assert.h>

#include "kernel.h"
#include "quant.h"

static inline size_t qdot__packed_size_q8_0(const struct fk_shape *s)
{
    return (size_t)s->rows * fk_format_row_bytes(FK_FMT_Q8_0, s->cols);
}

static inline size_t qdot__packed_size_q4_k(const struct fk_shape *s)
{
    return (size_t)s->rows * fk_format_row_bytes(FK_FMT_Q4_K, s->cols);
}

/* w: (rows, cols) f32 -> packed: (rows, cols/32) Q8_0 blocks of 34 B. */
static inline int qdot__pack_q8_0(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32)
        return -1;
    fk_block_q8_0 *b = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q8_0_ref(w + r * s->cols, b + r * (s->cols / 32), s->cols);
    return 0;
}

/* w: (rows, cols) f32 -> packed: (rows, cols/256) Q4_K blocks of 144 B. */
static inline int qdot__pack_q4_k(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 256 || s->cols % 256)
        return -1;
    fk_block_q4_k *b = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q4_k_ref(w + r * s->cols, b + r * (s->cols / 256), s->cols);
    return 0;
}

/* Scratch: x as (cols/32) Q8_0 blocks (ggml's reference quantizer, the
 * activations the oracle's q8_0 reference sees). */
static inline size_t qdot__prepare_size_q8_0(const struct fk_shape *s)
{
    return fk_format_row_bytes(FK_FMT_Q8_0, s->cols);
}

static inline void qdot__prepare_q8_0(const struct fk_args *a)
{
    fk_quantize_row_q8_0_ref(a->x, a->scratch, a->shape.cols);
}

/* Scratch: x as (cols/256) Q8_K blocks (ggml's quantize_row_q8_K_ref). */
static inline size_t qdot__prepare_size_q8_k(const struct fk_shape *s)
{
    return fk_format_row_bytes(FK_FMT_Q8_K, s->cols);
}

static inline void qdot__prepare_q8_k(const struct fk_args *a)
{
    fk_quantize_row_q8_k_ref(a->x, a->scratch, a->shape.cols);
}

/* One row: w (nb) Q8_0 blocks, x (nb) Q8_0 blocks. */
static inline float qdot__dot_q8_0_q8_0(const fk_block_q8_0 *w, const fk_block_q8_0 *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        int32_t isum = 0;
        for (int j = 0; j < 32; j++)
            isum += w[i].qs[j] * x[i].qs[j];
        acc += (float)isum * (fk_fp16_to_f32(w[i].d) * fk_fp16_to_f32(x[i].d));
    }
    return acc;
}

/* Scales sc[8] and mins m[8] (each 0..63) of a Q4_K block. */
static inline void qdot__q4_k_scales(const fk_block_q4_k *b, uint8_t sc[8], uint8_t m[8])
{
    for (int j = 0; j < 8; j++)
        fk_q4_k_get_scale_min(j, b->scales, &sc[j], &m[j]);
}

/* One row: w (nb) Q4_K blocks, x (nb) Q8_K blocks. */
static inline float qdot__dot_q4_k_q8_k(const fk_block_q4_k *w, const fk_block_q8_k *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        uint8_t sc[8], m[8];
        qdot__q4_k_scales(&w[i], sc, m);
        int32_t isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {  /* 64-element chunk c: sub-blocks 2c (low nibbles), 2c+1 (high) */
            const uint8_t *q = w[i].qs + 32 * c;
            const int8_t *xq = x[i].qs + 64 * c;
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (q[l] & 0x0f) * xq[l];
                hi += (q[l] >> 4) * xq[32 + l];
            }
            isum += sc[2 * c] * lo + sc[2 * c + 1] * hi;
        }
        for (int j = 0; j < 8; j++)
            msum += m[j] * (x[i].bsums[2 * j] + x[i].bsums[2 * j + 1]);
        const float d = fk_fp16_to_f32(w[i].d) * x[i].d;
        const float dmin = fk_fp16_to_f32(w[i].dmin) * x[i].d;
        acc += d * (float)isum - dmin * (float)msum;
    }
    return acc;
}

static inline void qdot__cost_q8_0_q8_0(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q8_0, FK_FMT_Q8_0, c);
}

static inline void qdot__cost_q4_k_q8_k(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_Q8_K, c);
}

#endif /* FK_GEMV_QDOT_H */
