/* gemv.q4_k.avx2 — y = W x with Q4_K weights (plain GGML blocks) and f32
 * activations on AVX2: dequantize nibbles to f32 and FMA.
 *
 * Per 8 weights: vpmovzxbd of 8 bytes of qs, the low or high nibble of each
 * lane (sub-block 2c or 2c+1 of chunk c), converted to f32 (exact), then
 * w = dsc[j] * q - dm[j] with each operation rounded as ggml's
 * dequantize_row_q4_K does, and one FMA with x.  Two rows per pass share
 * every load of x; one horizontal sum per row at the end.
 *
 * Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static size_t q4_k__packed_size(const struct fk_shape *s) { return gemv_quant__packed_size(FK_FMT_Q4_K, s); }
static int q4_k__pack(const struct fk_shape *s, const float *w, void *p) { return gemv_quant__pack(FK_FMT_Q4_K, s, w, p); }
static void q4_k__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_F32, c); }

static inline float hsum_256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* acc += chunk c (64 elements) of super-block blk against xc (x of 64c..64c+63). */
static inline __m256 q4_k_chunk(const fk_block_q4_k *blk, int c, const float dsc[8], const float dm[8],
                                const float *xc, __m256 acc)
{
    const __m256i m4 = _mm256_set1_epi32(0x0f);
    const __m256 slo = _mm256_set1_ps(dsc[2 * c]), mlo = _mm256_set1_ps(dm[2 * c]);
    const __m256 shi = _mm256_set1_ps(dsc[2 * c + 1]), mhi = _mm256_set1_ps(dm[2 * c + 1]);
    for (int l = 0; l < 32; l += 8) {
        const __m256i n = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(blk->qs + 32 * c + l)));
        const __m256 qlo = _mm256_cvtepi32_ps(_mm256_and_si256(n, m4));
        const __m256 qhi = _mm256_cvtepi32_ps(_mm256_srli_epi32(n, 4));
        acc = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_mul_ps(slo, qlo), mlo), _mm256_loadu_ps(xc + l), acc);
        acc = _mm256_fmadd_ps(_mm256_sub_ps(_mm256_mul_ps(shi, qhi), mhi), _mm256_loadu_ps(xc + 32 + l), acc);
    }
    return acc;
}

static void gemv_q4_k_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;  /* (rows, nb) blocks of 144 B */
    const float *x = a->x;          /* (cols) */
    float *y = a->y;                /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_k *w0 = w + r * nb;
        const fk_block_q4_k *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;
        __m256 a0 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps();
        __m256 a1 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            float dsc0[8], dm0[8], dsc1[8], dm1[8];
            q4_k__scales(w0 + b, dsc0, dm0);
            q4_k__scales(w1 + b, dsc1, dm1);
            for (int c = 0; c < 4; c += 2) {  /* two accumulators per row: chunks c and c+1 */
                a0 = q4_k_chunk(w0 + b, c, dsc0, dm0, x + 256 * b + 64 * c, a0);
                b0 = q4_k_chunk(w0 + b, c + 1, dsc0, dm0, x + 256 * b + 64 * c + 64, b0);
                a1 = q4_k_chunk(w1 + b, c, dsc1, dm1, x + 256 * b + 64 * c, a1);
                b1 = q4_k_chunk(w1 + b, c + 1, dsc1, dm1, x + 256 * b + 64 * c + 64, b1);
            }
        }
        y[r] = hsum_256(_mm256_add_ps(a0, b0));
        if (r + 1 < r1)
            y[r + 1] = hsum_256(_mm256_add_ps(a1, b1));
    }
}

static const struct fk_kernel gemv_q4_k_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 2,
    .packed_size = q4_k__packed_size,
    .pack = q4_k__pack,
    .run = gemv_q4_k_avx2__run,
    .cost = q4_k__cost,
};

FK_PLUGIN(&gemv_q4_k_avx2);
