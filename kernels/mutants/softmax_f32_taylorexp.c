/* softmax.f32.mutant-taylorexp — DELIBERATELY WRONG: the scalar softmax
 * with EMBODIOS' exp(x) ~ 1 + x + x^2/2.  On the softmax arguments
 * x - max <= 0 its relative error is 1.4e-3 already at -0.2, and it never
 * decays (at -10 it gives 41 instead of 4.5e-5), so the outputs are off by
 * factors, not ulps. */
#include <assert.h>

#include "../decode_f32.h"

static inline float taylor_exp(float x)
{
    return 1.0f + x + 0.5f * x * x;
}

static void softmax_f32_taylorexp__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;
        float *y = a->y + r * cols;
        float m = x[0];
        for (int64_t c = 1; c < cols; c++)
            m = x[c] > m ? x[c] : m;
        float sum = 0.0f;
        for (int64_t c = 0; c < cols; c++) {
            y[c] = taylor_exp(x[c] - m);
            sum += y[c];
        }
        const float inv = 1.0f / sum;
        for (int64_t c = 0; c < cols; c++)
            y[c] *= inv;
    }
}

static const struct fk_kernel softmax_f32_taylorexp = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "softmax.f32.mutant-taylorexp", .isa = "scalar",
    .op = FK_OP_SOFTMAX, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = 0, .flags = FK_KERNEL_MUTANT, .cols_multiple = 1, .row_block = 1,
    .run = softmax_f32_taylorexp__run, .cost = decode_f32__softmax_cost,
};

FK_PLUGIN(&softmax_f32_taylorexp);
