/* Shared pieces of the x86 integer-dot GEMVs with activations quantized in
 * prepare() (gemv_q8_0_q8_0_{avx2,avx512vnni}.c, gemv_q4_k_q8_k_{avx2,
 * avx512vnni}.c).  Static inline only (STYLE 4); ISA parts fenced by the
 * compiler's feature macros.
 *
 * ---- Q8_0 x Q8_0: repacked tiles (FK_KERNEL_REPACKED) ----
 * As the W4A8 tiles (gemv_quant_x86.h): rows in groups of Q8Q8_G = 4,
 * columns in super-blocks of 16 Q8_0 blocks (512 columns), both padded with
 * zero blocks (d = +0, q = 0: they add exactly 0).  Tile (g, s) is
 * Q8Q8_TILE_BYTES = 4 * 544 B, tiles in order (g, s), one contiguous
 * stream per group:
 *     qs[i][j][64]  i = row in group, j = 0..7: int32 lane k = bytes
 *                   4j..4j+3 of block 16s+k of row 4g+i, XOR bias
 *     d[i][16]      fp16 scale of block 16s+k of row 4g+i
 * bias = 0 (AVX2: signed bytes for vpsignb/vpmaddubsw) or 0x80 (VNNI:
 * q + 128 in [1, 255] as vpdpbusd's unsigned operand, the -128 * sum(xq)
 * correction added once per block).  The prepared activations are the
 * W4A8 super-block records (w4a8__prepare_*): xq[j] lane k = bytes
 * 4j..4j+3 of block k, so lane k of one accumulator collects block k.
 *
 * ---- Q4_K x Q8_K ----
 * Weights: plain GGML Q4_K rows (not repacked; bit-exact with the oracle).
 * Prepared activations, one QK_XSB_BYTES = 320 record per super-block:
 *     int8  q[256]    Q8_K values (AVX2: element order; AVX-512: permuted,
 *                     see qk__perm_512), from fk_quantize_row_q8_k_ref
 *     float d         Q8_K scale, at byte 256
 *     int16 s32[8]    sums of sub-block j's 32 values (bsums[2j] +
 *                     bsums[2j+1]), at byte 260, for the dmin * m term */
#ifndef FK_GEMV_QDOT_X86_H
#define FK_GEMV_QDOT_X86_H

#include <stdint.h>
#include <string.h>

#include "gemv_qdot.h"
#include "gemv_quant_x86.h"

/* ================= Q8_0 x Q8_0 tiles ================= */

#define Q8Q8_G 4
#define Q8Q8_SB 16
#define Q8Q8_ROW_SB_BYTES 544    /* 512 B values + 32 B fp16 scales */
#define Q8Q8_TILE_BYTES (Q8Q8_G * Q8Q8_ROW_SB_BYTES)  /* 2176 = 34 cache lines */

static inline int64_t q8q8__nsb(int64_t cols)
{
    return (cols / 32 + Q8Q8_SB - 1) / Q8Q8_SB;
}

static inline size_t q8q8__packed_size(const struct fk_shape *s)
{
    return (size_t)((s->rows + Q8Q8_G - 1) / Q8Q8_G) * (size_t)q8q8__nsb(s->cols) * Q8Q8_TILE_BYTES;
}

static inline size_t q8q8__tile_offset(int64_t cols, int64_t r, int64_t b)
{
    return ((size_t)(r / Q8Q8_G) * (size_t)q8q8__nsb(cols) + (size_t)(b / Q8Q8_SB)) * Q8Q8_TILE_BYTES;
}

/* w: (rows, cols) f32 -> tiles; each block from fk_quantize_row_q8_0_ref,
 * its value bytes XOR bias, moved into place. */
