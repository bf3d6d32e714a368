/* gemv.f32.tiled4x4neon — AION's NEON "register tiled" mat-vec, as its
 * code does it: four output rows per pass, one 4-lane vfmaq_f32 accumulator
 * per row, all four sharing each 4-column load of x.  There is no weight
 * reuse in a GEMV: the tile saves only loads of x, and each row is a single
 * FMA chain (latency-bound).  Kept beside gemv.f32.neon (two chains per row)
 * so the claim "4x4 tiling pays" can be judged on ARM with AION's kernel.
 * Tail columns (cols % 4) scalar with fmaf; a last group of 1-3 rows
 * re-reads its last valid row and stores only the valid rows.
 *
 * Built for aarch64 only (FLAGS_tiled4x4neon). */
#include <arm_neon.h>
#include <assert.h>
#include <math.h>

#include "gemv_f32.h"

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_tiled4x4neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t cols4 = cols & ~(int64_t)3;

    for (int64_t r = r0; r < r1; r += 4) {
        const float *w0 = w + r * cols;
        const float *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * cols;
        const float *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * cols;
        const float *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * cols;
        float32x4_t acc0 = vdupq_n_f32(0), acc1 = acc0, acc2 = acc0, acc3 = acc0;

        int64_t c = 0;
        for (; c < cols4; c += 4) {
            const float32x4_t xv = vld1q_f32(x + c);
            acc0 = vfmaq_f32(acc0, vld1q_f32(w0 + c), xv);
            acc1 = vfmaq_f32(acc1, vld1q_f32(w1 + c), xv);
            acc2 = vfmaq_f32(acc2, vld1q_f32(w2 + c), xv);
            acc3 = vfmaq_f32(acc3, vld1q_f32(w3 + c), xv);
        }
        float s0 = vaddvq_f32(acc0), s1 = vaddvq_f32(acc1), s2 = vaddvq_f32(acc2), s3 = vaddvq_f32(acc3);
        for (; c < cols; c++) {
            s0 = fmaf(w0[c], x[c], s0);
            s1 = fmaf(w1[c], x[c], s1);
            s2 = fmaf(w2[c], x[c], s2);
            s3 = fmaf(w3[c], x[c], s3);
        }

        y[r] = s0;
        if (r + 1 < r1)
            y[r + 1] = s1;
        if (r + 2 < r1)
            y[r + 2] = s2;
        if (r + 3 < r1)
            y[r + 3] = s3;
    }
}

static const struct fk_kernel gemv_f32_tiled4x4neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.tiled4x4neon",
    .isa = "neon",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON,
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 4,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_tiled4x4neon__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_tiled4x4neon);
