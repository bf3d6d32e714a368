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
 * ---- Q4_K x Q8_K: repacked tiles (FK_KERNEL_REPACKED) ----
 * Rows in groups of QK_G = 4 (padded with all-zero rows: d = dmin = +0,
 * they add exactly 0), one super-block (256 columns) per tile, tiles in
 * order (g, s): one contiguous stream per group.  A tile is QK_TILE_BYTES
 * = 576 B, exactly the four GGML blocks' bytes, moved (qk__pack; qk__to_ggml
 * undoes it bit for bit):
 *     nib[i][2][64]  row i: byte b of vector v belongs to sub-block j = b/8;
 *                    with u = 8v + b%8 its low nibble is element 32j + u,
 *                    its high nibble element 32j + 16 + u (qk__nib_pos)
 *     meta[64]       bytes 0-31, p = 8i + j: sc_ij | (m_ij & 3) << 6;
 *                    32-47: m_ij >> 2 in nibble p/16 of byte p%16;
 *                    48-55: fp16 d of rows 0-3; 56-63: fp16 dmin
 * so each 32-bit lane of a row's vectors holds one sub-block's nibbles
 * only, and the scale multiplies once per sub-block, not per product.
 * Prepared activations, one QK_XSB_BYTES = 384 record per super-block:
 *     int8  q[256]    Q8_K values (fk_quantize_row_q8_k_ref) at qk__act_pos:
 *                     the partner of nibble byte (v, b) at 128v + b (low)
 *                     and 128v + 64 + b (high)
 *     int16 s32[8]x4  sums of sub-block j's 32 values (bsums[2j] +
 *                     bsums[2j+1]), four copies, at byte 256: the dmin * m term
 *     float d         Q8_K scale, at byte 320 */
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

/* ================= Q4_K x Q8_K tiles ================= */

#define QK_G 4                    /* rows per group */
#define QK_ROW_BYTES 128          /* one row's nibbles in a tile */
#define QK_META_BYTES 64          /* 4 rows' scales, mins, d, dmin */
#define QK_TILE_BYTES (QK_G * QK_ROW_BYTES + QK_META_BYTES)  /* 576 = 9 cache lines = 4 x 144 */
#define QK_XSB_BYTES 384          /* prepared activations per super-block */

static inline int64_t qk__ngroups(int64_t rows)
{
    return (rows + QK_G - 1) / QK_G;
}

static inline size_t qk__packed_size(const struct fk_shape *s)
{
    return (size_t)qk__ngroups(s->rows) * (size_t)(s->cols / 256) * QK_TILE_BYTES;
}

/* Byte (v, b) of a row's nibbles, v = 0..1, b = 0..63: sub-block j = b / 8,
 * u = 8v + b % 8 (0..15); low nibble = element 32j + u, high = 32j + 16 + u.
 * Element e of the super-block -> (byte 64v + b, nibble h). */
static inline int qk__nib_pos(int e, int *hi)
{
    const int j = e / 32, w = e % 32, u = w % 16;
    *hi = w / 16;
    return 64 * (u / 8) + 8 * j + u % 8;
}

/* Element e's activation in a record: the low-nibble partner of byte
 * (v, b) at 128v + b, the high-nibble partner at 128v + 64 + b. */
static inline int qk__act_pos(int e)
{
    int hi;
    const int p = qk__nib_pos(e, &hi);
    return 128 * (p / 64) + 64 * hi + p % 64;
}

/* Meta index p = 8i + j (row i of the group, sub-block j). */
static inline void qk__meta_put(uint8_t *meta, int p, uint8_t sc, uint8_t m)
{
    meta[p] = (uint8_t)(sc | (m & 3) << 6);
    const int q = p % 16, sh = p < 16 ? 0 : 4;
    meta[32 + q] = (uint8_t)((meta[32 + q] & ~(0x0f << sh)) | (m >> 2) << sh);
}

static inline void qk__meta_get(const uint8_t *meta, int p, uint8_t *sc, uint8_t *m)
{
    *sc = meta[p] & 0x3f;
    *m = (uint8_t)(meta[p] >> 6 | ((meta[32 + p % 16] >> (p < 16 ? 0 : 4)) & 0x0f) << 2);
}

/* w: (rows, cols) f32 -> tiles; each super-block from
 * fk_quantize_row_q4_k_ref, its bits moved (not changed). */