static inline int q8q8__pack(const struct fk_shape *s, const float *w, void *packed, uint8_t bias)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32 != 0)
        return -1;
    uint8_t *p = packed;
    const int64_t nb = s->cols / 32, nsb = q8q8__nsb(s->cols);
    const int64_t ngroups = (s->rows + Q8Q8_G - 1) / Q8Q8_G;
    for (int64_t t = 0; t < ngroups * nsb; t++) {  /* padding: q = 0 (stored biased), d = +0 */
        memset(p + t * Q8Q8_TILE_BYTES, bias, Q8Q8_G * 512);
        memset(p + t * Q8Q8_TILE_BYTES + Q8Q8_G * 512, 0, Q8Q8_G * 32);
    }
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % Q8Q8_G);
        for (int64_t b = 0; b < nb; b++) {
            fk_block_q8_0 blk;
            fk_quantize_row_q8_0_ref(w + r * s->cols + b * 32, &blk, 32);
            uint8_t *tile = p + q8q8__tile_offset(s->cols, r, b);
            const int k = (int)(b % Q8Q8_SB);
            for (int j = 0; j < 8; j++)
                for (int t = 0; t < 4; t++)
                    tile[i * 512 + j * 64 + 4 * k + t] = (uint8_t)blk.qs[4 * j + t] ^ bias;
            memcpy(tile + Q8Q8_G * 512 + i * 32 + 2 * k, &blk.d, 2);
        }
    }
    return 0;
}

/* Inverse of q8q8__pack: plain (rows, cols/32) Q8_0 blocks. */
static inline int q8q8__to_ggml(const struct fk_shape *s, const void *packed, void *ggml, uint8_t bias)
{
    if (s->rows < 1 || s->cols < 32 || s->cols % 32 != 0)
        return -1;
    const uint8_t *p = packed;
    fk_block_q8_0 *out = ggml;
    const int64_t nb = s->cols / 32;
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % Q8Q8_G);
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *tile = p + q8q8__tile_offset(s->cols, r, b);
            const int k = (int)(b % Q8Q8_SB);
            fk_block_q8_0 *blk = out + r * nb + b;
            for (int j = 0; j < 8; j++)
                for (int t = 0; t < 4; t++)
                    blk->qs[4 * j + t] = (int8_t)(tile[i * 512 + j * 64 + 4 * k + t] ^ bias);
            memcpy(&blk->d, tile + Q8Q8_G * 512 + i * 32 + 2 * k, 2);
        }
    }
    return 0;
}

/* Prepared activations: the W4A8 records (same Q8_0 values, same lanes). */
static inline size_t q8q8__prepare_size(const struct fk_shape *s)
{
    return (size_t)q8q8__nsb(s->cols) * W4A8_XSB_BYTES;
}

/* ================= Q4_K x Q8_K ================= */

#define QK_XSB_BYTES 320

static inline size_t qk__prepare_size(const struct fk_shape *s)
{
    return (size_t)(s->cols / 256) * QK_XSB_BYTES;
}

/* Position in the AVX-512 record of element e of a super-block: 64-byte
 * vector V holds the activations of the low (V even) or high (V odd)
 * nibbles of one 64-byte load of qs (chunks 2(V/2), 2(V/2)+1):
 *   V = 2 * (c / 2) + h, byte 32 * (c % 2) + l   for e = 64c + 32h + l. */
static inline int qk__perm_512(int e)
{
    const int c = e / 64, h = (e / 32) % 2, l = e % 32;
    return 64 * (2 * (c / 2) + h) + 32 * (c % 2) + l;
}

/* One Q8_K block into its record: values moved (permuted if perm), the
 * per-32 sums from its bsums, nothing recomputed. */
static inline void qk__place(uint8_t *rec, const fk_block_q8_k *blk, int perm)
{
    if (perm) {
        for (int e = 0; e < 256; e++)
            rec[qk__perm_512(e)] = (uint8_t)blk->qs[e];
    } else {
        memcpy(rec, blk->qs, 256);
    }
    memcpy(rec + 256, &blk->d, 4);
    int16_t s32[8];
    for (int j = 0; j < 8; j++)
        s32[j] = (int16_t)(blk->bsums[2 * j] + blk->bsums[2 * j + 1]);
    memcpy(rec + 260, s32, sizeof s32);
    memset(rec + 276, 0, QK_XSB_BYTES - 276);
}

/* x: (cols) f32 -> records, through fk_quantize_row_q8_k_ref. */
static inline void qk__prepare(const float *x, int64_t cols, uint8_t *scratch, int perm)
{
    for (int64_t i = 0; i < cols / 256; i++) {
        fk_block_q8_k blk;
        fk_quantize_row_q8_k_ref(x + 256 * i, &blk, 256);
        qk__place(scratch + i * QK_XSB_BYTES, &blk, perm);
    }
}

/* 6-bit scales (low 8 bytes) and mins (high 8 bytes) of a Q4_K block as
 * bytes, sub-block order, from the packing of fk_q4_k_get_scale_min:
 * sc0..3 = b0..3 & 63, m0..3 = b4..7 & 63,
 * sc4..7 = (b8..11 & 15) | (b0..3 >> 6) << 4, m4..7 = (b8..11 >> 4) | (b4..7 >> 6) << 4. */
