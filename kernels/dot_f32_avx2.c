/* dot.f32.avx2 — y[0] = sum_c a[c] * x[c] with AVX2 + FMA.
 * Four 8-lane accumulators (32 columns per step) cover the FMA latency; an
 * 8-column step and one masked load (maskload never touches masked-off
 * memory) handle cols % 32; one horizontal sum at the end. */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void dot_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1 && r0 == 0 && r1 == 1);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* a: (cols) */
    const float *x = a->x;  /* (cols) */
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int64_t c = 0;
    for (; c + 32 <= cols; c += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 8), _mm256_loadu_ps(x + c + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 16), _mm256_loadu_ps(x + c + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c + 24), _mm256_loadu_ps(x + c + 24), s3);
    }
    for (; c + 8 <= cols; c += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + c), _mm256_loadu_ps(x + c), s0);
    if (c < cols) {
        const __m256i m = fk_tailmask_avx2(cols - c);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(w + c, m), _mm256_maskload_ps(x + c, m), s1);
    }
    a->y[0] = fk_hsum_avx2(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

static const struct fk_kernel dot_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "dot.f32.avx2", .isa = "avx2",
    .op = FK_OP_DOT, .weights = FK_FMT_F32, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 1, .row_block = 1,
    .packed_size = decode_f32__vec_size, .pack = decode_f32__vec_pack,
    .run = dot_f32_avx2__run, .cost = decode_f32__dot_cost,
};

FK_PLUGIN(&dot_f32_avx2);
