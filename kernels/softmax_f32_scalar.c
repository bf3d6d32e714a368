/* softmax.f32.scalar — the reference kernel, per row:
 *   y[c] = exp(x[c] - max) / sum_c exp(x[c] - max)
 * Three passes: max; e = expf(x - max) (libm, < 1 ulp) stored in y and
 * summed in order in one f32 accumulator; y *= 1/sum. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"

static void softmax_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) logits */
        float *y = a->y + r * cols;        /* (cols) */
        float m = x[0];
        for (int64_t c = 1; c < cols; c++)
            m = x[c] > m ? x[c] : m;
        float sum = 0.0f;
        for (int64_t c = 0; c < cols; c++) {
            y[c] = expf(x[c] - m);
            sum += y[c];
        }
        const float inv = 1.0f / sum;  /* sum >= 1: the max term is exp(0) */
        for (int64_t c = 0; c < cols; c++)
            y[c] *= inv;
    }
}

static const struct fk_kernel softmax_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "softmax.f32.scalar", .isa = "scalar",
    .op = FK_OP_SOFTMAX, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = softmax_f32_scalar__run, .cost = decode_f32__softmax_cost,
};

FK_PLUGIN(&softmax_f32_scalar);
