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

/* The accumulators of one group: acc[i] row i (8 lanes, sum = the scale
 * term), macc[k] rows 2k, 2k+1 (lanes 0-3, 4-7: the min term). */
struct qk_acc {
    __m256 acc[4];
    __m256 macc[2];
};

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
    struct qk_acc *g = acc;
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const uint8_t *meta = t + QK_G * QK_ROW_BYTES;
    /* meta bytes 0-31: sc | (m & 3) << 6 for p = 8i + j; 32-47: m >> 2,
     * nibble p / 16 of byte p % 16 */
    const __m256i A = _mm256_load_si256((const __m256i *)meta);
    const __m128i B = _mm_load_si128((const __m128i *)(meta + 32));
    const __m256i sc8 = _mm256_and_si256(A, _mm256_set1_epi8(0x3f));
    const __m256i bh = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(B), _mm_srli_epi16(B, 4), 1), m4);
    const __m256i m8 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(A, 6), _mm256_set1_epi8(3)),
                                       _mm256_slli_epi16(bh, 2));   /* 0..63 */
    float dx;
    memcpy(&dx, rec + 320, 4);
    /* d of rows 0-3, dmin of rows 0-3, times dx */
    const __m256 dd = _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(meta + 48))), _mm256_set1_ps(dx));

    /* min term: int32 lane u of row pair k = m_{2k + u/4, 2(u%4)..+1} . S */
    const __m256i S = _mm256_load_si256((const __m256i *)(rec + 256));
    const __m256i ms0 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(m8)), S);
    const __m256i ms1 = _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm256_extracti128_si256(m8, 1)), S);
    g->macc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms0),
                                 _mm256_permutevar8x32_ps(dd, _mm256_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5)), g->macc[0]);
    g->macc[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ms1),
                                 _mm256_permutevar8x32_ps(dd, _mm256_setr_epi32(6, 6, 6, 6, 7, 7, 7, 7)), g->macc[1]);

    /* rows 0, 1 scales in both lanes; rows 2, 3 */
    const __m256i s01 = _mm256_permute4x64_epi64(sc8, 0x44), s23 = _mm256_permute4x64_epi64(sc8, 0xee);
#pragma GCC unroll 4
    for (int i = 0; i < QK_G; i++) {
        const uint8_t *q = t + i * QK_ROW_BYTES;
        const __m256i src = i < 2 ? s01 : s23;
        __m256i s[2];
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m256i q0 = _mm256_load_si256((const __m256i *)(q + 32 * h));
            const __m256i q1 = _mm256_load_si256((const __m256i *)(q + 64 + 32 * h));
            const __m256i a0 = _mm256_load_si256((const __m256i *)(rec + 32 * h));
            const __m256i b0 = _mm256_load_si256((const __m256i *)(rec + 64 + 32 * h));
            const __m256i a1 = _mm256_load_si256((const __m256i *)(rec + 128 + 32 * h));
            const __m256i b1 = _mm256_load_si256((const __m256i *)(rec + 192 + 32 * h));
            const __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(q0, m4), a0),
                                                _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q0, 4), m4), b0));
            const __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(q1, m4), a1),
                                                _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q1, 4), m4), b1));
            s[h] = _mm256_madd_epi16(_mm256_add_epi16(p0, p1), _mm256_shuffle_epi8(src, scale_pattern(h, 8 * (i & 1))));
        }
        const __m256 di = _mm256_permutevar8x32_ps(dd, _mm256_set1_epi32(i));
        g->acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(s[0], s[1])), di, g->acc[i]);
    }
}

static inline float hsum_256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline void qk_zero(void *acc)
{
    struct qk_acc *g = acc;
    for (int i = 0; i < 4; i++)
        g->acc[i] = _mm256_setzero_ps();
    g->macc[0] = g->macc[1] = _mm256_setzero_ps();
}

/* Rows of group gi inside [r0, r1) get their sums. */
static inline void qk_store(float *y, int64_t gi, int64_t r0, int64_t r1, const void *acc)
{
    const struct qk_acc *g = acc;
    const __m128 m0 = _mm256_castps256_ps128(g->macc[0]), m1 = _mm256_extractf128_ps(g->macc[0], 1);
    const __m128 m2 = _mm256_castps256_ps128(g->macc[1]), m3 = _mm256_extractf128_ps(g->macc[1], 1);
    const __m128 mm[4] = {m0, m1, m2, m3};
    for (int i = 0; i < QK_G; i++) {
        const int64_t r = gi * QK_G + i;
        if (r >= r0 && r < r1) {
            __m128 s = mm[i];
            s = _mm_add_ps(s, _mm_movehl_ps(s, s));
            s = _mm_add_ss(s, _mm_movehdup_ps(s));
            y[r] = hsum_256(g->acc[i]) - _mm_cvtss_f32(s);
        }
    }
}

static void gemv_q4_k_q8_k_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    struct qk_acc acc[QK_STREAMS];
    qk__run(a, r0, r1, QK_STREAMS, acc, sizeof acc[0], qk_zero, qk_tile, qk_store);
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
