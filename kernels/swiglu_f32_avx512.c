/* swiglu.f32.avx512 — y = a / (1 + exp(-a)) * b, AVX-512F, 16 lanes.
 * fk_exp_avx512 (<= 1.01 ulp), then add, exact-rounded divide, multiply.
 * Rows are contiguous, so [r0, r1) is one flat range; the tail uses masked
 * loads and stores (masked-off lanes not accessed). */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static inline __m512 swiglu16(__m512 h, __m512 b)
{
    const __m512 e = fk_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), h));
    return _mm512_mul_ps(_mm512_div_ps(h, _mm512_add_ps(_mm512_set1_ps(1.0f), e)), b);
}

static void swiglu_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *x = a->x + r0 * cols, *x2 = a->x2 + r0 * cols;  /* (r1 - r0, cols) */
    float *y = a->y + r0 * cols;
    const int64_t n = (r1 - r0) * cols, n16 = n & ~(int64_t)15;
    for (int64_t i = 0; i < n16; i += 16)
        _mm512_storeu_ps(y + i, swiglu16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(x2 + i)));
    if (n16 < n) {
        const __mmask16 m = fk_tailmask_avx512(n - n16);
        _mm512_mask_storeu_ps(y + n16, m, swiglu16(_mm512_maskz_loadu_ps(m, x + n16), _mm512_maskz_loadu_ps(m, x2 + n16)));
    }
}

static const struct fk_kernel swiglu_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "swiglu.f32.avx512", .isa = "avx512",
    .op = FK_OP_SWIGLU, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = swiglu_f32_avx512__run, .cost = decode_f32__swiglu_cost,
};

FK_PLUGIN(&swiglu_f32_avx512);
