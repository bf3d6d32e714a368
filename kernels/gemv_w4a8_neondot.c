/* gemv.w4a8.neondot — W4A8 as gemv.w4a8.neon, with the ARMv8.2 dot-product
 * instruction: per 32-block two vdotq_s32 (SDOT: four int8 products summed
 * into each int32 lane) on nibbles - 8 ([-8, 7]) and the Q8_0 activations
 * give the exact integer dot isum; acc += isum * (fp16(dw) * fp16(dx)) in
 * block order, bit-identical to gemv.w4a8.scalar.  prepare() is ggml's
 * reference Q8_0 quantizer (bit-exact).
 *
 * Needs asimddp (FK_CPU_DOTPROD): built with -march=armv8.2-a+dotprod
 * (FLAGS_neondot), listed as skipped on cores without it (Cortex-A53,
 * A57, A72), never called there. */
#include "gemv_w4a8_neon.h"

/* sum_j (q4_j - 8) q8_j of one block pair, exact. */
static inline int32_t w4a8_block_isum(int8x16_t lo, int8x16_t hi, int8x16_t x0, int8x16_t x1)
{
    return vaddvq_s32(vdotq_s32(vdotq_s32(vdupq_n_s32(0), lo, x0), hi, x1));
}

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, scratch: (cols/32) Q8_0 blocks. */
static void gemv_w4a8_neondot__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    w4a8_neon__rows(a, r0, r1, w4a8_block_isum);
}

static const struct fk_kernel gemv_w4a8_neondot = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.neondot",
    .isa = "neondot",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_NEON | FK_CPU_DOTPROD,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .prepare_size = gemv_quant__prepare_size_w4a8,
    .prepare = gemv_quant__prepare_w4a8,
    .run = gemv_w4a8_neondot__run,
    .cost = gemv_quant__cost_w4a8,
};

FK_PLUGIN(&gemv_w4a8_neondot);
