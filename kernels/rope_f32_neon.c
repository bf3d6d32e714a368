/* rope.f32.neon — rotate pairs (x[2i], x[2i+1]) by pos * theta^(-2i/cols).
 * prepare() builds the double cos/sin table (decode_f32.h); run() widens
 * one pair to two doubles, y = x * cc + swap(x) * ss with one FMA (as
 * rope.f32.avx2), and rounds once to f32.  Built for aarch64 only. */
#include <arm_neon.h>
#include <assert.h>

#include "decode_f32.h"

static void rope_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 2 && a->shape.cols % 2 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const double *cc = a->scratch, *ss = cc + cols;  /* (cols) each */
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;
        for (int64_t c = 0; c < cols; c += 2) {
            const float64x2_t xd = vcvt_f64_f32(vld1_f32(x + c));
            const float64x2_t xs = vextq_f64(xd, xd, 1);  /* [x1 x0] */
            const float64x2_t yd = vfmaq_f64(vmulq_f64(xs, vld1q_f64(ss + c)), xd, vld1q_f64(cc + c));
            vst1_f32(y + c, vcvt_f32_f64(yd));
        }
    }
}

static const struct fk_kernel rope_f32_neon = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rope.f32.neon", .isa = "neon",
    .op = FK_OP_ROPE, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON, .flags = 0, .cols_multiple = 2, .row_block = 1,
    .prepare_size = decode_f32__rope_scratch, .prepare = decode_f32__rope_prepare,
    .run = rope_f32_neon__run, .cost = decode_f32__rope_cost,
};

FK_PLUGIN(&rope_f32_neon);
