/* dot.f32.scalar — the reference kernel: y[0] = sum_c a[c] * x[c].
 * One f32 accumulator, columns in order, no FMA contraction (built with
 * -fno-tree-vectorize -ffp-contract=off): each term rounded twice, as written. */
#include <assert.h>

#include "decode_f32.h"

static void dot_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && r0 == 0 && r1 == 1);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* a: (cols) */
    const float *x = a->x;  /* (cols) */
    float acc = 0.0f;
    for (int64_t c = 0; c < cols; c++)
        acc += w[c] * x[c];
    a->y[0] = acc;
}

static const struct fk_kernel dot_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "dot.f32.scalar", .isa = "scalar",
    .op = FK_OP_DOT, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = dot_f32_scalar__run, .cost = decode_f32__dot_cost,
};

FK_PLUGIN(&dot_f32_scalar);
