/* gemv.q4_0.avx2 — "Int4": y = W x with Q4_0 weights (plain GGML blocks)
 * and f32 activations on AVX2: dequantize nibbles to f32 and FMA.
 *
 * Per block: split the 16 bytes into low and high nibbles, subtract 8 in
 * int8 (values in [-8, 7]), sign-extend 8 at a time to int32 and convert to
 * f32 (exact); four FMA chains form the block's partial vector sum(q - 8) * x,
 * scaled by d with one FMA into the row accumulator.  Two rows per pass
 * share every load of x; one horizontal sum per row at the end.
 *
 * Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static size_t q4_0__packed_size(const struct fk_shape *s) { return gemv_quant__packed_size(FK_FMT_Q4_0, s); }
static int q4_0__pack(const struct fk_shape *s, const float *w, void *p) { return gemv_quant__pack(FK_FMT_Q4_0, s, w, p); }
static void q4_0__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_F32, c); }

static inline float hsum_256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* acc += d * sum_j (q_j - 8) * x_j over one block, kept as 8 lanes. */
static inline __m256 q4_0_block_fma(const fk_block_q4_0 *blk, const __m256 x[4], __m256 acc)
{
    const __m128i m4 = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    const __m128i v = _mm_loadu_si128((const __m128i *)blk->qs);
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(v, m4), eight);                     /* elements 0..15 */
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(v, 4), m4), eight);  /* 16..31 */
    const __m256 q0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
    const __m256 q1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(lo, lo)));
    const __m256 q2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
    const __m256 q3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_unpackhi_epi64(hi, hi)));
    const __m256 p = _mm256_add_ps(_mm256_fmadd_ps(q1, x[1], _mm256_mul_ps(q0, x[0])),
                                   _mm256_fmadd_ps(q3, x[3], _mm256_mul_ps(q2, x[2])));
    return _mm256_fmadd_ps(_mm256_set1_ps(_cvtsh_ss(blk->d)), p, acc);
}

static void gemv_q4_0_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 32;
    const fk_block_q4_0 *w = a->w;  /* (rows, nb) blocks of 18 B */
    const float *x = a->x;          /* (cols) */
    float *y = a->y;                /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_0 *w0 = w + r * nb;
        const fk_block_q4_0 *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;  /* a lone last row is computed twice */
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            const __m256 xv[4] = {_mm256_loadu_ps(x + 32 * b), _mm256_loadu_ps(x + 32 * b + 8),
                                  _mm256_loadu_ps(x + 32 * b + 16), _mm256_loadu_ps(x + 32 * b + 24)};
            a0 = q4_0_block_fma(w0 + b, xv, a0);
            a1 = q4_0_block_fma(w1 + b, xv, a1);
        }
        y[r] = hsum_256(a0);
        if (r + 1 < r1)
            y[r + 1] = hsum_256(a1);
    }
}

static const struct fk_kernel gemv_q4_0_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_0.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = q4_0__packed_size,
    .pack = q4_0__pack,
    .run = gemv_q4_0_avx2__run,
    .cost = q4_0__cost,
};

FK_PLUGIN(&gemv_q4_0_avx2);
