/* gemv.w4a8.mutant-trunc-quant — DELIBERATELY WRONG: the activation
 * quantizer truncates x/d toward zero instead of rounding half away from
 * zero, so each int8 activation is up to one step (d = amax/127) low in
 * magnitude, and on average half a step.  The run is the correct W4A8 one;
 * only prepare() differs.  Relative error about 1/(127 sqrt(cols)) per
 * output, rho ~ 10^3..10^4, where the correct kernel stays near 1. */
#include "../gemv_quant.h"

/* x: (cols) f32 -> scratch: (cols/32) Q8_0 blocks, q = trunc(x * id). */
static void gemv_w4a8_trunc_quant__prepare(const struct fk_args *a)
{
    const float *x = a->x;
    fk_block_q8_0 *y = a->scratch;
    for (int64_t i = 0; i < a->shape.cols / 32; i++) {
        const float *xb = x + 32 * i;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++)
            amax = amax > fabsf(xb[j]) ? amax : fabsf(xb[j]);
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fk_f32_to_fp16(d);
        for (int j = 0; j < 32; j++)
            y[i].qs[j] = (int8_t)(xb[j] * id);            /* the bug: truncates */
    }
}

static void gemv_w4a8_trunc_quant__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_quant__dot_q4_0_q8_0, fk_block_q4_0, fk_block_q8_0, a->scratch, 32);
}

static const struct fk_kernel gemv_w4a8_trunc_quant = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.mutant-trunc-quant",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .prepare_size = gemv_quant__prepare_size_w4a8,
    .prepare = gemv_w4a8_trunc_quant__prepare,
    .run = gemv_w4a8_trunc_quant__run,
    .cost = gemv_quant__cost_w4a8,
};

FK_PLUGIN(&gemv_w4a8_trunc_quant);
