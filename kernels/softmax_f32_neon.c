/* softmax.f32.neon — per row y = exp(x - max) / sum exp(x - max), NEON.
 * Three passes over the row (in L1 for decode-size rows): vector max;
 * e = fk_exp_neon(x - max) (vecmath_neon.h, <= 1.01 ulp) stored in y and
 * summed in two 4-lane accumulators; y *= 1/sum.  The tail (cols % 4) goes
 * through a padded local copy: -inf lanes for the max, whose exp is 0 for
 * the sum; only the valid lanes are stored.  Built for aarch64 only. */
#include <arm_neon.h>
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_neon.h"

static void softmax_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const int64_t c4 = cols & ~(int64_t)3, nt = cols - c4;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) logits */
        float *y = a->y + r * cols;        /* (cols) */
        const float32x4_t xt = fk_load_tail_neon(x + c4, nt, -INFINITY);  /* tail, -inf padded */
        float32x4_t mv = xt;
        for (int64_t c = 0; c < c4; c += 4)
            mv = vmaxq_f32(mv, vld1q_f32(x + c));
        const float32x4_t m = vdupq_n_f32(vmaxvq_f32(mv));
        float32x4_t s0 = vdupq_n_f32(0), s1 = s0;
        int64_t c = 0;
        for (; c + 8 <= c4; c += 8) {
            const float32x4_t e0 = fk_exp_neon(vsubq_f32(vld1q_f32(x + c), m));
            const float32x4_t e1 = fk_exp_neon(vsubq_f32(vld1q_f32(x + c + 4), m));
            vst1q_f32(y + c, e0);
            vst1q_f32(y + c + 4, e1);
            s0 = vaddq_f32(s0, e0);
            s1 = vaddq_f32(s1, e1);
        }
        for (; c < c4; c += 4) {
            const float32x4_t e = fk_exp_neon(vsubq_f32(vld1q_f32(x + c), m));
            vst1q_f32(y + c, e);
            s0 = vaddq_f32(s0, e);
        }
        float32x4_t et = vdupq_n_f32(0);
        if (nt) {
            et = fk_exp_neon(vsubq_f32(xt, m));  /* padded lanes: exp(-inf) = 0 */
            s1 = vaddq_f32(s1, et);
        }
        const float32x4_t inv = vdupq_n_f32(1.0f / vaddvq_f32(vaddq_f32(s0, s1)));  /* sum >= 1 */
        for (c = 0; c < c4; c += 4)
            vst1q_f32(y + c, vmulq_f32(vld1q_f32(y + c), inv));
        if (nt)
            fk_store_tail_neon(y + c4, vmulq_f32(et, inv), nt);
    }
}

static const struct fk_kernel softmax_f32_neon = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "softmax.f32.neon", .isa = "neon",
    .op = FK_OP_SOFTMAX, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = softmax_f32_neon__run, .cost = decode_f32__softmax_cost,
};

FK_PLUGIN(&softmax_f32_neon);
