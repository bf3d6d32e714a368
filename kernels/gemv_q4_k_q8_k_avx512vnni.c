/* gemv.q4_k_q8_k.avx512vnni — Q4_K weights x Q8_K activations with AVX-512
 * VNNI, ggml's integer arithmetic for a Q4_K matrix (the f32-activation
 * kernel is gemv.q4_k.avx512), on the repacked tiles of gemv_qdot_x86.h
 * (4 rows x one super-block, 576 B: the same bytes as four GGML blocks,
 * moved so that every int32 lane of a row's two 64-byte nibble vectors
 * belongs to one sub-block, lanes 2j and 2j+1 to sub-block j, and a byte's
 * two nibbles to the same sub-block).
 *
 * prepare() quantizes x to Q8_K (qk__prepare_256, bit-exact with
 * fk_quantize_row_q8_k_ref) into records whose values sit beside the
 * nibbles they multiply.  Per tile and row:
 *     lo = vpdpbusd(q & 0x0f, xA) over both vectors    exact int32
 *     hi = vpdpbusd(q & 0xf0, xB)                      = 16 * its dot
 *     I  = lo + (hi >> 4)            lane: 16 products, |I| <= 30480
 * two rows' I packed to int16 (vpackssdw, exact) and multiplied by their
 * scales with one vpmaddwd: every int32 lane is sc_j * dot of one (row,
 * sub-block); acc += f32(that) * (fp16(d) * dx).  The mins: one vpmaddwd
 * of the four rows' m_j against the Q8_K per-32 sums S_j, into macc with
 * fp16(dmin) * dx.  A thread streams QK_STREAMS row groups at once, from
 * distinct parts of its rows.
 *
 * Built with FLAGS_avx512vnni (AVX-512 F/BW/VL/DQ + VNNI, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

/* Row groups read at once per thread (README "DRAM streaming": 2 measured
 * ahead of 1 and 4 at 32000x2048 cold). */
#ifndef QK_STREAMS
#define QK_STREAMS 2
#endif
#ifndef QK_NAME
#define QK_NAME "gemv.q4_k_q8_k.avx512vnni"
#endif

static void gemv_q4_k_q8_k_avx512vnni__prepare(const struct fk_args *a)
{
    qk__prepare_256(a->x, a->shape.cols, a->scratch);
}

/* The accumulators of one group: acc[k] rows 2k (lanes 4q, 4q+1) and
 * 2k+1 (lanes 4q+2, 4q+3), the scale term; macc rows i in lanes 4i..4i+3,
 * the min term. */
struct qk_acc {
    __m512 acc[2];
    __m512 macc;
};

/* One row's integer dots I (int32 lane 2j, 2j+1: sub-block j). */
static inline __m512i row_dots(const uint8_t *q, __m512i xa0, __m512i xb0, __m512i xa1, __m512i xb1)
{
    const __m512i lo_mask = _mm512_set1_epi8(0x0f), hi_mask = _mm512_set1_epi8((char)0xf0);
    __m512i w0 = _mm512_load_si512((const void *)q);
    __m512i w1 = _mm512_load_si512((const void *)(q + 64));
    /* one load per weight vector (not one folded into each vpandd) */
    __asm__("" : "+v"(w0), "+v"(w1));
    __m512i lo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(w0, lo_mask), xa0);
    __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(w0, hi_mask), xb0);
    lo = _mm512_dpbusd_epi32(lo, _mm512_and_si512(w1, lo_mask), xa1);
    hi = _mm512_dpbusd_epi32(hi, _mm512_and_si512(w1, hi_mask), xb1);
    return _mm512_add_epi32(lo, _mm512_srai_epi32(hi, 4));
}