static inline int qk__pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 256 || s->cols % 256 != 0)
        return -1;
    memset(packed, 0, qk__packed_size(s));   /* padding rows: all zero, add exactly 0 */
    const int64_t nb = s->cols / 256;
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % QK_G);
        for (int64_t b = 0; b < nb; b++) {
            fk_block_q4_k blk;
            fk_quantize_row_q4_k_ref(w + r * s->cols + b * 256, &blk, 256);
            uint8_t *tile = (uint8_t *)packed + ((size_t)(r / QK_G) * (size_t)nb + (size_t)b) * QK_TILE_BYTES;
            uint8_t *row = tile + i * QK_ROW_BYTES, *meta = tile + QK_G * QK_ROW_BYTES;
            for (int e = 0; e < 256; e++) {
                const int c = e / 64, h = (e / 32) % 2, l = e % 32;
                const uint8_t q = (uint8_t)((blk.qs[32 * c + l] >> (4 * h)) & 0x0f);
                int hi;
                const int pos = qk__nib_pos(e, &hi);
                row[pos] = (uint8_t)(row[pos] | q << (4 * hi));
            }
            for (int j = 0; j < 8; j++) {
                uint8_t sc, m;
                fk_q4_k_get_scale_min(j, blk.scales, &sc, &m);
                qk__meta_put(meta, 8 * i + j, sc, m);
            }
            memcpy(meta + 48 + 2 * i, &blk.d, 2);
            memcpy(meta + 56 + 2 * i, &blk.dmin, 2);
        }
    }
    return 0;
}

/* Inverse of qk__pack: plain (rows, cols/256) Q4_K blocks. */
static inline int qk__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    if (s->rows < 1 || s->cols < 256 || s->cols % 256 != 0)
        return -1;
    const int64_t nb = s->cols / 256;
    fk_block_q4_k *out = ggml;
    for (int64_t r = 0; r < s->rows; r++) {
        const int i = (int)(r % QK_G);
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *tile = (const uint8_t *)packed + ((size_t)(r / QK_G) * (size_t)nb + (size_t)b) * QK_TILE_BYTES;
            const uint8_t *row = tile + i * QK_ROW_BYTES, *meta = tile + QK_G * QK_ROW_BYTES;
            fk_block_q4_k *blk = out + r * nb + b;
            memset(blk->qs, 0, sizeof blk->qs);
            for (int e = 0; e < 256; e++) {
                int hi;
                const uint8_t q = (uint8_t)((row[qk__nib_pos(e, &hi)] >> (4 * hi)) & 0x0f);
                const int c = e / 64, h = (e / 32) % 2, l = e % 32;
                blk->qs[32 * c + l] = (uint8_t)(blk->qs[32 * c + l] | q << (4 * h));
            }
            /* scales[12] from sc_j, m_j: the inverse of fk_q4_k_get_scale_min */
            uint8_t sc[8], m[8];
            for (int j = 0; j < 8; j++)
                qk__meta_get(meta, 8 * i + j, &sc[j], &m[j]);
            for (int j = 0; j < 4; j++) {
                blk->scales[j] = (uint8_t)(sc[j] | (sc[j + 4] >> 4) << 6);
                blk->scales[j + 4] = (uint8_t)(m[j] | (m[j + 4] >> 4) << 6);
                blk->scales[j + 8] = (uint8_t)((sc[j + 4] & 0x0f) | (m[j + 4] & 0x0f) << 4);
            }
            memcpy(&blk->d, meta + 48 + 2 * i, 2);
            memcpy(&blk->dmin, meta + 56 + 2 * i, 2);
        }
    }
    return 0;
}

static inline size_t qk__prepare_size(const struct fk_shape *s)
{
    return (size_t)(s->cols / 256) * QK_XSB_BYTES;
}

/* The per-32 sums (bsums[2j] + bsums[2j+1], |s| <= 4064) as int16, four
 * times at byte 256, and d at byte 320. */
static inline void qk__place_tail(uint8_t *rec, const int16_t s32[8], float d)
{
    for (int k = 0; k < 4; k++)
        memcpy(rec + 256 + 16 * k, s32, 16);
    memcpy(rec + 320, &d, 4);
    memset(rec + 324, 0, QK_XSB_BYTES - 324);
}

/* One Q8_K block into its record: values moved to qk__act_pos, the per-32
 * sums from its bsums, nothing recomputed. */
