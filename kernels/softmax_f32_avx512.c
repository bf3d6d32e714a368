/* softmax.f32.avx512 — per row y = exp(x - max) / sum exp(x - max), AVX-512F.
 * Three passes over the row: vector max; e = fk_exp_avx512(x - max)
 * (vecmath_x86.h, <= 1.01 ulp) stored in y and summed in two 16-lane
 * accumulators; y *= 1/sum.  The tail (cols % 16) uses masked loads and
 * stores (masked-off lanes not accessed): -inf for the max, 0 for the sum. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void softmax_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const int64_t c16 = cols & ~(int64_t)15;
    const __mmask16 tail = fk_tailmask_avx512(cols - c16);
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) logits */
        float *y = a->y + r * cols;        /* (cols) */
        __m512 mv = ninf;
        for (int64_t c = 0; c < c16; c += 16)
            mv = _mm512_max_ps(mv, _mm512_loadu_ps(x + c));
        if (tail)
            mv = _mm512_max_ps(mv, _mm512_mask_loadu_ps(ninf, tail, x + c16));
        const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mv));
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        int64_t c = 0;
        for (; c + 32 <= c16; c += 32) {
            const __m512 e0 = fk_exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + c), m));
            const __m512 e1 = fk_exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + c + 16), m));
            _mm512_storeu_ps(y + c, e0);
            _mm512_storeu_ps(y + c + 16, e1);
            s0 = _mm512_add_ps(s0, e0);
            s1 = _mm512_add_ps(s1, e1);
        }
        for (; c < c16; c += 16) {
            const __m512 e = fk_exp_avx512(_mm512_sub_ps(_mm512_loadu_ps(x + c), m));
            _mm512_storeu_ps(y + c, e);
            s0 = _mm512_add_ps(s0, e);
        }
        if (tail) {
            const __m512 e = _mm512_maskz_mov_ps(tail, fk_exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + c16), m)));
            _mm512_mask_storeu_ps(y + c16, tail, e);
            s1 = _mm512_add_ps(s1, e);
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(_mm512_add_ps(s0, s1)));
        for (c = 0; c < c16; c += 16)
            _mm512_storeu_ps(y + c, _mm512_mul_ps(_mm512_loadu_ps(y + c), inv));
        if (tail)
            _mm512_mask_storeu_ps(y + c16, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, y + c16), inv));
    }
}

static const struct fk_kernel softmax_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "softmax.f32.avx512", .isa = "avx512",
    .op = FK_OP_SOFTMAX, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .run = softmax_f32_avx512__run, .cost = decode_f32__softmax_cost,
};

FK_PLUGIN(&softmax_f32_avx512);
