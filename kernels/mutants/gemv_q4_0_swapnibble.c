/* gemv.q4_0.mutant-swapnibble — DELIBERATELY WRONG: reads Q4_0 blocks with
 * AION's nibble order (element 2j in the low nibble of qs[j], element 2j+1
 * in the high nibble) instead of ggml's (element j low, element j+16 high).
 * The packed bytes are ggml-exact; only the reading is wrong, so each weight
 * meets the wrong activation: an O(1) relative error, rho ~ 2^24. */
#include "../gemv_quant.h"

/* Row dot with the interleaved reading; w: (nb) blocks, x: (32 nb) f32. */
static inline float dot_interleaved(const fk_block_q4_0 *w, const float *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32(w[i].d);
        const float *xb = x + 32 * i;
        for (int j = 0; j < 16; j++) {
            acc += (float)((w[i].qs[j] & 0x0f) - 8) * d * xb[2 * j];
            acc += (float)((w[i].qs[j] >> 4) - 8) * d * xb[2 * j + 1];
        }
    }
    return acc;
}

static void gemv_q4_0_swapnibble__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(dot_interleaved, fk_block_q4_0, float, a->x, 32);
}

static const struct fk_kernel gemv_q4_0_swapnibble = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_0.mutant-swapnibble",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_F32,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .run = gemv_q4_0_swapnibble__run,
    .cost = gemv_quant__cost_q4_0,
};

FK_PLUGIN(&gemv_q4_0_swapnibble);
