/* Shared pieces of the f32 GEMV plugins (gemv_f32_*.c, mutants/gemv_f32_*.c):
 * the packed layout and the cost model.  Static inline only, so each plugin
 * compiles its own copy with its own flags (STYLE 4).
 *
 * Packed layout for f32: the (rows, cols) row-major matrix itself,
 * rows * cols * 4 bytes.  Rows start at w + r * cols; a row is 64-byte
 * aligned only when cols % 16 == 0, so kernels use unaligned loads. */
#ifndef FK_GEMV_F32_H
#define FK_GEMV_F32_H

#include <string.h>

#include "kernel.h"

static inline size_t gemv_f32__packed_size(const struct fk_shape *s)
{
    return (size_t)s->rows * (size_t)s->cols * sizeof(float);
}

/* w: (rows, cols) f32 -> packed: the same (rows, cols) f32, copied. */
static inline int gemv_f32__pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 1)
        return -1;
    memcpy(packed, w, gemv_f32__packed_size(s));
    return 0;
}

static inline void gemv_f32__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

#endif
