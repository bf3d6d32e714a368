/* A timed comparison: one or two "arms" (a kernel at some threads and cache
 * mode, a read probe over the same bytes, or a barrier), sampled in
 * interleaved pairs in random order.  It is run as FK_REPLICATES
 * independent replicates, each a fresh sandboxed child (fresh allocations,
 * a random heap offset, its own warm-up and batch size, its own clock and
 * overhead checks); the caller spreads them in time by interleaving the
 * replicates of all comparisons.  The parent recomputes every figure from
 * the raw samples the children stream back and judges the replicates
 * (fk_judge_replicates). */
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
    double min_time_s;             /* > 0: measure (bench): each replicate samples for this many seconds
                                    * and at least FK_REP_MIN_PAIRS pairs, up to FK_MEASURE_MAX_PAIRS */
    int replicates;                /* 0: FK_REPLICATES; bench --repetitions: 1..FK_MAX_REPLICATES */
};

#define FK_MEASURE_MAX_PAIRS 100000  /* a sample lasts >= 1 ms: 100 s of samples */
#define FK_MAX_REPLICATES 64

/* Replicates t runs: t->replicates, or FK_REPLICATES. */
int fk_timed_replicates(const struct fk_timed *t);

struct fk_timed_out {
    enum fk_verdict verdict;
    double fig, lo, hi;
    int n;                         /* pairs, over the valid replicates */
    int R;                         /* valid replicates */
    int runs;                      /* replicates run (valid or discarded) */
    int rep_n[FK_MAX_REPLICATES];  /* pairs of valid replicate r */
    double between_share;          /* between-replicate share of the log-variance */
    int unstable;
    double median_ns[2], min_ns[2];
    double *ns[2];                 /* raw samples, ns per call, n each, replicate after replicate (malloc'd) */
    int64_t reps[2];               /* calls per sample (largest over replicates) */
    /* clock and overhead sanity, worst over the replicates run */
    double timer_res_ns, overhead_ns;
    double mhz_drift;              /* |end - start| / start of the CPU clock; NaN: unreadable */
    int discarded;                 /* replicates whose sample set broke a sanity bound */
    char discard_why[200];
    double wall_s;                 /* replicates' wall time, summed (as the parent saw it) */
    double phase_s[3];             /* of which set-up, calibration + first check, sampling */
    int crashed;
    int wrong_arm;                 /* -1, or the arm whose timed outputs or inputs failed fk_exec_verify */
    char reason[600];
};

/* The statistic of one pair (see judge.h) from its two times. */
double fk_pair_value(const struct fk_timed *t, double ns0, double ns1);

/* Starts out empty (free with fk_timed_out_free). */
void fk_timed_out_init(struct fk_timed_out *out);
/* Runs replicate r (0-based) of t in a fresh child and appends its samples
 * to out, or counts it discarded; -1 when no child could be started. */
int fk_timed_replicate(const struct fk_timed *t, int r, struct fk_timed_out *out, struct fk_err *e);
/* The verdict over the replicates in out. */
void fk_timed_judge(const struct fk_timed *t, struct fk_timed_out *out);
void fk_timed_out_free(struct fk_timed_out *out);

#endif
