/* swiglu.f32.mutant-wrongoperand — DELIBERATELY WRONG: the Bare-Metal
 * Tensor Virtualization SwiGLU, y = silu(a) * a * b instead of silu(a) * b
 * (it multiplies by the gate input h1 again).  The relative error is
 * |a - 1|: for a ~ N(0, 1) that is millions of ulp on most outputs, where a
 * correct kernel stays within FK_SWIGLU_ULP (harness/verify.c). */
#include <assert.h>
#include <math.h>

#include "../decode_f32.h"

static void swiglu_f32_wrongoperand__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    for (int64_t i = r0 * cols; i < r1 * cols; i++) {
        const float h = a->x[i];
        a->y[i] = h / (1.0f + expf(-h)) * h * a->x2[i];
    }
}

static const struct fk_kernel swiglu_f32_wrongoperand = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "swiglu.f32.mutant-wrongoperand", .isa = "scalar",
    .op = FK_OP_SWIGLU, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = 0, .flags = FK_KERNEL_MUTANT, .cols_multiple = 1, .row_block = 1,
    .run = swiglu_f32_wrongoperand__run, .cost = decode_f32__swiglu_cost,
};

FK_PLUGIN(&swiglu_f32_wrongoperand);
