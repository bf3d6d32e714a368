/* `falsify check`: correctness of every kernel a hypothesis names against
 * the oracle, then each hypothesis judged, then results written. */
#ifndef FK_CHECK_H
#define FK_CHECK_H

#include <stdint.h>

#include "hypo.h"
#include "registry.h"
#include "verify.h"

enum fk_verdict { FK_SUPPORTED = 0, FK_FALSIFIED, FK_INCONCLUSIVE, FK_UNTESTABLE };

/* Run-wide context: passed everywhere, no globals. */
struct fk_ctx {
    struct fk_registry reg;
    uint64_t cpu;
    char oracle_dir[512];
    char results_dir[512];   /* results/<machine> */
    char machine[128];
    char cpu_model[128];
    char python[256];        /* interpreter with NumPy for oracle/gen.py */
    char oracle_script[512];
    unsigned seed;           /* oracle case seed */
    unsigned long long rng_seed;  /* sample-order randomisation */
    int ncpu;                /* usable cores */
    int mutants;             /* judge mutants (and only mutants) as subjects */
    int quiet;
};

/* Kernel measurement row (kernels.csv). */
struct fk_krow {
    const struct fk_entry *en;
    struct fk_shape shape;
    int threads;
    enum fk_cache cache;
    int checked;              /* correctness ran */
    int correct;              /* passed the gate */
    int crashed;
    char note[600];           /* failure / crash message */
    struct fk_errstats es;
    double bound;             /* gate bound */
    double *ns;               /* per-call ns samples */
    int nns, capns;
};

/* Hypothesis verdict row (hypotheses.csv). */
struct fk_hrow {
    const struct fk_hypo *h;
    char kernel[96];
    char shape[64];           /* "64x64", or "all" for the aggregate */
    int aggregate;
    int threads;
    enum fk_verdict verdict;
    double figure, lo, hi;    /* figure and its confidence interval */
    int64_t n;                /* samples (pairs) or outputs */
    double median_a_ns, median_b_ns;  /* subject, baseline (speedup) */
    char reason[600];
};

struct fk_run {
    struct fk_krow *k;
    int nk;
    struct fk_hrow *h;
    int nh;
    int kernel_failures;      /* wrong or crashed kernels */
    int guard_falsified;
};

const char *fk_verdict_name(enum fk_verdict v);

/* Ensures oracle vectors exist for (op, shape, formats) list; runs the
 * Python oracle for missing ones. */
int fk_oracle_ensure(const struct fk_ctx *c, char **specs, int nspecs, struct fk_err *e);

/* Judges hypotheses h[0..nh).  Fills run.  Returns 0, or -1 on bad input
 * (message in e, nothing judged). */
int fk_check_run(struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_run *run, struct fk_err *e);
void fk_run_free(struct fk_run *run);

/* Verdict table on stdout. */
void fk_print_table(const struct fk_run *run, FILE *f);
/* results/<machine>/kernels.csv and hypotheses.csv, atomically. */
int fk_write_results(const struct fk_ctx *c, const struct fk_run *run, struct fk_err *e);

#endif
