/* dot.f32.avx512 — y[0] = sum_c a[c] * x[c] with AVX-512F.
 * Four 16-lane accumulators (64 columns per step); a 16-column step and one
 * masked load (masked-off lanes are not read) handle cols % 64. */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void dot_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && r0 == 0 && r1 == 1);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* a: (cols) */
    const float *x = a->x;  /* (cols) */
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
    int64_t c = 0;
    for (; c + 64 <= cols; c += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + c), _mm512_loadu_ps(x + c), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + c + 16), _mm512_loadu_ps(x + c + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + c + 32), _mm512_loadu_ps(x + c + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + c + 48), _mm512_loadu_ps(x + c + 48), s3);
    }
    for (; c + 16 <= cols; c += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + c), _mm512_loadu_ps(x + c), s0);
    if (c < cols) {
        const __mmask16 m = fk_tailmask_avx512(cols - c);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + c), _mm512_maskz_loadu_ps(m, x + c), s1);
    }
    a->y[0] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

static const struct fk_kernel dot_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "dot.f32.avx512", .isa = "avx512",
    .op = FK_OP_DOT, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = dot_f32_avx512__run, .cost = decode_f32__dot_cost,
};

FK_PLUGIN(&dot_f32_avx512);
