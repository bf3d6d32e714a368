/* gemm.f32.avx2 — Y[m][r] = sum_c W[r][c] * X[m][c] with AVX2 + FMA,
 * BLIS-style: packed panels and a 6 x 16 register-blocked micro-kernel
 * (gemm.f32.avx512's 12 x 32 scheme cut to the 16 ymm registers).
 *
 * In BLIS terms C = A B with C = Y (batch x rows), A = X (batch x cols) and
 * B = W^T (cols x rows).  Vectors run along r, the contiguous axis of Y.
 *
 *   pack():    (gemm_f32.h) W -> panels of NR = 16 rows; panel p holds, for each column c,
 *              the 16 values W[16p + j][c] (j < 16) contiguously: (cols, 16)
 *              f32, rows past the end of W are zero.
 *   prepare(): (gemm_f32.h) X -> micro-panels of MR = 6 batch rows in scratch; micro-panel
 *              q holds X[6q + i][c] (i < 6) contiguously for each c:
 *              (cols, 6) f32, batch rows past the end are zero.
 *   run():     for every panel meeting [r0, r1), for every micro-panel, the
 *              micro-kernel keeps the 6 x 16 tile of Y in 12 ymm
 *              accumulators over the whole reduction (2 W vectors and one
 *              broadcast make 15 of the 16 registers); per column c: 12 FMAs
 *              per 8 loads, 12 independent chains against a 4-5 cycle FMA
 *              latency at two FMAs per cycle.  Stores are masked
 *              (vmaskmovps) to the tile's valid batch rows and to the
 *              columns in [r0, r1) and < rows.
 *
 * The per-output arithmetic is one fused multiply-add per column, in column
 * order, so the result does not depend on how [0, rows) is split.
 * Built with FLAGS_avx2; uses AVX2 + FMA. */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "gemm_f32.h"

#define GEMM_F32_NR 16  /* W rows per panel: two ymm of Y columns */
#define GEMM_F32_MR 6   /* batch rows per micro-panel */

GEMM_F32_LAYOUT(gemm_f32_avx2, GEMM_F32_NR, GEMM_F32_MR)

/* One 6 x 16 tile: y[i][j] (i < mr, lanes of lo|hi in the masks) = sum_c
 * xp[c][i] * wp[c][j].  mr is a compile-time constant after inlining, so
 * the accumulators stay in registers. */
static inline __attribute__((always_inline)) void
gemm_f32_avx2__tile(int mr, int64_t cols, const float *xp, const float *wp, float *y, int64_t ldy,
                    __m256i lo, __m256i hi)
{
    __m256 acc[GEMM_F32_MR][2];
    for (int i = 0; i < mr; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (int64_t c = 0; c < cols; c++) {
        const __m256 w0 = _mm256_load_ps(wp + c * GEMM_F32_NR);
        const __m256 w1 = _mm256_load_ps(wp + c * GEMM_F32_NR + 8);
        for (int i = 0; i < mr; i++) {
            const __m256 xi = _mm256_broadcast_ss(xp + c * GEMM_F32_MR + i);
            acc[i][0] = _mm256_fmadd_ps(w0, xi, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(w1, xi, acc[i][1]);
        }
    }
    for (int i = 0; i < mr; i++) {
        _mm256_maskstore_ps(y + i * ldy, lo, acc[i][0]);
        _mm256_maskstore_ps(y + i * ldy + 8, hi, acc[i][1]);
    }
}

/* Lane mask: lane j (j < 8) of the result is all-ones iff bit j of bits is set. */
static inline __m256i gemm_f32_avx2__lanes(uint32_t bits)
{
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)bits), sel), sel);
}

/* Columns [r0, r1) of Y = X W^T, for every batch row. */
static void gemm_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
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
        const int64_t j0 = r0 > base ? r0 - base : 0;
        const int64_t j1 = r1 - base < GEMM_F32_NR ? r1 - base : GEMM_F32_NR;
        const uint32_t bits = (uint32_t)(((1ull << j1) - 1) & ~((1ull << j0) - 1));
        const __m256i lo = gemm_f32_avx2__lanes(bits & 0xff), hi = gemm_f32_avx2__lanes(bits >> 8);
        const float *wp = w + p * cols * GEMM_F32_NR;
        for (int64_t m0 = 0; m0 < batch; m0 += GEMM_F32_MR) {
            const float *xq = xp + (m0 / GEMM_F32_MR) * cols * GEMM_F32_MR;
            float *yt = y + m0 * rows + base;
            const int64_t mr = batch - m0 < GEMM_F32_MR ? batch - m0 : GEMM_F32_MR;
            switch (mr) {
            case 6:  gemm_f32_avx2__tile(6, cols, xq, wp, yt, rows, lo, hi); break;
            case 5:  gemm_f32_avx2__tile(5, cols, xq, wp, yt, rows, lo, hi); break;
            case 4:  gemm_f32_avx2__tile(4, cols, xq, wp, yt, rows, lo, hi); break;
            case 3:  gemm_f32_avx2__tile(3, cols, xq, wp, yt, rows, lo, hi); break;
            case 2:  gemm_f32_avx2__tile(2, cols, xq, wp, yt, rows, lo, hi); break;
            default: gemm_f32_avx2__tile(1, cols, xq, wp, yt, rows, lo, hi); break;
            }
        }
    }
}

static void gemm_f32_avx2__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

static const struct fk_kernel gemm_f32_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA,
    .flags = FK_KERNEL_REPACKED,
    .cols_multiple = 1,
    .row_block = GEMM_F32_NR,
    .packed_size = gemm_f32_avx2__packed_size,
    .pack = gemm_f32_avx2__pack,
    .to_ggml = gemm_f32_avx2__to_plain,
    .prepare_size = gemm_f32_avx2__prepare_size,
    .prepare = gemm_f32_avx2__prepare,
    .run = gemm_f32_avx2__run,
    .cost = gemm_f32_avx2__cost,
};

FK_PLUGIN(&gemm_f32_avx2);
