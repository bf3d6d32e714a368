/* Persistent thread pool owned by the harness: kernels stay single-threaded
 * and the pool runs run(r0, r1) on disjoint row chunks.
 *
 * Workers are pinned one per core (when the affinity mask allows), wait for
 * work by spinning on a generation counter for a short while and then
 * sleeping on a condition variable, so an idle pool does not steal a core
 * from a single-threaded measurement.  Joining a parallel region uses the
 * pool's barrier: a C11 atomic sense-reversing spin barrier, or a
 * pthread_barrier (FK_BARRIER_PTHREAD), itself measured. */
#ifndef FK_POOL_H
#define FK_POOL_H

#include <stdint.h>

#include "util.h"

enum fk_barrier_mode { FK_BARRIER_SPIN = 0, FK_BARRIER_PTHREAD };

struct fk_pool;

/* fn runs once on every thread of the region: tid in [0, nthreads). */
typedef void (*fk_task_fn)(void *ctx, int tid, int nthreads);

int fk_pool_create(struct fk_pool **out, int nthreads, enum fk_barrier_mode mode, struct fk_err *e);
void fk_pool_destroy(struct fk_pool *p);
int fk_pool_size(const struct fk_pool *p);

/* Runs fn on nthreads threads (the caller is tid 0; 1 <= nthreads <= size)
 * and returns when all have finished. */
void fk_pool_run(struct fk_pool *p, int nthreads, fk_task_fn fn, void *ctx);

/* Barrier among the nthreads of the current region (callable inside fn). */
void fk_pool_barrier(struct fk_pool *p);

/* Block-aligned chunk of [0, rows) for thread tid of n: starts are
 * multiples of block; the last non-empty chunk takes the remainder. */
void fk_partition(int64_t rows, int64_t block, int tid, int n, int64_t *r0, int64_t *r1);

/* Usable cores (sched_getaffinity), >= 1. */
int fk_usable_cores(void);

#endif
