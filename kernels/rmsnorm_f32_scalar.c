/* rmsnorm.f32.scalar — the reference kernel:
 *   y[r][c] = x[r][c] * g[c] / sqrt(mean_c(x[r][.]^2) + eps),  eps = param[0].
 * Sum of squares in one f32 accumulator, in order; sqrtf and one division
 * per row; no FMA contraction (-ffp-contract=off). */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"

static void rmsnorm_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *g = a->w;  /* (cols) gain */
    const float eps = a->param[0];
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;        /* (cols) */
        float ss = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            ss += x[c] * x[c];
        const float inv = 1.0f / sqrtf(ss / (float)cols + eps);
        for (int64_t c = 0; c < cols; c++)
            y[c] = x[c] * inv * g[c];
    }
}

static const struct fk_kernel rmsnorm_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rmsnorm.f32.scalar", .isa = "scalar",
    .op = FK_OP_RMSNORM, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = rmsnorm_f32_scalar__run, .cost = decode_f32__rmsnorm_cost,
};

FK_PLUGIN(&rmsnorm_f32_scalar);
