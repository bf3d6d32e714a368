/* attention.f32.neon — single-query attention per head over a KV cache,
 * NEON: y[h] = sum_t p_t V[h][t], p = softmax(scale * K[h] q[h]).
 *
 * K and V in the plain layout (as given, decode_f32__kv_pack).  Positions
 * go in groups of 4: each score is a dot product over d in two 4-lane FMA
 * chains plus a horizontal sum (fmaf for d % 4); the group's 4 scores form
 * one vector, lanes past T set to -inf (p = 0).  Online softmax per group:
 * when the group max exceeds the running max m, the sum and the output row
 * are rescaled by expf(m_old - m_new) (0 for the first group);
 * p = fk_exp_neon(s - m) (vecmath_neon.h, <= 1.01 ulp).  The output row is
 * accumulated in y (in L1), 4 lanes of d at a time, scalar for D % 4. */
#include <arm_neon.h>
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_neon.h"

#define GROUP 4  /* positions per score vector = lanes */

/* sum_d k[d] q[d] */
static inline float dot_d(const float *k, const float *q, int64_t D)
{
    float32x4_t a0 = vdupq_n_f32(0), a1 = a0;
    int64_t d = 0;
    for (; d + 8 <= D; d += 8) {
        a0 = vfmaq_f32(a0, vld1q_f32(k + d), vld1q_f32(q + d));
        a1 = vfmaq_f32(a1, vld1q_f32(k + d + 4), vld1q_f32(q + d + 4));
    }
    if (d + 4 <= D) {
        a0 = vfmaq_f32(a0, vld1q_f32(k + d), vld1q_f32(q + d));
        d += 4;
    }
    float s = vaddvq_f32(vaddq_f32(a0, a1));
    for (; d < D; d++)
        s = fmaf(k[d], q[d], s);
    return s;
}

/* o[0, D) *= f */
static inline void scale_row(float *o, int64_t D, float f)
{
    int64_t d = 0;
    for (; d + 4 <= D; d += 4)
        vst1q_f32(o + d, vmulq_n_f32(vld1q_f32(o + d), f));
    for (; d < D; d++)
        o[d] *= f;
}

static void attention_f32_neon__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t H = a->shape.rows, D = a->shape.cols, T = a->shape.batch;
    const float *kall = a->w;              /* K: (H, T, D) */
    const float *vall = kall + H * T * D;  /* V: (H, T, D) */
    const float scale = a->param[0];
    for (int64_t h = r0; h < r1; h++) {
        const float *q = a->x + h * D;  /* (D) */
        float *o = a->y + h * D;        /* (D) accumulator, then output */
        for (int64_t d = 0; d < D; d++)
            o[d] = 0.0f;
        float m = -INFINITY;
        float32x4_t sumv = vdupq_n_f32(0);
        for (int64_t t0 = 0; t0 < T; t0 += GROUP) {
            const int64_t valid = T - t0 < GROUP ? T - t0 : GROUP;
            float sc[GROUP];
            for (int j = 0; j < GROUP; j++)
                sc[j] = j < valid ? dot_d(kall + (h * T + t0 + j) * D, q, D) * scale : -INFINITY;
            const float32x4_t s = vld1q_f32(sc);
            const float mb = vmaxvq_f32(s);
            if (mb > m) {
                const float alpha = expf(m - mb);  /* 0 for the first group */
                sumv = vmulq_n_f32(sumv, alpha);
                scale_row(o, D, alpha);
                m = mb;
            }
            const float32x4_t p = fk_exp_neon(vsubq_f32(s, vdupq_n_f32(m)));
            sumv = vaddq_f32(sumv, p);
            float pj[GROUP];
            vst1q_f32(pj, p);
            const float *v = vall + (h * T + t0) * D;  /* (valid, D) */
            int64_t d = 0;
            for (; d + 4 <= D; d += 4) {
                float32x4_t acc = vld1q_f32(o + d);
                for (int64_t j = 0; j < valid; j++)
                    acc = vfmaq_n_f32(acc, vld1q_f32(v + j * D + d), pj[j]);
                vst1q_f32(o + d, acc);
            }
            for (; d < D; d++) {
                float acc = o[d];
                for (int64_t j = 0; j < valid; j++)
                    acc = fmaf(pj[j], v[j * D + d], acc);
                o[d] = acc;
            }
        }
        scale_row(o, D, 1.0f / vaddvq_f32(sumv));
    }
}

static const struct fk_kernel attention_f32_neon = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "attention.f32.neon", .isa = "neon",
    .op = FK_OP_ATTENTION, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_NEON, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__kv_size, .pack = decode_f32__kv_pack,
    .run = attention_f32_neon__run, .cost = decode_f32__attention_cost,
};

FK_PLUGIN(&attention_f32_neon);
