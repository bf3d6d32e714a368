/* gemv.q4_k_q8_k.avx2 — Q4_K weights (plain GGML blocks) x Q8_K
 * activations on AVX2, ggml's integer arithmetic for a Q4_K matrix (the
 * f32-activation kernel is gemv.q4_k.avx2).
 *
 * prepare() quantizes x to Q8_K (qk__prepare_256, bit-exact with
 * fk_quantize_row_q8_k_ref) into the records of
 * gemv_qdot_x86.h (values in element order, the per-32 sums for the mins).
 * Per super-block and row, for each 64-element chunk c (32 bytes of qs):
 *     lo = maddubs(q & 15, x[64c..])        int16, |pair| <= 2 * 15 * 127
 *     hi = maddubs(q >> 4, x[64c+32..])
 *     isum += madd(lo, sc[2c]) + madd(hi, sc[2c+1])     int32, exact
 * then acc += f32(isum) * (fp16(d) * dx) per lane and
 * macc += f32(madd(m[0..7], s32[0..7])) * (fp16(dmin) * dx), the dmin * m
 * term from the activation sums.  Four rows per pass share the activation
 * loads; two horizontal sums per row at the end.
 *
 * Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

/* Row streams and software prefetch distance (bytes ahead in each row
 * stream; 0: none), measured in README ("DRAM streaming"). */
#ifndef QK_SPREAD
#define QK_SPREAD 1
#endif
#ifndef QK_PREFETCH
#define QK_PREFETCH 0
#endif
#ifndef QK_NAME
#define QK_NAME "gemv.q4_k_q8_k.avx2"
#endif

static void gemv_q4_k_q8_k_avx2__prepare(const struct fk_args *a)
{
    qk__prepare_256(a->x, a->shape.cols, a->scratch, 0);
}

static inline float hsum_256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hsum_128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* One row's super-block blk against record rec: acc, macc updated. */
static inline void qk_block(const fk_block_q4_k *blk, const uint8_t *rec, __m256 *acc, __m128 *macc)
{
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    uint32_t u[4];
    qk__unpack_scales(blk->scales, u);
    const __m128i sc16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[1], (int)u[0]));
    const __m128i mn16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[3], (int)u[2]));
    const __m256i sc = _mm256_broadcastsi128_si256(sc16);
    __m256i isum = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(blk->qs + 32 * c));
        const __m256i xl = _mm256_load_si256((const __m256i *)(rec + 64 * c));
        const __m256i xh = _mm256_load_si256((const __m256i *)(rec + 64 * c + 32));
        /* int16 lane pattern (2j, 2j+1) broadcasts scale j */
        const __m256i slo = _mm256_shuffle_epi8(sc, _mm256_set1_epi16((short)(((4 * c + 1) << 8) | (4 * c))));
        const __m256i shi = _mm256_shuffle_epi8(sc, _mm256_set1_epi16((short)(((4 * c + 3) << 8) | (4 * c + 2))));
        const __m256i plo = _mm256_maddubs_epi16(_mm256_and_si256(q, m4), xl);
        const __m256i phi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), xh);
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(plo, slo), _mm256_madd_epi16(phi, shi)));
    }
    float dx;
    memcpy(&dx, rec + 256, 4);
    const float d = _cvtsh_ss(blk->d) * dx, dmin = _cvtsh_ss(blk->dmin) * dx;
    *acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d), *acc);
    const __m128i s32 = _mm_loadu_si128((const __m128i *)(rec + 260));
    *macc = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mn16, s32)), _mm_set1_ps(dmin), *macc);
}

static void gemv_q4_k_q8_k_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;  /* (rows, nb) blocks of 144 B */
    const uint8_t *xs = a->scratch; /* (nb) records of 320 B */
    float *y = a->y;                /* (rows) */

    /* Four rows per pass, one from each quarter of [r0, r1): four
     * sequential streams in distinct pages (QK_SPREAD 0: four adjacent rows,
     * one stream); a missing row re-reads row r0 + t and is not stored. */
    const int64_t q = (r1 - r0 + 3) / 4;
    for (int64_t t = 0; t < q; t++) {
        const fk_block_q4_k *wr[4];
        int64_t rr[4];
        for (int i = 0; i < 4; i++) {
            rr[i] = QK_SPREAD ? r0 + i * q + t : r0 + 4 * t + i;
            wr[i] = w + (rr[i] < r1 ? rr[i] : r0 + t) * nb;
        }
        __m256 acc[4];
        __m128 macc[4];
        for (int i = 0; i < 4; i++) {
            acc[i] = _mm256_setzero_ps();
            macc[i] = _mm_setzero_ps();
        }
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *rec = xs + b * QK_XSB_BYTES;
            for (int i = 0; i < 4; i++) {
                if (QK_PREFETCH)
                    _mm_prefetch((const char *)(wr[i] + b) + QK_PREFETCH, _MM_HINT_T0);
                qk_block(wr[i] + b, rec, &acc[i], &macc[i]);
            }
        }
        for (int i = 0; i < 4; i++)
            if (rr[i] < r1)
                y[rr[i]] = hsum_256(acc[i]) - hsum_128(macc[i]);
    }
}

static const struct fk_kernel gemv_q4_k_q8_k_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = QK_NAME,
    .isa = "avx2",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 4,
    .packed_size = qdot__packed_size_q4_k,
    .pack = qdot__pack_q4_k,
    .prepare_size = qk__prepare_size,
    .prepare = gemv_q4_k_q8_k_avx2__prepare,
    .run = gemv_q4_k_q8_k_avx2__run,
    .cost = qk__cost,
};

FK_PLUGIN(&gemv_q4_k_q8_k_avx2);
