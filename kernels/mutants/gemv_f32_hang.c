/* gemv.f32.mutant-hang — DELIBERATELY WRONG: run() never returns.  Without
 * a deadline it stops the whole run (and a killed harness used to leave it
 * spinning).  Caught by the sandbox deadline: the fork child's process
 * group is killed; in-process, a SIGALRM watchdog jumps out of the call
 * (class: hang). */
#include <assert.h>
#include <stdint.h>

#include "../gemv_f32.h"

/* Spins forever (a volatile store per turn: the loop is not removable). */
static void gemv_f32_hang__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    volatile int64_t spin = 0;
    for (;;)
        spin = spin + 1;
}

static const struct fk_kernel gemv_f32_hang = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.mutant-hang",
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
    .run = gemv_f32_hang__run,
    .cost = gemv_f32__cost,
};

FK_PLUGIN(&gemv_f32_hang);
