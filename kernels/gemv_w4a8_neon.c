/* gemv.w4a8.neon — W4A8: Q4_0 weights (plain GGML blocks) x Q8_0
 * activations with NEON widening multiply-accumulate.
 *
 * prepare() quantizes x to Q8_0 with ggml's reference quantizer
 * (fk_quantize_row_q8_0_ref, bit-exact; inside the timed call, so the
 * dynamic quantization overhead is measured).  run(), per 32-block:
 * nibbles - 8 in int8 ([-8, 7]) times the int8 activations ([-127, 127])
 * with vmull_s8 / vmlal_high_s8 (int16 lanes hold two products,
 * |.| <= 2 * 8 * 127 = 2032), pairwise-widened into int32 with
 * vpaddlq_s16 / vpadalq_s16: the exact integer dot isum.  Then, as the
 * scalar reference, acc += isum * (fp16(dw) * fp16(dx)) in block order, so
 * the result is bit-identical to gemv.w4a8.scalar.  Two rows per pass share
 * the activation loads.
 *
 * Built for aarch64 only (FLAGS_neon: ARMv8-A asimd, no dotprod). */
#include "gemv_w4a8_neon.h"

/* sum_j (q4_j - 8) q8_j of one block pair, exact. */
static inline int32_t w4a8_block_isum(int8x16_t lo, int8x16_t hi, int8x16_t x0, int8x16_t x1)
{
    int16x8_t pl = vmull_s8(vget_low_s8(lo), vget_low_s8(x0));
    pl = vmlal_high_s8(pl, lo, x0);
    int16x8_t ph = vmull_s8(vget_low_s8(hi), vget_low_s8(x1));
    ph = vmlal_high_s8(ph, hi, x1);
    return vaddvq_s32(vpadalq_s16(vpaddlq_s16(pl), ph));
}

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, scratch: (cols/32) Q8_0 blocks. */
static void gemv_w4a8_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    w4a8_neon__rows(a, r0, r1, w4a8_block_isum);
}

static const struct fk_kernel gemv_w4a8_neon = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.neon",
    .isa = "neon",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_NEON,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .prepare_size = gemv_quant__prepare_size_w4a8,
    .prepare = gemv_quant__prepare_w4a8,
    .run = gemv_w4a8_neon__run,
    .cost = gemv_quant__cost_w4a8,
};

FK_PLUGIN(&gemv_w4a8_neon);
