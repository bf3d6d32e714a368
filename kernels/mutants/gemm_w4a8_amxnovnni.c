/* MUTANT gemm.w4a8.mutant-amx-novnni — the ik_llama.cpp AMX bug: Q4_0
 * weights repacked in plain row-major K (each weight row's 16 quant bytes
 * contiguous) instead of the {K/4, N, 4} VNNI layout TDPBSSD reads B in.
 * The tile program is gemm.w4a8.amx's, run on the software tile model, and
 * to_ggml inverts this packing exactly, so the packed bytes are "right" and
 * only the products are wrong: the error hypotheses must catch it. */
#define FK_AMX_MODEL 1
#define AMX_W4A8_VNNI 0
#include "../gemm_w4a8_amx.h"

static size_t novnni__packed_size(const struct fk_shape *s) { return amx_w4a8_packed_size(s); }

static int novnni__pack(const struct fk_shape *s, const float *w, void *packed) { return amx_w4a8_pack(s, w, packed); }

static int novnni__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    return amx_w4a8_to_ggml(s, packed, ggml);
}

static size_t novnni__prepare_size(const struct fk_shape *s) { return amx_w4a8_prepare_size(s); }

static void novnni__prepare(const struct fk_args *a) { amx_w4a8_prepare(a); }

static void novnni__run(const struct fk_args *a, int64_t r0, int64_t r1) { amx_w4a8_run(a, r0, r1); }

static void novnni__cost(const struct fk_shape *s, struct fk_cost *c) { amx_w4a8_cost(s, c); }

static const struct fk_kernel gemm_w4a8_amxnovnni = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.w4a8.mutant-amx-novnni",
    .isa = "amx-model",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = 0,
    .flags = FK_KERNEL_MUTANT | FK_KERNEL_EMULATED | FK_KERNEL_REPACKED,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = 2 * AMX_NR,
    .packed_size = novnni__packed_size,
    .pack = novnni__pack,
    .to_ggml = novnni__to_ggml,
    .prepare_size = novnni__prepare_size,
    .prepare = novnni__prepare,
    .run = novnni__run,
    .cost = novnni__cost,
};

FK_PLUGIN(&gemm_w4a8_amxnovnni);
