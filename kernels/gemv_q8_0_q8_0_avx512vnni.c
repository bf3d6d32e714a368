/* gemv.q8_0_q8_0.avx512vnni — Q8_0 weights x Q8_0 activations with
 * vpdpbusd: exact integer block dots, one f32 scale per block (ggml's
 * arithmetic for a Q8_0 matrix; the f32-activation kernel is gemv.q8_0.avx512).
 *
 * The tiles of gemv_qdot_x86.h hold the weights biased, u = q + 128 in
 * [1, 255] (XOR 0x80), as vpdpbusd's unsigned operand; per 64-byte vector
 * int32 lane k collects 4 products of block k, and the accumulator starts
 * at the block's correction -128 * sum(xq) = 16 * corr of the W4A8 record,
 * so after 8 vectors lane k = sum_j q_j * xq_j exactly
 * (|u * xq| sums stay below 32 * 255 * 127 < 2^31).  Then
 * acc += f32(isum) * (dw * dx), 16 blocks at once; four rows share each
 * activation load; each thread reads two groups at once, from the two
 * halves of its rows: two sequential streams in distinct pages.
 *
 * Built with FLAGS_avx512vnni (AVX-512 F/BW/VL/DQ + VNNI, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_qdot_x86.h"

/* Two tile streams per thread (README "DRAM streaming"); 0: one. */
#ifndef Q8Q8_SPREAD
#define Q8Q8_SPREAD 1
#endif
#ifndef Q8Q8_NAME
#define Q8Q8_NAME "gemv.q8_0_q8_0.avx512vnni"
#endif

static int q8q8_vnni__pack(const struct fk_shape *s, const float *w, void *p) { return q8q8__pack(s, w, p, 0x80); }
static int q8q8_vnni__to_ggml(const struct fk_shape *s, const void *p, void *g) { return q8q8__to_ggml(s, p, g, 0x80); }

static void gemv_q8_0_q8_0_avx512vnni__prepare(const struct fk_args *a)
{
    w4a8__prepare_512(a->x, a->shape.cols, a->scratch);
}

static inline __m128 hsum4_512(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
    const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
    const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
    const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* One tile (4 rows x 16 blocks) into the rows' f32 accumulators f[4]. */
static inline void q8q8_tile(const uint8_t *t, const uint8_t *xsb, __m512 f[4])
{
    const __m512i corr = _mm512_slli_epi32(_mm512_load_si512((const __m512i *)(xsb + 576)), 4);
    __m512i i0 = corr, i1 = corr, i2 = corr, i3 = corr;
#pragma GCC unroll 8
    for (int j = 0; j < 8; j++) {
        const __m512i x = _mm512_load_si512((const __m512i *)(xsb + j * 64));
        i0 = _mm512_dpbusd_epi32(i0, _mm512_load_si512((const __m512i *)(t + 0 * 512 + j * 64)), x);
        i1 = _mm512_dpbusd_epi32(i1, _mm512_load_si512((const __m512i *)(t + 1 * 512 + j * 64)), x);
        i2 = _mm512_dpbusd_epi32(i2, _mm512_load_si512((const __m512i *)(t + 2 * 512 + j * 64)), x);
        i3 = _mm512_dpbusd_epi32(i3, _mm512_load_si512((const __m512i *)(t + 3 * 512 + j * 64)), x);
    }
    const __m512 dx = _mm512_load_ps((const float *)(xsb + 512));
    const uint8_t *dw = t + Q8Q8_G * 512;  /* (4, 16) fp16 */
#define Q8Q8_ROW(isum, i) \
    f[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), \
                           _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 32 * (i)))), dx), f[i])
    Q8Q8_ROW(i0, 0);
    Q8Q8_ROW(i1, 1);
    Q8Q8_ROW(i2, 2);
    Q8Q8_ROW(i3, 3);
#undef Q8Q8_ROW
}

/* The rows of group g inside [r0, r1) get the sums of f. */
static inline void q8q8_store(float *y, int64_t g, int64_t r0, int64_t r1, const __m512 f[4])
{
    const int64_t base = g * Q8Q8_G;
    unsigned m = 0;
    for (int i = 0; i < Q8Q8_G; i++)
        m |= (unsigned)(base + i >= r0 && base + i < r1) << i;
    _mm_mask_storeu_ps(y + base, (__mmask8)m, hsum4_512(f[0], f[1], f[2], f[3]));
}

/* Rows [r0, r1): two groups per pass, one from each half of the range (two
 * sequential streams in distinct pages; Q8Q8_SPREAD 0: one group per pass).
 * A second group past the range repeats the first and is not stored. */
static void gemv_q8_0_q8_0_avx512vnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nsb = q8q8__nsb(a->shape.cols);
    const uint8_t *w = a->w;        /* (groups, nsb) tiles of 2176 B */
    const uint8_t *xs = a->scratch; /* (nsb) records of 640 B */
    float *y = a->y;                /* (rows) */
    const int64_t g0 = r0 / Q8Q8_G, g1 = (r1 + Q8Q8_G - 1) / Q8Q8_G;
    const size_t group_bytes = (size_t)nsb * Q8Q8_TILE_BYTES;

    if (!Q8Q8_SPREAD) {
        for (int64_t g = g0; g < g1; g++) {
            __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int64_t s = 0; s < nsb; s++)
                q8q8_tile(w + (size_t)g * group_bytes + (size_t)s * Q8Q8_TILE_BYTES, xs + s * W4A8_XSB_BYTES, f);
            q8q8_store(y, g, r0, r1, f);
        }
        return;
    }
    const int64_t half = (g1 - g0 + 1) / 2;
    for (int64_t t = 0; t < half; t++) {
        const int64_t ga = g0 + t, gb = g0 + half + t < g1 ? g0 + half + t : ga;
        const uint8_t *ta = w + (size_t)ga * group_bytes, *tb = w + (size_t)gb * group_bytes;
        __m512 fa[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        __m512 fb[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t s = 0; s < nsb; s++) {
            const uint8_t *xsb = xs + s * W4A8_XSB_BYTES;
            q8q8_tile(ta + (size_t)s * Q8Q8_TILE_BYTES, xsb, fa);
            q8q8_tile(tb + (size_t)s * Q8Q8_TILE_BYTES, xsb, fb);
        }
        q8q8_store(y, ga, r0, r1, fa);
        if (gb != ga)
            q8q8_store(y, gb, r0, r1, fb);
    }
}

static const struct fk_kernel gemv_q8_0_q8_0_avx512vnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = Q8Q8_NAME,
    .isa = "avx512vnni",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_AVX512VNNI |
                FK_CPU_F16C,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 32,
    .row_block = Q8Q8_G,
    .packed_size = q8q8__packed_size,
    .pack = q8q8_vnni__pack,
    .to_ggml = q8q8_vnni__to_ggml,
    .prepare_size = q8q8__prepare_size,
    .prepare = gemv_q8_0_q8_0_avx512vnni__prepare,
    .run = gemv_q8_0_q8_0_avx512vnni__run,
    .cost = qdot__cost_q8_0_q8_0,
};

FK_PLUGIN(&gemv_q8_0_q8_0_avx512vnni);
