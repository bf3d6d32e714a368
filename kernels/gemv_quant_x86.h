/* Shared pieces of the x86 quantized GEMV plugins (gemv_{q4_0,q8_0,q4_k,w4a8}_*.c):
 * plain GGML packing, the W4A8 repacked layout and its prepared activations,
 * and the SIMD Q8_0 activation quantizer.  Static inline only (STYLE 4):
 * every plugin compiles its own copy with its own ISA flags; the ISA parts
 * are fenced by the compiler's feature macros (__AVX2__, __AVX512F__).
 *
 * ---- Plain GGML layout (gemv.q4_0.*, gemv.q8_0.*, gemv.q4_k.*) ----
 * packed = rows consecutive rows of cols/QK blocks, each row quantized by the
 * reference quantizer of kernels/quant.h; bit-exact with the oracle's bytes.
 *
 * ---- W4A8 layout (gemv.w4a8.*, FK_KERNEL_REPACKED) ----
 * Rows are grouped by W4A8_G = 4, columns by super-blocks of 16 Q4_0 blocks
 * (512 columns).  Rows are padded to a multiple of 4 and blocks to a multiple
 * of 16 with zero blocks (d = 0, nibbles 0), which contribute exactly 0.
 * One tile (group g, super-block s) is W4A8_TILE_BYTES = 4 * 288 B, tiles in
 * order (g, s), so a thread streams one contiguous range:
 *     nib[i][v][64]  i = row in group (0..3), v = 0..3:
 *                    byte 4k+t = qs[4v+t] of block 16s+k of row 4g+i
 *                    (int32 lane k of a 64-byte vector belongs to block k:
 *                    low nibbles = elements 4v..4v+3, high = 16+4v..16+4v+3)
 *     d[i][16]       fp16 scale of block 16s+k of row 4g+i
 * Lane k of every vector then accumulates the whole integer dot of block k,
 * so the block scale is applied once per 16 blocks with one vector FMA, and
 * no horizontal sum happens before the end of a row.
 *
 * Prepared activations (scratch, one W4A8_XSB_BYTES record per super-block):
 *     int8  xq[8][64]  xq[v] (v < 4) lane k = Q8_0 values 4v..4v+3 of block 16s+k,
 *                      xq[4+v] lane k = values 16+4v..16+4v+3
 *     float dx[16]     fp16_to_f32(Q8_0 d) of block 16s+k (0 for padding)
 *     int32 corr[16]   -8 * sum of the 32 Q8_0 values of block 16s+k
 * so for a block: sum_j (q_j - 8) * x_j = dot(q, x) + corr, exact in int32. */
#ifndef FK_GEMV_QUANT_X86_H
#define FK_GEMV_QUANT_X86_H

#include <stdint.h>
#include <string.h>

#include "kernel.h"
#include "quant.h"

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

/* ================= plain GGML layout ================= */

static inline size_t gemv_quant__packed_size(enum fk_format f, const struct fk_shape *s)
{
    return (size_t)s->rows * fk_format_row_bytes(f, s->cols);
}

/* w: (rows, cols) f32 -> rows of GGML blocks via the reference quantizers.
 * Returns -1 if cols is not a multiple of the block size of f. */
static inline int gemv_quant__pack(enum fk_format f, const struct fk_shape *s, const float *w, void *packed)
{
    const int64_t qk = f == FK_FMT_Q4_K ? FK_Q4_K_BLOCK : 32;
    if (s->rows < 1 || s->cols < qk || s->cols % qk != 0)
        return -1;
    const size_t row_bytes = fk_format_row_bytes(f, s->cols);
    for (int64_t r = 0; r < s->rows; r++) {
        const float *wr = w + r * s->cols;
        void *dst = (uint8_t *)packed + (size_t)r * row_bytes;
        if (f == FK_FMT_Q4_0)
            fk_quantize_row_q4_0_ref(wr, dst, s->cols);
        else if (f == FK_FMT_Q8_0)
            fk_quantize_row_q8_0_ref(wr, dst, s->cols);
        else if (f == FK_FMT_Q4_K)
            fk_quantize_row_q4_k_ref(wr, dst, s->cols);
        else
            return -1;
    }
    return 0;
}

