/* gemv.q8_0.avx512 — y = W x with Q8_0 weights (plain GGML blocks) and f32
 * activations: per block, sign-extend the 32 int8 to int32, convert to f32
 * (exact), dot with x in two FMA chains, then scale the block's partial
 * vector by d with one FMA into the row accumulator (the per-block sum stays
 * a vector: no horizontal sum until the end of the row).  Four rows per pass
 * share every load of x.
 *
 * Built with FLAGS_avx512 (AVX-512 F/BW/VL/DQ, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static size_t q8_0__packed_size(const struct fk_shape *s) { return gemv_quant__packed_size(FK_FMT_Q8_0, s); }
static int q8_0__pack(const struct fk_shape *s, const float *w, void *p) { return gemv_quant__pack(FK_FMT_Q8_0, s, w, p); }
static void q8_0__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q8_0, FK_FMT_F32, c); }

static inline __m128 hsum4_512(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
    const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
    const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
    const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* acc += d * (q[0..15] * x0 + q[16..31] * x1) for one block. */
#define Q8_0_BLOCK_FMA(blk, x0, x1, acc)                                                                        \
    do {                                                                                                        \
        const __m512 q0_ = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(blk)->qs))); \
        const __m512 q1_ =                                                                                      \
            _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)((blk)->qs + 16))));      \
        const __m512 p_ = _mm512_fmadd_ps(q1_, x1, _mm512_mul_ps(q0_, x0));                                     \
        acc = _mm512_fmadd_ps(_mm512_set1_ps(_cvtsh_ss((blk)->d)), p_, acc);                                    \
    } while (0)

static void gemv_q8_0_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q8_0 *w = a->w;  /* (rows, nb) blocks of 34 B */
    const float *x = a->x;          /* (cols) */
    float *y = a->y;                /* (rows) */

    for (int64_t r = r0; r < r1; r += 4) {
        const fk_block_q8_0 *w0 = w + r * nb;
        const fk_block_q8_0 *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * nb;
        const fk_block_q8_0 *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * nb;
        const fk_block_q8_0 *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * nb;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const __m512 x0 = _mm512_loadu_ps(x + 32 * b);
            const __m512 x1 = _mm512_loadu_ps(x + 32 * b + 16);
            Q8_0_BLOCK_FMA(w0 + b, x0, x1, a0);
            Q8_0_BLOCK_FMA(w1 + b, x0, x1, a1);
            Q8_0_BLOCK_FMA(w2 + b, x0, x1, a2);
            Q8_0_BLOCK_FMA(w3 + b, x0, x1, a3);
        }
        const int64_t nvalid = r1 - r < 4 ? r1 - r : 4;
        _mm_mask_storeu_ps(y + r, (__mmask8)((1u << nvalid) - 1), hsum4_512(a0, a1, a2, a3));
    }
}

static const struct fk_kernel gemv_q8_0_avx512 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0.avx512",
    .isa = "avx512",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 4,
    .packed_size = q8_0__packed_size,
    .pack = q8_0__pack,
    .run = gemv_q8_0_avx512__run,
    .cost = q8_0__cost,
};

FK_PLUGIN(&gemv_q8_0_avx512);
