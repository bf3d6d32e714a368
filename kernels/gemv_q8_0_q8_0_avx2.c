/* gemv.q8_0_q8_0.avx2 — Q8_0 weights x Q8_0 activations on AVX2: exact
 * integer block dots, one f32 scale per block (ggml's arithmetic for a
 * Q8_0 matrix; the f32-activation kernel is gemv.q8_0.avx2).
 *
 * prepare() quantizes x to Q8_0 (bit-exact with fk_quantize_row_q8_0_ref)
 * into the W4A8 super-block records; run() streams the Q8_0 tiles of
 * gemv_qdot_x86.h (4 rows x 16 blocks, signed bytes).  Per 32-byte vector,
 * int32 lane k of the half super-block holds 4 products of block k:
 *     p = madd(maddubs(|w|, sign(x, w)), 1)   |pair| <= 2 * 128 * 127 < 2^15
 * summed over the 8 vectors of a block, then acc += f32(isum) * (dw * dx)
 * per lane, one horizontal sum per row at the end.  Four rows share each
 * activation load; a group's 34 cache lines are one sequential stream.
 *
 * Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

static int q8q8_avx2__pack(const struct fk_shape *s, const float *w, void *p) { return q8q8__pack(s, w, p, 0); }
static int q8q8_avx2__to_ggml(const struct fk_shape *s, const void *p, void *g) { return q8q8__to_ggml(s, p, g, 0); }

static void gemv_q8_0_q8_0_avx2__prepare(const struct fk_args *a)
{
    w4a8__prepare_256(a->x, a->shape.cols, a->scratch);
}

static inline float hsum_256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256i dot_i8(__m256i w, __m256i x)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(x, w)), _mm256_set1_epi16(1));
}

static void gemv_q8_0_q8_0_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nsb = q8q8__nsb(a->shape.cols);
    const uint8_t *w = a->w;        /* (groups, nsb) tiles of 2176 B */
    const uint8_t *xs = a->scratch; /* (nsb) records of 640 B */
    float *y = a->y;                /* (rows) */

    for (int64_t g = r0 / Q8Q8_G; g * Q8Q8_G < r1; g++) {
        const uint8_t *t = w + (size_t)g * (size_t)nsb * Q8Q8_TILE_BYTES;
        __m256 f0 = _mm256_setzero_ps(), f1 = _mm256_setzero_ps();
        __m256 f2 = _mm256_setzero_ps(), f3 = _mm256_setzero_ps();
        for (int64_t s = 0; s < nsb; s++, t += Q8Q8_TILE_BYTES) {
            const uint8_t *xsb = xs + s * W4A8_XSB_BYTES;
            for (int h = 0; h < 2; h++) {
                __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
                __m256i i2 = _mm256_setzero_si256(), i3 = _mm256_setzero_si256();
#pragma GCC unroll 8
                for (int j = 0; j < 8; j++) {
                    const __m256i x = _mm256_load_si256((const __m256i *)(xsb + j * 64 + 32 * h));
                    const uint8_t *wj = t + j * 64 + 32 * h;
                    i0 = _mm256_add_epi32(i0, dot_i8(_mm256_load_si256((const __m256i *)(wj + 0 * 512)), x));
                    i1 = _mm256_add_epi32(i1, dot_i8(_mm256_load_si256((const __m256i *)(wj + 1 * 512)), x));
                    i2 = _mm256_add_epi32(i2, dot_i8(_mm256_load_si256((const __m256i *)(wj + 2 * 512)), x));
                    i3 = _mm256_add_epi32(i3, dot_i8(_mm256_load_si256((const __m256i *)(wj + 3 * 512)), x));
                }
                const __m256 dx = _mm256_load_ps((const float *)(xsb + 512) + 8 * h);
                const uint8_t *dw = t + Q8Q8_G * 512 + 16 * h;  /* (4, 16) fp16, this half */
#define Q8Q8_ROW(f, isum, i) \
    f = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), \
                        _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(dw + 32 * (i)))), dx), f)
                Q8Q8_ROW(f0, i0, 0);
                Q8Q8_ROW(f1, i1, 1);
                Q8Q8_ROW(f2, i2, 2);
                Q8Q8_ROW(f3, i3, 3);
#undef Q8Q8_ROW
            }
        }
        const __m256 f[Q8Q8_G] = {f0, f1, f2, f3};
        for (int i = 0; i < Q8Q8_G; i++)
            if (g * Q8Q8_G + i >= r0 && g * Q8Q8_G + i < r1)
                y[g * Q8Q8_G + i] = hsum_256(f[i]);
    }
}

static const struct fk_kernel gemv_q8_0_q8_0_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0_q8_0.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 32,
    .row_block = Q8Q8_G,
    .packed_size = q8q8__packed_size,
    .pack = q8q8_avx2__pack,
    .to_ggml = q8q8_avx2__to_ggml,
    .prepare_size = q8q8__prepare_size,
    .prepare = gemv_q8_0_q8_0_avx2__prepare,
    .run = gemv_q8_0_q8_0_avx2__run,
    .cost = qdot__cost_q8_0_q8_0,
};

FK_PLUGIN(&gemv_q8_0_q8_0_avx2);
