/* rmsnorm.f32.neon — y = x * g / sqrt(mean(x^2) + eps) per row, NEON.
 * Pass 1: sum of squares in four 4-lane vfmaq_f32 accumulators; pass 2:
 * y = (x * inv) * g.  Tails (cols % 4) through a padded local copy
 * (fk_load_tail_neon), never past the row.  sqrt and the division are
 * correctly rounded, once a row.  Built for aarch64 only (FLAGS_neon). */
#include <arm_neon.h>
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_neon.h"

static void rmsnorm_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *g = a->w;  /* (cols) gain */
    const float eps = a->param[0];
    const int64_t c4 = cols & ~(int64_t)3;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;        /* (cols) */
        float32x4_t s0 = vdupq_n_f32(0), s1 = s0, s2 = s0, s3 = s0;
        int64_t c = 0;
        for (; c + 16 <= cols; c += 16) {
            const float32x4_t v0 = vld1q_f32(x + c), v1 = vld1q_f32(x + c + 4);
            const float32x4_t v2 = vld1q_f32(x + c + 8), v3 = vld1q_f32(x + c + 12);
            s0 = vfmaq_f32(s0, v0, v0);
            s1 = vfmaq_f32(s1, v1, v1);
            s2 = vfmaq_f32(s2, v2, v2);
            s3 = vfmaq_f32(s3, v3, v3);
        }
        for (; c < c4; c += 4) {
            const float32x4_t v = vld1q_f32(x + c);
            s0 = vfmaq_f32(s0, v, v);
        }
        if (c4 < cols) {
            const float32x4_t v = fk_load_tail_neon(x + c4, cols - c4, 0.0f);
            s1 = vfmaq_f32(s1, v, v);
        }
        const float ss = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
        const float32x4_t inv = vdupq_n_f32(1.0f / sqrtf(ss / (float)cols + eps));
        for (c = 0; c < c4; c += 4)
            vst1q_f32(y + c, vmulq_f32(vmulq_f32(vld1q_f32(x + c), inv), vld1q_f32(g + c)));
        if (c4 < cols)
            fk_store_tail_neon(y + c4,
                               vmulq_f32(vmulq_f32(fk_load_tail_neon(x + c4, cols - c4, 0.0f), inv),
                                         fk_load_tail_neon(g + c4, cols - c4, 0.0f)),
                               cols - c4);
    }
}

static const struct fk_kernel rmsnorm_f32_neon = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rmsnorm.f32.neon", .isa = "neon",
    .op = FK_OP_RMSNORM, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = rmsnorm_f32_neon__run, .cost = decode_f32__rmsnorm_cost,
};

FK_PLUGIN(&rmsnorm_f32_neon);
