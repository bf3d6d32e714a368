/* gemv.w4a8.avx512vnni — y = W x with Q4_0 weights and Q8_0 activations:
 * exact integer block dots with vpdpbusd, one f32 scale per block.
 *
 * prepare() quantizes x to Q8_0 (bit-exact with fk_quantize_row_q8_0_ref)
 * into the super-block records of gemv_quant_x86.h.  run() streams the
 * repacked W4A8 tiles (4 rows x 16 blocks, 1152 B): per 64-byte vector of
 * one row, int32 lane k holds 8 nibbles of block k, so
 *     lo += vpdpbusd(w & 0x0f, xq[v])          nibbles in [0,15] x int8
 *     hi += vpdpbusd(w & 0xf0, xq[4+v])        = 16 * (high nibble dot)
 * and after the 4 vectors of a super-block lane k holds block k's dot:
 *     isum = lo + (hi >> 4), lo starting at corr = -8 * sum(xq) of the block,
 * so isum = sum (q - 8) * xq exactly (|isum| <= 32 * 8 * 127).  Then
 *     acc += f32(isum) * (fp16(dw) * fp16(dx))   per lane, 16 blocks at once,
 * and one horizontal sum per row at the end.  Four rows share each load of
 * the activations; each thread reads two groups at once, from the two
 * halves of its rows: two sequential streams in distinct pages.
 *
 * Built with FLAGS_avx512vnni (AVX-512 F/BW/VL/DQ + VNNI, F16C). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

/* Two tile streams per thread (README "DRAM streaming"); 0: one. */
#ifndef W4A8_SPREAD
#define W4A8_SPREAD 1
#endif
#ifndef W4A8_NAME
#define W4A8_NAME "gemv.w4a8.avx512vnni"
#endif

static void gemv_w4a8_avx512vnni__prepare(const struct fk_args *a)
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
static inline void w4a8_tile(const uint8_t *t, const uint8_t *xsb, __m512 f[4])
{
    const __m512i lo_mask = _mm512_set1_epi8(0x0f);
    const __m512i hi_mask = _mm512_set1_epi8((char)0xf0);
    const __m512i corr = _mm512_load_si512((const __m512i *)(xsb + 576));
    __m512i l0 = corr, l1 = corr, l2 = corr, l3 = corr;
    __m512i h0 = _mm512_setzero_si512(), h1 = _mm512_setzero_si512();
    __m512i h2 = _mm512_setzero_si512(), h3 = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (int v = 0; v < 4; v++) {
        const __m512i xl = _mm512_load_si512((const __m512i *)(xsb + v * 64));
        const __m512i xh = _mm512_load_si512((const __m512i *)(xsb + (4 + v) * 64));
        __m512i w0 = _mm512_load_si512((const __m512i *)(t + 0 * 256 + v * 64));
        __m512i w1 = _mm512_load_si512((const __m512i *)(t + 1 * 256 + v * 64));
        __m512i w2 = _mm512_load_si512((const __m512i *)(t + 2 * 256 + v * 64));
        __m512i w3 = _mm512_load_si512((const __m512i *)(t + 3 * 256 + v * 64));
        /* one load per weight vector: keeps GCC from folding it into both
         * vpandd (two 64-byte loads; the load port is the tighter limit) */
        __asm__("" : "+v"(w0), "+v"(w1), "+v"(w2), "+v"(w3));
        l0 = _mm512_dpbusd_epi32(l0, _mm512_and_si512(w0, lo_mask), xl);
        l1 = _mm512_dpbusd_epi32(l1, _mm512_and_si512(w1, lo_mask), xl);
        l2 = _mm512_dpbusd_epi32(l2, _mm512_and_si512(w2, lo_mask), xl);
        l3 = _mm512_dpbusd_epi32(l3, _mm512_and_si512(w3, lo_mask), xl);
        h0 = _mm512_dpbusd_epi32(h0, _mm512_and_si512(w0, hi_mask), xh);
        h1 = _mm512_dpbusd_epi32(h1, _mm512_and_si512(w1, hi_mask), xh);
        h2 = _mm512_dpbusd_epi32(h2, _mm512_and_si512(w2, hi_mask), xh);
        h3 = _mm512_dpbusd_epi32(h3, _mm512_and_si512(w3, hi_mask), xh);
    }
    const __m512 dx = _mm512_load_ps((const float *)(xsb + 512));
    const uint8_t *dw = t + W4A8_G * 256;  /* (4, 16) fp16 */
#define W4A8_ROW_FMA(l, h, i)                                                                                \
    f[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(l, _mm512_srai_epi32(h, 4))),                 \
                           _mm512_mul_ps(_mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(dw + 32 * i))), dx), \
                           f[i])
    W4A8_ROW_FMA(l0, h0, 0);
    W4A8_ROW_FMA(l1, h1, 1);
    W4A8_ROW_FMA(l2, h2, 2);
    W4A8_ROW_FMA(l3, h3, 3);
