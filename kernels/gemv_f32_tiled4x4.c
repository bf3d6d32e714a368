/* gemv.f32.tiled4x4 — AION's "register tiling" for y[r] = sum_c W[r][c] * x[c].
 *
 * A 4 x 4 register tile: four output rows per pass, each with one 4-lane
 * accumulator, all four sharing each 4-column load of x.  A GEMV has no
 * weight reuse, so the tile saves only loads of x; this variant exists to
 * test the claim that the tiling itself pays.
 *
 * Written with GCC vector extensions so the same source builds for the
 * x86-64 baseline (SSE2) and for aarch64 (NEON) with no ISA flags.  Tail
 * columns (cols % 4) are scalar; a last group of 1-3 rows re-reads its last
 * valid row in the missing slots and stores only the valid rows. */
#include <assert.h>

#include "gemv_f32.h"

typedef float v4f __attribute__((vector_size(16)));
/* The same vector type with 4-byte alignment: rows are only float-aligned. */
typedef float v4f_unaligned __attribute__((vector_size(16), aligned(4)));

static inline v4f load4(const float *p)
{
    return *(const v4f_unaligned *)p;
}

static inline float hsum4(v4f v)
{
    return (v[0] + v[1]) + (v[2] + v[3]);
}

/* Rows [r0, r1) of y = W x. */
static void gemv_f32_tiled4x4__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    const float *x = a->x;  /* (cols) */
    float *y = a->y;        /* (rows) */
    const int64_t cols4 = cols & ~(int64_t)3;

    for (int64_t r = r0; r < r1; r += 4) {
        const float *w0 = w + r * cols;
        const float *w1 = w + (r + 1 < r1 ? r + 1 : r1 - 1) * cols;
        const float *w2 = w + (r + 2 < r1 ? r + 2 : r1 - 1) * cols;
        const float *w3 = w + (r + 3 < r1 ? r + 3 : r1 - 1) * cols;
        v4f acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};

        int64_t c = 0;
        for (; c < cols4; c += 4) {
            const v4f xv = load4(x + c);
            acc0 += load4(w0 + c) * xv;
            acc1 += load4(w1 + c) * xv;
            acc2 += load4(w2 + c) * xv;
            acc3 += load4(w3 + c) * xv;
        }
        float s0 = hsum4(acc0), s1 = hsum4(acc1), s2 = hsum4(acc2), s3 = hsum4(acc3);
        for (; c < cols; c++) {
            s0 += w0[c] * x[c];
            s1 += w1[c] * x[c];
            s2 += w2[c] * x[c];
            s3 += w3[c] * x[c];
        }

        y[r] = s0;
        if (r + 1 < r1)
            y[r + 1] = s1;
        if (r + 2 < r1)
            y[r + 2] = s2;
        if (r + 3 < r1)
            y[r + 3] = s3;
    }
}

static const struct fk_kernel gemv_f32_tiled4x4 = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.tiled4x4",
#if defined(__aarch64__)
    .isa = "neon",
#else
    .isa = "sse",
#endif
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,  /* baseline of the target: SSE2 on x86-64, asimd on aarch64 */
    .flags = 0,
    .cols_multiple = 1,
    .row_block = 4,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_tiled4x4__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_tiled4x4);