/* Q4_K super-block scales as ggml's dequantizer rounds them: for sub-block j,
 * dsc[j] = fp16(d) * sc_j and dm[j] = fp16(dmin) * m_j (f32 products), so a
 * weight is dsc[j] * q - dm[j] with both operations rounded to f32. */
static inline void q4_k__scales(const fk_block_q4_k *blk, float dsc[8], float dm[8])
{
    const float d = fk_fp16_to_f32(blk->d), dmin = fk_fp16_to_f32(blk->dmin);
    for (int j = 0; j < 8; j++) {
        uint8_t sc, m;
        fk_q4_k_get_scale_min(j, blk->scales, &sc, &m);
        dsc[j] = d * (float)sc;
        dm[j] = dmin * (float)m;
    }
}

/* ================= W4A8 repacked layout ================= */

#define W4A8_G 4                 /* rows per group */
#define W4A8_SB 16               /* Q4_0 blocks per super-block (512 columns) */
#define W4A8_ROW_SB_BYTES 288    /* one row's share of a tile: 256 B nibbles + 32 B scales */
#define W4A8_TILE_BYTES (W4A8_G * W4A8_ROW_SB_BYTES)  /* 1152 = 18 cache lines */
#define W4A8_XSB_BYTES 640       /* prepared activations per super-block: 512 + 64 + 64 */

static inline int64_t w4a8__nsb(int64_t cols)
{
    return (cols / 32 + W4A8_SB - 1) / W4A8_SB;
}

static inline int64_t w4a8__ngroups(int64_t rows)
{
    return (rows + W4A8_G - 1) / W4A8_G;
}

static inline size_t w4a8__packed_size(const struct fk_shape *s)
{
    return (size_t)w4a8__ngroups(s->rows) * (size_t)w4a8__nsb(s->cols) * W4A8_TILE_BYTES;
}

static inline size_t w4a8__prepare_size(const struct fk_shape *s)
{
    return (size_t)w4a8__nsb(s->cols) * W4A8_XSB_BYTES;
}

static inline void w4a8__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

/* Byte offsets of block b of row r inside the packed buffer. */
static inline size_t w4a8__tile_offset(int64_t cols, int64_t r, int64_t b)
{
    return ((size_t)(r / W4A8_G) * (size_t)w4a8__nsb(cols) + (size_t)(b / W4A8_SB)) * W4A8_TILE_BYTES;
}

/* w: (rows, cols) f32 -> the tiles above; each block quantized by
 * fk_quantize_row_q4_0_ref, then its bytes moved (not changed). */
static inline int w4a8__pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32 != 0)
        return -1;
    memset(packed, 0, w4a8__packed_size(s));  /* padding: d = +0, nibbles 0 */
    uint8_t *p = packed;
    const int64_t nb = s->cols / 32;
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % W4A8_G);
        for (int64_t b = 0; b < nb; b++) {
            fk_block_q4_0 blk;
            fk_quantize_row_q4_0_ref(w + r * s->cols + b * 32, &blk, 32);
            uint8_t *tile = p + w4a8__tile_offset(s->cols, r, b);
            const int k = (int)(b % W4A8_SB);
            for (int v = 0; v < 4; v++)
                memcpy(tile + i * 256 + v * 64 + 4 * k, blk.qs + 4 * v, 4);
            memcpy(tile + W4A8_G * 256 + i * 32 + 2 * k, &blk.d, 2);
        }
    }
    return 0;
}

/* Inverse of w4a8__pack's byte moves: plain (rows, cols/32) Q4_0 blocks. */
static inline int w4a8__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32 != 0)
        return -1;
    const uint8_t *p = packed;
    fk_block_q4_0 *out = ggml;
    const int64_t nb = s->cols / 32;
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % W4A8_G);
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *tile = p + w4a8__tile_offset(s->cols, r, b);
            const int k = (int)(b % W4A8_SB);
            fk_block_q4_0 *blk = out + r * nb + b;
            for (int v = 0; v < 4; v++)
                memcpy(blk->qs + 4 * v, tile + i * 256 + v * 64 + 4 * k, 4);
            memcpy(&blk->d, tile + W4A8_G * 256 + i * 32 + 2 * k, 2);
        }
    }
    return 0;
}

/* Moves one block's 32 Q8_0 values q (and its scale and correction) into
 * its lanes of the super-block record xsb (layout at the top). */
