/* gemv.w4a8.mutant-scale127 — DELIBERATELY WRONG: gemv.w4a8.scalar with the
 * activation block scale multiplied by 127/128 (as if x were quantized
 * with 128 levels and dequantized with 127): every output is 0.8% small.
 * That is ~2000 gauge units at 1x4096 on random data, well inside the f32
 * reduction bound gamma(4096) + 2 = 4098 but far outside the integer-dot
 * bound gamma(K / 32) + 3 = 131 the gate now applies to W4A8 (verify.c,
 * fk_intdot_gauge_bound) (class: wrong result, a scale error). */
#include <assert.h>

#include "../gemv_quant.h"

/* sum over blocks of fp16(dw) fp16(dx) (127/128) sum_j (q4_j - 8) q8_j. */
static float gemv_w4a8_scale127__dot(const fk_block_q4_0 *w, const fk_block_q8_0 *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        int32_t isum = 0;                                 /* |isum| <= 32 * 8 * 127 */
        for (int j = 0; j < 16; j++) {
            isum += ((w[i].qs[j] & 0x0f) - 8) * x[i].qs[j];
            isum += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
        }
        const float dx = fk_fp16_to_f32(x[i].d) * (127.0f / 128.0f);  /* the bug */
        acc += (float)isum * (fk_fp16_to_f32(w[i].d) * dx);
    }
    return acc;
}

/* Rows [r0, r1); w: (rows, cols/32) Q4_0 blocks, scratch: (cols/32) Q8_0 blocks. */
static void gemv_w4a8_scale127__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(gemv_w4a8_scale127__dot, fk_block_q4_0, fk_block_q8_0, a->scratch, 32);
}

static const struct fk_kernel gemv_w4a8_scale127 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.w4a8.mutant-scale127",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = 0,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 32,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_0,
    .pack = gemv_quant__pack_q4_0,
    .prepare_size = gemv_quant__prepare_size_w4a8,
    .prepare = gemv_quant__prepare_w4a8,
    .run = gemv_w4a8_scale127__run,
    .cost = gemv_quant__cost_w4a8,
};

FK_PLUGIN(&gemv_w4a8_scale127);
