/* Shared pieces of the scalar quantized GEMV plugins (gemv_{q4_0,q8_0,q4_k,
 * w4a8}_scalar.c and their mutants): packing with the reference quantizers,
 * the W4A8 activation prepare, the per-row dot products and the cost model.
 * Static inline only, so each plugin compiles its own copy with its own
 * flags (STYLE 4).
 *
 * Packed layout: plain GGML blocks, row-major: row r is the blocks of
 * W[r][0..cols) at packed + r * row_bytes, row_bytes =
 * fk_format_row_bytes(format, cols) (not FK_KERNEL_REPACKED).
 *
 * Arithmetic (f32, no contraction under PLUGIN_CFLAGS):
 *   f32 activations: each weight is dequantized as ggml does (Q4_0, Q8_0:
 *     exact; Q4_K: (d*sc)*q - dmin*m, one rounding), multiplied by x[c] and
 *     added to one accumulator in column order;
 *   W4A8: per 32-block an exact integer dot sum (q4 - 8) * q8 in
 *     [-32*8*127, 32*8*127], scaled by fp16(dw) * fp16(dx) and added to one
 *     f32 accumulator in block order. */
#ifndef FK_GEMV_QUANT_H
#define FK_GEMV_QUANT_H

#include <assert.h>

#include "kernel.h"
#include "quant.h"

static inline size_t gemv_quant__packed_size(enum fk_format f, const struct fk_shape *s)
{
    return (size_t)s->rows * fk_format_row_bytes(f, s->cols);
}

static inline size_t gemv_quant__packed_size_q4_0(const struct fk_shape *s)
{
    return gemv_quant__packed_size(FK_FMT_Q4_0, s);
}

static inline size_t gemv_quant__packed_size_q8_0(const struct fk_shape *s)
{
    return gemv_quant__packed_size(FK_FMT_Q8_0, s);
}

static inline size_t gemv_quant__packed_size_q4_k(const struct fk_shape *s)
{
    return gemv_quant__packed_size(FK_FMT_Q4_K, s);
}

/* w: (rows, cols) f32 -> packed: (rows, cols/32) Q4_0 blocks of 18 B. */
static inline int gemv_quant__pack_q4_0(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32)
        return -1;
    fk_block_q4_0 *b = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q4_0_ref(w + r * s->cols, b + r * (s->cols / 32), s->cols);
    return 0;
}

/* w: (rows, cols) f32 -> packed: (rows, cols/32) Q8_0 blocks of 34 B. */
static inline int gemv_quant__pack_q8_0(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32)
        return -1;
    fk_block_q8_0 *b = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q8_0_ref(w + r * s->cols, b + r * (s->cols / 32), s->cols);
    return 0;
}

/* w: (rows, cols) f32 -> packed: (rows, cols/256) Q4_K blocks of 144 B. */
static inline int gemv_quant__pack_q4_k(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 256 || s->cols % 256)
        return -1;
    fk_block_q4_k *b = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q4_k_ref(w + r * s->cols, b + r * (s->cols / 256), s->cols);
    return 0;
}

/* W4A8 scratch: x as (cols/32) Q8_0 blocks of 34 B. */
static inline size_t gemv_quant__prepare_size_w4a8(const struct fk_shape *s)
{
    return fk_format_row_bytes(FK_FMT_Q8_0, s->cols);
}

/* x: (cols) f32 -> scratch: (cols/32) Q8_0 blocks, ggml's reference quantizer
 * (the activations the oracle's W4A8 reference sees). */
static inline void gemv_quant__prepare_w4a8(const struct fk_args *a)
{
    fk_quantize_row_q8_0_ref(a->x, a->scratch, a->shape.cols);
}

