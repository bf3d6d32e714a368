/* gemm.w4a8.avx512vnni — Q4_0 weights x Q8_0 activations with vpdpbusd,
 * register-blocked over 32 weight rows x 6 batch rows so every weight load
 * serves six activation rows and every activation load 32 weight rows.
 *
 *   pack():    W -> Q4_0 by the reference quantizer, repacked in panels of
 *              16 rows ({K/4, N, 4} VNNI order, as ggml's AMX path; gemm_w4a8.h).  Panel
 *              p, block b holds 256 bytes of quants: vector v (v < 4) is 64
 *              bytes, lane j (row 16p + j) = GGML qs[4v .. 4v+3] of that row's
 *              block b, so its low nibbles are elements 4v..4v+3 and its high
 *              nibbles elements 16+4v..16+4v+3; then, after all blocks, the
 *              16 fp16 scales of each block.  Rows past the end are zero.
 *              to_ggml() inverts this byte for byte.
 *   prepare(): X -> Q8_0 blocks in scratch (GGML layout) by a SIMD quantizer
 *              bit-exact with fk_quantize_row_q8_0_ref (ties away from zero),
 *              plus per block dx = fp16 scale as f32 and -8 * sum(qx).
 *   run():     per block, lanes = 16 rows: isum starts at -8 * sum(qx) and
 *              accumulates vpdpbusd(nibbles as u8 in [0,15], 4 broadcast
 *              int8 activations), so isum = sum (q - 8) * qx exactly
 *              (|isum| <= 32 * 8 * 127 < 2^24, exact as f32); then
 *              acc += (isum * dw) * dx in f32 (dw * isum rounds once,
 *              then one fused multiply-add).
 * Built with FLAGS_avx512vnni; uses AVX-512F, BW (byte shifts) and VNNI. */
#include <assert.h>
#include <immintrin.h>

#include "gemm_w4a8.h"

#define W4A8_NR 16   /* weight rows per panel: one zmm of int32 lanes */
#define W4A8_MR 6    /* batch rows per register tile */
#define W4A8_QS 256  /* quant bytes per panel and block */

GEMM_W4A8_LAYOUT(gemm_w4a8_avx512vnni, W4A8_NR)

/* roundf (half away from zero) of v, |v| < 2^23: t = trunc(v); v - t is
 * exact, and |v - t| >= 0.5 moves t one step away from zero. */
static inline __m512 w4a8_roundf(__m512 v)
{
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
    const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __m512 one = _mm512_or_ps(_mm512_set1_ps(1.0f), _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
    return _mm512_mask_add_ps(t, up, t, one);
}

/* One block of 32 x -> Q8_0, bit-exact with fk_quantize_row_q8_0_ref:
 * amax is exact in any order, d = amax / 127 and id = 1/d are the same
 * scalar f32 divisions, x * id is one rounded multiply per lane (no FMA),
 * and w4a8_roundf is roundf; |x * id| <= 127 (+ a few ulp), so the int32
 * conversion and the low byte are exact.  A block with an inf or NaN (where
 * the reference's max depends on the order of comparisons) goes to the
 * reference quantizer.  Returns the integer sum of the 32 quants. */
static inline int32_t w4a8_quantize_block_q8_0(const float *x, fk_block_q8_0 *blk)
{
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const __m512 a0 = _mm512_abs_ps(x0), a1 = _mm512_abs_ps(x1);
    const __m512 fmax = _mm512_set1_ps(3.40282347e38f);
    if ((__mmask16)(_mm512_cmp_ps_mask(a0, fmax, _CMP_LE_OQ) & _mm512_cmp_ps_mask(a1, fmax, _CMP_LE_OQ)) != 0xffff) {
        fk_quantize_row_q8_0_ref(x, blk, FK_Q8_0_BLOCK);
        int32_t sum = 0;
        for (int j = 0; j < FK_Q8_0_BLOCK; j++)
            sum += blk->qs[j];
        return sum;
    }
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk->d = fk_f32_to_fp16(d);
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_cvtps_epi32(w4a8_roundf(_mm512_mul_ps(x0, vid)));
    const __m512i q1 = _mm512_cvtps_epi32(w4a8_roundf(_mm512_mul_ps(x1, vid)));
    _mm_storeu_si128((__m128i *)blk->qs, _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128((__m128i *)(blk->qs + 16), _mm512_cvtepi32_epi8(q1));
    return _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
}

static void gemm_w4a8_avx512vnni__prepare(const struct fk_args *a)
{
    gemm_w4a8__prepare(a, w4a8_quantize_block_q8_0);
}

/* One tile: np panels (1 or 2) x mr batch rows (1..6), all nb blocks.
 * np and mr are compile-time constants after inlining, so the 2 * np * mr
 * accumulators stay in zmm registers. */
static inline __attribute__((always_inline)) void
w4a8_tile(int np, int mr, int64_t nb, const uint8_t *panel, int64_t pb, const fk_block_q8_0 *xq,
          const float *dx, const int32_t *sx, float *y, int64_t ldy, __mmask16 mask0, __mmask16 mask1)
{
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    __m512 acc[2][W4A8_MR];
    for (int p = 0; p < np; p++)
        for (int i = 0; i < mr; i++)
            acc[p][i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m512i isum[2][W4A8_MR];
        for (int p = 0; p < np; p++)
            for (int i = 0; i < mr; i++)
                isum[p][i] = _mm512_set1_epi32(sx[i * nb + b]);
        for (int v = 0; v < 4; v++) {
            for (int p = 0; p < np; p++) {
                const __m512i q = _mm512_load_si512(panel + p * pb + b * W4A8_QS + v * 64);
                const __m512i lo = _mm512_and_si512(q, low4);                       /* [0,15] */
                const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);  /* [0,15] */
                for (int i = 0; i < mr; i++) {
                    const int8_t *xs = xq[i * nb + b].qs;
                    isum[p][i] = _mm512_dpbusd_epi32(isum[p][i], lo, _mm512_set1_epi32(gemm_w4a8__load_i32(xs + 4 * v)));
                    isum[p][i] =
                        _mm512_dpbusd_epi32(isum[p][i], hi, _mm512_set1_epi32(gemm_w4a8__load_i32(xs + 16 + 4 * v)));
                }
            }
        }
        for (int p = 0; p < np; p++) {
            const uint16_t *d = (const uint16_t *)(panel + p * pb + nb * W4A8_QS) + b * W4A8_NR;
            const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)d));
            for (int i = 0; i < mr; i++) {
                const __m512 t = _mm512_mul_ps(_mm512_cvtepi32_ps(isum[p][i]), dw);
                acc[p][i] = _mm512_fmadd_ps(t, _mm512_set1_ps(dx[i * nb + b]), acc[p][i]);
            }
        }
    }
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(y + i * ldy, mask0, acc[0][i]);
        if (np == 2)
            _mm512_mask_storeu_ps(y + i * ldy + W4A8_NR, mask1, acc[1][i]);
    }
}

