/* A timed comparison run in a sandboxed child: one or two "arms" (a kernel
 * at some threads and cache mode, a read probe over the same bytes, or a
 * barrier), sampled in interleaved pairs in random order and judged by the
 * sequential rule of judge.h.  The parent recomputes every figure from the
 * raw samples the child streams back. */
#ifndef FK_TIMED_H
#define FK_TIMED_H

#include "check.h"
#include "judge.h"
#include "machine.h"
#include "pool.h"

enum fk_arm_type { FK_ARM_KERNEL = 1, FK_ARM_READ, FK_ARM_BARRIER };

struct fk_arm {
    enum fk_arm_type type;
    const struct fk_entry *en;     /* FK_ARM_KERNEL */
    int threads;
    enum fk_cache cache;
    enum fk_barrier_mode barrier;  /* FK_ARM_BARRIER */
    double read_bytes;             /* FK_ARM_READ: bytes per call */
    char name[128];                /* kernel name, "read", "barrier.spin", ... */
};

struct fk_timed {
    const struct fk_ctx *c;
    struct fk_judge_in judge;
    double budget_s;
    struct fk_shape shape;
    struct fk_arm arm[2];
    int narms;                     /* 1: latency; 2: pairs */
    double ops;                    /* roofline: ops per call of arm 0 */
    double peak;                   /* roofline: peak ops/s for arm 0's threads (0: no compute cap) */
    size_t llc_bytes;
};

struct fk_timed_out {
    enum fk_verdict verdict;
    double fig, lo, hi;
    int n;                         /* pairs */
    double median_ns[2], min_ns[2];
    double *ns[2];                 /* raw samples, ns per call, n each (malloc'd) */
    int64_t reps[2];
    int crashed;
    char reason[600];
};

/* The statistic of one pair (see judge.h) from its two times. */
double fk_pair_value(const struct fk_timed *t, double ns0, double ns1);

/* Runs the comparison in a child; fills out (free with fk_timed_out_free). */
int fk_timed_run(const struct fk_timed *t, struct fk_timed_out *out, struct fk_err *e);
void fk_timed_out_free(struct fk_timed_out *out);

#endif
