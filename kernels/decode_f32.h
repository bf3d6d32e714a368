/* Shared pieces of the f32 decode-op plugins (dot, rmsnorm, softmax, swiglu,
 * rope, attention): packed layouts and cost models.  Static inline only, so
 * each plugin compiles its own copy with its own flags (STYLE 4).
 * Operand conventions: kernels/kernel.h. */
#ifndef FK_DECODE_F32_H
#define FK_DECODE_F32_H

#include <math.h>
#include <string.h>

#include "kernel.h"

/* Arithmetic ops charged for one f32 exp: range reduction (mul, round,
 * 2 FMA = 6), polynomial (6 FMA + mul + add = 14), scaling (2). */
#define FK_EXP_OPS 22.0

/* ---- dot and rmsnorm: the packed operand is one f32 vector (cols) ---- */

static inline size_t decode_f32__vec_size(const struct fk_shape *s)
{
    return (size_t)s->cols * sizeof(float);
}

/* w: (cols) f32 -> packed: the same (cols) f32, copied. */
static inline int decode_f32__vec_pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->cols < 1)
        return -1;
    memcpy(packed, w, decode_f32__vec_size(s));
    return 0;
}

static inline void decode_f32__dot_cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

/* rmsnorm: g read once, x read, y written; per element square-add (2) and
 * two multiplies (x * g * inv_rms); per row mean, eps, sqrt, divide (4). */
static inline void decode_f32__rmsnorm_cost(const struct fk_shape *s, struct fk_cost *c)
{
    const double n = (double)s->rows * (double)s->cols;
    c->weight_bytes = (double)s->cols * 4.0;
    c->act_bytes = n * 4.0;
    c->out_bytes = n * 4.0;
    c->ops = 4.0 * n + 4.0 * (double)s->rows;
}

/* softmax: per element max, subtract, exp, add, multiply. */
static inline void decode_f32__softmax_cost(const struct fk_shape *s, struct fk_cost *c)
{
    const double n = (double)s->rows * (double)s->cols;
    c->weight_bytes = 0;
    c->act_bytes = n * 4.0;
    c->out_bytes = n * 4.0;
    c->ops = n * (4.0 + FK_EXP_OPS) + (double)s->rows;
}

/* swiglu: a and b read; per element negate, exp, add, divide, multiply. */
static inline void decode_f32__swiglu_cost(const struct fk_shape *s, struct fk_cost *c)
{
    const double n = (double)s->rows * (double)s->cols;
    c->weight_bytes = 0;
    c->act_bytes = 2.0 * n * 4.0;
    c->out_bytes = n * 4.0;
    c->ops = n * (4.0 + FK_EXP_OPS);
}

/* rope: per pair 4 multiplies and 2 adds; per call cols/2 angles (pow,
 * multiply, cos, sin: charged 40 ops each, they are libm calls). */
static inline void decode_f32__rope_cost(const struct fk_shape *s, struct fk_cost *c)
{
    const double n = (double)s->rows * (double)s->cols;
    c->weight_bytes = 0;
    c->act_bytes = n * 4.0;
    c->out_bytes = n * 4.0;
    c->ops = 3.0 * n + 40.0 * (double)(s->cols / 2);
}

/* rope's per-call table, built by prepare() in double:
 *   cc[2i] = cc[2i+1] = cos(a_i),  ss[2i] = -sin(a_i), ss[2i+1] = sin(a_i),
 *   a_i = pos * theta^(-2i/cols), i < cols/2;  scratch = cc (cols) then ss (cols).
 * The rotation y = x * cc + swap_pairs(x) * ss is then evaluated in double
 * and rounded once to f32, so each output is within 0.5 ulp + 2^-50 of the
 * terms' magnitude: a rotation computed in f32 cannot be bounded in ULP of
 * its output (cancellation in x0 c - x1 s), see harness/verify.c. */
static inline size_t decode_f32__rope_scratch(const struct fk_shape *s)
{
    return 2 * (size_t)s->cols * sizeof(double);
}

