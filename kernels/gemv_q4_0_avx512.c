/* gemv.q4_0.avx512 — "Int4": y = W x with Q4_0 weights and f32 activations:
 * dequantize nibbles to f32 and FMA.
 *
 * Weights use the W4A8 repacked tiles of gemv_quant_x86.h (FK_KERNEL_REPACKED,
 * to_ggml restores the GGML bytes): per 64-byte vector of one row, int32 lane
 * k holds 8 nibbles of block k of the super-block (16 blocks, 512 columns).
 * vpermps indexes a 16-entry table by the low 4 bits of each lane only, so
 *     q_j = permutexvar(w >> 4j, table),  table[q] = q - 8  (exact in f32)
 * turns nibble j of every lane into a weight with one shift and one permute,
 * no mask.  prepare() reorders x once per call into the same lane order
 * (X[v][j] lane k = the element of block k that nibble j of vector v holds),
 * so acc += q_j * X[v][j] accumulates each block's sum (q - 8) * x in its own
 * lane, and the fp16 block scales are applied once per 16 blocks:
 *     f += acc * f32(d)      (16 blocks at once; one horizontal sum per row).
 * Four rows per pass share every load of X.
 *
 * Built with FLAGS_avx512 (AVX-512 F/BW/VL/DQ, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

#define Q4X_SB_FLOATS (4 * 8 * 16)  /* reordered x per super-block: X[v][j][k] */

static void q4_0__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_F32, c); }

static size_t q4_0x__prepare_size(const struct fk_shape *s)
{
    return (size_t)w4a8__nsb(s->cols) * Q4X_SB_FLOATS * sizeof(float);
}

/* X[s][v][j][k] = x[32 (16 s + k) + e(v, j)], e(v, 2t) = 4v + t (low nibble of
 * qs[4v+t]), e(v, 2t+1) = 16 + 4v + t (its high nibble); 0 for padding blocks. */
static void gemv_q4_0_avx512__prepare(const struct fk_args *a)
{
    const int64_t nb = a->shape.cols / 32, nsb = w4a8__nsb(a->shape.cols);
    const float *x = a->x;
    float *X = a->scratch;
    const __m512i lane32 = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                              _mm512_set1_epi32(32));
    for (int64_t s = 0; s < nsb; s++) {
        const int64_t nk = nb - s * W4A8_SB < W4A8_SB ? nb - s * W4A8_SB : W4A8_SB;
        const __mmask16 valid = (__mmask16)((1u << nk) - 1);
        const float *xs = x + s * W4A8_SB * 32;
        float *Xs = X + s * Q4X_SB_FLOATS;
        for (int v = 0; v < 4; v++)
            for (int t = 0; t < 4; t++) {
                const __m512i idx = _mm512_add_epi32(lane32, _mm512_set1_epi32(4 * v + t));
                const __m512 lo = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, idx, xs, 4);
                const __m512 hi = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid,
                                                           _mm512_add_epi32(idx, _mm512_set1_epi32(16)), xs, 4);
                _mm512_store_ps(Xs + (v * 8 + 2 * t) * 16, lo);
                _mm512_store_ps(Xs + (v * 8 + 2 * t + 1) * 16, hi);
            }
    }
}

static inline __m128 hsum4_512(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
    const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
    const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
    const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* Rows [r0, r1): every group of 4 rows that meets the range is computed
 * whole (padding rows included) and only rows inside the range are stored. */
static void gemv_q4_0_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nsb = w4a8__nsb(a->shape.cols);
    const uint8_t *w = a->w;       /* (groups, nsb) tiles of 1152 B */
    const float *X = a->scratch;   /* (nsb, 4, 8, 16) reordered x */
    float *y = a->y;
    const __m512 table = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);

    for (int64_t g = r0 / W4A8_G; g * W4A8_G < r1; g++) {
        const uint8_t *t = w + (size_t)g * (size_t)nsb * W4A8_TILE_BYTES;
        __m512 f0 = _mm512_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
        for (int64_t s = 0; s < nsb; s++, t += W4A8_TILE_BYTES) {
            const float *Xs = X + s * Q4X_SB_FLOATS;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int v = 0; v < 4; v++) {
                __m512i n0 = _mm512_load_si512((const __m512i *)(t + 0 * 256 + v * 64));
                __m512i n1 = _mm512_load_si512((const __m512i *)(t + 1 * 256 + v * 64));
                __m512i n2 = _mm512_load_si512((const __m512i *)(t + 2 * 256 + v * 64));
                __m512i n3 = _mm512_load_si512((const __m512i *)(t + 3 * 256 + v * 64));
#pragma GCC unroll 4
                for (int j = 0; j < 8; j += 2) {
                    const __m512 xe = _mm512_load_ps(Xs + (v * 8 + j) * 16);
                    const __m512 xo = _mm512_load_ps(Xs + (v * 8 + j + 1) * 16);
                    a0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n0, table), xe, a0);
                    a1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n1, table), xe, a1);
                    a2 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n2, table), xe, a2);
                    a3 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n3, table), xe, a3);
                    n0 = _mm512_srli_epi32(n0, 4);
                    n1 = _mm512_srli_epi32(n1, 4);
                    n2 = _mm512_srli_epi32(n2, 4);
                    n3 = _mm512_srli_epi32(n3, 4);
                    b0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n0, table), xo, b0);
                    b1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n1, table), xo, b1);
                    b2 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n2, table), xo, b2);
                    b3 = _mm512_fmadd_ps(_mm512_permutexvar_ps(n3, table), xo, b3);
                    n0 = _mm512_srli_epi32(n0, 4);
                    n1 = _mm512_srli_epi32(n1, 4);
                    n2 = _mm512_srli_epi32(n2, 4);
                    n3 = _mm512_srli_epi32(n3, 4);
                }
            }
            const uint8_t *dw = t + W4A8_G * 256;  /* (4, 16) fp16 */
            f0 = _mm512_fmadd_ps(_mm512_add_ps(a0, b0), _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 0))), f0);
            f1 = _mm512_fmadd_ps(_mm512_add_ps(a1, b1), _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 32))), f1);
            f2 = _mm512_fmadd_ps(_mm512_add_ps(a2, b2), _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 64))), f2);
            f3 = _mm512_fmadd_ps(_mm512_add_ps(a3, b3), _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 96))), f3);
        }
        const int64_t base = g * W4A8_G;
        unsigned m = 0;
        for (int i = 0; i < W4A8_G; i++)
            m |= (unsigned)(base + i >= r0 && base + i < r1) << i;
        _mm_mask_storeu_ps(y + base, (__mmask8)m, hsum4_512(f0, f1, f2, f3));
    }
}

static const struct fk_kernel gemv_q4_0_avx512 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_0.avx512",
    .isa = "avx512",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_F16C,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 32,
    .row_block = W4A8_G,
    .packed_size = w4a8__packed_size,
    .pack = w4a8__pack,
    .to_ggml = w4a8__to_ggml,
    .prepare_size = q4_0x__prepare_size,
    .prepare = gemv_q4_0_avx512__prepare,
    .run = gemv_q4_0_avx512__run,
    .cost = q4_0__cost,
};

FK_PLUGIN(&gemv_q4_0_avx512);
