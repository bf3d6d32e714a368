/* swiglu.f32.avx2 — y = a / (1 + exp(-a)) * b, AVX2 + FMA, 8 lanes.
 * fk_exp_avx2 (<= 1.01 ulp), then add, exact-rounded divide, multiply.
 * For a < -88.7, exp(-a) = inf and y = -0 * b (the exact value is below
 * 2^-100 |b|).  Rows are contiguous, so [r0, r1) is one flat range; the
 * tail uses maskload/maskstore (no access past the end). */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static inline __m256 swiglu8(__m256 h, __m256 b)
{
    const __m256 e = fk_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), h));
    return _mm256_mul_ps(_mm256_div_ps(h, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), b);
}

static void swiglu_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *x = a->x + r0 * cols, *x2 = a->x2 + r0 * cols;  /* (r1 - r0, cols) */
    float *y = a->y + r0 * cols;
    const int64_t n = (r1 - r0) * cols, n8 = n & ~(int64_t)7;
    for (int64_t i = 0; i < n8; i += 8)
        _mm256_storeu_ps(y + i, swiglu8(_mm256_loadu_ps(x + i), _mm256_loadu_ps(x2 + i)));
    if (n8 < n) {
        const __m256i m = fk_tailmask_avx2(n - n8);
        _mm256_maskstore_ps(y + n8, m, swiglu8(_mm256_maskload_ps(x + n8, m), _mm256_maskload_ps(x2 + n8, m)));
    }
}

static const struct fk_kernel swiglu_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "swiglu.f32.avx2", .isa = "avx2",
    .op = FK_OP_SWIGLU, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = swiglu_f32_avx2__run, .cost = decode_f32__swiglu_cost,
};

FK_PLUGIN(&swiglu_f32_avx2);
