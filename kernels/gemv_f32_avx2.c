/* gemv.f32.avx2 — y[r] = sum_c W[r][c] * x[c] with AVX2 + FMA.
 *
 * Four rows per pass share every load of x; each row keeps two 8-lane
 * accumulators, so eight independent FMA chains cover the FMA latency
 * (4 cycles) at two FMAs per cycle.  The inner loop consumes 16 columns;
 * an 8-column step and one _mm256_maskload_ps handle cols % 16.  Masked-off
 * lanes of maskload are not read, so the tail never touches memory past a
 * row's end.  The four horizontal sums are done together, once per pass.
 * No software prefetch: on Zen 5 the hardware prefetchers already keep the
 * four row streams at the single-stream read bandwidth from DRAM, and
 * prefetcht0/t1/t2 at 1-8 KiB ahead measured no gain (t0: a loss).
 *
 * Built with -mavx2 -mfma -mf16c.  The instructions used are AVX and FMA;
 * the descriptor asks for AVX2 + FMA, the ISA level this variant stands for. */
#include <assert.h>
#include <immintrin.h>

#include "gemv_f32.h"

/* Loading 8 entries from tail_mask + 8 - n gives n all-ones lanes, n in [0, 8]. */
static const int32_t tail_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                      0,  0,  0,  0,  0,  0,  0,  0};

/* [sum(a0), sum(a1), sum(a2), sum(a3)]: the four row sums of one pass. */
static inline __m128 hsum4_256(__m256 a0, __m256 a1, __m256 a2, __m256 a3)
{
    /* lanes: [a0 a0 a1 a1 a2 a2 a3 a3] partial sums, low half and high half */
    const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_avx2__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major, rows not 32 B aligned in general */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t cols16 = cols & ~(int64_t)15;
    const int64_t cols8 = cols & ~(int64_t)7;
    const int ntail = (int)(cols & 7);  /* columns after the last full 8 */
    const __m256i tail = _mm256_loadu_si256((const __m256i *)(tail_mask + 8 - ntail));

    for (int64_t r = r0; r < r1; r += 4) {
        /* A last group of 1-3 rows re-reads its last valid row in the
         * missing slots (cache hits) and stores only the valid rows. */
        const float *w0 = w + r * cols;
        const float *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * cols;
        const float *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * cols;
        const float *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * cols;
        __m256 acc0a = _mm256_setzero_ps(), acc0b = _mm256_setzero_ps();
        __m256 acc1a = _mm256_setzero_ps(), acc1b = _mm256_setzero_ps();
        __m256 acc2a = _mm256_setzero_ps(), acc2b = _mm256_setzero_ps();
        __m256 acc3a = _mm256_setzero_ps(), acc3b = _mm256_setzero_ps();

        int64_t c = 0;
        for (; c < cols16; c += 16) {
            const __m256 xa = _mm256_loadu_ps(x + c);
            const __m256 xb = _mm256_loadu_ps(x + c + 8);
            acc0a = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, acc0a);
            acc1a = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, acc1a);
            acc2a = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, acc2a);
            acc3a = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, acc3a);
            acc0b = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c + 8), xb, acc0b);
            acc1b = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c + 8), xb, acc1b);
            acc2b = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c + 8), xb, acc2b);
            acc3b = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c + 8), xb, acc3b);
        }
        if (c < cols8) {
            const __m256 xa = _mm256_loadu_ps(x + c);
            acc0a = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xa, acc0a);
            acc1a = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xa, acc1a);
            acc2a = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xa, acc2a);
            acc3a = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xa, acc3a);
            c += 8;
        }
        if (ntail) {
            const __m256 xt = _mm256_maskload_ps(x + c, tail);
            acc0b = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + c, tail), xt, acc0b);
            acc1b = _mm256_fmadd_ps(_mm256_maskload_ps(w1 + c, tail), xt, acc1b);
            acc2b = _mm256_fmadd_ps(_mm256_maskload_ps(w2 + c, tail), xt, acc2b);
            acc3b = _mm256_fmadd_ps(_mm256_maskload_ps(w3 + c, tail), xt, acc3b);
        }

        const __m128 sums = hsum4_256(_mm256_add_ps(acc0a, acc0b), _mm256_add_ps(acc1a, acc1b),
                                      _mm256_add_ps(acc2a, acc2b), _mm256_add_ps(acc3a, acc3b));
        if (r + 4 <= r1) {
            _mm_storeu_ps(y + r, sums);
        } else {
            /* 1-3 rows left; vmaskmovps stores are microcoded on AMD, so spill */
            float part[4];
            _mm_storeu_ps(part, sums);
            for (int64_t i = 0; r + i < r1; i++)
                y[r + i] = part[i];
        }
    }
}

static const struct fk_kernel gemv_f32_avx2 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.avx2",
    .isa = "avx2",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = FK_CPU_AVX2 | FK_CPU_FMA,  /* AVX2 implies AVX */
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 4,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_avx2__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_avx2);