static inline void w4a8__place_block(uint8_t *xsb, int k, const int8_t *q, float dx, int32_t sum_q)
{
    for (int v = 0; v < 4; v++) {
        memcpy(xsb + v * 64 + 4 * k, q + 4 * v, 4);
        memcpy(xsb + (4 + v) * 64 + 4 * k, q + 16 + 4 * v, 4);
    }
    const int32_t corr = -8 * sum_q;
    memcpy(xsb + 512 + 4 * k, &dx, 4);
    memcpy(xsb + 576 + 4 * k, &corr, 4);
}

/* ================= SIMD Q8_0 quantizer, AVX-512 ================= */

#if defined(__AVX512F__) && defined(__AVX512BW__)

/* roundf (half away from zero) of v, |v| < 2^23: t = trunc(v); v - t is
 * exact, and |v - t| >= 0.5 moves t one step away from zero. */
static inline __m512 w4a8__roundf_512(__m512 v)
{
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
    const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
    return _mm512_mask_add_ps(t, up, t, one);
}

/* x: (cols) f32 -> scratch records, bit-exact with fk_quantize_row_q8_0_ref
 * for finite x: amax exact, d = amax / 127, id = d ? 1/d : 0 (f32 div),
 * q = roundf(x * id) with |x * id| <= 127, stored scale fp16(d) (F16C, RNE). */
static inline void w4a8__prepare_512(const float *x, int64_t cols, uint8_t *scratch)
{
    const int64_t nb = cols / 32, nsb = w4a8__nsb(cols);
    const __m512 absmask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7fffffff));
    for (int64_t s = 0; s < nsb; s++) {
        uint8_t *xsb = scratch + s * W4A8_XSB_BYTES;
        const int nk = (int)(nb - s * W4A8_SB < W4A8_SB ? nb - s * W4A8_SB : W4A8_SB);
        float amax[W4A8_SB] __attribute__((aligned(64)));
        for (int k = 0; k < W4A8_SB; k++) {
            if (k < nk) {
                const float *xb = x + (s * W4A8_SB + k) * 32;
                const __m512 a0 = _mm512_and_ps(_mm512_loadu_ps(xb), absmask);
                const __m512 a1 = _mm512_and_ps(_mm512_loadu_ps(xb + 16), absmask);
                amax[k] = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
            } else {
                amax[k] = 0.0f;
            }
        }
        const __m512 d = _mm512_div_ps(_mm512_load_ps(amax), _mm512_set1_ps(127.0f));
        const __mmask16 nz = _mm512_cmp_ps_mask(d, _mm512_setzero_ps(), _CMP_NEQ_OQ);
        float id[W4A8_SB] __attribute__((aligned(64)));
        _mm512_store_ps(id, _mm512_maskz_div_ps(nz, _mm512_set1_ps(1.0f), d));
        const __m512 dx = _mm512_cvtph_ps(_mm512_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        _mm512_store_ps((float *)(xsb + 512), dx);

        int8_t q[W4A8_SB][32] __attribute__((aligned(64)));
        int32_t corr[W4A8_SB] __attribute__((aligned(64)));
        for (int k = 0; k < W4A8_SB; k++) {
            if (k >= nk) {
                memset(q[k], 0, 32);
                corr[k] = 0;
                continue;
            }
            const float *xb = x + (s * W4A8_SB + k) * 32;
            const __m512 vid = _mm512_set1_ps(id[k]);
            const __m512i q0 = _mm512_cvtps_epi32(w4a8__roundf_512(_mm512_mul_ps(_mm512_loadu_ps(xb), vid)));
            const __m512i q1 = _mm512_cvtps_epi32(w4a8__roundf_512(_mm512_mul_ps(_mm512_loadu_ps(xb + 16), vid)));
            _mm_store_si128((__m128i *)q[k], _mm512_cvtepi32_epi8(q0));
            _mm_store_si128((__m128i *)(q[k] + 16), _mm512_cvtepi32_epi8(q1));
            corr[k] = -8 * _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        }
        _mm512_store_si512((__m512i *)(xsb + 576), _mm512_load_si512((const __m512i *)corr));
        /* transpose: xq[j] lane k = dword j of block k (dword j of q[k] is at 32k + 4j) */
        const __m512i lane = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                                _mm512_set1_epi32(8));
        for (int j = 0; j < 8; j++) {  /* dword j = values 4j..4j+3 -> xq[j] */
            const __m512i g = _mm512_i32gather_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(j)), q, 4);
            _mm512_store_si512((__m512i *)(xsb + j * 64), g);
        }
    }
}

