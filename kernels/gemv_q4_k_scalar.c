/* gemv.q4_k.scalar — Q4_K weights, f32 activations.
 * y[r] = sum_c W[r][c] x[c] with W[r][c] = (d*sc_j)*q - dmin*m_j for its
 * sub-block j, dequantized in f32 as ggml's dequantize_row_q4_K does (one
 * rounding of the difference), multiplied by x[c] and added to one
 * accumulator in column order.  Built true scalar (FLAGS_scalar). */
#include "gemv_quant.h"

/* Rows [r0, r1); w: (rows, cols/256) Q4_K blocks, x: (cols) f32. */
static void gemv_q4_k_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_quant__dot_q4_k_f32, fk_block_q4_k, float, a->x, 256);
}

static const struct fk_kernel gemv_q4_k_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_k,
    .pack = gemv_quant__pack_q4_k,
    .run = gemv_q4_k_scalar__run,
    .cost = gemv_quant__cost_q4_k,
};

FK_PLUGIN(&gemv_q4_k_scalar);
