/* gemv.q4_k_q8_k.mutant-bsum-per-32 — DELIBERATELY WRONG: the dmin * m
 * term reads Q8_K's per-16 sums as if they were per-32 (m_j * bsums[j]
 * instead of m_j * (bsums[2j] + bsums[2j+1])), a slip the block layout
 * invites.  The integer dots are right; the offsets are paired with the
 * wrong activations, an O(1) error of the mins term: rho ~ 2^20 and up. */
#include "../gemv_qdot.h"

static inline float dot_bsum_per_32(const fk_block_q4_k *w, const fk_block_q8_k *x, int64_t nb)
{
    float acc = 0.0f;
    for (int64_t i = 0; i < nb; i++) {
        uint8_t sc[8], m[8];
        qdot__q4_k_scales(&w[i], sc, m);
        int32_t isum = 0, msum = 0;
        for (int c = 0; c < 4; c++) {
            const uint8_t *q = w[i].qs + 32 * c;
            const int8_t *xq = x[i].qs + 64 * c;
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (q[l] & 0x0f) * xq[l];
                hi += (q[l] >> 4) * xq[32 + l];
            }
            isum += sc[2 * c] * lo + sc[2 * c + 1] * hi;
        }
        for (int j = 0; j < 8; j++)
            msum += m[j] * x[i].bsums[j];                 /* the bug */
        const float d = fk_fp16_to_f32(w[i].d) * x[i].d;
        const float dmin = fk_fp16_to_f32(w[i].dmin) * x[i].d;
        acc += d * (float)isum - dmin * (float)msum;
    }
    return acc;
}

static void gemv_q4_k_q8_k_bsum_per_32__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;
    for (int64_t r = r0; r < r1; r++)
        a->y[r] = dot_bsum_per_32(w + r * nb, a->scratch, nb);
}

static const struct fk_kernel gemv_q4_k_q8_k_bsum_per_32 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k_q8_k.mutant-bsum-per-32",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = 0,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 256,
    .row_block = 1,
    .packed_size = qdot__packed_size_q4_k,
    .pack = qdot__pack_q4_k,
    .prepare_size = qdot__prepare_size_q8_k,
    .prepare = qdot__prepare_q8_k,
    .run = gemv_q4_k_q8_k_bsum_per_32__run,
    .cost = qdot__cost_q4_k_q8_k,
};

FK_PLUGIN(&gemv_q4_k_q8_k_bsum_per_32);