/* sum_c W[c] x[c] for one Q4_0 row w: (nb) blocks, x: (32 nb) f32. */
static inline float gemv_quant__dot_q4_0_f32(const fk_block_q4_0 *w, const float *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32(w[i].d);
        const float *xb = x + 32 * i;
        for (int j = 0; j < 16; j++)                      /* elements 0..15: low nibbles */
            acc += (float)((w[i].qs[j] & 0x0f) - 8) * d * xb[j];
        for (int j = 0; j < 16; j++)                      /* elements 16..31: high nibbles */
            acc += (float)((w[i].qs[j] >> 4) - 8) * d * xb[16 + j];
    }
    return acc;
}

/* sum_c W[c] x[c] for one Q8_0 row w: (nb) blocks, x: (32 nb) f32. */
static inline float gemv_quant__dot_q8_0_f32(const fk_block_q8_0 *w, const float *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32(w[i].d);
        const float *xb = x + 32 * i;
        for (int j = 0; j < 32; j++)
            acc += (float)w[i].qs[j] * d * xb[j];
    }
    return acc;
}

/* sum_c W[c] x[c] for one Q4_K row w: (nb) blocks, x: (256 nb) f32. */
static inline float gemv_quant__dot_q4_k_f32(const fk_block_q4_k *w, const float *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32(w[i].d);
        const float dmin = fk_fp16_to_f32(w[i].dmin);
        for (int c = 0; c < 4; c++) {                     /* 64-element chunks */
            const uint8_t *q = w[i].qs + 32 * c;
            const float *xc = x + 256 * i + 64 * c;
            uint8_t sc, m;
            fk_q4_k_get_scale_min(2 * c, w[i].scales, &sc, &m);
            const float d1 = d * (float)sc, m1 = dmin * (float)m;
            for (int l = 0; l < 32; l++)                  /* low nibbles: elements 64c + l */
                acc += (d1 * (float)(q[l] & 0x0f) - m1) * xc[l];
            fk_q4_k_get_scale_min(2 * c + 1, w[i].scales, &sc, &m);
            const float d2 = d * (float)sc, m2 = dmin * (float)m;
            for (int l = 0; l < 32; l++)                  /* high nibbles: elements 64c + 32 + l */
                acc += (d2 * (float)(q[l] >> 4) - m2) * xc[32 + l];
        }
    }
    return acc;
}

/* sum over blocks of fp16(dw) fp16(dx) sum_j (q4_j - 8) q8_j for one row:
 * w: (nb) Q4_0 blocks, x: (nb) Q8_0 blocks. */
static inline float gemv_quant__dot_q4_0_q8_0(const fk_block_q4_0 *w, const fk_block_q8_0 *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        int32_t isum = 0;                                 /* |isum| <= 32 * 8 * 127 */
        for (int j = 0; j < 16; j++) {
            isum += ((w[i].qs[j] & 0x0f) - 8) * x[i].qs[j];
            isum += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
        }
        acc += (float)isum * (fk_fp16_to_f32(w[i].d) * fk_fp16_to_f32(x[i].d));
    }
    return acc;
}

/* Rows [r0, r1) with one of the row dots above. */
#define GEMV_QUANT__RUN(fn, wblock, xtype, xsrc, qk)                          \
    do {                                                                      \
        assert(a->shape.cols >= (qk) && a->shape.cols % (qk) == 0);           \
        assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);                    \
        const int64_t nb = a->shape.cols / (qk);                              \
        const wblock *w = a->w;     /* (rows, nb) blocks */                   \
        const xtype *x = (xsrc);    /* (cols) f32, or (nb) Q8_0 blocks */     \
        for (int64_t r = r0; r < r1; r++)                                     \
            a->y[r] = fn(w + r * nb, x, nb);                                  \
    } while (0)

static inline void gemv_quant__cost_q4_0(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_F32, c);
}

static inline void gemv_quant__cost_q8_0(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q8_0, FK_FMT_F32, c);
}

static inline void gemv_quant__cost_q4_k(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_F32, c);
}

static inline void gemv_quant__cost_w4a8(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

#endif /* FK_GEMV_QUANT_H */
