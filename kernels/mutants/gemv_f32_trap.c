/* Mutant: faults (illegal instruction) on any shape with more than one row,
 * as a kernel built for an ISA the CPU lacks would.  The harness must report
 * it as crashed, naming the plugin and the case, and finish the run. */
#include "../gemv_f32.h"

static void gemv_f32_mutant_trap__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    const int64_t cols = a->shape.cols;
    const float *w = a->w; /* (rows, cols) */
    if (a->shape.rows > 1)
        __builtin_trap();
    for (int64_t r = r0; r < r1; r++) {
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += w[r * cols + c] * a->x[c];
        a->y[r] = acc;
    }
}

static const struct fk_kernel gemv_f32_mutant_trap = {
    .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = "gemv.f32.mutant-trap", .isa = "scalar",
    .op = FK_OP_GEMV, .weights = FK_FMT_F32, .acts = FK_FMT_F32, .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 1, .row_block = 1, .packed_size = gemv_f32__packed_size, .pack = gemv_f32__pack,
    .run = gemv_f32_mutant_trap__run, .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_mutant_trap);
