/* swiglu.f32.scalar — the reference kernel:
 *   y = silu(a) * b,  silu(a) = a / (1 + exp(-a)),  a = x, b = x2.
 * libm expf (< 1 ulp), then add, divide, multiply: four roundings. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"

static void swiglu_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    for (int64_t i = r0 * cols; i < r1 * cols; i++) {
        const float h = a->x[i];       /* gate input a: (rows, cols) */
        a->y[i] = h / (1.0f + expf(-h)) * a->x2[i];  /* b: (rows, cols) */
    }
}

static const struct fk_kernel swiglu_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "swiglu.f32.scalar", .isa = "scalar",
    .op = FK_OP_SWIGLU, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = swiglu_f32_scalar__run, .cost = decode_f32__swiglu_cost,
};

FK_PLUGIN(&swiglu_f32_scalar);
