/* gemv.q4_0.scalar — "Int4": Q4_0 weights, f32 activations.
 * y[r] = sum_c W[r][c] x[c] with W[r][c] = (q - 8) * fp16(d) dequantized
 * exactly in f32, then multiplied by x[c] and added to one accumulator in
 * column order.  The reference for the SIMD Int4 variants: built true scalar
 * (FLAGS_scalar: no vectorization, no contraction). */
#include "gemv_quant.h"

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, x: (cols) f32. */
static void gemv_q4_0_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_quant__dot_q4_0_f32, fk_block_q4_0, float, a->x, 32);
}

static const struct fk_kernel gemv_q4_0_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_0.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .run = gemv_q4_0_scalar__run,
    .cost = gemv_quant__cost_q4_0,
};

FK_PLUGIN(&gemv_q4_0_scalar);