/* One tile t (4 rows x 256 columns) against record rec. */
static inline void qk_tile(const uint8_t *t, const uint8_t *rec, void *acc)
{
    struct qk_acc *g = acc;
    const __m512i xa0 = _mm512_load_si512((const void *)rec), xb0 = _mm512_load_si512((const void *)(rec + 64));
    const __m512i xa1 = _mm512_load_si512((const void *)(rec + 128)), xb1 = _mm512_load_si512((const void *)(rec + 192));
    const __m512i p01 = _mm512_packs_epi32(row_dots(t, xa0, xb0, xa1, xb1), row_dots(t + 128, xa0, xb0, xa1, xb1));
    const __m512i p23 = _mm512_packs_epi32(row_dots(t + 256, xa0, xb0, xa1, xb1), row_dots(t + 384, xa0, xb0, xa1, xb1));

    const uint8_t *meta = t + QK_G * QK_ROW_BYTES;
    /* meta bytes 0-31: sc | (m & 3) << 6 for p = 8i + j; 32-47: m >> 2,
     * nibble p / 16 of byte p % 16 */
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    const __m256i A = _mm256_load_si256((const __m256i *)meta);
    const __m128i B = _mm_load_si128((const __m128i *)(meta + 32));
    const __m256i sc8 = _mm256_and_si256(A, _mm256_set1_epi8(0x3f));
    const __m256i bh = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(B), _mm_srli_epi16(B, 4), 1), m4);
    const __m256i m8 = _mm256_ternarylogic_epi32(_mm256_srli_epi16(A, 6), _mm256_slli_epi16(bh, 2), _mm256_set1_epi8(3),
                                                 0xec);   /* (a & c) | b: m in 0..63 */
    float dx;
    memcpy(&dx, rec + 320, 4);
    /* d of rows 0-3, dmin of rows 0-3, times dx */
    const __m512 dd = _mm512_castps256_ps512(
        _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(meta + 48))), _mm256_set1_ps(dx)));

    /* vpackssdw order per 128-bit lane q: int16 0-3 row a lanes 4q..4q+3
     * (sub-blocks 2q, 2q, 2q+1, 2q+1), 4-7 row b's: the scale of each
     * int16 from the rows' 16 scale bytes (a at 0, b at 8) */
    const char z = (char)0x80;
    const __m512i pat = _mm512_set_epi8(
        z, 15, z, 15, z, 14, z, 14, z, 7, z, 7, z, 6, z, 6, z, 13, z, 13, z, 12, z, 12, z, 5, z, 5, z, 4, z, 4,
        z, 11, z, 11, z, 10, z, 10, z, 3, z, 3, z, 2, z, 2, z, 9, z, 9, z, 8, z, 8, z, 1, z, 1, z, 0, z, 0);
    const __m512i sc01 = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm256_castsi256_si128(sc8)), pat);
    const __m512i sc23 = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm256_extracti128_si256(sc8, 1)), pat);
    const __m512i d01 = _mm512_setr_epi32(0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1);
    g->acc[0] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_madd_epi16(p01, sc01)), _mm512_permutexvar_ps(d01, dd),
                                g->acc[0]);
    g->acc[1] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_madd_epi16(p23, sc23)),
                                _mm512_permutexvar_ps(_mm512_add_epi32(d01, _mm512_set1_epi32(2)), dd), g->acc[1]);

    /* min term: int32 lane k = m_{k/4, 2(k%4)..+1} . S */
    const __m512i S = _mm512_load_si512((const void *)(rec + 256));
    const __m512i ms = _mm512_madd_epi16(_mm512_cvtepu8_epi16(m8), S);
    const __m512i dm = _mm512_setr_epi32(4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
    g->macc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_permutexvar_ps(dm, dd), g->macc);
}

static inline void qk_zero(void *acc)
{
    struct qk_acc *g = acc;
    g->acc[0] = g->acc[1] = g->macc = _mm512_setzero_ps();
}

/* Rows of group gi inside [r0, r1) get their sums. */
static inline void qk_store(float *y, int64_t gi, int64_t r0, int64_t r1, const void *acc)
{
    const struct qk_acc *g = acc;
    for (int i = 0; i < QK_G; i++) {
        const int64_t r = gi * QK_G + i;
        if (r >= r0 && r < r1)
            y[r] = _mm512_mask_reduce_add_ps((__mmask16)(i & 1 ? 0xcccc : 0x3333), g->acc[i / 2]) -
                   _mm512_mask_reduce_add_ps((__mmask16)(0xf << (4 * i)), g->macc);
    }
}

static void gemv_q4_k_q8_k_avx512vnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    struct qk_acc acc[QK_STREAMS];
    qk__run(a, r0, r1, QK_STREAMS, acc, sizeof acc[0], qk_zero, qk_tile, qk_store);
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
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 256,
    .row_block = QK_G,
    .packed_size = qk__packed_size,
    .pack = qk__pack,
    .to_ggml = qk__to_ggml,
    .prepare_size = qk__prepare_size,
    .prepare = gemv_q4_k_q8_k_avx512vnni__prepare,
    .run = gemv_q4_k_q8_k_avx512vnni__run,
    .cost = qk__cost,
};

FK_PLUGIN(&gemv_q4_k_q8_k_avx512vnni);
