/* attention.f32.avx2 — single-query attention per head over a KV cache,
 * AVX2 + FMA: y[h] = sum_t p_t V[h][t], p = softmax(scale * K[h] q[h]).
 *
 * Same scheme as attention.f32.avx512 with 8-position tiles: K packed as
 * tiles of K^T (decode_f32.h, tile width 8), so a tile's 8 scores are D
 * broadcast-FMAs over contiguous 32-byte rows (four accumulators over d);
 * V as given.  Online softmax per tile (rescale when the tile max exceeds
 * the running max), p = fk_exp_avx2(s - m); positions past T get score
 * -inf, hence p = 0.  The output row is accumulated in y (in L1), 8 lanes
 * of d at a time, maskload/maskstore for D % 8. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

#define TILE 8  /* positions per K tile = lanes */

static size_t attention_f32_avx2__packed_size(const struct fk_shape *s)
{
    return decode_f32__kvt_size(s, TILE);
}

static int attention_f32_avx2__pack(const struct fk_shape *s, const float *w, void *packed)
{
    return decode_f32__kvt_pack(s, w, packed, TILE);
}

/* o[0, D) *= f */
static inline void scale_row(float *o, int64_t D, __m256 f)
{
    for (int64_t d = 0; d < D; d += 8) {
        const __m256i md = fk_tailmask_avx2(D - d);
        _mm256_maskstore_ps(o + d, md, _mm256_mul_ps(_mm256_maskload_ps(o + d, md), f));
    }
}

static void attention_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t D = a->shape.cols, T = a->shape.batch;
    const int64_t nblk = (T + TILE - 1) / TILE;
    const float *kt = a->w;                                          /* (H, nblk, D, TILE) */
    const float *vall = kt + decode_f32__kt_floats(&a->shape, TILE); /* (H, T, D) */
    const __m256 scale = _mm256_set1_ps(a->param[0]);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int64_t h = r0; h < r1; h++) {
        const float *q = a->x + h * D;  /* (D) */
        float *o = a->y + h * D;        /* (D) accumulator, then output */
        for (int64_t d = 0; d < D; d += 8)
            _mm256_maskstore_ps(o + d, fk_tailmask_avx2(D - d), _mm256_setzero_ps());
        float m = -INFINITY;
        __m256 sumv = _mm256_setzero_ps();
        for (int64_t b = 0; b < nblk; b++) {
            const float *tile = kt + (h * nblk + b) * D * TILE;  /* (D, TILE) */
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
            int64_t d = 0;
            for (; d + 4 <= D; d += 4) {
                s0 = _mm256_fmadd_ps(_mm256_set1_ps(q[d]), _mm256_loadu_ps(tile + d * TILE), s0);
                s1 = _mm256_fmadd_ps(_mm256_set1_ps(q[d + 1]), _mm256_loadu_ps(tile + (d + 1) * TILE), s1);
                s2 = _mm256_fmadd_ps(_mm256_set1_ps(q[d + 2]), _mm256_loadu_ps(tile + (d + 2) * TILE), s2);
                s3 = _mm256_fmadd_ps(_mm256_set1_ps(q[d + 3]), _mm256_loadu_ps(tile + (d + 3) * TILE), s3);
            }
            for (; d < D; d++)
                s0 = _mm256_fmadd_ps(_mm256_set1_ps(q[d]), _mm256_loadu_ps(tile + d * TILE), s0);
            const int64_t valid = T - b * TILE < TILE ? T - b * TILE : TILE;
            __m256 s = _mm256_mul_ps(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)), scale);
            s = _mm256_blendv_ps(ninf, s, _mm256_castsi256_ps(fk_tailmask_avx2(valid)));
            const float mb = fk_hmax_avx2(s);
            if (mb > m) {
                const __m256 alpha = _mm256_set1_ps(expf(m - mb));  /* 0 for the first tile */
                sumv = _mm256_mul_ps(sumv, alpha);
                scale_row(o, D, alpha);
                m = mb;
            }
            const __m256 p = fk_exp_avx2(_mm256_sub_ps(s, _mm256_set1_ps(m)));
            sumv = _mm256_add_ps(sumv, p);
            float pj[TILE];
            _mm256_storeu_ps(pj, p);
            const float *v = vall + (h * T + b * TILE) * D;  /* (valid, D) */
            for (d = 0; d < D; d += 8) {
                const __m256i md = fk_tailmask_avx2(D - d);
                __m256 acc0 = _mm256_maskload_ps(o + d, md), acc1 = _mm256_setzero_ps();
                int64_t j = 0;
                for (; j + 2 <= valid; j += 2) {
                    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(pj[j]), _mm256_maskload_ps(v + j * D + d, md), acc0);
                    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(pj[j + 1]), _mm256_maskload_ps(v + (j + 1) * D + d, md), acc1);
                }
                if (j < valid)
                    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(pj[j]), _mm256_maskload_ps(v + j * D + d, md), acc0);
                _mm256_maskstore_ps(o + d, md, _mm256_add_ps(acc0, acc1));
            }
        }
        scale_row(o, D, _mm256_set1_ps(1.0f / fk_hsum_avx2(sumv)));
    }
}

static const struct fk_kernel attention_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "attention.f32.avx2", .isa = "avx2",
    .op = FK_OP_ATTENTION, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = attention_f32_avx2__packed_size, .pack = attention_f32_avx2__pack,
    .run = attention_f32_avx2__run, .cost = decode_f32__attention_cost,
};

FK_PLUGIN(&attention_f32_avx2);