static inline void qk__unpack_scales(const uint8_t *scales, uint32_t out[4])
{
    uint32_t u0, u1, u2;
    memcpy(&u0, scales, 4);
    memcpy(&u1, scales + 4, 4);
    memcpy(&u2, scales + 8, 4);
    out[0] = u0 & 0x3f3f3f3fu;
    out[1] = (u2 & 0x0f0f0f0fu) | ((u0 >> 2) & 0x30303030u);
    out[2] = u1 & 0x3f3f3f3fu;
    out[3] = ((u2 >> 4) & 0x0f0f0f0fu) | ((u1 >> 2) & 0x30303030u);
}

#if defined(__AVX2__)
/* As qk__prepare, vectorized, bit-exact with fk_quantize_row_q8_k_ref: amax
 * and the first index holding it exactly; iscale = -127 / max and d =
 * 1 / iscale as scalar f32 divisions; p = iscale * x rounded once (vmulps),
 * and vcvtps2dq under the default round-to-nearest-even mode equals
 * nearest_int(p) for |p| <= 2^22.  A block where that cannot hold (amax
 * 0, NaN or inf inputs, an iscale that overflows) goes through the
 * reference quantizer instead.  Values in [-127, 127]: the saturating
 * packs are exact, and min(127, .) is the saturation at 127. */
static inline void qk__prepare_256(const float *x, int64_t cols, uint8_t *scratch, int perm)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int64_t i = 0; i < cols / 256; i++) {
        const float *xb = x + 256 * i;
        uint8_t *rec = scratch + i * QK_XSB_BYTES;
        __m256 m = _mm256_setzero_ps();
        __m256 bad = _mm256_setzero_ps();   /* lanes that saw a NaN or inf */
        for (int v = 0; v < 32; v++) {
            const __m256 ax = _mm256_and_ps(_mm256_loadu_ps(xb + 8 * v), absmask);
            m = _mm256_max_ps(ax, m);        /* a NaN in ax keeps m */
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(ax, _mm256_set1_ps(3.4028235e38f), _CMP_NLE_UQ));
        }
        float amax = w4a8__hmax_256(m);
        if (!(amax >= 1e-30f) || _mm256_movemask_ps(bad)) {
            fk_block_q8_k blk;
            fk_quantize_row_q8_k_ref(xb, &blk, 256);
            qk__place(rec, &blk, perm);
            continue;
        }
        int first = 0;
        for (int v = 0; v < 32; v++) {
            const __m256 ax = _mm256_and_ps(_mm256_loadu_ps(xb + 8 * v), absmask);
            const int hit = _mm256_movemask_ps(_mm256_cmp_ps(ax, _mm256_set1_ps(amax), _CMP_EQ_OQ));
            if (hit) {
                first = 8 * v + __builtin_ctz((unsigned)hit);
                break;
            }
        }
        const float iscale = -127.0f / xb[first];
        const __m256 vis = _mm256_set1_ps(iscale);
        for (int v = 0; v < 8; v++) {       /* 32 values: one sub-block */
            const float *xv = xb + 32 * v;
            const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv), vis));
            const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 8), vis));
            const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 16), vis));
            const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 24), vis));
            const __m256i q = _mm256_permutevar8x32_epi32(
                _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)), order);
            const int c = v / 2, h = v % 2;
            _mm256_storeu_si256((__m256i *)(rec + (perm ? 64 * (2 * (c / 2) + h) + 32 * (c % 2) : 32 * v)), q);
            /* sum of the 32 values: sad of q + 128 against 0, minus 32 * 128 */
            const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)),
                                                _mm256_setzero_si256());
            const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
            const int16_t s32 = (int16_t)(_mm_cvtsi128_si32(_mm_add_epi64(s2, _mm_unpackhi_epi64(s2, s2))) - 4096);
            memcpy(rec + 260 + 2 * v, &s32, 2);
        }
        const float d = 1.0f / iscale;
        memcpy(rec + 256, &d, 4);
        memset(rec + 276, 0, QK_XSB_BYTES - 276);
    }
}
#endif

static inline void qk__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_Q8_K, c);
}

#endif /* FK_GEMV_QDOT_X86_H */
