/* gemm.w4a8.avx2 — Q4_0 weights x Q8_0 activations with vpmaddubsw (no
 * VNNI), register-blocked over 8 weight rows x 4 batch rows so every weight
 * load serves four activation rows and every activation load eight weight
 * rows.  The AVX2 sibling of gemm.w4a8.avx512vnni, same arithmetic.
 *
 *   pack():    W -> Q4_0 by the reference quantizer, repacked in panels of
 *              8 rows ({K/4, N, 4} VNNI order).  Panel p, block b holds 128
 *              bytes of quants: vector v (v < 4) is 32 bytes, lane j (row
 *              8p + j) = GGML qs[4v .. 4v+3] of that row's block b, so its
 *              low nibbles are elements 4v..4v+3 and its high nibbles
 *              elements 16+4v..16+4v+3; then, after all blocks, the 8 fp16
 *              scales of each block.  Rows past the end are zero.  to_ggml()
 *              inverts this byte for byte.
 *   prepare(): X -> Q8_0 blocks in scratch (GGML layout), bit-exact with
 *              fk_quantize_row_q8_0_ref, plus per block dx = fp16 scale as
 *              f32 and -8 * sum(qx).
 *   run():     per block, lanes = 8 rows x 4 bytes: p16 = sum over v of
 *              maddubs(nibbles as u8 in [0,15], 4 broadcast int8
 *              activations); each int16 lane sums 16 products, |p16| <=
 *              16 * 15 * 127 = 30480 < 2^15, so neither vpmaddubsw's
 *              saturation nor the int16 sums can clip.  isum = madd(p16, 1)
 *              - 8 * sum(qx) = sum (q - 8) * qx exactly (< 2^24, exact as
 *              f32); then acc += (isum * dw) * dx (one rounded multiply,
 *              then one fused multiply-add), as the VNNI variant.
 * Registers: 4 p16 + 4 f32 accumulators + nibble vectors and constants,
 * inside the 16 ymm.  Built with FLAGS_avx2 (-mavx2 -mfma -mf16c). */
#include <assert.h>
#include <immintrin.h>

#include "gemm_w4a8.h"
#include "gemv_quant_x86.h"

#define GW_NR 8    /* weight rows per panel: one ymm of int32 lanes */
#define GW_MR 4    /* batch rows per register tile */
#define GW_QS 128  /* quant bytes per panel and block: 16 * GW_NR */

GEMM_W4A8_LAYOUT(gemm_w4a8_avx2, GW_NR)

/* One block of 32 x -> Q8_0, bit-exact with fk_quantize_row_q8_0_ref: amax
 * is exact in any order, d = amax / 127 and id = 1/d are the same scalar f32
 * divisions, x * id is one rounded multiply per lane (no FMA), and
 * w4a8__roundf_256 is roundf; |x * id| <= 127, so the int32 conversion and
 * the saturating packs are exact.  A block with an inf or NaN goes to the
 * reference quantizer.  Returns the integer sum of the 32 quants. */
static inline int32_t gw_quantize_block_q8_0(const float *x, fk_block_q8_0 *blk)
{
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 v[4], a[4];
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        a[k] = _mm256_and_ps(v[k], absmask);
    }
    const __m256 fmax = _mm256_set1_ps(3.40282347e38f);
    const __m256 fin = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(a[0], fmax, _CMP_LE_OQ),
                                                   _mm256_cmp_ps(a[1], fmax, _CMP_LE_OQ)),
                                     _mm256_and_ps(_mm256_cmp_ps(a[2], fmax, _CMP_LE_OQ),
                                                   _mm256_cmp_ps(a[3], fmax, _CMP_LE_OQ)));
    if (_mm256_movemask_ps(fin) != 0xff) {
        fk_quantize_row_q8_0_ref(x, blk, FK_Q8_0_BLOCK);
        int32_t sum = 0;
        for (int j = 0; j < FK_Q8_0_BLOCK; j++)
            sum += blk->qs[j];
        return sum;
    }
    const float amax = w4a8__hmax_256(_mm256_max_ps(_mm256_max_ps(a[0], a[1]), _mm256_max_ps(a[2], a[3])));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blk->d = fk_f32_to_fp16(d);
    const __m256 vid = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; k++)
        q[k] = _mm256_cvtps_epi32(w4a8__roundf_256(_mm256_mul_ps(v[k], vid)));
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
    __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4e));
    s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xb1));
    /* packs interleave 128-bit lanes; the permute restores element order */
    const __m256i p = _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    _mm256_storeu_si256((__m256i *)blk->qs,
                        _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)));
    return _mm_cvtsi128_si32(s4);
}

static void gemm_w4a8_avx2__prepare(const struct fk_args *a)
{
    gemm_w4a8__prepare(a, gw_quantize_block_q8_0);
}

/* One tile: one panel (8 rows) x mr batch rows (1..4), all nb blocks.  mr
 * is a compile-time constant after inlining, so the accumulators stay in
 * registers.  Lanes outside mask are not stored. */