static inline void qk__place(uint8_t *rec, const fk_block_q8_k *blk)
{
    for (int e = 0; e < 256; e++)
        rec[qk__act_pos(e)] = (uint8_t)blk->qs[e];
    int16_t s32[8];
    for (int j = 0; j < 8; j++)
        s32[j] = (int16_t)(blk->bsums[2 * j] + blk->bsums[2 * j + 1]);
    qk__place_tail(rec, s32, blk->d);
}

/* x: (cols) f32 -> records, through fk_quantize_row_q8_k_ref. */
static inline void qk__prepare(const float *x, int64_t cols, uint8_t *scratch)
{
    for (int64_t i = 0; i < cols / 256; i++) {
        fk_block_q8_k blk;
        fk_quantize_row_q8_k_ref(x + 256 * i, &blk, 256);
        qk__place(scratch + i * QK_XSB_BYTES, &blk);
    }
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
static inline void qk__prepare_256(const float *x, int64_t cols, uint8_t *scratch)
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
            qk__place(rec, &blk);
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
        int16_t s32[8];
        for (int j = 0; j < 8; j++) {       /* 32 values: sub-block j */
            const float *xv = xb + 32 * j;
            const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv), vis));
            const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 8), vis));
            const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 16), vis));
            const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xv + 24), vis));
            const __m256i q = _mm256_permutevar8x32_epi32(
                _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3)), order);
            /* values u = 0..7, 8..15, 16..23, 24..31 of the sub-block to
             * 8j, 128 + 8j, 64 + 8j, 192 + 8j (qk__act_pos) */
            const __m128i q0 = _mm256_castsi256_si128(q), q1 = _mm256_extracti128_si256(q, 1);
            _mm_storel_epi64((__m128i *)(rec + 8 * j), q0);
            _mm_storel_epi64((__m128i *)(rec + 128 + 8 * j), _mm_unpackhi_epi64(q0, q0));
            _mm_storel_epi64((__m128i *)(rec + 64 + 8 * j), q1);
            _mm_storel_epi64((__m128i *)(rec + 192 + 8 * j), _mm_unpackhi_epi64(q1, q1));
            /* sum of the 32 values: sad of q + 128 against 0, minus 32 * 128 */
            const __m256i sad = _mm256_sad_epu8(_mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)),
                                                _mm256_setzero_si256());
            const __m128i s2 = _mm_add_epi64(_mm256_castsi256_si128(sad), _mm256_extracti128_si256(sad, 1));
            s32[j] = (int16_t)(_mm_cvtsi128_si32(_mm_add_epi64(s2, _mm_unpackhi_epi64(s2, s2))) - 4096);
        }
        qk__place_tail(rec, s32, 1.0f / iscale);
    }
}
#endif

/* The row loop of the x86 Q4_K x Q8_K kernels.  Rows [r0, r1): every
 * group of 4 rows that meets the range is computed whole (padding rows
 * included), only rows inside it are stored.  `streams` groups per pass,
 * one from each part of the range: that many sequential streams in
 * distinct pages (README "DRAM streaming"); a group past the range repeats
 * the first and is not stored.  acc holds `streams` accumulator sets of
 * acc_bytes each; zero, tile and store are the kernel's (constants, so
 * each kernel compiles its own inlined copy). */
static inline __attribute__((always_inline)) void
qk__run(const struct fk_args *a, int64_t r0, int64_t r1, int streams, void *acc, size_t acc_bytes,
        void (*zero)(void *g), void (*tile)(const uint8_t *t, const uint8_t *rec, void *g),
        void (*store)(float *y, int64_t gi, int64_t r0, int64_t r1, const void *g))
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t nb = a->shape.cols / 256;
    const uint8_t *w = a->w;        /* (groups, nb) tiles of 576 B */
    const uint8_t *xs = a->scratch; /* (nb) records of 384 B */
    const int64_t g0 = r0 / QK_G, g1 = (r1 + QK_G - 1) / QK_G;
    const size_t group_bytes = (size_t)nb * QK_TILE_BYTES;
    const int64_t part = (g1 - g0 + streams - 1) / streams;
    assert(1 <= streams && streams <= 8);

    for (int64_t t = 0; t < part; t++) {
        int64_t gi[8];
        for (int k = 0; k < streams; k++) {
            gi[k] = g0 + k * part + t < g1 ? g0 + k * part + t : g0 + t;
            zero((uint8_t *)acc + k * acc_bytes);
        }
        for (int64_t s = 0; s < nb; s++)
            for (int k = 0; k < streams; k++)
                tile(w + (size_t)gi[k] * group_bytes + (size_t)s * QK_TILE_BYTES, xs + s * QK_XSB_BYTES,
                     (uint8_t *)acc + k * acc_bytes);
        for (int k = 0; k < streams; k++)
            if (k == 0 || gi[k] != g0 + t)
                store(a->y, gi[k], r0, r1, (uint8_t *)acc + k * acc_bytes);
    }
}

