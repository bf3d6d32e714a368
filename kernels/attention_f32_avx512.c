/* attention.f32.avx512 — single-query attention per head over a KV cache,
 * AVX-512F: y[h] = sum_t p_t V[h][t], p = softmax(scale * K[h] q[h]).
 *
 * Packed layout (decode_f32.h, tile width 16): K as tiles of K^T for 16
 * consecutive positions, so one tile's 16 scores are D broadcast-FMAs over
 * contiguous 64-byte rows (four accumulators over d cover the FMA latency),
 * no horizontal sums; V as given.  Online softmax per tile: the tile max
 * rescales the running sum and output when it exceeds the running max (at
 * most once per tile), p = fk_exp_avx512(s - m) (vecmath_x86.h); positions
 * past T in the last tile get score -inf, hence p = 0.  The output row is
 * accumulated in y (in L1), 16 lanes of d at a time, masked for D % 16. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

#define TILE 16  /* positions per K tile = lanes */

static size_t attention_f32_avx512__packed_size(const struct fk_shape *s)
{
    return decode_f32__kvt_size(s, TILE);
}

static int attention_f32_avx512__pack(const struct fk_shape *s, const float *w, void *packed)
{
    return decode_f32__kvt_pack(s, w, packed, TILE);
}

static void attention_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t D = a->shape.cols, T = a->shape.batch;
    const int64_t nblk = (T + TILE - 1) / TILE;
    const float *kt = a->w;                                          /* (H, nblk, D, TILE) */
    const float *vall = kt + decode_f32__kt_floats(&a->shape, TILE); /* (H, T, D) */
    const __m512 scale = _mm512_set1_ps(a->param[0]);
    for (int64_t h = r0; h < r1; h++) {
        const float *q = a->x + h * D;  /* (D) */
        float *o = a->y + h * D;        /* (D) accumulator, then output */
        for (int64_t d = 0; d < D; d += 16)
            _mm512_mask_storeu_ps(o + d, fk_tailmask_avx512(D - d), _mm512_setzero_ps());
        float m = -INFINITY;
        __m512 sumv = _mm512_setzero_ps();
        for (int64_t b = 0; b < nblk; b++) {
            const float *tile = kt + (h * nblk + b) * D * TILE;  /* (D, TILE) */
            __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
            __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
            int64_t d = 0;
            for (; d + 4 <= D; d += 4) {
                s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(tile + d * TILE), s0);
                s1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), _mm512_loadu_ps(tile + (d + 1) * TILE), s1);
                s2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), _mm512_loadu_ps(tile + (d + 2) * TILE), s2);
                s3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), _mm512_loadu_ps(tile + (d + 3) * TILE), s3);
            }
            for (; d < D; d++)
                s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(tile + d * TILE), s0);
            const int64_t valid = T - b * TILE < TILE ? T - b * TILE : TILE;
            const __mmask16 vm = fk_tailmask_avx512(valid);
            __m512 s = _mm512_mul_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)), scale);
            s = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), vm, s);
            const float mb = _mm512_reduce_max_ps(s);
            if (mb > m) {
                const __m512 alpha = _mm512_set1_ps(expf(m - mb));  /* 0 for the first tile */
                sumv = _mm512_mul_ps(sumv, alpha);
                for (d = 0; d < D; d += 16) {
                    const __mmask16 md = fk_tailmask_avx512(D - d);
                    _mm512_mask_storeu_ps(o + d, md, _mm512_mul_ps(_mm512_maskz_loadu_ps(md, o + d), alpha));
                }
                m = mb;
            }
            const __m512 p = fk_exp_avx512(_mm512_sub_ps(s, _mm512_set1_ps(m)));
            sumv = _mm512_add_ps(sumv, p);
            float pj[TILE];
            _mm512_storeu_ps(pj, p);
            const float *v = vall + (h * T + b * TILE) * D;  /* (valid, D) */
            for (d = 0; d < D; d += 16) {
                const __mmask16 md = fk_tailmask_avx512(D - d);
                __m512 acc0 = _mm512_maskz_loadu_ps(md, o + d), acc1 = _mm512_setzero_ps();
                int64_t j = 0;
                for (; j + 2 <= valid; j += 2) {
                    acc0 = _mm512_fmadd_ps(_mm512_set1_ps(pj[j]), _mm512_maskz_loadu_ps(md, v + j * D + d), acc0);
                    acc1 = _mm512_fmadd_ps(_mm512_set1_ps(pj[j + 1]), _mm512_maskz_loadu_ps(md, v + (j + 1) * D + d), acc1);
                }
                if (j < valid)
                    acc0 = _mm512_fmadd_ps(_mm512_set1_ps(pj[j]), _mm512_maskz_loadu_ps(md, v + j * D + d), acc0);
                _mm512_mask_storeu_ps(o + d, md, _mm512_add_ps(acc0, acc1));
            }
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sumv));
        for (int64_t d = 0; d < D; d += 16) {
            const __mmask16 md = fk_tailmask_avx512(D - d);
            _mm512_mask_storeu_ps(o + d, md, _mm512_mul_ps(_mm512_maskz_loadu_ps(md, o + d), inv));
        }
    }
}

static const struct fk_kernel attention_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "attention.f32.avx512", .isa = "avx512",
    .op = FK_OP_ATTENTION, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = attention_f32_avx512__packed_size, .pack = attention_f32_avx512__pack,
    .run = attention_f32_avx512__run, .cost = decode_f32__attention_cost,
};

FK_PLUGIN(&attention_f32_avx512);
