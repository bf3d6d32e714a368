/* gemm.w4a8.scalar — the reference W4A8 GEMM: Q4_0 weights x Q8_0
 * activations, Y[m][r] = sum_b dw[r][b] * dx[m][b] * sum_j qw[r][b][j] * qx[m][b][j]
 * with qw = nibble - 8 in [-8,7] and qx in [-127,127].
 *
 *   pack():    W -> plain GGML Q4_0 rows, (rows, cols/32) blocks of 18 B,
 *              by the reference quantizer (bit-exact with ggml's).
 *   prepare(): X -> (batch, cols/32) Q8_0 blocks of 34 B in scratch, by the
 *              reference quantizer: the oracle's reference is the product of
 *              exactly these dequantized operands.
 *   run():     per output and per block an exact int32 dot (|sum| <= 32 * 8 *
 *              127 < 2^15), then sumf += (sumi * dw) * dx in f32, blocks in
 *              order, as ggml's generic ggml_vec_dot_q4_0_q8_0.
 * Built with FLAGS_scalar: no vectorization, no fused multiply-add. */
#include <assert.h>

#include "quant.h"

static size_t gemm_w4a8_scalar__packed_size(const struct fk_shape *s)
{
    return (size_t)s->rows * fk_format_row_bytes(FK_FMT_Q4_0, s->cols);
}

/* w: (rows, cols) f32 -> packed: (rows, cols/32) Q4_0 blocks. */
static int gemm_w4a8_scalar__pack(const struct fk_shape *s, const float *w, void *packed)
{
    if (s->rows < 1 || s->cols < 1 || s->cols % FK_Q4_0_BLOCK != 0)
        return -1;
    const int64_t nb = s->cols / FK_Q4_0_BLOCK;
    fk_block_q4_0 *out = packed;
    for (int64_t r = 0; r < s->rows; r++)
        fk_quantize_row_q4_0_ref(w + r * s->cols, out + r * nb, s->cols);
    return 0;
}

static size_t gemm_w4a8_scalar__prepare_size(const struct fk_shape *s)
{
    return (size_t)s->batch * fk_format_row_bytes(FK_FMT_Q8_0, s->cols);
}

/* x: (batch, cols) f32 -> scratch: (batch, cols/32) Q8_0 blocks. */
static void gemm_w4a8_scalar__prepare(const struct fk_args *a)
{
    const int64_t nb = a->shape.cols / FK_Q8_0_BLOCK;
    fk_block_q8_0 *xq = a->scratch;
    for (int64_t m = 0; m < a->shape.batch; m++)
        fk_quantize_row_q8_0_ref(a->x + m * a->shape.cols, xq + m * nb, a->shape.cols);
}

/* Columns [r0, r1) of Y, for every batch row. */
static void gemm_w4a8_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols % FK_Q4_0_BLOCK == 0 && a->shape.batch >= 1);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);

    const int64_t rows = a->shape.rows, nb = a->shape.cols / FK_Q4_0_BLOCK;
    const fk_block_q4_0 *w = a->w;        /* (rows, nb) blocks */
    const fk_block_q8_0 *xq = a->scratch;  /* (batch, nb) blocks */
    float *y = a->y;                       /* (batch, rows) */

    for (int64_t m = 0; m < a->shape.batch; m++) {
        const fk_block_q8_0 *xm = xq + m * nb;
        for (int64_t r = r0; r < r1; r++) {
            const fk_block_q4_0 *wr = w + r * nb;
            float sumf = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                int32_t sumi = 0;
                for (int j = 0; j < 16; j++) {
                    const int32_t q0 = (wr[b].qs[j] & 0x0f) - 8;  /* nibbles [0,15] -> [-8,7] */
                    const int32_t q1 = (wr[b].qs[j] >> 4) - 8;
                    sumi += q0 * xm[b].qs[j] + q1 * xm[b].qs[j + 16];
                }
                sumf += (float)sumi * fk_fp16_to_f32(wr[b].d) * fk_fp16_to_f32(xm[b].d);
            }
            y[m * rows + r] = sumf;
        }
    }
}

static void gemm_w4a8_scalar__cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_Q4_0, FK_FMT_Q8_0, c);
}

static const struct fk_kernel gemm_w4a8_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.w4a8.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_Q4_0,
    .acts = FK_FMT_Q8_0,
    .requires = 0,
    .flags = 0,
    .cols_multiple = FK_Q4_0_BLOCK,
    .row_block = 1,
    .packed_size = gemm_w4a8_scalar__packed_size,
    .pack = gemm_w4a8_scalar__pack,
    .prepare_size = gemm_w4a8_scalar__prepare_size,
    .prepare = gemm_w4a8_scalar__prepare,
    .run = gemm_w4a8_scalar__run,
    .cost = gemm_w4a8_scalar__cost,
};

FK_PLUGIN(&gemm_w4a8_scalar);
