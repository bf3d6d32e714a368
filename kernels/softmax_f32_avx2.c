/* softmax.f32.avx2 — per row y = exp(x - max) / sum exp(x - max), AVX2 + FMA.
 * Three passes over the row (in L1 for decode-size rows): vector max;
 * e = fk_exp_avx2(x - max) (vecmath_x86.h, <= 1.01 ulp) stored in y and
 * summed in two 8-lane accumulators; y *= 1/sum.  The tail (cols % 8) is
 * loaded with maskload (no access past the row), its masked-off lanes set to
 * -inf for the max and to 0 for the sum. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void softmax_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const int64_t c8 = cols & ~(int64_t)7;
    const __m256i tail = fk_tailmask_avx2(cols - c8);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) logits */
        float *y = a->y + r * cols;        /* (cols) */
        __m256 mv = ninf;
        for (int64_t c = 0; c < c8; c += 8)
            mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + c));
        if (c8 < cols)
            mv = _mm256_max_ps(mv, _mm256_blendv_ps(ninf, _mm256_maskload_ps(x + c8, tail),
                                                     _mm256_castsi256_ps(tail)));
        const __m256 m = _mm256_set1_ps(fk_hmax_avx2(mv));
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        int64_t c = 0;
        for (; c + 16 <= c8; c += 16) {
            const __m256 e0 = fk_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + c), m));
            const __m256 e1 = fk_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + c + 8), m));
            _mm256_storeu_ps(y + c, e0);
            _mm256_storeu_ps(y + c + 8, e1);
            s0 = _mm256_add_ps(s0, e0);
            s1 = _mm256_add_ps(s1, e1);
        }
        for (; c < c8; c += 8) {
            const __m256 e = fk_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(x + c), m));
            _mm256_storeu_ps(y + c, e);
            s0 = _mm256_add_ps(s0, e);
        }
        if (c8 < cols) {
            __m256 e = fk_exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(x + c8, tail), m));
            e = _mm256_and_ps(e, _mm256_castsi256_ps(tail));
            _mm256_maskstore_ps(y + c8, tail, e);
            s1 = _mm256_add_ps(s1, e);
        }
        const __m256 inv = _mm256_set1_ps(1.0f / fk_hsum_avx2(_mm256_add_ps(s0, s1)));
        for (c = 0; c < c8; c += 8)
            _mm256_storeu_ps(y + c, _mm256_mul_ps(_mm256_loadu_ps(y + c), inv));
        if (c8 < cols)
            _mm256_maskstore_ps(y + c8, tail, _mm256_mul_ps(_mm256_maskload_ps(y + c8, tail), inv));
    }
}

static const struct fk_kernel softmax_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "softmax.f32.avx2", .isa = "avx2",
    .op = FK_OP_SOFTMAX, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = softmax_f32_avx2__run, .cost = decode_f32__softmax_cost,
};

FK_PLUGIN(&softmax_f32_avx2);
