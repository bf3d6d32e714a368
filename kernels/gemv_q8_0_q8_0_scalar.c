/* gemv.q8_0_q8_0.scalar — Q8_0 weights x Q8_0 activations, as ggml's CPU
 * backend computes a Q8_0 matrix: prepare() quantizes x with ggml's
 * reference Q8_0 quantizer (inside the timed call), run() takes per
 * 32-block the exact integer dot and adds isum * (fp16(dw) * fp16(dx)) to
 * one f32 accumulator in block order (gemv_qdot.h).  The f32-activation
 * kernel is gemv.q8_0.*.  Built true scalar (FLAGS_scalar). */
#include "gemv_qdot.h"

/* Rows [r0, r1); w: (rows, cols/32) Q8_0 blocks, scratch: (cols/32) Q8_0 blocks. */
static void gemv_q8_0_q8_0_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 32 && a->shape.cols % 32 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t nb = a->shape.cols / 32;
    const fk_block_q8_0 *w = a->w;
    const fk_block_q8_0 *x = a->scratch;
    for (int64_t r = r0; r < r1; r++)
        a->y[r] = qdot__dot_q8_0_q8_0(w + r * nb, x, nb);
}

static const struct fk_kernel gemv_q8_0_q8_0_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0_q8_0.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_Q8_0,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = qdot__packed_size_q8_0,
    .pack = qdot__pack_q8_0,
    .prepare_size = qdot__prepare_size_q8_0,
    .prepare = qdot__prepare_q8_0,
    .run = gemv_q8_0_q8_0_scalar__run,
    .cost = qdot__cost_q8_0_q8_0,
};

FK_PLUGIN(&gemv_q8_0_q8_0_scalar);
