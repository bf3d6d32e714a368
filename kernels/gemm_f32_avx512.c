/* gemm.f32.avx512 — Y[m][r] = sum_c W[r][c] * X[m][c] with AVX-512F,
 * BLIS-style: packed panels and a 12 x 32 register-blocked micro-kernel.
 *
 * In BLIS terms C = A B with C = Y (batch x rows), A = X (batch x cols) and
 * B = W^T (cols x rows).  Vectors run along r, the contiguous axis of Y.
 *
 *   pack():    (gemm_f32.h) W -> panels of NR = 32 rows; panel p holds, for each column c,
 *              the 32 values W[32p + j][c] (j < 32) contiguously: (cols, 32)
 *              f32, rows past the end of W are zero.
 *   prepare(): (gemm_f32.h) X -> micro-panels of MR = 12 batch rows in scratch; micro-panel
 *              q holds X[12q + i][c] (i < 12) contiguously for each c:
 *              (cols, 12) f32, batch rows past the end are zero.
 *   run():     for every panel meeting [r0, r1), for every micro-panel, the
 *              micro-kernel keeps the 12 x 32 tile of Y in 24 zmm
 *              accumulators over the whole reduction; per column c it loads
 *              two W vectors and broadcasts 12 X values: 24 FMAs per 14
 *              loads, 24 independent chains cover the 4-cycle FMA latency at
 *              two FMAs per cycle.  Stores are masked to the tile's valid
 *              batch rows and to the columns in [r0, r1) and < rows.
 *
 * The per-output arithmetic is one fused multiply-add per column, in column
 * order, so the result does not depend on how [0, rows) is split.
 * Built with FLAGS_avx512; uses AVX-512F only. */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "gemm_f32.h"

#define GEMM_F32_NR 32  /* W rows per panel: two zmm of Y columns */
#define GEMM_F32_MR 12  /* batch rows per micro-panel */

GEMM_F32_LAYOUT(gemm_f32_avx512, GEMM_F32_NR, GEMM_F32_MR)

/* One 12 x 32 tile: y[i][j] (i < mr, lanes of lo|hi in mask) = sum_c
 * xp[c][i] * wp[c][j].  mr is a compile-time constant after inlining, so
 * the accumulators stay in registers. */
static inline __attribute__((always_inline)) void
gemm_f32_avx512__tile(int mr, int64_t cols, const float *xp, const float *wp, float *y, int64_t ldy,
                      __mmask16 lo, __mmask16 hi)
{
    __m512 acc[GEMM_F32_MR][2];
    for (int i = 0; i < mr; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (int64_t c = 0; c < cols; c++) {
        const __m512 w0 = _mm512_load_ps(wp + c * GEMM_F32_NR);
        const __m512 w1 = _mm512_load_ps(wp + c * GEMM_F32_NR + 16);
        for (int i = 0; i < mr; i++) {
            const __m512 xi = _mm512_set1_ps(xp[c * GEMM_F32_MR + i]);
            acc[i][0] = _mm512_fmadd_ps(w0, xi, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(w1, xi, acc[i][1]);
        }
    }
    for (int i = 0; i < mr; i++) {
        _mm512_mask_storeu_ps(y + i * ldy, lo, acc[i][0]);
        _mm512_mask_storeu_ps(y + i * ldy + 16, hi, acc[i][1]);
    }
}

/* Columns [r0, r1) of Y = X W^T, for every batch row. */
static void gemm_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t rows = a->shape.rows, cols = a->shape.cols, batch = a->shape.batch;
    const float *w = a->w;         /* (ceil(rows/32), cols, 32) panels */
    const float *xp = a->scratch;  /* (ceil(batch/12), cols, 12) micro-panels */
    float *y = a->y;               /* (batch, rows) */

    for (int64_t p = r0 / GEMM_F32_NR; p * GEMM_F32_NR < r1; p++) {
        const int64_t base = p * GEMM_F32_NR;
        /* lanes j of this panel with base + j in [r0, r1) (r1 <= rows) */
        const int64_t j0 = r0 > base ? r0 - base : 0;
        const int64_t j1 = r1 - base < GEMM_F32_NR ? r1 - base : GEMM_F32_NR;
        const uint32_t bits = (uint32_t)(((1ull << j1) - 1) & ~((1ull << j0) - 1));
        const __mmask16 lo = (__mmask16)(bits & 0xffff), hi = (__mmask16)(bits >> 16);
        const float *wp = w + p * cols * GEMM_F32_NR;
        for (int64_t m0 = 0; m0 < batch; m0 += GEMM_F32_MR) {
            const float *xq = xp + (m0 / GEMM_F32_MR) * cols * GEMM_F32_MR;
            float *yt = y + m0 * rows + base;
            const int64_t mr = batch - m0 < GEMM_F32_MR ? batch - m0 : GEMM_F32_MR;
            switch (mr) {
            case 12: gemm_f32_avx512__tile(12, cols, xq, wp, yt, rows, lo, hi); break;
            case 11: gemm_f32_avx512__tile(11, cols, xq, wp, yt, rows, lo, hi); break;
            case 10: gemm_f32_avx512__tile(10, cols, xq, wp, yt, rows, lo, hi); break;
            case 9:  gemm_f32_avx512__tile(9, cols, xq, wp, yt, rows, lo, hi); break;
            case 8:  gemm_f32_avx512__tile(8, cols, xq, wp, yt, rows, lo, hi); break;
            case 7:  gemm_f32_avx512__tile(7, cols, xq, wp, yt, rows, lo, hi); break;
            case 6:  gemm_f32_avx512__tile(6, cols, xq, wp, yt, rows, lo, hi); break;
            case 5:  gemm_f32_avx512__tile(5, cols, xq, wp, yt, rows, lo, hi); break;
            case 4:  gemm_f32_avx512__tile(4, cols, xq, wp, yt, rows, lo, hi); break;
            case 3:  gemm_f32_avx512__tile(3, cols, xq, wp, yt, rows, lo, hi); break;
            case 2:  gemm_f32_avx512__tile(2, cols, xq, wp, yt, rows, lo, hi); break;
            default: gemm_f32_avx512__tile(1, cols, xq, wp, yt, rows, lo, hi); break;
            }
        }
    }
}

static void gemm_f32_avx512__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

static const struct fk_kernel gemm_f32_avx512 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.avx512",
    .isa = "avx512",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 1,
    .row_block = GEMM_F32_NR,
    .packed_size = gemm_f32_avx512__packed_size,
    .pack = gemm_f32_avx512__pack,
    .to_ggml = gemm_f32_avx512__to_plain,
    .prepare_size = gemm_f32_avx512__prepare_size,
    .prepare = gemm_f32_avx512__prepare,
    .run = gemm_f32_avx512__run,
    .cost = gemm_f32_avx512__cost,
};

FK_PLUGIN(&gemm_f32_avx512);