#endif /* AVX-512 */

/* ================= SIMD Q8_0 quantizer, AVX2 ================= */

#if defined(__AVX2__)

static inline __m256 w4a8__roundf_256(__m256 v)
{
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(v, t));
    const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    const __m256 step = _mm256_and_ps(up, _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
    return _mm256_add_ps(t, step);
}

static inline float w4a8__hmax_256(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* As w4a8__prepare_512, with AVX2 + F16C. */
static inline void w4a8__prepare_256(const float *x, int64_t cols, uint8_t *scratch)
{
    const int64_t nb = cols / 32, nsb = w4a8__nsb(cols);
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int64_t s = 0; s < nsb; s++) {
        uint8_t *xsb = scratch + s * W4A8_XSB_BYTES;
        const int nk = (int)(nb - s * W4A8_SB < W4A8_SB ? nb - s * W4A8_SB : W4A8_SB);
        float amax[W4A8_SB] __attribute__((aligned(32)));
        for (int k = 0; k < W4A8_SB; k++) {
            if (k < nk) {
                const float *xb = x + (s * W4A8_SB + k) * 32;
                __m256 m = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(xb), absmask),
                                         _mm256_and_ps(_mm256_loadu_ps(xb + 8), absmask));
                m = _mm256_max_ps(m, _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(xb + 16), absmask),
                                                   _mm256_and_ps(_mm256_loadu_ps(xb + 24), absmask)));
                amax[k] = w4a8__hmax_256(m);
            } else {
                amax[k] = 0.0f;
            }
        }
        float id[W4A8_SB] __attribute__((aligned(32)));
        for (int h = 0; h < 2; h++) {
            const __m256 d = _mm256_div_ps(_mm256_load_ps(amax + 8 * h), _mm256_set1_ps(127.0f));
            const __m256 nz = _mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_NEQ_OQ);
            _mm256_store_ps(id + 8 * h, _mm256_and_ps(nz, _mm256_div_ps(_mm256_set1_ps(1.0f), d)));
            const __m256 dx = _mm256_cvtph_ps(_mm256_cvtps_ph(d, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
            _mm256_store_ps((float *)(xsb + 512) + 8 * h, dx);
        }
        const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (int k = 0; k < W4A8_SB; k++) {
            int8_t q[32] __attribute__((aligned(32)));
            int32_t sum_q = 0;
            if (k < nk) {
                const float *xb = x + (s * W4A8_SB + k) * 32;
                const __m256 vid = _mm256_set1_ps(id[k]);
                __m256i i0 = _mm256_cvtps_epi32(w4a8__roundf_256(_mm256_mul_ps(_mm256_loadu_ps(xb), vid)));
                __m256i i1 = _mm256_cvtps_epi32(w4a8__roundf_256(_mm256_mul_ps(_mm256_loadu_ps(xb + 8), vid)));
                __m256i i2 = _mm256_cvtps_epi32(w4a8__roundf_256(_mm256_mul_ps(_mm256_loadu_ps(xb + 16), vid)));
                __m256i i3 = _mm256_cvtps_epi32(w4a8__roundf_256(_mm256_mul_ps(_mm256_loadu_ps(xb + 24), vid)));
                __m256i s = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
                __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
                s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
                s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
                sum_q = _mm_cvtsi128_si32(s4);
                /* values in [-127, 127]: the saturating packs are exact */
                i0 = _mm256_packs_epi32(i0, i1);
                i2 = _mm256_packs_epi32(i2, i3);
                _mm256_store_si256((__m256i *)q, _mm256_permutevar8x32_epi32(_mm256_packs_epi16(i0, i2), perm));
            } else {
                memset(q, 0, sizeof q);
            }
            float dxk;
            memcpy(&dxk, xsb + 512 + 4 * k, 4);
            w4a8__place_block(xsb, k, q, dxk, sum_q);
        }
    }
}

#endif /* AVX2 */

#endif /* FK_GEMV_QUANT_X86_H */
