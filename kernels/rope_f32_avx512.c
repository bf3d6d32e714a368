/* rope.f32.avx512 — rotate pairs (x[2i], x[2i+1]) by pos * theta^(-2i/cols).
 * prepare() builds the double cos/sin table (decode_f32.h); run() widens
 * 8 floats (4 pairs) to doubles, y = x * cc + swap_pairs(x) * ss with one
 * FMA, and rounds once to f32.  Pairs left over (cols % 8) are done scalar. */
#include <assert.h>

#include "decode_f32.h"
#include "vecmath_x86.h"

static void rope_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 2 && a->shape.cols % 2 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols, c8 = cols & ~(int64_t)7;
    const double *cc = a->scratch, *ss = cc + cols;  /* (cols) each */
    for (int64_t r = r0; r < r1; r++) {
        const float *x = a->x + r * cols;  /* (cols) */
        float *y = a->y + r * cols;
        for (int64_t c = 0; c < c8; c += 8) {
            const __m512d xd = _mm512_cvtps_pd(_mm256_loadu_ps(x + c));
            const __m512d xs = _mm512_permute_pd(xd, 0x55);  /* swap within pairs */
            const __m512d yd = _mm512_fmadd_pd(xd, _mm512_loadu_pd(cc + c), _mm512_mul_pd(xs, _mm512_loadu_pd(ss + c)));
            _mm256_storeu_ps(y + c, _mm512_cvtpd_ps(yd));
        }
        for (int64_t c = c8; c < cols; c += 2) {
            const double x0 = x[c], x1 = x[c + 1];
            y[c] = (float)(x0 * cc[c] + x1 * ss[c]);
            y[c + 1] = (float)(x1 * cc[c + 1] + x0 * ss[c + 1]);
        }
    }
}

static const struct fk_kernel rope_f32_avx512 = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel),
    .name = "rope.f32.avx512", .isa = "avx512",
    .op = FK_OP_ROPE, .weights = FK_FMT_NONE, .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F, .flags = 0, .cols_multiple = 2, .row_block = 1,
    .prepare_size = decode_f32__rope_scratch, .prepare = decode_f32__rope_prepare,
    .run = rope_f32_avx512__run, .cost = decode_f32__rope_cost,
};

FK_PLUGIN(&rope_f32_avx512);
