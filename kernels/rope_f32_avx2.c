/* rope.f32.avx2 — rotate pairs (x[2i], x[2i+1]) by pos * theta^(-2i/cols).
 * prepare() builds the double cos/sin table (decode_f32.h); run() widens
 * 4 floats (2 pairs) to doubles, y = x * cc + swap_pairs(x) * ss with one
 * FMA, and rounds once to f32.  cols % 4 == 2 leaves one pair, done scalar. */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void rope_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 2 && a->shape.cols % 2 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols, c4 = cols & ~(int64_t)3;
    const double *cc = a->scratch, *ss = cc + cols;  /* (cols) each */
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;
        for (int64_t c = 0; c < c4; c += 4) {
            const __m256d xd = _mm256_cvtps_pd(_mm_loadu_ps(x + c));
            const __m256d xs = _mm256_permute_pd(xd, 0x5);  /* [x1 x0 x3 x2] */
            const __m256d yd = _mm256_fmadd_pd(xd, _mm256_loadu_pd(cc + c), _mm256_mul_pd(xs, _mm256_loadu_pd(ss + c)));
            _mm_storeu_ps(y + c, _mm256_cvtpd_ps(yd));
        }
        if (c4 < cols) {
            const double x0 = x[c4], x1 = x[c4 + 1];
            y[c4] = (float)(x0 * cc[c4] + x1 * ss[c4]);
            y[c4 + 1] = (float)(x1 * cc[c4 + 1] + x0 * ss[c4 + 1]);
        }
    }
}

static const struct fk_kernel rope_f32_avx2 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rope.f32.avx2", .isa = "avx2",
    .op = FK_OP_ROPE, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, .flags = 0, .cols_multiple = 2, .row_block = 1,
    .prepare_size = decode_f32__rope_scratch, .prepare = decode_f32__rope_prepare,
    .run = rope_f32_avx2__run, .cost = decode_f32__rope_cost,
};

FK_PLUGIN(&rope_f32_avx2);
