/* gemv.w4a8.avxvnni — y = W x with Q4_0 weights and Q8_0 activations, the
 * 256-bit (VEX) mirror of gemv.w4a8.avx512vnni: same repacked tiles, same
 * prepared activations (gemv_quant_x86.h), vpdpbusd on ymm.
 *
 * A super-block's 16 blocks are two halves of 8 lanes (bytes 32h..32h+31 of
 * every 64-byte vector).  Per half and row:
 *     lo += vpdpbusd(w & 0x0f, xq[v]);  hi += vpdpbusd(w & 0xf0, xq[4+v])
 *     acc += f32(lo + (hi >> 4)) * (fp16(dw) * fp16(dx)),  lo starting at corr
 * exact integer block dots, one f32 scale per block, one horizontal sum per
 * row at the end.  Rows go in pairs inside each tile, so the 16 ymm registers
 * hold everything and each tile is still read once.
 *
 * Built with FLAGS_avxvnni (-mavxvnni -mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_quant_x86.h"

static void gemv_w4a8_avxvnni__prepare(const struct fk_args *a)
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

static void gemv_w4a8_avxvnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t nsb = w4a8__nsb(a->shape.cols);
    const uint8_t *w = a->w;        /* (groups, nsb) tiles of 1152 B */
    const uint8_t *xs = a->scratch; /* (nsb) records of 640 B */
    float *y = a->y;                /* (rows) */
    const __m256i lo_mask = _mm256_set1_epi8(0x0f);
    const __m256i hi_mask = _mm256_set1_epi8((char)0xf0);

    for (int64_t g = r0 / W4A8_G; g * W4A8_G < r1; g++) {
        const uint8_t *t = w + (size_t)g * (size_t)nsb * W4A8_TILE_BYTES;
        __m256 f[W4A8_G];  /* per row: 8 lanes of block-scaled partial sums */
        for (int i = 0; i < W4A8_G; i++)
            f[i] = _mm256_setzero_ps();
        for (int64_t s = 0; s < nsb; s++, t += W4A8_TILE_BYTES) {
            const uint8_t *xsb = xs + s * W4A8_XSB_BYTES;
            for (int h = 0; h < 2; h++) {
                /* rows in pairs: each tile is read once, while it is in L1 */
                for (int p = 0; p < W4A8_G; p += 2) {
                    const __m256i corr = _mm256_load_si256((const __m256i *)(xsb + 576 + 32 * h));
                    __m256i la = corr, lb = corr;
                    __m256i ha = _mm256_setzero_si256(), hb = _mm256_setzero_si256();
#pragma GCC unroll 4
                    for (int v = 0; v < 4; v++) {
                        const __m256i xl = _mm256_load_si256((const __m256i *)(xsb + v * 64 + 32 * h));
                        const __m256i xh = _mm256_load_si256((const __m256i *)(xsb + (4 + v) * 64 + 32 * h));
                        __m256i wa = _mm256_load_si256((const __m256i *)(t + p * 256 + v * 64 + 32 * h));
                        __m256i wb = _mm256_load_si256((const __m256i *)(t + (p + 1) * 256 + v * 64 + 32 * h));
                        __asm__("" : "+x"(wa), "+x"(wb));  /* one load each, not one per vpand */
                        la = _mm256_dpbusd_avx_epi32(la, _mm256_and_si256(wa, lo_mask), xl);
                        lb = _mm256_dpbusd_avx_epi32(lb, _mm256_and_si256(wb, lo_mask), xl);
                        ha = _mm256_dpbusd_avx_epi32(ha, _mm256_and_si256(wa, hi_mask), xh);
                        hb = _mm256_dpbusd_avx_epi32(hb, _mm256_and_si256(wb, hi_mask), xh);
                    }
                    const __m256 dx = _mm256_load_ps((const float *)(xsb + 512) + 8 * h);
                    const uint8_t *dw = t + W4A8_G * 256 + 16 * h;  /* (4, 16) fp16, this half */
                    const __m256 sa = _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(dw + 32 * p))), dx);
                    const __m256 sb =
                        _mm256_mul_ps(_mm256_cvtph_ps(_mm_load_si128((const __m128i *)(dw + 32 * (p + 1)))), dx);
                    f[p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(la, _mm256_srai_epi32(ha, 4))), sa, f[p]);
                    f[p + 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(lb, _mm256_srai_epi32(hb, 4))), sb, f[p + 1]);
                }
            }
        }
        for (int i = 0; i < W4A8_G; i++)
            if (g * W4A8_G + i >= r0 && g * W4A8_G + i < r1)
                y[g * W4A8_G + i] = hsum_256(f[i]);
    }
}

static const struct fk_kernel gemv_w4a8_avxvnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.avxvnni",
    .isa = "avxvnni",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C | FK_CPU_AVXVNNI,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 32,
    .row_block = W4A8_G,
    .packed_size = w4a8__packed_size,
    .pack = w4a8__pack,
    .to_ggml = w4a8__to_ggml,
    .prepare_size = w4a8__prepare_size,
    .prepare = gemv_w4a8_avxvnni__prepare,
    .run = gemv_w4a8_avxvnni__run,
    .cost = w4a8__cost,
};

FK_PLUGIN(&gemv_w4a8_avxvnni);
