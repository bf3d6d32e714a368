/* gemv.q4_k.mutant-scale-on-sum — DELIBERATELY WRONG, after EMBODIOS's Q4_K
 * kernel: each sub-block's scale d*sc_j multiplies the running sum (all
 * sub-blocks so far) instead of that sub-block's partial sum, and dmin*m_j
 * is dropped.  Earlier sub-blocks are rescaled again and again and the
 * offsets vanish: an O(1) relative error, rho ~ 2^24. */
#include "../gemv_quant.h"

/* Row dot with the scale on the running sum; w: (nb) blocks, x: (256 nb) f32. */
static inline float dot_scale_on_sum(const fk_block_q4_k *w, const float *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        const float d = fk_fp16_to_f32(w[i].d);
        for (int j = 0; j < 8; j++) {                     /* sub-blocks of 32 */
            const uint8_t *q = w[i].qs + 32 * (j / 2);
            const int shift = 4 * (j % 2);
            const float *xs = x + 256 * i + 32 * j;
            uint8_t sc, m;
            fk_q4_k_get_scale_min(j, w[i].scales, &sc, &m);
            for (int l = 0; l < 32; l++)
                acc += (float)((q[l] >> shift) & 0x0f) * xs[l];
            acc *= d * (float)sc;                         /* the bug */
        }
    }
    return acc;
}

static void gemv_q4_k_scale_on_sum__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    GEMV_QUANT__RUN(dot_scale_on_sum, fk_block_q4_k, float, a->x, 256);
}

static const struct fk_kernel gemv_q4_k_scale_on_sum = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k.mutant-scale-on-sum",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_F32,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 256,
    .row_block = 1,
    .packed_size = gemv_quant__packed_size_q4_k,
    .pack = gemv_quant__pack_q4_k,
    .run = gemv_q4_k_scale_on_sum__run,
    .cost = gemv_quant__cost_q4_k,
};

FK_PLUGIN(&gemv_q4_k_scale_on_sum);