#undef W4A8_ROW_FMA
}

/* The rows of group g inside [r0, r1) get the sums of f. */
static inline void w4a8_store(float *y, int64_t g, int64_t r0, int64_t r1, const __m512 f[4])
{
    const int64_t base = g * W4A8_G;
    unsigned m = 0;
    for (int i = 0; i < W4A8_G; i++)
        m |= (unsigned)(base + i >= r0 && base + i < r1) << i;
    _mm_mask_storeu_ps(y + base, (__mmask8)m, hsum4_512(f[0], f[1], f[2], f[3]));
}

/* Rows [r0, r1): every group of 4 rows that meets the range is computed
 * whole (padding rows included) and only rows inside the range are stored.
 * Two groups per pass, one from each half of the range: two sequential
 * streams in distinct pages (W4A8_SPREAD 0: one group per pass); a second
 * group past the range repeats the first and is not stored. */
static void gemv_w4a8_avx512vnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nsb = w4a8__nsb(a->shape.cols);
    const uint8_t *w = a->w;        /* (groups, nsb) tiles of 1152 B */
    const uint8_t *xs = a->scratch; /* (nsb) records of 640 B */
    float *y = a->y;                /* (rows) */
    const int64_t g0 = r0 / W4A8_G, g1 = (r1 + W4A8_G - 1) / W4A8_G;
    const size_t group_bytes = (size_t)nsb * W4A8_TILE_BYTES;

    if (!W4A8_SPREAD) {
        for (int64_t g = g0; g < g1; g++) {
            __m512 f[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int64_t s = 0; s < nsb; s++)
                w4a8_tile(w + (size_t)g * group_bytes + (size_t)s * W4A8_TILE_BYTES, xs + s * W4A8_XSB_BYTES, f);
            w4a8_store(y, g, r0, r1, f);
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
            w4a8_tile(ta + (size_t)s * W4A8_TILE_BYTES, xsb, fa);
            w4a8_tile(tb + (size_t)s * W4A8_TILE_BYTES, xsb, fb);
        }
        w4a8_store(y, ga, r0, r1, fa);
        if (gb != ga)
            w4a8_store(y, gb, r0, r1, fb);
    }
}

static const struct fk_kernel gemv_w4a8_avx512vnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = W4A8_NAME,
    .isa = "avx512vnni",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | FK_CPU_AVX512VNNI |
                FK_CPU_F16C,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 32,
    .row_block = W4A8_G,
    .packed_size = w4a8__packed_size,
    .pack = w4a8__pack,
    .to_ggml = w4a8__to_ggml,
    .prepare_size = w4a8__prepare_size,
    .prepare = gemv_w4a8_avx512vnni__prepare,
    .run = gemv_w4a8_avx512vnni__run,
    .cost = w4a8__cost,
};

FK_PLUGIN(&gemv_w4a8_avx512vnni);
