/* Packed panels shared by the register-blocked f32 GEMMs (gemm.f32.avx512,
 * gemm.f32.avx2), BLIS-style, for Y[m][r] = sum_c W[r][c] X[m][c]:
 *   weights: panels of nr rows; panel p holds, for each column c, the nr
 *            values W[nr p + j][c] (j < nr) contiguously: (ceil(rows/nr),
 *            cols, nr) f32, rows past the end zero;
 *   activations (prepare, per call): micro-panels of mr batch rows; panel
 *            q holds X[mr q + i][c] (i < mr) contiguously for each c:
 *            (ceil(batch/mr), cols, mr) f32, rows past the end zero.
 * Static inline only (STYLE 4): each plugin compiles it with its own flags. */
#ifndef FK_GEMM_F32_H
#define FK_GEMM_F32_H

#include "kernel.h"

static inline int64_t gemm_f32__panels(int64_t n, int64_t per)
{
    return (n + per - 1) / per;
}

static inline size_t gemm_f32__packed_size(const struct fk_shape *s, int64_t nr)
{
    return (size_t)gemm_f32__panels(s->rows, nr) * (size_t)nr * (size_t)s->cols * sizeof(float);
}

/* w: (rows, cols) row-major -> packed: (ceil(rows/nr), cols, nr) f32. */
static inline int gemm_f32__pack(const struct fk_shape *s, const float *w, void *packed, int64_t nr)
{
    if (s->rows < 1 || s->cols < 1)
        return -1;
    const int64_t rows = s->rows, cols = s->cols;
    float *out = packed;
    for (int64_t p = 0; p < gemm_f32__panels(rows, nr); p++) {
        float *panel = out + p * cols * nr;
        for (int64_t c = 0; c < cols; c++)
            for (int64_t j = 0; j < nr; j++) {
                const int64_t r = p * nr + j;
                panel[c * nr + j] = r < rows ? w[r * cols + c] : 0.0f;
            }
    }
    return 0;
}

/* packed panels -> (rows, cols) row-major f32: the layout check's view. */
static inline int gemm_f32__to_plain(const struct fk_shape *s, const void *packed, void *plain, int64_t nr)
{
    const int64_t rows = s->rows, cols = s->cols;
    const float *in = packed;
    float *w = plain;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            w[r * cols + c] = in[(r / nr) * cols * nr + c * nr + r % nr];
    return 0;
}

static inline size_t gemm_f32__prepare_size(const struct fk_shape *s, int64_t mr)
{
    return (size_t)gemm_f32__panels(s->batch, mr) * (size_t)mr * (size_t)s->cols * sizeof(float);
}

/* x: (batch, cols) -> scratch: (ceil(batch/mr), cols, mr) f32, zero-padded. */
static inline void gemm_f32__prepare(const struct fk_args *a, int64_t mr)
{
    const int64_t batch = a->shape.batch, cols = a->shape.cols;
    float *xp = a->scratch;
    for (int64_t q = 0; q < gemm_f32__panels(batch, mr); q++) {
        float *mp = xp + q * cols * mr;
        for (int64_t i = 0; i < mr; i++) {
            const int64_t m = q * mr + i;
            if (m < batch) {
                const float *xm = a->x + m * cols;
                for (int64_t c = 0; c < cols; c++)
                    mp[c * mr + i] = xm[c];
            } else {
                for (int64_t c = 0; c < cols; c++)
                    mp[c * mr + i] = 0.0f;
            }
        }
    }
}

/* The descriptor entry points of a plugin with panels of nr rows and
 * micro-panels of mr batch rows: prefix##__packed_size, __pack, __to_plain,
 * __prepare_size, __prepare. */
#define GEMM_F32_LAYOUT(prefix, nr, mr)                                                         \
    static size_t prefix##__packed_size(const struct fk_shape *s) { return gemm_f32__packed_size(s, nr); } \
    static int prefix##__pack(const struct fk_shape *s, const float *w, void *packed)           \
    {                                                                                           \
        return gemm_f32__pack(s, w, packed, nr);                                                \
    }                                                                                           \
    static int prefix##__to_plain(const struct fk_shape *s, const void *packed, void *plain)    \
    {                                                                                           \
        return gemm_f32__to_plain(s, packed, plain, nr);                                        \
    }                                                                                           \
    static size_t prefix##__prepare_size(const struct fk_shape *s) { return gemm_f32__prepare_size(s, mr); } \
    static void prefix##__prepare(const struct fk_args *a) { gemm_f32__prepare(a, mr); }

#endif /* FK_GEMM_F32_H */
