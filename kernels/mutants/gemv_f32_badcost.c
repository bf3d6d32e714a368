/* gemv.f32.mutant-badcost — DELIBERATELY WRONG: a correct kernel whose
 * cost() dereferences a wild pointer.  cost() used to be called by the
 * harness itself when writing kernels.csv, so the fault killed the whole
 * run and left a 0-byte kernels.csv.tmp.  Every plugin call now runs in
 * the sandbox: reported as a crash in cost() (class: faulting cost()). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* Rows [r0, r1) of y = W x (correct). */
static void gemv_f32_badcost__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *w = a->w;  /* (rows, cols) row-major */
    for (int64_t r = r0; r < r1; r++) {
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; c++)
            acc += w[r * cols + c] * a->x[c];
        a->y[r] = acc;
    }
}

/* Writes through address 16: SIGSEGV. */
static void gemv_f32_badcost__cost(const struct fk_shape *s, struct fk_cost *c)
{
    volatile uintptr_t wild = 16;
    gemv_f32__cost(s, c);
    *(volatile double *)wild = c->ops;
}

static const struct fk_kernel gemv_f32_badcost = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-badcost",
    .isa = "scalar",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = FK_KERNEL_MUTANT,
    .cols_multiple = 1,
    .row_block = 1,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = gemv_f32_badcost__run,
    .cost = gemv_f32_badcost__cost,
};

FK_PLUGIN(&gemv_f32_badcost);
