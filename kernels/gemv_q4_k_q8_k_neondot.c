/* gemv.q4_k_q8_k.neondot — Q4_K weights x Q8_K activations (ggml's quantize_row_q8_K_ref in prepare), exact integer dots with the 6-bit scales, the dmin * m term from the Q8_K per-16 sums.
 * Int8 dot: SDOT (vdotq_s32, ARMv8.2 dotprod; built with FLAGS_neondot, skipped on cores without asimddp); the row loop is gemv_qdot_neon.h's. */
#include "gemv_qdot_neon.h"

static void gemv_q4_k_q8_k_neondot__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    qdot_neon__rows_q4_k(a, r0, r1);
}

static const struct fk_kernel gemv_q4_k_q8_k_neondot = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k_q8_k.neondot",
    .isa = "neondot",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = FK_CPU_NEON | FK_CPU_DOTPROD,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 2,
    .packed_size = qdot__packed_size_q4_k,
    .pack = qdot__pack_q4_k,
    .prepare_size = qdot__prepare_size_q8_k,
    .prepare = qdot__prepare_q8_k,
    .run = gemv_q4_k_q8_k_neondot__run,
    .cost = qdot__cost_q4_k_q8_k,
};

FK_PLUGIN(&gemv_q4_k_q8_k_neondot);
