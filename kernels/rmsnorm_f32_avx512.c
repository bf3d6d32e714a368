/* rmsnorm.f32.avx512 — y = x * g / sqrt(mean(x^2) + eps) per row, AVX-512F.
 * Pass 1: sum of squares in four 16-lane FMA accumulators; pass 2: y = x *
 * inv * g.  Tails (cols % 16) through masked loads/stores (masked-off lanes
 * are not accessed).  sqrt and the division are exact-rounded, once a row. */
#include <assert.h>
#include <math.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void rmsnorm_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *g = a->w;  /* (cols) gain */
    const float eps = a->param[0];
    const int64_t c16 = cols & ~(int64_t)15;
    const __mmask16 tail = fk_tailmask_avx512(cols - c16);
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;        /* (cols) */
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
        int64_t c = 0;
        for (; c + 64 <= cols; c += 64) {
            const __m512 v0 = _mm512_loadu_ps(x + c), v1 = _mm512_loadu_ps(x + c + 16);
            const __m512 v2 = _mm512_loadu_ps(x + c + 32), v3 = _mm512_loadu_ps(x + c + 48);
            s0 = _mm512_fmadd_ps(v0, v0, s0);
            s1 = _mm512_fmadd_ps(v1, v1, s1);
            s2 = _mm512_fmadd_ps(v2, v2, s2);
            s3 = _mm512_fmadd_ps(v3, v3, s3);
        }
        for (; c < c16; c += 16) {
            const __m512 v = _mm512_loadu_ps(x + c);
            s0 = _mm512_fmadd_ps(v, v, s0);
        }
        if (tail) {
            const __m512 v = _mm512_maskz_loadu_ps(tail, x + c16);
            s1 = _mm512_fmadd_ps(v, v, s1);
        }
        const float ss = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
        const __m512 inv = _mm512_set1_ps(1.0f / sqrtf(ss / (float)cols + eps));
        for (c = 0; c < c16; c += 16)
            _mm512_storeu_ps(y + c, _mm512_mul_ps(_mm512_mul_ps(_mm512_loadu_ps(x + c), inv), _mm512_loadu_ps(g + c)));
        if (tail)
            _mm512_mask_storeu_ps(y + c16, tail,
                                  _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(tail, x + c16), inv),
                                                _mm512_maskz_loadu_ps(tail, g + c16)));
    }
}

static const struct fk_kernel rmsnorm_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rmsnorm.f32.avx512", .isa = "avx512",
    .op = FK_OP_RMSNORM, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = rmsnorm_f32_avx512__run, .cost = decode_f32__rmsnorm_cost,
};

FK_PLUGIN(&rmsnorm_f32_avx512);
