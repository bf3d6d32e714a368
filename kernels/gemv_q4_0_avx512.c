/* gemv.q4_0.avx512 — "Int4": y = W x with Q4_0 weights (plain GGML blocks)
 * and f32 activations: dequantize nibbles to f32 and FMA.
 *
 * Dequantization is a table lookup: vpermps indexes a 16-entry f32 table by
 * the low 4 bits of each int32 lane, so with table[q] = (q - 8) * d (exact:
 * a 4-bit integer times an fp16 scale) one vpermps turns 16 nibbles into 16
 * exact weights.  vpmovzxbd spreads the block's 16 bytes over 16 lanes; the
 * low nibbles (elements 0..15) index directly, the high nibbles (16..31)
 * after a 4-bit shift.  Four rows per pass share every load of x; two
 * accumulators per row, one horizontal sum per row at the end.
 *
 * Built with FLAGS_avx512 (AVX-512 F/BW/VL/DQ, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static size_t q4_0__packed_size(const struct fk_shape *s) { return gemv_quant__packed_size(FK_FMT_Q4_0, s); }
static int q4_0__pack(const struct fk_shape *s, const float *w, void *p) { return gemv_quant__pack(FK_FMT_Q4_0, s, w, p); }
static void q4_0__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_F32, c); }

static inline __m128 hsum4_512(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
    const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
    const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
    const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* acc_lo += W[32b..32b+15] * x0, acc_hi += W[32b+16..32b+31] * x1 for one block. */
#define Q4_0_BLOCK_FMA(blk, x0, x1, acc_lo, acc_hi)                                                  \
    do {                                                                                            \
        const __m512 tbl_ = _mm512_mul_ps(base, _mm512_set1_ps(_cvtsh_ss((blk)->d)));               \
        const __m512i n_ = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk)->qs));       \
        acc_lo = _mm512_fmadd_ps(_mm512_permutexvar_ps(n_, tbl_), x0, acc_lo);                      \
        acc_hi = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(n_, 4), tbl_), x1, acc_hi); \
    } while (0)

static void gemv_q4_0_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q4_0 *w = a->w;  /* (rows, nb) blocks of 18 B */
    const float *x = a->x;          /* (cols) */
    float *y = a->y;                /* (rows) */
    /* table[q] = q - 8 for q in [0,15]; times d per block */
    const __m512 base = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);

    for (int64_t r = r0; r < r1; r += 4) {
        /* a last group of 1-3 rows re-reads its last row; only valid rows are stored */
        const fk_block_q4_0 *w0 = w + r * nb;
        const fk_block_q4_0 *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * nb;
        const fk_block_q4_0 *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * nb;
        const fk_block_q4_0 *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * nb;
        __m512 a0 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
        __m512 a2 = _mm512_setzero_ps(), b2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps(), b3 = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const __m512 x0 = _mm512_loadu_ps(x + 32 * b);
            const __m512 x1 = _mm512_loadu_ps(x + 32 * b + 16);
            Q4_0_BLOCK_FMA(w0 + b, x0, x1, a0, b0);
            Q4_0_BLOCK_FMA(w1 + b, x0, x1, a1, b1);
            Q4_0_BLOCK_FMA(w2 + b, x0, x1, a2, b2);
            Q4_0_BLOCK_FMA(w3 + b, x0, x1, a3, b3);
        }
        const __m128 sums = hsum4_512(_mm512_add_ps(a0, b0), _mm512_add_ps(a1, b1), _mm512_add_ps(a2, b2),
                                      _mm512_add_ps(a3, b3));
        const int64_t nvalid = r1 - r < 4 ? r1 - r : 4;
        _mm_mask_storeu_ps(y + r, (__mmask8)((1u << nvalid) - 1), sums);
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
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 4,
    .packed_size = q4_0__packed_size,
    .pack = q4_0__pack,
    .run = gemv_q4_0_avx512__run,
    .cost = q4_0__cost,
};

FK_PLUGIN(&gemv_q4_0_avx512);
