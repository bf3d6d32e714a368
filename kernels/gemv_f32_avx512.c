/* gemv.f32.avx512 — y[r] = sum_c W[r][c] * x[c] with AVX-512F.
 *
 * Four rows per pass share every load of x; each row keeps two 16-lane
 * accumulators, so eight independent FMA chains cover the FMA latency
 * (4 cycles) at two FMAs per cycle.  The inner loop consumes 32 columns;
 * a 16-column step and one masked load handle cols % 32.  Masked-off lanes
 * of _mm512_maskz_loadu_ps are not read, so the tail never touches memory
 * past a row's end.  The four horizontal sums are done together, once per pass.
 * No software prefetch: on Zen 5 the hardware prefetchers already keep the
 * four row streams at the single-stream read bandwidth from DRAM, and
 * prefetcht0/t1/t2 at 1-8 KiB ahead measured no gain (t0: a loss).
 *
 * Built with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx2 -mfma -mf16c;
 * uses AVX-512F, AVX-512DQ (vextractf32x8) and AVX-512VL (128-bit masked
 * store of the four row sums). */
#include <assert.h>
#include <immintrin.h>

#include "gemv_f32.h"

/* [sum(a0), sum(a1), sum(a2), sum(a3)]: the four row sums of one pass. */
static inline __m128 hsum4_512(__m512 a0, __m512 a1, __m512 a2, __m512 a3)
{
    const __m256 b0 = _mm256_add_ps(_mm512_castps512_ps256(a0), _mm512_extractf32x8_ps(a0, 1));
    const __m256 b1 = _mm256_add_ps(_mm512_castps512_ps256(a1), _mm512_extractf32x8_ps(a1, 1));
    const __m256 b2 = _mm256_add_ps(_mm512_castps512_ps256(a2), _mm512_extractf32x8_ps(a2, 1));
    const __m256 b3 = _mm256_add_ps(_mm512_castps512_ps256(a3), _mm512_extractf32x8_ps(a3, 1));
    /* lanes: [b0 b0 b1 b1 b2 b2 b3 b3] partial sums, low half and high half */
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(b0, b1), _mm256_hadd_ps(b2, b3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_avx512__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major, rows not 64 B aligned in general */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t cols32 = cols & ~(int64_t)31;
    const int64_t cols16 = cols & ~(int64_t)15;
    const __mmask16 tail = (__mmask16)((1u << (cols & 15)) - 1);  /* cols % 16 lanes */

    for (int64_t r = r0; r < r1; r += 4) {
        /* A last group of 1-3 rows re-reads its last valid row in the
         * missing slots (cache hits) and stores only the valid rows. */
        const float *w0 = w + r * cols;
        const float *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * cols;
        const float *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * cols;
        const float *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * cols;
        __m512 acc0a = _mm512_setzero_ps(), acc0b = _mm512_setzero_ps();
        __m512 acc1a = _mm512_setzero_ps(), acc1b = _mm512_setzero_ps();
        __m512 acc2a = _mm512_setzero_ps(), acc2b = _mm512_setzero_ps();
        __m512 acc3a = _mm512_setzero_ps(), acc3b = _mm512_setzero_ps();

        int64_t c = 0;
        for (; c < cols32; c += 32) {
            const __m512 xa = _mm512_loadu_ps(x + c);
            const __m512 xb = _mm512_loadu_ps(x + c + 16);
            acc0a = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c), xa, acc0a);
            acc1a = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c), xa, acc1a);
            acc2a = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c), xa, acc2a);
            acc3a = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c), xa, acc3a);
            acc0b = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c + 16), xb, acc0b);
            acc1b = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c + 16), xb, acc1b);
            acc2b = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c + 16), xb, acc2b);
            acc3b = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c + 16), xb, acc3b);
        }
        if (c < cols16) {
            const __m512 xa = _mm512_loadu_ps(x + c);
            acc0a = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c), xa, acc0a);
            acc1a = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c), xa, acc1a);
            acc2a = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c), xa, acc2a);
            acc3a = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c), xa, acc3a);
            c += 16;
        }
        if (tail) {
            const __m512 xt = _mm512_maskz_loadu_ps(tail, x + c);
            acc0b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + c), xt, acc0b);
            acc1b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + c), xt, acc1b);
            acc2b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + c), xt, acc2b);
            acc3b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + c), xt, acc3b);
        }

        const __m128 sums = hsum4_512(_mm512_add_ps(acc0a, acc0b), _mm512_add_ps(acc1a, acc1b),
                                      _mm512_add_ps(acc2a, acc2b), _mm512_add_ps(acc3a, acc3b));
        const int64_t nvalid = r1 - r < 4 ? r1 - r : 4;  /* rows of this pass in [r0, r1) */
        _mm_mask_storeu_ps(y + r, (__mmask8)((1u << nvalid) - 1), sums);
    }
}

static const struct fk_kernel gemv_f32_avx512 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.avx512",
    .isa = "avx512",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX512F | FK_CPU_AVX512DQ | FK_CPU_AVX512VL,
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 4,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_avx512__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_avx512);
