/* gemv.q4_k_q8_k.avx2 — Q4_K weights x Q8_K activations on AVX2, ggml's
 * integer arithmetic for a Q4_K matrix (the f32-activation kernel is
 * gemv.q4_k.avx2), on the repacked tiles of gemv_qdot_x86.h (4 rows x one
 * super-block, 576 B: the same bytes as four GGML blocks, moved so that
 * every 16-bit lane of a product belongs to one sub-block).
 *
 * prepare() quantizes x to Q8_K (qk__prepare_256, bit-exact with
 * fk_quantize_row_q8_k_ref) into records whose values sit beside the
 * nibbles they multiply.  Per tile and row, for each of the 4 32-byte
 * vectors of nibbles (half h = sub-blocks 4h..4h+3, 4 lanes each):
 *     p = vpmaddubsw(q & 15, xA) + vpmaddubsw(q >> 4 & 15, xB)
 *     s[h] += p                                     int16, exact: a lane sums
 *                                                   8 products, |.| <= 15240
 * then isum = vpmaddwd(s[0], sc[0..3]) + vpmaddwd(s[1], sc[4..7]) (int32,
 * every lane one sub-block pair's sc_j * dot) and acc += f32(isum) *
 * (fp16(d) * dx).  The mins: vpmaddwd(m_j of two rows, S_j), S_j the Q8_K
 * per-32 sums, into macc with fp16(dmin) * dx; one set of scale and min
 * vectors per tile serves all four rows.  A thread streams QK_STREAMS row
 * groups at once, from distinct parts of its rows.
 *
 * Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

/* Row groups read at once per thread (README "DRAM streaming": 4 measured
 * ahead of 2 and 1 at 32000x2048 cold and at L3 shapes, despite spills). */
#ifndef QK_STREAMS
#define QK_STREAMS 4
#endif
#ifndef QK_NAME
#define QK_NAME "gemv.q4_k_q8_k.avx2"
#endif

static void gemv_q4_k_q8_k_avx2__prepare(const struct fk_args *a)
{
    qk__prepare_256(a->x, a->shape.cols, a->scratch);
}

/* vpshufb patterns turning a row's 8 scale bytes (twice, one copy per
 * 128-bit lane, at offset o = 0 or 8) into int16 lanes t -> sc_{4h + t/4}. */
static inline __m256i scale_pattern(int h, int o)
{
    const char z = (char)0x80;
    const char a = (char)(o + 4 * h), b = (char)(o + 4 * h + 1), c = (char)(o + 4 * h + 2), d = (char)(o + 4 * h + 3);
    return _mm256_setr_epi8(a, z, a, z, a, z, a, z, b, z, b, z, b, z, b, z,
                            c, z, c, z, c, z, c, z, d, z, d, z, d, z, d, z);
}

/* One tile t (4 rows x 256 columns) against record rec. */
static inline void qk_tile(const uint8_t *t, const uint8_t *rec, void *acc)
{
    struct qk__acc256 *g = acc;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    __m256i s01, s23;
    __m256 dd;
    qk__meta_256(t, rec, &s01, &s23, &dd, g);
#pragma GCC unroll 4
    for (int i = 0; i < QK_G; i++) {
        const uint8_t *q = t + i * QK_ROW_BYTES;
        const __m256i src = i < 2 ? s01 : s23;
        __m256i s[2];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m256i q0 = _mm256_load_si256((const __m256i *)(q + 32 * h));
            const __m256i q1 = _mm256_load_si256((const __m256i *)(q + 64 + 32 * h));
            const struct qk__x256 x = qk__acts_256(rec, h);
            const __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(q0, m4), x.a0),
                                                _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q0, 4), m4), x.b0));
            const __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(q1, m4), x.a1),
                                                _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q1, 4), m4), x.b1));
            s[h] = _mm256_madd_epi16(_mm256_add_epi16(p0, p1), _mm256_shuffle_epi8(src, scale_pattern(h, 8 * (i & 1))));
        }
        const __m256 di = _mm256_permutevar8x32_ps(dd, _mm256_set1_epi32(i));
        g->acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s[0], s[1])), di, g->acc[i]);
    }
}

static void gemv_q4_k_q8_k_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    struct qk__acc256 acc[QK_STREAMS];
    qk__run(a, r0, r1, QK_STREAMS, acc, sizeof acc[0], qk__zero_256, qk_tile, qk__store_256);
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
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 256,
    .row_block = QK_G,
    .packed_size = qk__packed_size,
    .pack = qk__pack,
    .to_ggml = qk__to_ggml,
    .prepare_size = qk__prepare_size,
    .prepare = gemv_q4_k_q8_k_avx2__prepare,
    .run = gemv_q4_k_q8_k_avx2__run,
    .cost = qk__cost,
};

FK_PLUGIN(&gemv_q4_k_q8_k_avx2);
