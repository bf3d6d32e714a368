/* attention.f32.scalar — the reference kernel: single-query attention per
 * head h over T cached positions (rows = heads, cols = head_dim D,
 * batch = T):  y[h] = sum_t p_t V[h][t],  p = softmax(scale * K[h] q[h]).
 * One pass over the positions with an online softmax: running max m, sum S
 * and output o are rescaled by exp(m_old - m_new) whenever a score exceeds
 * m, so no score buffer is needed; y = o / S at the end.  Plain K, V layout
 * (as given); libm expf; no FMA contraction (-ffp-contract=off). */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"

static void attention_f32_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t H = a->shape.rows, D = a->shape.cols, T = a->shape.batch;
    const float scale = a->param[0];
    const float *kall = a->w;              /* K: (H, T, D) */
    const float *vall = kall + H * T * D;  /* V: (H, T, D) */
    for (int64_t h = r0; h < r1; h++) {
        const float *q = a->x + h * D;     /* (D) */
        float *o = a->y + h * D;           /* (D) accumulator, then output */
        for (int64_t d = 0; d < D; d++)
            o[d] = 0.0f;
        float m = -INFINITY, sum = 0.0f;
        for (int64_t t = 0; t < T; t++) {
            const float *k = kall + (h * T + t) * D, *v = vall + (h * T + t) * D;
            float s = 0.0f;
            for (int64_t d = 0; d < D; d++)
                s += k[d] * q[d];
            s *= scale;
            if (s > m) {
                const float alpha = expf(m - s);  /* 0 for the first position */
                sum *= alpha;
                for (int64_t d = 0; d < D; d++)
                    o[d] *= alpha;
                m = s;
            }
            const float p = expf(s - m);
            sum += p;
            for (int64_t d = 0; d < D; d++)
                o[d] += p * v[d];
        }
        const float inv = 1.0f / sum;
        for (int64_t d = 0; d < D; d++)
            o[d] *= inv;
    }
}

static const struct fk_kernel attention_f32_scalar = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "attention.f32.scalar", .isa = "scalar",
    .op = FK_OP_ATTENTION, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = 0, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__kv_size, .pack = decode_f32__kv_pack,
    .run = attention_f32_scalar__run, .cost = decode_f32__attention_cost,
};

FK_PLUGIN(&attention_f32_scalar);