static inline __attribute__((always_inline)) void
gw_tile(int mr, int64_t nb, const uint8_t *panel, const fk_block_q8_0 *xq, const float *dx, const int32_t *sx,
        float *y, int64_t ldy, __m256i mask)
{
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256 acc[GW_MR];
    for (int i = 0; i < mr; i++)
        acc[i] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        __m256i p16[GW_MR];
        for (int i = 0; i < mr; i++)
            p16[i] = _mm256_setzero_si256();
        for (int v = 0; v < 4; v++) {
            const __m256i q = _mm256_load_si256((const __m256i *)(panel + b * GW_QS + v * 32));
            const __m256i lo = _mm256_and_si256(q, low4);                       /* [0,15] */
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);  /* [0,15] */
            for (int i = 0; i < mr; i++) {
                const int8_t *xs = xq[i * nb + b].qs;
                p16[i] = _mm256_add_epi16(p16[i], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(gemm_w4a8__load_i32(xs + 4 * v))));
                p16[i] = _mm256_add_epi16(p16[i],
                                          _mm256_maddubs_epi16(hi, _mm256_set1_epi32(gemm_w4a8__load_i32(xs + 16 + 4 * v))));
            }
        }
        const uint16_t *d = (const uint16_t *)(panel + nb * GW_QS) + b * GW_NR;
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)d));
        for (int i = 0; i < mr; i++) {
            const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(p16[i], ones16), _mm256_set1_epi32(sx[i * nb + b]));
            const __m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(isum), dw);
            acc[i] = _mm256_fmadd_ps(t, _mm256_set1_ps(dx[i * nb + b]), acc[i]);
        }
    }
    for (int i = 0; i < mr; i++)
        _mm256_maskstore_ps(y + i * ldy, mask, acc[i]);
}

/* Lanes j of the panel starting at row base with base + j in [r0, r1). */
static inline __m256i gw_lanes(int64_t base, int64_t r0, int64_t r1)
{
    const int64_t j0 = r0 > base ? r0 - base : 0;
    const int64_t j1 = r1 - base < GW_NR ? r1 - base : GW_NR;
    const __m256i j = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_and_si256(_mm256_cmpgt_epi32(j, _mm256_set1_epi32((int)j0 - 1)),
                            _mm256_cmpgt_epi32(_mm256_set1_epi32((int)j1), j));
}

/* Columns [r0, r1) of Y, for every batch row. */
static void gemm_w4a8_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols % FK_Q4_0_BLOCK == 0 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const struct fk_shape *s = &a->shape;
    const int64_t rows = s->rows, batch = s->batch, nb = s->cols / FK_Q4_0_BLOCK;
    const int64_t pb = gemm_w4a8__panel_bytes(nb, GW_NR);
    const fk_block_q8_0 *xq = a->scratch;                                                /* (batch, nb) */
    const float *dx = (const float *)((const uint8_t *)a->scratch + gemm_w4a8__dx_offset(s));     /* (batch, nb) */
    const int32_t *sx = (const int32_t *)((const uint8_t *)a->scratch + gemm_w4a8__sx_offset(s)); /* (batch, nb) */

    for (int64_t p = r0 / GW_NR; p * GW_NR < r1; p++) {
        const uint8_t *panel = (const uint8_t *)a->w + p * pb;
        const __m256i mask = gw_lanes(p * GW_NR, r0, r1);
        for (int64_t m0 = 0; m0 < batch; m0 += GW_MR) {
            const int64_t mr = batch - m0 < GW_MR ? batch - m0 : GW_MR;
            const fk_block_q8_0 *xm = xq + m0 * nb;
            const float *dxm = dx + m0 * nb;
            const int32_t *sxm = sx + m0 * nb;
            float *yt = a->y + m0 * rows + p * GW_NR;
            switch (mr) {
            case 4: gw_tile(4, nb, panel, xm, dxm, sxm, yt, rows, mask); break;
            case 3: gw_tile(3, nb, panel, xm, dxm, sxm, yt, rows, mask); break;
            case 2: gw_tile(2, nb, panel, xm, dxm, sxm, yt, rows, mask); break;
            default: gw_tile(1, nb, panel, xm, dxm, sxm, yt, rows, mask); break;
            }
        }
    }
}

static void gemm_w4a8_avx2__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

static const struct fk_kernel gemm_w4a8_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.w4a8.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = GW_NR,
    .packed_size = gemm_w4a8_avx2__packed_size,
    .pack = gemm_w4a8_avx2__pack,
    .to_ggml = gemm_w4a8_avx2__to_ggml,
    .prepare_size = gemm_w4a8_avx2__prepare_size,
    .prepare = gemm_w4a8_avx2__prepare,
    .run = gemm_w4a8_avx2__run,
    .cost = gemm_w4a8_avx2__cost,
};

FK_PLUGIN(&gemm_w4a8_avx2);
