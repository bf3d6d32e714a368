/* gemv.q4_k_q8_k.avx512vnni — Q4_K weights (plain GGML blocks) x Q8_K
 * activations with AVX-512 VNNI, ggml's integer arithmetic for a Q4_K
 * matrix (the f32-activation kernel is gemv.q4_k.avx512).
 *
 * prepare() quantizes x to Q8_K (qk__prepare_256, bit-exact with
 * fk_quantize_row_q8_k_ref) into records whose values are permuted so that
 * one 64-byte load of qs (chunks c, c+1) meets its activations in two
 * aligned vectors (qk__perm_512).  Per super-block and row, for each of the
 * two 64-byte loads of qs:
 *     lo = vpmaddubsw(q & 15, X[2v])       int16, |pair| <= 2 * 15 * 127
 *     hi = vpmaddubsw(q >> 4, X[2v+1])
 *     isum = vpdpwssd(isum, lo, sc) ; vpdpwssd(isum, hi, sc')   int32, exact
 * where sc holds sub-block 2c's scale in int16 lanes 0..15 and 2c+2's in
 * 16..31.  Then acc += f32(isum) * (fp16(d) * dx), and the dmin * m term
 * from the activations' per-32 sums as in gemv.q4_k_q8_k.avx2.  Four rows
 * per pass share the activation loads.
 *
 * Built with FLAGS_avx512vnni (AVX-512 F/BW/VL/DQ + VNNI, F16C). */
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
#define QK_NAME "gemv.q4_k_q8_k.avx512vnni"
#endif

static void gemv_q4_k_q8_k_avx512vnni__prepare(const struct fk_args *a)
{
    qk__prepare_256(a->x, a->shape.cols, a->scratch, 1);
}

static inline float hsum_128(__m128 s)
{
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* vpshufb patterns (per 128-bit lane) broadcasting int16 scale j of the 8
 * in each lane: lanes 0-1 take scale a, lanes 2-3 scale b. */
static inline __m512i scale_pattern(int a, int b)
{
    const __m128i pa = _mm_set1_epi16((short)(((2 * a + 1) << 8) | (2 * a)));
    const __m128i pb = _mm_set1_epi16((short)(((2 * b + 1) << 8) | (2 * b)));
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(pa, pa)), _mm256_set_m128i(pb, pb), 1);
}

/* One row's super-block blk against record rec. */
static inline void qk_block(const fk_block_q4_k *blk, const uint8_t *rec, __m512 *acc, __m128 *macc)
{
    const __m512i m4 = _mm512_set1_epi8(0x0f);
    uint32_t u[4];
    qk__unpack_scales(blk->scales, u);
    const __m128i sc16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[1], (int)u[0]));
    const __m128i mn16 = _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, (int)u[3], (int)u[2]));
    const __m512i sc = _mm512_broadcast_i32x4(sc16);
    __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 2
    for (int v = 0; v < 2; v++) {  /* chunks 2v (bytes 0-31) and 2v+1 (32-63) */
        const __m512i q = _mm512_loadu_si512((const void *)(blk->qs + 64 * v));
        const __m512i xl = _mm512_load_si512((const void *)(rec + 128 * v));
        const __m512i xh = _mm512_load_si512((const void *)(rec + 128 * v + 64));
        const __m512i slo = _mm512_shuffle_epi8(sc, scale_pattern(4 * v, 4 * v + 2));
        const __m512i shi = _mm512_shuffle_epi8(sc, scale_pattern(4 * v + 1, 4 * v + 3));
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(_mm512_and_si512(q, m4), xl), slo);
        isum = _mm512_dpwssd_epi32(isum, _mm512_maddubs_epi16(_mm512_and_si512(_mm512_srli_epi16(q, 4), m4), xh), shi);
    }
    float dx;
    memcpy(&dx, rec + 256, 4);
    const float d = _cvtsh_ss(blk->d) * dx, dmin = _cvtsh_ss(blk->dmin) * dx;
    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), *acc);
    const __m128i s32 = _mm_loadu_si128((const __m128i *)(rec + 260));
    *macc = _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mn16, s32)), _mm_set1_ps(dmin), *macc);
}

static void gemv_q4_k_q8_k_avx512vnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
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
        __m512 acc[4];
        __m128 macc[4];
        for (int i = 0; i < 4; i++) {
            acc[i] = _mm512_setzero_ps();
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
                y[rr[i]] = _mm512_reduce_add_ps(acc[i]) - hsum_128(macc[i]);
    }
}

static const struct fk_kernel gemv_q4_k_q8_k_avx512vnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = QK_NAME,
    .isa = "avx512vnni",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_AVX512VNNI |
                FK_CPU_F16C,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 4,
    .packed_size = qdot__packed_size_q4_k,
    .pack = qdot__pack_q4_k,
    .prepare_size = qk__prepare_size,
    .prepare = gemv_q4_k_q8_k_avx512vnni__prepare,
    .run = gemv_q4_k_q8_k_avx512vnni__run,
    .cost = qk__cost,
};

FK_PLUGIN(&gemv_q4_k_q8_k_avx512vnni);
