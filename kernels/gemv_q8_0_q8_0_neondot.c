/* gemv.q8_0_q8_0.neondot — Q8_0 weights x Q8_0 activations (ggml's reference Q8_0 quantizer in prepare), exact int8 block dots, acc += isum * (fp16(dw) * fp16(dx)) in block order.
 * Int8 dot: SDOT (vdotq_s32, ARMv8.2 dotprod; built with FLAGS_neondot, skipped on cores without asimddp); the row loop is gemv_qdot_neon.h's. */
#include "gemv_qdot_neon.h"

static void gemv_q8_0_q8_0_neondot__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    qdot_neon__rows_q8_0(a, r0, r1);
}

static const struct fk_kernel gemv_q8_0_q8_0_neondot = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q8_0_q8_0.neondot",
    .isa = "neondot",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_Q8_0,
    .requires = FK_CPU_NEON | FK_CPU_DOTPROD,
    .flags = 0,
    .cols_multiple = 32,
    .row_block = 2,
    .packed_size = qdot__packed_size_q8_0,
    .pack = qdot__pack_q8_0,
    .prepare_size = qdot__prepare_size_q8_0,
    .prepare = qdot__prepare_q8_0,
    .run = gemv_q8_0_q8_0_neondot__run,
    .cost = qdot__cost_q8_0_q8_0,
};

FK_PLUGIN(&gemv_q8_0_q8_0_neondot);
