/* gemm.f32.neon — Y[m][r] = sum_c W[r][c] * X[m][c] with NEON, BLIS-style:
 * the packed panels of gemm_f32.h and a 6 x 16 register-blocked
 * micro-kernel (24 float32x4 accumulators, 4 W vectors: 28 of the 32
 * registers).  Per column c: 24 FMAs (FMLA by scalar) per 4 W loads and 6
 * X values, 24 independent chains against the 4-cycle FMLA latency.
 *
 *   pack():    (gemm_f32.h) W -> panels of NR = 16 rows, (cols, 16) f32 each.
 *   prepare(): (gemm_f32.h) X -> micro-panels of MR = 6 batch rows.
 *   run():     every panel meeting [r0, r1) x every micro-panel; NEON has
 *              no masked store, so a tile with lanes outside [r0, r1) (or
 *              past rows) goes through a local copy and only its valid
 *              lanes are written.
 * One fused multiply-add per column, in column order, as the other f32
 * GEMMs: the result does not depend on how [0, rows) is split.  Built for
 * aarch64 only (asimd is part of ARMv8-A). */
#include <arm_neon.h>
#include <assert.h>
#include <string.h>

#include "gemm_f32.h"

#define GEMM_F32_NR 16  /* W rows per panel: four float32x4 of Y columns */
#define GEMM_F32_MR 6   /* batch rows per micro-panel */

GEMM_F32_LAYOUT(gemm_f32_neon, GEMM_F32_NR, GEMM_F32_MR)

/* One 6 x 16 tile: y[i][j] (i < mr, j in [j0, j1)) = sum_c xp[c][i] *
 * wp[c][j].  mr is a compile-time constant after inlining. */
static inline __attribute__((always_inline)) void
gemm_f32_neon__tile(int mr, int64_t cols, const float *xp, const float *wp, float *y, int64_t ldy, int j0, int j1)
{
    float32x4_t acc[GEMM_F32_MR][4];
    for (int i = 0; i < mr; i++)
        for (int k = 0; k < 4; k++)
            acc[i][k] = vdupq_n_f32(0.0f);
    for (int64_t c = 0; c < cols; c++) {
        float32x4_t w[4];
        for (int k = 0; k < 4; k++)
            w[k] = vld1q_f32(wp + c * GEMM_F32_NR + 4 * k);
        for (int i = 0; i < mr; i++) {
            const float xi = xp[c * GEMM_F32_MR + i];
            for (int k = 0; k < 4; k++)
                acc[i][k] = vfmaq_n_f32(acc[i][k], w[k], xi);
        }
    }
    for (int i = 0; i < mr; i++) {
        if (j0 == 0 && j1 == GEMM_F32_NR) {
            for (int k = 0; k < 4; k++)
                vst1q_f32(y + i * ldy + 4 * k, acc[i][k]);
        } else {
            float t[GEMM_F32_NR];
            for (int k = 0; k < 4; k++)
                vst1q_f32(t + 4 * k, acc[i][k]);
            memcpy(y + i * ldy + j0, t + j0, (size_t)(j1 - j0) * sizeof(float));
        }
    }
}

/* Columns [r0, r1) of Y = X W^T, for every batch row. */
static void gemm_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t rows = a->shape.rows, cols = a->shape.cols, batch = a->shape.batch;
    const float *w = a->w;         /* (ceil(rows/16), cols, 16) panels */
    const float *xp = a->scratch;  /* (ceil(batch/6), cols, 6) micro-panels */
    float *y = a->y;               /* (batch, rows) */

    for (int64_t p = r0 / GEMM_F32_NR; p * GEMM_F32_NR < r1; p++) {
        const int64_t base = p * GEMM_F32_NR;
        /* lanes j of this panel with base + j in [r0, r1) (r1 <= rows) */
        const int j0 = (int)(r0 > base ? r0 - base : 0);
        const int j1 = (int)(r1 - base < GEMM_F32_NR ? r1 - base : GEMM_F32_NR);
        const float *wp = w + p * cols * GEMM_F32_NR;
        for (int64_t m0 = 0; m0 < batch; m0 += GEMM_F32_MR) {
            const float *xq = xp + (m0 / GEMM_F32_MR) * cols * GEMM_F32_MR;
            float *yt = y + m0 * rows + base;
            const int64_t mr = batch - m0 < GEMM_F32_MR ? batch - m0 : GEMM_F32_MR;
            switch (mr) {
            case 6:  gemm_f32_neon__tile(6, cols, xq, wp, yt, rows, j0, j1); break;
            case 5:  gemm_f32_neon__tile(5, cols, xq, wp, yt, rows, j0, j1); break;
            case 4:  gemm_f32_neon__tile(4, cols, xq, wp, yt, rows, j0, j1); break;
            case 3:  gemm_f32_neon__tile(3, cols, xq, wp, yt, rows, j0, j1); break;
            case 2:  gemm_f32_neon__tile(2, cols, xq, wp, yt, rows, j0, j1); break;
            default: gemm_f32_neon__tile(1, cols, xq, wp, yt, rows, j0, j1); break;
            }
        }
    }
}

static void gemm_f32_neon__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

static const struct fk_kernel gemm_f32_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.neon",
    .isa = "neon",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 1,
    .row_block = GEMM_F32_NR,
    .packed_size = gemm_f32_neon__packed_size,
    .pack = gemm_f32_neon__pack,
    .to_ggml = gemm_f32_neon__to_plain,
    .prepare_size = gemm_f32_neon__prepare_size,
    .prepare = gemm_f32_neon__prepare,
    .run = gemm_f32_neon__run,
    .cost = gemm_f32_neon__cost,
};

FK_PLUGIN(&gemm_f32_neon);
