/* gemv.f32.neon — y[r] = sum_c W[r][c] * x[c] with NEON FMA (vfmaq_f32).
 *
 * Four rows per pass share every load of x; each row keeps two 4-lane
 * accumulators, so eight independent FMA chains cover the FMLA latency
 * (4 cycles on Cortex-A76/Neoverse N1 at two FMLA pipes).  The inner loop
 * consumes 8 columns; one 4-column step and a scalar loop (fused with fmaf,
 * as the vector part) handle cols % 8, so no load runs past a row's end.
 * A last group of 1-3 rows re-reads its last valid row in the missing slots
 * and stores only the valid rows.
 *
 * Built for aarch64 only (FLAGS_neon: asimd is the ARMv8-A baseline). */
#include <arm_neon.h>
#include <assert.h>
#include <math.h>

#include "gemv_f32.h"

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major, rows only float-aligned */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t cols8 = cols & ~(int64_t)7;
    const int64_t cols4 = cols & ~(int64_t)3;

    for (int64_t r = r0; r < r1; r += 4) {
        const float *w0 = w + r * cols;
        const float *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * cols;
        const float *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * cols;
        const float *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * cols;
        float32x4_t a0 = vdupq_n_f32(0), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;

        int64_t c = 0;
        for (; c < cols8; c += 8) {
            const float32x4_t xa = vld1q_f32(x + c), xb = vld1q_f32(x + c + 4);
            a0 = vfmaq_f32(a0, vld1q_f32(w0 + c), xa);
            a1 = vfmaq_f32(a1, vld1q_f32(w1 + c), xa);
            a2 = vfmaq_f32(a2, vld1q_f32(w2 + c), xa);
            a3 = vfmaq_f32(a3, vld1q_f32(w3 + c), xa);
            b0 = vfmaq_f32(b0, vld1q_f32(w0 + c + 4), xb);
            b1 = vfmaq_f32(b1, vld1q_f32(w1 + c + 4), xb);
            b2 = vfmaq_f32(b2, vld1q_f32(w2 + c + 4), xb);
            b3 = vfmaq_f32(b3, vld1q_f32(w3 + c + 4), xb);
        }
        if (c < cols4) {
            const float32x4_t xa = vld1q_f32(x + c);
            a0 = vfmaq_f32(a0, vld1q_f32(w0 + c), xa);
            a1 = vfmaq_f32(a1, vld1q_f32(w1 + c), xa);
            a2 = vfmaq_f32(a2, vld1q_f32(w2 + c), xa);
            a3 = vfmaq_f32(a3, vld1q_f32(w3 + c), xa);
            c += 4;
        }
        float s0 = vaddvq_f32(vaddq_f32(a0, b0)), s1 = vaddvq_f32(vaddq_f32(a1, b1));
        float s2 = vaddvq_f32(vaddq_f32(a2, b2)), s3 = vaddvq_f32(vaddq_f32(a3, b3));
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

static const struct fk_kernel gemv_f32_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.neon",
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
    .run = gemv_f32_neon__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_neon);
