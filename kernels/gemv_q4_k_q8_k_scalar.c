/* gemv.q4_k_q8_k.scalar — Q4_K weights x Q8_K activations, ggml's
 * arithmetic for a Q4_K matrix: prepare() quantizes x with ggml's
 * quantize_row_q8_K_ref (inside the timed call), run() takes per
 * super-block the exact integer dot of the nibbles with the 6-bit scales
 * and the dmin * m term from the Q8_K per-16 sums (gemv_qdot.h).  The
 * f32-activation kernel is gemv.q4_k.*.  Built true scalar (FLAGS_scalar). */
#include "gemv_qdot.h"

/* Rows [r0, r1); w: (rows, cols/256) Q4_K blocks, scratch: (cols/256) Q8_K blocks. */
static void gemv_q4_k_q8_k_scalar__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(a->shape.cols >= 256 && a->shape.cols % 256 == 0);
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t nb = a->shape.cols / 256;
    const fk_block_q4_k *w = a->w;
    const fk_block_q8_k *x = a->scratch;
    for (int64_t r = r0; r < r1; r++)
        a->y[r] = qdot__dot_q4_k_q8_k(w + r * nb, x, nb);
}

static const struct fk_kernel gemv_q4_k_q8_k_scalar = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.q4_k_q8_k.scalar",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_Q4_K,
    .acts = FK_FMT_Q8_K,
    .requires = 0,
    .flags = 0,
    .cols_multiple = 256,
    .row_block = 1,
    .packed_size = qdot__packed_size_q4_k,
    .pack = qdot__pack_q4_k,
    .prepare_size = qdot__prepare_size_q8_k,
    .prepare = qdot__prepare_q8_k,
    .run = gemv_q4_k_q8_k_scalar__run,
    .cost = qdot__cost_q4_k_q8_k,
};

FK_PLUGIN(&gemv_q4_k_q8_k_scalar);
