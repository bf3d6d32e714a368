/* gemm.w4a8.neon — Q4_0 weights x Q8_0 activations on plain NEON
 * (ARMv8.0, no dotprod): exact integer block dots with SMULL and pairwise
 * adds, register-blocked over 4 weight rows x 8 batch rows.
 *
 *   pack():    (gemm_w4a8.h) W -> Q4_0 panels of NR = 4 rows in {K/4, N, 4}
 *              VNNI order: per block 4 vectors of 16 bytes, lane j (4 bytes)
 *              = row 4p + j, then the 4 fp16 scales.
 *   prepare(): (gemm_w4a8.h) X -> Q8_0 blocks by ggml's reference quantizer
 *              (bit-exact; inside the timed call), dx and -8 sum(qx).
 *   run():     per block and batch row: for each vector v, nibbles (u8 in
 *              [0,15], as s8) x 4 broadcast activations: SMULL/SMULL2 give
 *              the 16 int16 products, ADDP folds them to [row, 2 bytes]
 *              pairs (|.| <= 2 * 15 * 127), low and high nibbles are added
 *              (<= 7620, no int16 overflow) and SADALP folds the pairs into
 *              the 4 int32 row sums, which start at -8 sum(qx): isum =
 *              sum (q - 8) qx exactly; then acc += (isum * dw) * dx (one
 *              rounded multiply, one fused multiply-add), as the x86 GEMMs.
 * Built for aarch64 only. */
#include <arm_neon.h>
#include <assert.h>

#include "gemm_w4a8.h"

#define GW_NR 4  /* weight rows per panel: one int32x4 of row sums */
#define GW_MR 8  /* batch rows per register tile */

GEMM_W4A8_LAYOUT(gemm_w4a8_neon, GW_NR)

/* One block of 32 x -> Q8_0 by the reference quantizer; the sum of quants. */
static int32_t gw_quantize_block_q8_0(const float *x, fk_block_q8_0 *blk)
{
    fk_quantize_row_q8_0_ref(x, blk, FK_Q8_0_BLOCK);
    int32_t sum = 0;
    for (int j = 0; j < FK_Q8_0_BLOCK; j++)
        sum += blk->qs[j];
    return sum;
}

static void gemm_w4a8_neon__prepare(const struct fk_args *a)
{
    gemm_w4a8__prepare(a, gw_quantize_block_q8_0);
}

/* sum over the 16 bytes of w x x, folded to [row0..row3] pairs (int16). */
static inline int16x8_t gw_pairs(int8x16_t w, int8x16_t x)
{
    return vpaddq_s16(vmull_s8(vget_low_s8(w), vget_low_s8(x)), vmull_high_s8(w, x));
}

/* One tile: one panel (4 rows) x mr batch rows (1..8), all nb blocks;
 * lanes outside [j0, j1) are not stored. */
static inline __attribute__((always_inline)) void
gw_tile(int mr, int64_t nb, const uint8_t *panel, const fk_block_q8_0 *xq, const float *dx, const int32_t *sx,
        float *y, int64_t ldy, int j0, int j1)
{
    const uint8x16_t low4 = vdupq_n_u8(0x0f);
    float32x4_t acc[GW_MR];
    for (int i = 0; i < mr; i++)
        acc[i] = vdupq_n_f32(0.0f);
    for (int64_t b = 0; b < nb; b++) {
        int32x4_t isum[GW_MR];
        for (int i = 0; i < mr; i++)
            isum[i] = vdupq_n_s32(sx[i * nb + b]);
        for (int v = 0; v < 4; v++) {
            const uint8x16_t q = vld1q_u8(panel + b * 16 * GW_NR + v * 16);
            const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(q, low4));  /* [0,15] */
            const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(q, 4));   /* [0,15] */
            for (int i = 0; i < mr; i++) {
                const int8_t *xs = xq[i * nb + b].qs;
                const int8x16_t xl = vreinterpretq_s8_s32(vdupq_n_s32(gemm_w4a8__load_i32(xs + 4 * v)));
                const int8x16_t xh = vreinterpretq_s8_s32(vdupq_n_s32(gemm_w4a8__load_i32(xs + 16 + 4 * v)));
                isum[i] = vpadalq_s16(isum[i], vaddq_s16(gw_pairs(lo, xl), gw_pairs(hi, xh)));
            }
        }
        const uint16_t *d = (const uint16_t *)(panel + nb * 16 * GW_NR) + b * GW_NR;
        const float32x4_t dw = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(d)));
        for (int i = 0; i < mr; i++) {
            const float32x4_t t = vmulq_f32(vcvtq_f32_s32(isum[i]), dw);
            acc[i] = vfmaq_n_f32(acc[i], t, dx[i * nb + b]);
        }
    }
    for (int i = 0; i < mr; i++) {
        float t[GW_NR];
        vst1q_f32(t, acc[i]);
        for (int j = j0; j < j1; j++)
            y[i * ldy + j] = t[j];
    }
}

/* Columns [r0, r1) of Y, for every batch row. */
static void gemm_w4a8_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols % FK_Q4_0_BLOCK == 0 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const struct fk_shape *s = &a->shape;
    const int64_t rows = s->rows, batch = s->batch, nb = s->cols / FK_Q4_0_BLOCK;
    const int64_t pb = gemm_w4a8__panel_bytes(nb, GW_NR);
    const fk_block_q8_0 *xq = a->scratch;                                                          /* (batch, nb) */
    const float *dx = (const float *)((const uint8_t *)a->scratch + gemm_w4a8__dx_offset(s));     /* (batch, nb) */
    const int32_t *sx = (const int32_t *)((const uint8_t *)a->scratch + gemm_w4a8__sx_offset(s)); /* (batch, nb) */

    for (int64_t p = r0 / GW_NR; p * GW_NR < r1; p++) {
        const int64_t base = p * GW_NR;
        const int j0 = (int)(r0 > base ? r0 - base : 0);
        const int j1 = (int)(r1 - base < GW_NR ? r1 - base : GW_NR);
        const uint8_t *panel = (const uint8_t *)a->w + p * pb;
        for (int64_t m0 = 0; m0 < batch; m0 += GW_MR) {
            const int64_t mr = batch - m0 < GW_MR ? batch - m0 : GW_MR;
            const fk_block_q8_0 *xm = xq + m0 * nb;
            const float *dxm = dx + m0 * nb;
            const int32_t *sxm = sx + m0 * nb;
            float *yt = a->y + m0 * rows + base;
            switch (mr) {
            case 8: gw_tile(8, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 7: gw_tile(7, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 6: gw_tile(6, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 5: gw_tile(5, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 4: gw_tile(4, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 3: gw_tile(3, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            case 2: gw_tile(2, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            default: gw_tile(1, nb, panel, xm, dxm, sxm, yt, rows, j0, j1); break;
            }
        }
    }
}

static void gemm_w4a8_neon__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

static const struct fk_kernel gemm_w4a8_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.w4a8.neon",
    .isa = "neon",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_NEON,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = GW_NR,
    .packed_size = gemm_w4a8_neon__packed_size,
    .pack = gemm_w4a8_neon__pack,
    .to_ggml = gemm_w4a8_neon__to_ggml,
    .prepare_size = gemm_w4a8_neon__prepare_size,
    .prepare = gemm_w4a8_neon__prepare,
    .run = gemm_w4a8_neon__run,
    .cost = gemm_w4a8_neon__cost,
};

FK_PLUGIN(&gemm_w4a8_neon);