#if defined(__AVX2__)
/* ---- 256-bit pieces of gemv.q4_k_q8_k.avx2 and .avxvnni ---- */

/* The accumulators of one group: acc[i] row i (8 lanes, sum = the scale
 * term), macc[k] rows 2k, 2k+1 (lanes 0-3, 4-7: the min term). */
struct qk__acc256 {
    __m256 acc[4];
    __m256 macc[2];
};

/* Tile t's meta line against record rec: *s01, *s23 = the scale bytes
 * (0..63) of rows 0-1 and 2-3, each pair in both 128-bit lanes; *dd = d of
 * rows 0-3 then dmin of rows 0-3, times dx; and the min term added to
 * g->macc: int32 lane u of row pair k = m_{2k + u/4, 2(u%4)..+1} . S. */
static inline void qk__meta_256(const uint8_t *t, const uint8_t *rec, __m256i *s01, __m256i *s23, __m256 *dd,
                                struct qk__acc256 *g)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const uint8_t *meta = t + QK_G * QK_ROW_BYTES;
    const __m256i A = _mm256_load_si256((const __m256i *)meta);
    const __m128i B = _mm_load_si128((const __m128i *)(meta + 32));
    const __m256i sc8 = _mm256_and_si256(A, _mm256_set1_epi8(0x3f));
    const __m256i bh = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(B), _mm_srli_epi16(B, 4), 1), m4);
    const __m256i m8 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(A, 6), _mm256_set1_epi8(3)),
                                       _mm256_slli_epi16(bh, 2));   /* 0..63 */
    float dx;
    memcpy(&dx, rec + 320, 4);
    *dd = _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(meta + 48))), _mm256_set1_ps(dx));
    const __m256i S = _mm256_load_si256((const __m256i *)(rec + 256));
    const __m256i ms0 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(m8)), S);
    const __m256i ms1 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(m8, 1)), S);
    g->macc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms0),
                                 _mm256_permutevar8x32_ps(*dd, _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5)), g->macc[0]);
    g->macc[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms1),
                                 _mm256_permutevar8x32_ps(*dd, _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7)), g->macc[1]);
    *s01 = _mm256_permute4x64_epi64(sc8, 0x44);
    *s23 = _mm256_permute4x64_epi64(sc8, 0xee);
}

/* The activations of half h (sub-blocks 4h..4h+3) of a record: the
 * partners of the low (a) and high (b) nibbles of vector v = 0, 1. */
struct qk__x256 {
    __m256i a0, b0, a1, b1;
};

static inline struct qk__x256 qk__acts_256(const uint8_t *rec, int h)
{
    struct qk__x256 x;
    x.a0 = _mm256_load_si256((const __m256i *)(rec + 32 * h));
    x.b0 = _mm256_load_si256((const __m256i *)(rec + 64 + 32 * h));
    x.a1 = _mm256_load_si256((const __m256i *)(rec + 128 + 32 * h));
    x.b1 = _mm256_load_si256((const __m256i *)(rec + 192 + 32 * h));
    return x;
}

static inline void qk__zero_256(void *acc)
{
    struct qk__acc256 *g = acc;
    for (int i = 0; i < 4; i++)
        g->acc[i] = _mm256_setzero_ps();
    g->macc[0] = g->macc[1] = _mm256_setzero_ps();
}

static inline float qk__hsum_128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Rows of group gi inside [r0, r1) get their sums. */
static inline void qk__store_256(float *y, int64_t gi, int64_t r0, int64_t r1, const void *acc)
{
    const struct qk__acc256 *g = acc;
    for (int i = 0; i < QK_G; i++) {
        const int64_t r = gi * QK_G + i;
        const __m256 a = g->acc[i], m = g->macc[i / 2];
        const __m128 mi = i & 1 ? _mm256_extractf128_ps(m, 1) : _mm256_castps256_ps128(m);
        if (r >= r0 && r < r1)
            y[r] = qk__hsum_128(_mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1))) - qk__hsum_128(mi);
    }
}
#endif

static inline void qk__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_Q8_K, c);
}

#endif /* FK_GEMV_QDOT_X86_H */
