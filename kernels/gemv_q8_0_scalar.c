/* gemv.q8_0.scalar — Q8_0 weights, f32 activations.
 * y[r] = sum_c W[r][c] x[c] with W[r][c] = q * fp16(d) dequantized exactly
 * in f32, then multiplied by x[c] and added to one accumulator in column
 * order.  Built true scalar (FLAGS_scalar). */
#include "gemv_quant.h"

/* Rows [r0, r1); w: (rows, cols/32) Q8_0 blocks, x: (cols) f32. */
static void gemv_q8_0_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_quant__dot_q8_0_f32, fk_block_q8_0, float, a->x, 32);
}

static const struct fk_kernel gemv_q8_0_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q8_0,
    .pack = gemv_quant__pack_q8_0,
    .run = gemv_q8_0_scalar__run,
    .cost = gemv_quant__cost_q8_0,
};

FK_PLUGIN(&gemv_q8_0_scalar);