static inline void decode_f32__rope_prepare(const struct fk_args *a)
{
    const int64_t cols = a->shape.cols;
    const double pos = a->param[0], theta = a->param[1];
    double *cc = a->scratch;       /* (cols) */
    double *ss = cc + cols;        /* (cols) */
    for (int64_t i = 0; i < cols / 2; i++) {
        const double ang = pos * pow(theta, -2.0 * (double)i / (double)cols);
        const double c = cos(ang), s = sin(ang);
        cc[2 * i] = cc[2 * i + 1] = c;
        ss[2 * i] = -s;
        ss[2 * i + 1] = s;
    }
}

/* ---- attention: K and V, (heads, positions, head_dim) each ---- */

/* attention: K and V read once (2 H T D floats); per head and position a
 * score dot product (2 D), scale, max, subtract, exp, sum (4 + exp) and the
 * p V accumulation (2 D); per output a final multiply. */
static inline void decode_f32__attention_cost(const struct fk_shape *s, struct fk_cost *c)
{
    const double h = (double)s->rows, d = (double)s->cols, t = (double)s->batch;
    c->weight_bytes = 2.0 * h * t * d * 4.0;
    c->act_bytes = h * d * 4.0;
    c->out_bytes = h * d * 4.0;
    c->ops = h * t * (4.0 * d + 4.0 + FK_EXP_OPS) + h * d;
}

/* Plain layout (scalar): K then V exactly as given, 2 H T D floats. */
static inline size_t decode_f32__kv_size(const struct fk_shape *s)
{
    return 2 * (size_t)s->rows * (size_t)s->batch * (size_t)s->cols * sizeof(float);
}

static inline int decode_f32__kv_pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 1 || s->batch < 1)
        return -1;
    memcpy(packed, w, decode_f32__kv_size(s));
    return 0;
}

/* Tiled layout (SIMD), tile width B positions:
 *   K tiles: (heads, ceil(T/B), head_dim, B) -- each tile holds K^T of B
 *            consecutive positions, so the B scores of a tile come from
 *            head_dim broadcast-FMAs over contiguous rows; positions past T
 *            in the last tile are zero (their scores are masked off);
 *   then V:  (heads, T, head_dim), as given.
 * Offsets in floats: K tile (h, b) at (h * nblk + b) * D * B; V row (h, t)
 * at kt_floats + (h * T + t) * D. */
static inline int64_t decode_f32__kt_floats(const struct fk_shape *s, int64_t B)
{
    const int64_t nblk = (s->batch + B - 1) / B;
    return s->rows * nblk * s->cols * B;
}

static inline size_t decode_f32__kvt_size(const struct fk_shape *s, int64_t B)
{
    return ((size_t)decode_f32__kt_floats(s, B) + (size_t)s->rows * (size_t)s->batch * (size_t)s->cols) *
           sizeof(float);
}

static inline int decode_f32__kvt_pack(const struct fk_shape *s, const float *w, void *packed, int64_t B)
{
    if (s->rows < 1 || s->cols < 1 || s->batch < 1)
        return -1;
    const int64_t H = s->rows, D = s->cols, T = s->batch, nblk = (T + B - 1) / B;
    float *kt = packed;                                      /* (H, nblk, D, B) */
    const float *k = w;                                      /* (H, T, D) */
    const float *v = w + H * T * D;                          /* (H, T, D) */
    for (int64_t h = 0; h < H; h++)
        for (int64_t b = 0; b < nblk; b++)
            for (int64_t d = 0; d < D; d++)
                for (int64_t j = 0; j < B; j++) {
                    const int64_t t = b * B + j;
                    kt[((h * nblk + b) * D + d) * B + j] = t < T ? k[(h * T + t) * D + d] : 0.0f;
                }
    memcpy(kt + decode_f32__kt_floats(s, B), v, (size_t)(H * T * D) * sizeof(float));
    return 0;
}

#endif /* FK_DECODE_F32_H */
