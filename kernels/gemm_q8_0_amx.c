/* gemm.q8_0.amx — Q8_0 weights x Q8_0 activations on Intel AMX tiles
 * (TDPBSSD), weights repacked once into the {K/4, N, 4} VNNI tile layout
 * (each 16-row panel block is one 8 x 64 B B tile, loaded as packed); the
 * algorithm and layouts are shared with gemm.w4a8.amx in
 * kernels/gemm_w4a8_amx.h (the amx_gemm_* functions with q8 = 1).
 *
 * Built twice from this file:
 *   build/kernels/gemm_q8_0_amx.so        FLAGS_amx: real tile instructions;
 *       runs only where CPUID, XCR0 and Linux grant AMX-TILE and AMX-INT8.
 *   build/kernels/gemm_q8_0_amx-model.so  -DFK_AMX_MODEL, baseline flags:
 *       every tile instruction goes through the software model
 *       kernels/amx_model.h.  Correctness only: FK_KERNEL_EMULATED. */
#include "gemm_w4a8_amx.h"

static size_t gemm_q8_0_amx__packed_size(const struct fk_shape *s) { return amx_q8_0_packed_size(s); }

static int gemm_q8_0_amx__pack(const struct fk_shape *s, const float *w, void *packed)
{
    return amx_q8_0_pack(s, w, packed);
}

static int gemm_q8_0_amx__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    return amx_q8_0_to_ggml(s, packed, ggml);
}

static size_t gemm_q8_0_amx__prepare_size(const struct fk_shape *s) { return amx_w4a8_prepare_size(s); }

static void gemm_q8_0_amx__prepare(const struct fk_args *a) { amx_w4a8_prepare(a); }

static void gemm_q8_0_amx__run(const struct fk_args *a, int64_t r0, int64_t r1) { amx_q8_0_run(a, r0, r1); }

static void gemm_q8_0_amx__cost(const struct fk_shape *s, struct fk_cost *c) { amx_q8_0_cost(s, c); }

static const struct fk_kernel gemm_q8_0_amx = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
#ifdef FK_AMX_MODEL
    .name = "gemm.q8_0.amx-model",
    .isa = "amx-model",
    .requires = 0,
    .flags = FK_KERNEL_REPACKED | FK_KERNEL_EMULATED,
#else
    .name = "gemm.q8_0.amx",
    .isa = "amx",
    .requires = FK_CPU_AMX_TILE | FK_CPU_AMX_INT8 | FK_CPU_AVX512F | FK_CPU_AVX512BW,
    .flags = FK_KERNEL_REPACKED,
#endif
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q8_0,
    .acts = FK_FMT_Q8_0,
    .cols_multiple = FK_Q8_0_BLOCK,
    .row_block = 2 * AMX_NR,
    .packed_size = gemm_q8_0_amx__packed_size,
    .pack = gemm_q8_0_amx__pack,
    .to_ggml = gemm_q8_0_amx__to_ggml,
    .prepare_size = gemm_q8_0_amx__prepare_size,
    .prepare = gemm_q8_0_amx__prepare,
    .run = gemm_q8_0_amx__run,
    .cost = gemm_q8_0_amx__cost,
};

FK_PLUGIN(&gemm_q8_0_amx);
