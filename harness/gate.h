/* The correctness gate: one sandbox job per (kernel, shape) that checks a
 * kernel against the oracle the ways a hostile or careless plugin could
 * fool a plain comparison:
 *   - the error against the float64 reference, within fk_gate_bound;
 *   - pack reproduces the oracle's GGML bytes (through to_ggml if repacked);
 *   - every buffer ends flush against a PROT_NONE guard page (first pass)
 *     or starts right after one (second pass), with canaries in the
 *     alignment slack: over-reads and over-writes fault or show, named;
 *   - inputs (x, x2, packed weights) unchanged after every call;
 *   - FK_GATE_CALLS calls in one job, bit-identical outputs;
 *   - the rows split into row_block pieces run in descending order, each
 *     into a freshly canaried output: a write outside [r0, r1) is caught
 *     whichever neighbour it hits.
 * Beyond the hypotheses' shapes, fk_gate_edge_shapes derives the shapes
 * that find tail and row-offset bugs from each kernel's cols_multiple and
 * row_block, plus seeded random shapes. */
#ifndef FK_GATE_H
#define FK_GATE_H

#include "../kernels/kernel.h"
#include "verify.h"

#define FK_GATE_CALLS 12          /* full calls in the first pass (>= 10: a per-10-calls glitch shows) */
#define FK_GATE_CALLS_BIG 3       /* ... when one call is more than FK_GATE_BIG_OPS */
#define FK_GATE_BIG_OPS 5e8
#define FK_GATE_MAX_PIECES 64     /* split check: at most this many pieces (each a multiple of row_block) */
#define FK_GATE_RANDOM_SHAPES 2   /* seeded random shapes per kernel per run */
#define FK_GATE_MAX_EDGE 48       /* edge + random shapes per kernel, at most */

/* One gate job.  Everything the job allocates hangs off it, so the caller
 * frees it with fk_gate_job_free after the sandbox returns, even when an
 * in-process fault jumped out of the job half-way. */
struct fk_gate_job {
    const struct fk_kernel *k;
    struct fk_shape shape;
    const char *oracle_dir;
    unsigned seed;
    /* owned state */
    struct fk_case cs;
    struct fk_inst in;
    unsigned char *pristine;   /* packed weights as pack() left them */
    float *y1;                 /* outputs of the first call */
    float *pieces;             /* split check: the pieces' own rows, assembled */
    struct fk_gbuf ggml;       /* to_ggml output, against a guard page too */
};

/* The sandbox job (fk_job_fn).  Messages: FK_MSG_COST, FK_MSG_ERRSTATS
 * (i[0] = 0: against the reference the gate bounds; 1: against the f32
 * operands), FK_MSG_FAIL with i[0] = FK_FAIL_WRONG for each broken rule. */
int fk_gate_child(void *job, int fd);
void fk_gate_job_free(struct fk_gate_job *j);
/* Deadline of one gate job (sandbox.h rule). */
double fk_gate_deadline(const struct fk_kernel *k, const struct fk_shape *s, int emulated);

/* Edge shapes for k: cols = m j for j in 32..63 and {1, 3, 7} (every
 * residue of cols / m mod 16 and mod 32, with and without a full vector
 * body before the tail), rows = 2 row_block + r for r in 1..row_block-1,
 * a large row index (4096 + row_block + 1 rows), and
 * FK_GATE_RANDOM_SHAPES random small shapes from seed; only shapes k
 * accepts.  Returns the count (<= max). */
int fk_gate_edge_shapes(const struct fk_kernel *k, unsigned long long seed, struct fk_shape *out, int max);

#endif
