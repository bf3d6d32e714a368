/* gemv.q4_k_q8_k.avxvnni — Q4_K weights x Q8_K activations with AVX-VNNI
 * (256-bit vpdpbusd, VEX), the ymm mirror of gemv.q4_k_q8_k.avx512vnni on
 * the same repacked tiles and prepared records (gemv_qdot_x86.h); scales,
 * mins and accumulators as in gemv.q4_k_q8_k.avx2 (qk__meta_256).
 *
 * Per tile and row, for each half h of the row's two 64-byte vectors
 * (sub-blocks 4h..4h+3, int32 lanes 2j, 2j+1 of sub-block 4h + j):
 *     lo = vpdpbusd(q & 0x0f, xA) ; hi = vpdpbusd(q & 0xf0, xB)  over both vectors
 *     I[h] = lo + (hi >> 4)          lane: 16 products, |I| <= 30480
 * then I[0], I[1] packed to int16 (vpackssdw, exact) and multiplied by the
 * row's scales with one vpmaddwd: every int32 lane one sub-block's sc_j *
 * dot; acc += f32(that) * (fp16(d) * dx).
 *
 * Built with FLAGS_avxvnni (-mavxvnni -mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

/* Row groups read at once per thread, as gemv.q4_k_q8_k.avx2 (README
 * "DRAM streaming"). */
#ifndef QK_STREAMS
#define QK_STREAMS 4
#endif

static void gemv_q4_k_q8_k_avxvnni__prepare(const struct fk_args *a)
{
    qk__prepare_256(a->x, a->shape.cols, a->scratch);
}

/* vpshufb pattern for the vpackssdw order of I[0], I[1] (per 128-bit lane
 * L: sub-blocks 2L, 2L, 2L+1, 2L+1, 4+2L, 4+2L, 5+2L, 5+2L), from a row's
 * 8 scale bytes at offset o (0 or 8) in both lanes. */
static inline __m256i scale_pattern(int o)
{
    const char z = (char)0x80;
    const char a = (char)o, b = (char)(o + 1), c = (char)(o + 4), d = (char)(o + 5);
    const char e = (char)(o + 2), f = (char)(o + 3), g = (char)(o + 6), h = (char)(o + 7);
    return _mm256_setr_epi8(a, z, a, z, b, z, b, z, c, z, c, z, d, z, d, z,
                            e, z, e, z, f, z, f, z, g, z, g, z, h, z, h, z);
}

/* One tile t (4 rows x 256 columns) against record rec. */
static inline void qk_tile(const uint8_t *t, const uint8_t *rec, void *acc)
{
    struct qk__acc256 *g = acc;
    const __m256i lo_mask = _mm256_set1_epi8(0x0f), hi_mask = _mm256_set1_epi8((char)0xf0);
    __m256i s01, s23;
    __m256 dd;
    qk__meta_256(t, rec, &s01, &s23, &dd, g);
#pragma GCC unroll 4
    for (int i = 0; i < QK_G; i++) {
        const uint8_t *q = t + i * QK_ROW_BYTES;
        __m256i dots[2];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m256i q0 = _mm256_load_si256((const __m256i *)(q + 32 * h));
            const __m256i q1 = _mm256_load_si256((const __m256i *)(q + 64 + 32 * h));
            const struct qk__x256 x = qk__acts_256(rec, h);
            __m256i lo = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_and_si256(q0, lo_mask), x.a0);
            __m256i hi = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_and_si256(q0, hi_mask), x.b0);
            lo = _mm256_dpbusd_avx_epi32(lo, _mm256_and_si256(q1, lo_mask), x.a1);
            hi = _mm256_dpbusd_avx_epi32(hi, _mm256_and_si256(q1, hi_mask), x.b1);
            dots[h] = _mm256_add_epi32(lo, _mm256_srai_epi32(hi, 4));
        }
        const __m256i sc = _mm256_shuffle_epi8(i < 2 ? s01 : s23, scale_pattern(8 * (i & 1)));
        const __m256i isum = _mm256_madd_epi16(_mm256_packs_epi32(dots[0], dots[1]), sc);
        const __m256 di = _mm256_permutevar8x32_ps(dd, _mm256_set1_epi32(i));
        g->acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), di, g->acc[i]);
    }
}

static void gemv_q4_k_q8_k_avxvnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    struct qk__acc256 acc[QK_STREAMS];
    qk__run(a, r0, r1, QK_STREAMS, acc, sizeof acc[0], qk__zero_256, qk_tile, qk__store_256);
}

static const struct fk_kernel gemv_q4_k_q8_k_avxvnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k_q8_k.avxvnni",
    .isa = "avxvnni",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C | FK_CPU_AVXVNNI,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 256,
    .row_block = QK_G,
    .packed_size = qk__packed_size,
    .pack = qk__pack,
    .to_ggml = qk__to_ggml,
    .prepare_size = qk__prepare_size,
    .prepare = gemv_q4_k_q8_k_avxvnni__prepare,
    .run = gemv_q4_k_q8_k_avxvnni__run,
    .cost = qk__cost,
};

FK_PLUGIN(&gemv_q4_k_q8_k_avxvnni);
