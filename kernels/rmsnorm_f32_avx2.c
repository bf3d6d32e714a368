/* rmsnorm.f32.avx2 — y = x * g / sqrt(mean(x^2) + eps) per row, AVX2 + FMA.
 * Pass 1: sum of squares in four 8-lane FMA accumulators; pass 2: y = x *
 * inv * g.  Tails (cols % 8) through maskload/maskstore, which never touch
 * memory past the row.  sqrt and the division are exact-rounded, once a row. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void rmsnorm_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *g = a->w;  /* (cols) gain */
    const float eps = a->param[0];
    const int64_t c8 = cols & ~(int64_t)7;
    const __m256i tail = fk_tailmask_avx2(cols - c8);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;        /* (cols) */
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
        int64_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            const __m256 v0 = _mm256_loadu_ps(x + c), v1 = _mm256_loadu_ps(x + c + 8);
            const __m256 v2 = _mm256_loadu_ps(x + c + 16), v3 = _mm256_loadu_ps(x + c + 24);
            s0 = _mm256_fmadd_ps(v0, v0, s0);
            s1 = _mm256_fmadd_ps(v1, v1, s1);
            s2 = _mm256_fmadd_ps(v2, v2, s2);
            s3 = _mm256_fmadd_ps(v3, v3, s3);
        }
        for (; c < c8; c += 8) {
            const __m256 v = _mm256_loadu_ps(x + c);
            s0 = _mm256_fmadd_ps(v, v, s0);
        }
        if (c8 < cols) {
            const __m256 v = _mm256_maskload_ps(x + c8, tail);
            s1 = _mm256_fmadd_ps(v, v, s1);
        }
        const float ss = fk_hsum_avx2(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
        const __m256 inv = _mm256_set1_ps(1.0f / sqrtf(ss / (float)cols + eps));
        for (c = 0; c < c8; c += 8)
            _mm256_storeu_ps(y + c, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), inv), _mm256_loadu_ps(g + c)));
        if (c8 < cols)
            _mm256_maskstore_ps(y + c8, tail,
                                _mm256_mul_ps(_mm256_mul_ps(_mm256_maskload_ps(x + c8, tail), inv),
                                              _mm256_maskload_ps(g + c8, tail)));
    }
}

static const struct fk_kernel rmsnorm_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rmsnorm.f32.avx2", .isa = "avx2",
    .op = FK_OP_RMSNORM, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = rmsnorm_f32_avx2__run, .cost = decode_f32__rmsnorm_cost,
};

FK_PLUGIN(&rmsnorm_f32_avx2);