#define W4A8_TILE_CASES(np)                                                                        \
    switch (mr) {                                                                                  \
    case 6: w4a8_tile(np, 6, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;          \
    case 5: w4a8_tile(np, 5, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;          \
    case 4: w4a8_tile(np, 4, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;          \
    case 3: w4a8_tile(np, 3, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;          \
    case 2: w4a8_tile(np, 2, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;          \
    default: w4a8_tile(np, 1, nb, panel, pb, xm, dxm, sxm, yt, rows, mask0, mask1); break;         \
    }

/* Lanes j of the panel starting at row base with base + j in [r0, r1). */
static inline __mmask16 w4a8_lanes(int64_t base, int64_t r0, int64_t r1)
{
    const int64_t j0 = r0 > base ? r0 - base : 0;
    const int64_t j1 = r1 - base < W4A8_NR ? r1 - base : W4A8_NR;
    return j1 <= j0 ? 0 : (__mmask16)(((1u << j1) - 1) & ~((1u << j0) - 1));
}

/* Columns [r0, r1) of Y, for every batch row. */
static void gemm_w4a8_avx512vnni__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols % FK_Q4_0_BLOCK == 0 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const struct fk_shape *s = &a->shape;
    const int64_t rows = s->rows, batch = s->batch, nb = s->cols / FK_Q4_0_BLOCK;
    const int64_t pb = gemm_w4a8__panel_bytes(nb, W4A8_NR);
    const fk_block_q8_0 *xq = a->scratch;                                            /* (batch, nb) */
    const float *dx = (const float *)((const uint8_t *)a->scratch + gemm_w4a8__dx_offset(s));     /* (batch, nb) */
    const int32_t *sx = (const int32_t *)((const uint8_t *)a->scratch + gemm_w4a8__sx_offset(s)); /* (batch, nb) */
    const int64_t p_end = (r1 + W4A8_NR - 1) / W4A8_NR;

    for (int64_t p0 = r0 / W4A8_NR; p0 < p_end; p0 += 2) {
        const int np = p_end - p0 >= 2 ? 2 : 1;
        const uint8_t *panel = (const uint8_t *)a->w + p0 * pb;
        const __mmask16 mask0 = w4a8_lanes(p0 * W4A8_NR, r0, r1);
        const __mmask16 mask1 = np == 2 ? w4a8_lanes((p0 + 1) * W4A8_NR, r0, r1) : 0;
        for (int64_t m0 = 0; m0 < batch; m0 += W4A8_MR) {
            const int64_t mr = batch - m0 < W4A8_MR ? batch - m0 : W4A8_MR;
            const fk_block_q8_0 *xm = xq + m0 * nb;
            const float *dxm = dx + m0 * nb;
            const int32_t *sxm = sx + m0 * nb;
            float *yt = a->y + m0 * rows + p0 * W4A8_NR;
            if (np == 2) {
                W4A8_TILE_CASES(2)
            } else {
                W4A8_TILE_CASES(1)
            }
        }
    }
}

static void gemm_w4a8_avx512vnni__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

static const struct fk_kernel gemm_w4a8_avx512vnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.w4a8.avx512vnni",
    .isa = "avx512vnni",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VNNI,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = 2 * W4A8_NR,
    .packed_size = gemm_w4a8_avx512vnni__packed_size,
    .pack = gemm_w4a8_avx512vnni__pack,
    .to_ggml = gemm_w4a8_avx512vnni__to_ggml,
    .prepare_size = gemm_w4a8_avx512vnni__prepare_size,
    .prepare = gemm_w4a8_avx512vnni__prepare,
    .run = gemm_w4a8_avx512vnni__run,
    .cost = gemm_w4a8_avx512vnni__cost,
};

FK_PLUGIN(&gemm_w4a8_avx512vnni);
