/* swiglu.f32.neon — y = a / (1 + exp(-a)) * b, NEON, 4 lanes.
 * fk_exp_neon (vecmath_neon.h, bit-identical to fk_exp_avx2, <= 1.01 ulp),
 * then add, exact-rounded divide (FDIV), multiply: the same operations as
 * swiglu.f32.avx2.  For a < -88.7, exp(-a) = inf and y = -0 * b.  Rows are
 * contiguous, so [r0, r1) is one flat range; the tail goes through a padded
 * local copy (no access past the end).  Built for aarch64 only. */
#include <arm_neon.h>
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_neon.h"

static inline float32x4_t swiglu4(float32x4_t h, float32x4_t b)
{
    const float32x4_t e = fk_exp_neon(vnegq_f32(h));
    return vmulq_f32(vdivq_f32(h, vaddq_f32(vdupq_n_f32(1.0f), e)), b);
}

static void swiglu_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *x = a->x + r0 * cols, *x2 = a->x2 + r0 * cols;  /* (r1 - r0, cols) */
    float *y = a->y + r0 * cols;
    const int64_t n = (r1 - r0) * cols, n4 = n & ~(int64_t)3;
    for (int64_t i = 0; i < n4; i += 4)
        vst1q_f32(y + i, swiglu4(vld1q_f32(x + i), vld1q_f32(x2 + i)));
    if (n4 < n)
        fk_store_tail_neon(y + n4, swiglu4(fk_load_tail_neon(x + n4, n - n4, 0.0f),
                                           fk_load_tail_neon(x2 + n4, n - n4, 0.0f)), n - n4);
}

static const struct fk_kernel swiglu_f32_neon = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "swiglu.f32.neon", .isa = "neon",
    .op = FK_OP_SWIGLU, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = swiglu_f32_neon__run, .cost = decode_f32__swiglu_cost,
};

FK_PLUGIN(&swiglu_f32_neon);
