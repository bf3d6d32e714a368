/* gemv.q4_k.avx512 — y = W x with Q4_K weights (plain GGML blocks) and f32
 * activations: dequantize nibbles to f32 and FMA.
 *
 * Per sub-block j a 16-entry f32 table holds the exact dequantized weights
 * table[q] = dsc[j] * q - dm[j] (each operation rounded as ggml's
 * dequantize_row_q4_K does), and vpermps looks the nibbles up: vpmovzxbd
 * spreads 16 bytes of qs over 16 lanes; the low nibbles are sub-block 2c,
 * the high ones (after a 4-bit shift) sub-block 2c+1.  Two rows per pass
 * share every load of x; two accumulators per row.
 *
 * Built with FLAGS_avx512 (AVX-512 F/BW/VL/DQ, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static size_t q4_k__packed_size(const struct fk_shape *s) { return gemv_quant__packed_size(FK_FMT_Q4_K, s); }
static int q4_k__pack(const struct fk_shape *s, const float *w, void *p) { return gemv_quant__pack(FK_FMT_Q4_K, s, w, p); }
static void q4_k__cost(const struct fk_shape *s, struct fk_cost *c) { fk_matvec_cost(s, FK_FMT_Q4_K, FK_FMT_F32, c); }

/* acc_lo/acc_hi += one 64-element chunk c of super-block blk against xc[4]
 * (x of elements 64c..64c+63, 16 per vector). */
static inline void q4_k_chunk(const fk_block_q4_k *blk, int c, const float dsc[8], const float dm[8],
                              const __m512 xc[4], __m512 *acc_lo, __m512 *acc_hi)
{
    const __m512 base = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 tlo = _mm512_sub_ps(_mm512_mul_ps(base, _mm512_set1_ps(dsc[2 * c])), _mm512_set1_ps(dm[2 * c]));
    const __m512 thi =
        _mm512_sub_ps(_mm512_mul_ps(base, _mm512_set1_ps(dsc[2 * c + 1])), _mm512_set1_ps(dm[2 * c + 1]));
    const __m512i n0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk->qs + 32 * c)));
    const __m512i n1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk->qs + 32 * c + 16)));
    *acc_lo = _mm512_fmadd_ps(_mm512_permutexvar_ps(n0, tlo), xc[0], *acc_lo);
    *acc_hi = _mm512_fmadd_ps(_mm512_permutexvar_ps(n1, tlo), xc[1], *acc_hi);
    *acc_lo = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(n0, 4), thi), xc[2], *acc_lo);
    *acc_hi = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(n1, 4), thi), xc[3], *acc_hi);
}

static void gemv_q4_k_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;  /* (rows, nb) blocks of 144 B */
    const float *x = a->x;          /* (cols) */
    float *y = a->y;                /* (rows) */

    for (int64_t r = r0; r < r1; r += 2) {
        const fk_block_q4_k *w0 = w + r * nb;
        const fk_block_q4_k *w1 = w + (r + 1 < r1 ? r + 1 : r) * nb;  /* a lone last row is computed twice */
        __m512 a0 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps();
        __m512 a1 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
        for (int64_t b = 0; b < nb; b++) {
            float dsc0[8], dm0[8], dsc1[8], dm1[8];
            q4_k__scales(w0 + b, dsc0, dm0);
            q4_k__scales(w1 + b, dsc1, dm1);
            for (int c = 0; c < 4; c++) {
                const float *xc = x + 256 * b + 64 * c;
                const __m512 xv[4] = {_mm512_loadu_ps(xc), _mm512_loadu_ps(xc + 16), _mm512_loadu_ps(xc + 32),
                                      _mm512_loadu_ps(xc + 48)};
                q4_k_chunk(w0 + b, c, dsc0, dm0, xv, &a0, &b0);
                q4_k_chunk(w1 + b, c, dsc1, dm1, xv, &a1, &b1);
            }
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, b0));
        if (r + 1 < r1)
            y[r + 1] = _mm512_reduce_add_ps(_mm512_add_ps(a1, b1));
    }
}

static const struct fk_kernel gemv_q4_k_avx512 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k.avx512",
    .isa = "avx512",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 2,
    .packed_size = q4_k__packed_size,
    .pack = q4_k__pack,
    .run = gemv_q4_k_avx512__run,
    .cost = q4_k__cost,
};

FK_PLUGIN(&gemv_q4_k_avx512);
