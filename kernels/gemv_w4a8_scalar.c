/* gemv.w4a8.scalar — W4A8: Q4_0 weights x Q8_0 activations.
 * prepare() quantizes x to Q8_0 with ggml's reference quantizer (inside the
 * timed call: the "dynamic quantization overhead" is measured); run() takes
 * per 32-block the exact integer dot sum (q4 - 8) * q8 and adds
 * isum * (fp16(dw) * fp16(dx)) to one f32 accumulator in block order.
 * Built true scalar (FLAGS_scalar). */
#include "gemv_quant.h"

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, scratch: (cols/32) Q8_0 blocks. */
static void gemv_w4a8_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_quant__dot_q4_0_q8_0, fk_block_q4_0, fk_block_q8_0, a->scratch, 32);
}

static const struct fk_kernel gemv_w4a8_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .prepare_size = gemv_quant__prepare_size_w4a8,
    .prepare = gemv_quant__prepare_w4a8,
    .run = gemv_w4a8_scalar__run,
    .cost = gemv_quant__cost_w4a8,
};

FK_PLUGIN(&gemv_w4a8_scalar);
