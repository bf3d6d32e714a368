/* gemm.w4a8.amx — Q4_0 weights x Q8_0 activations on Intel AMX tiles
 * (TDPBSSD), weights repacked once into the {K/4, N, 4} VNNI tile layout;
 * the algorithm and layouts are in kernels/gemm_w4a8_amx.h.
 *
 * Built twice from this file:
 *   build/kernels/gemm_w4a8_amx.so        FLAGS_amx: real tile instructions;
 *       runs only where CPUID, XCR0 and Linux grant AMX-TILE and AMX-INT8.
 *   build/kernels/gemm_w4a8_amx-model.so  -DFK_AMX_MODEL, baseline flags:
 *       every tile instruction goes through the software model
 *       kernels/amx_model.h (portable C, any x86-64 or aarch64), so the
 *       packing and the tile program are checked against the oracle on every
 *       machine.  Correctness only: FK_KERNEL_EMULATED, never timed. */
#include "gemm_w4a8_amx.h"

static size_t gemm_w4a8_amx__packed_size(const struct fk_shape *s) { return amx_w4a8_packed_size(s); }

static int gemm_w4a8_amx__pack(const struct fk_shape *s, const float *w, void *packed)
{
    return amx_w4a8_pack(s, w, packed);
}

static int gemm_w4a8_amx__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    return amx_w4a8_to_ggml(s, packed, ggml);
}

static size_t gemm_w4a8_amx__prepare_size(const struct fk_shape *s) { return amx_w4a8_prepare_size(s); }

static void gemm_w4a8_amx__prepare(const struct fk_args *a) { amx_w4a8_prepare(a); }

static void gemm_w4a8_amx__run(const struct fk_args *a, int64_t r0, int64_t r1) { amx_w4a8_run(a, r0, r1); }

static void gemm_w4a8_amx__cost(const struct fk_shape *s, struct fk_cost *c) { amx_w4a8_cost(s, c); }

static const struct fk_kernel gemm_w4a8_amx = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
#ifdef FK_AMX_MODEL
    .name = "gemm.w4a8.amx-model",
    .isa = "amx-model",
    .requires = 0,
    .flags = FK_KERNEL_REPACKED | FK_KERNEL_EMULATED,
#else
    .name = "gemm.w4a8.amx",
    .isa = "amx",
    .requires = FK_CPU_AMX_TILE | FK_CPU_AMX_INT8 | FK_CPU_AVX512F | FK_CPU_AVX512BW,
    .flags = FK_KERNEL_REPACKED,
#endif
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = 2 * AMX_NR,
    .packed_size = gemm_w4a8_amx__packed_size,
    .pack = gemm_w4a8_amx__pack,
    .to_ggml = gemm_w4a8_amx__to_ggml,
    .prepare_size = gemm_w4a8_amx__prepare_size,
    .prepare = gemm_w4a8_amx__prepare,
    .run = gemm_w4a8_amx__run,
    .cost = gemm_w4a8_amx__cost,
};

FK_PLUGIN(&gemm_w4a8_amx);
