/* rope.f32.scalar — the reference kernel: rotate each pair (x[2i], x[2i+1])
 * of every row (head) by a_i = pos * theta^(-2i/cols):
 *   y[2i] = x[2i] cos a_i - x[2i+1] sin a_i,  y[2i+1] = x[2i] sin a_i + x[2i+1] cos a_i.
 * prepare() builds the cos/sin table once per call in double (decode_f32.h);
 * each output is evaluated in double and rounded once to f32. */
#include <assert.h>

#include "decode_f32.h"

static void rope_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 2 && a->shape.cols % 2 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const double *cc = a->scratch, *ss = cc + cols;  /* (cols) each, see decode_f32.h */
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;
        for (int64_t c = 0; c < cols; c += 2) {
            const double x0 = x[c], x1 = x[c + 1];
            y[c] = (float)(x0 * cc[c] + x1 * ss[c]);
            y[c + 1] = (float)(x1 * cc[c + 1] + x0 * ss[c + 1]);
        }
    }
}

static const struct fk_kernel rope_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rope.f32.scalar", .isa = "scalar",
    .op = FK_OP_ROPE, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 2, .row_block = 1,
    .prepare_size = decode_f32__rope_scratch, .prepare = decode_f32__rope_prepare,
    .run = rope_f32_scalar__run, .cost = decode_f32__rope_cost,
};

FK_PLUGIN(&rope_f32_scalar);
