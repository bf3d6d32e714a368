/* Layouts shared by the register-blocked W4A8 GEMMs (gemm.w4a8.avx512vnni,
 * gemm.w4a8.avx2): Q4_0 weights repacked in panels of nr rows in {K/4, N, 4}
 * VNNI order (as ggml's AMX path), and the per-call Q8_0 activations.
 *
 *   panel p, block b: 16 nr bytes of quants, 4 vectors of 4 nr bytes; in
 *   vector v (v < 4), lane j (row nr p + j) holds GGML qs[4v .. 4v+3] of
 *   that row's block b: low nibbles = elements 4v..4v+3, high nibbles =
 *   elements 16+4v..16+4v+3.  After all blocks, the nr fp16 scales of each
 *   block.  Rows past the end are zero; each panel starts 64-byte aligned.
 *   to_ggml() inverts this byte for byte.
 *   scratch (prepare): (batch, nb) Q8_0 blocks (GGML layout), then (batch,
 *   nb) f32 dx (the fp16 scale as f32), then (batch, nb) int32 -8 sum(qx);
 *   each part 64-byte aligned.
 * Static inline only (STYLE 4): each plugin compiles it with its own flags. */
#ifndef FK_GEMM_W4A8_H
#define FK_GEMM_W4A8_H

#include <string.h>

#include "quant.h"

static inline int64_t gemm_w4a8__round64(int64_t n)
{
    return (n + 63) & ~(int64_t)63;
}

/* Bytes of one panel of nr rows over nb blocks. */
static inline int64_t gemm_w4a8__panel_bytes(int64_t nb, int64_t nr)
{
    return gemm_w4a8__round64(nb * 16 * nr + nb * nr * 2);
}

static inline size_t gemm_w4a8__packed_size(const struct fk_shape *s, int64_t nr)
{
    const int64_t panels = (s->rows + nr - 1) / nr;
    return (size_t)(panels * gemm_w4a8__panel_bytes(s->cols / FK_Q4_0_BLOCK, nr));
}

static inline int gemm_w4a8__pack(const struct fk_shape *s, const float *w, void *packed, int64_t nr)
{
    if (s->rows < 1 || s->cols < 1 || s->cols % FK_Q4_0_BLOCK != 0)
        return -1;
    const int64_t nb = s->cols / FK_Q4_0_BLOCK, pb = gemm_w4a8__panel_bytes(nb, nr), qs_b = 16 * nr;
    uint8_t *out = packed;
    for (int64_t p = 0; p * nr < s->rows; p++) {
        uint8_t *qs = out + p * pb;
        uint16_t *d = (uint16_t *)(qs + nb * qs_b);
        for (int64_t b = 0; b < nb; b++)
            for (int64_t j = 0; j < nr; j++) {
                const int64_t r = p * nr + j;
                fk_block_q4_0 blk = {0, {0}};
                if (r < s->rows)
                    fk_quantize_row_q4_0_ref(w + r * s->cols + b * FK_Q4_0_BLOCK, &blk, FK_Q4_0_BLOCK);
                d[b * nr + j] = blk.d;
                for (int t = 0; t < 16; t++)
                    qs[b * qs_b + (t / 4) * 4 * nr + j * 4 + t % 4] = blk.qs[t];
            }
    }
    return 0;
}

/* packed panels -> (rows, cols/32) plain GGML Q4_0 blocks. */
static inline int gemm_w4a8__to_ggml(const struct fk_shape *s, const void *packed, void *ggml, int64_t nr)
{
    const int64_t nb = s->cols / FK_Q4_0_BLOCK, pb = gemm_w4a8__panel_bytes(nb, nr), qs_b = 16 * nr;
    const uint8_t *in = packed;
    fk_block_q4_0 *out = ggml;
    for (int64_t r = 0; r < s->rows; r++) {
        const uint8_t *qs = in + (r / nr) * pb;
        const uint16_t *d = (const uint16_t *)(qs + nb * qs_b);
        const int64_t j = r % nr;
        for (int64_t b = 0; b < nb; b++) {
            out[r * nb + b].d = d[b * nr + j];
            for (int t = 0; t < 16; t++)
                out[r * nb + b].qs[t] = qs[b * qs_b + (t / 4) * 4 * nr + j * 4 + t % 4];
        }
    }
    return 0;
}

static inline int64_t gemm_w4a8__dx_offset(const struct fk_shape *s)
{
    return gemm_w4a8__round64(s->batch * (s->cols / FK_Q8_0_BLOCK) * FK_Q8_0_BYTES);
}

static inline int64_t gemm_w4a8__sx_offset(const struct fk_shape *s)
{
    return gemm_w4a8__dx_offset(s) + gemm_w4a8__round64(s->batch * (s->cols / FK_Q8_0_BLOCK) * 4);
}

static inline size_t gemm_w4a8__prepare_size(const struct fk_shape *s)
{
    return (size_t)(gemm_w4a8__sx_offset(s) + s->batch * (s->cols / FK_Q8_0_BLOCK) * 4);
}

/* x: (batch, cols) -> the scratch above, one block at a time through
 * quantize(x32, blk) -> sum of the 32 quants (bit-exact with
 * fk_quantize_row_q8_0_ref). */
static inline void gemm_w4a8__prepare(const struct fk_args *a, int32_t (*quantize)(const float *, fk_block_q8_0 *))
{
    const struct fk_shape *s = &a->shape;
    const int64_t nb = s->cols / FK_Q8_0_BLOCK;
    fk_block_q8_0 *xq = a->scratch;
    float *dx = (float *)((uint8_t *)a->scratch + gemm_w4a8__dx_offset(s));
    int32_t *sx = (int32_t *)((uint8_t *)a->scratch + gemm_w4a8__sx_offset(s));
    for (int64_t i = 0; i < s->batch * nb; i++) {
        const int32_t sum = quantize(a->x + i * FK_Q8_0_BLOCK, &xq[i]);
        dx[i] = fk_fp16_to_f32(xq[i].d);
        sx[i] = -8 * sum;
    }
}

static inline int32_t gemm_w4a8__load_i32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The layout entry points of a plugin with panels of nr rows:
 * prefix##__packed_size, __pack, __to_ggml, __prepare_size. */
#define GEMM_W4A8_LAYOUT(prefix, nr)                                                            \
    static size_t prefix##__packed_size(const struct fk_shape *s) { return gemm_w4a8__packed_size(s, nr); } \
    static int prefix##__pack(const struct fk_shape *s, const float *w, void *packed)           \
    {                                                                                           \
        return gemm_w4a8__pack(s, w, packed, nr);                                               \
    }                                                                                           \
    static int prefix##__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)      \
    {                                                                                           \
        return gemm_w4a8__to_ggml(s, packed, ggml, nr);                                         \
    }                                                                                           \
    static size_t prefix##__prepare_size(const struct fk_shape *s) { return gemm_w4a8__prepare_size(s); }

#endif /* FK_GEMM_W4A8_H */
