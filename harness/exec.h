/* A kernel instance driven the way it is measured: threads from the pool
 * (prepare on thread 0, a barrier, then block-aligned row chunks), and in
 * cold-cache mode a rotation over enough copies of the packed weights to
 * exceed the last-level cache, so every call streams weights from DRAM. */
#ifndef FK_EXEC_H
#define FK_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "hypo.h"
#include "pool.h"
#include "verify.h"

struct fk_exec {
    const struct fk_inst *in;
    struct fk_args a;        /* per-call args (w switched per call when cold) */
    struct fk_pool *pool;    /* NULL when threads == 1 */
    int threads;
    enum fk_cache cache;
    void **copies;           /* cold: ncopies packed weight copies (copies[0] = in->packed) */
    int ncopies;
    int next;
    uint64_t packed_hash;    /* of the packed weights as packed: inputs are read-only */
};

/* cold: copies so that ncopies * packed_bytes >= 2 * llc_bytes (at most 64,
 * and at most max_bytes in all).  pool may be NULL if threads == 1. */
int fk_exec_init(struct fk_exec *x, const struct fk_inst *in, struct fk_pool *pool, int threads,
                 enum fk_cache cache, size_t llc_bytes, struct fk_err *e);
void fk_exec_free(struct fk_exec *x);
/* One timed call (fk_call_fn signature). */
void fk_exec_call(void *x);
/* Correctness where the timing runs: the outputs of the last call against
 * the case's reference within the gate bound (fk_gate_pass), and the
 * inputs unchanged (x, x2 against the case, every packed copy against its
 * hash).  0, or -1 with the reason in why (naming threads and cache). */
int fk_exec_verify(const struct fk_exec *x, const struct fk_case *cs, char *why, size_t n);

#endif
