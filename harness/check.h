/* `falsify check`: correctness of every kernel a hypothesis names against
 * the oracle, then each hypothesis judged, then results written. */
#ifndef FK_CHECK_H
#define FK_CHECK_H

#include <stdint.h>

#include "hypo.h"
#include "ident.h"
#include "judge.h"
#include "machine.h"
#include "progress.h"
#include "registry.h"
#include "verify.h"

/* Why a verdict is UNTESTABLE, worst last.  Only the first three are
 * legitimate in a suite whose claims travel: the claim's own capability is
 * absent (CPU feature, cores) or times mean nothing (emulation).  naming: a
 * kernel named by ISA where a role would have found one, a role nothing
 * answers, a baseline missing; failed: a kernel failed or could not run. */
enum fk_ucause {
    FK_UC_NONE = 0,
    FK_UC_EMULATED,    /* emulator or software model: no speed verdicts */
    FK_UC_CORES,       /* more threads than usable cores */
    FK_UC_CAPABILITY,  /* a CPU feature the claim (or the globbed kernel) needs is absent or masked */
    FK_UC_FAILED,
    FK_UC_NAMING,
    FK_UC_COUNT
};
const char *fk_ucause_name(enum fk_ucause u);

/* Run-wide context: passed everywhere, no globals. */
struct fk_ctx {
    struct fk_registry reg;
    uint64_t cpu;
    char oracle_dir[512];
    char results_dir[512];   /* results/<machine> */
    char pack_cache[512];    /* during the timed replicates: a private folder of slow pack() outputs
                              * (fk_inst_init_cached), removed at the end; "" = none */
    char machine[128];
    char cpu_model[128];
    char python[256];        /* interpreter with NumPy for oracle/gen.py */
    char oracle_script[512];
    unsigned seed;           /* oracle case seed */
    unsigned long long rng_seed;  /* sample-order randomisation */
    int ncpu;                /* usable cores */
    int mutants;             /* judge mutants (and only mutants) as subjects */
    int emulated;            /* running under an emulator: no speed verdicts */
    int in_process;          /* correctness jobs without fork (sandbox.h): emulated runs */
    const struct fk_machine *ceilings; /* machine ceilings (roofline), NULL if not measured */
    int quiet;
    int plan;                /* --plan: resolve and classify, measure nothing */
    char isa_mask[128];      /* --isa / FALSIFY_ISA as given ("" = none) */
    uint64_t cpu_detected;   /* features before the --isa mask (0: same as cpu) */
    const struct fk_ident *ident;  /* machine identity and provenance (NULL: not read) */
    char run_id[64];         /* this invocation: results/<machine>/runs/<run_id>/ */
    struct fk_progress *progress;      /* [i/N] progress and ETA (progress.h); NULL: plain lines */
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
    struct fk_errstats es;    /* against the reference on the operands as the kernel sees them */
    struct fk_errstats es32;  /* against the f32 operands: the format's quantization error (reported) */
    double bound;             /* gate bound */
    double *ns;               /* per-call ns samples */
    int nns, capns;
    int broken;               /* broke a gate rule (bounds, inputs, determinism, rows) or hung */
    int hung;                 /* killed at its deadline */
    int edge;                 /* an edge or random shape of the gate, not a hypothesis shape */
    int has_cost;
    struct fk_cost cost;      /* the plugin's cost(), as the sandboxed gate job reported it */
};

/* One raw timing sample (samples.csv): every summary is recomputable. */
struct fk_sample {
    char hypothesis[64];
    char arm[128];            /* kernel name, "read", "barrier.spin" ... */
    char shape[64];
    int threads;
    enum fk_cache cache;
    int pair, slot;
    int replicate;            /* 0-based valid replicate the pair belongs to */
    double ns;                /* per call */
    long long reps;           /* calls in the sample */
};

struct fk_tqueue;

/* Hypothesis verdict row (hypotheses.csv). */
struct fk_hrow {
    const struct fk_hypo *h;
    char kernel[96];
    char baseline[96];        /* the baseline kernel it was timed against ("" if none or unresolved) */
    char shape[64];           /* "64x64", or the worst shape for the aggregate */
    int aggregate;
    int threads;
    enum fk_cache cache;
    char level[16];           /* roofline: memory level of the working set */
    double extra;             /* scaling: Karp-Flatt serial fraction; roofline: reference GB/s */
    enum fk_verdict verdict;
    enum fk_ucause cause;     /* why UNTESTABLE */
    double figure, lo, hi;    /* figure and its confidence interval */
    int64_t n;                /* samples (pairs) or outputs */
    double median_a_ns, median_b_ns;  /* subject, baseline (speedup) */
    int replicates;           /* timed: valid replicates judged */
    double between_share;     /* timed: between-replicate share of the variance (NaN: none) */
    double timer_res_ns, overhead_ns, mhz_drift; /* timed: clock and overhead sanity (worst replicate) */
    int64_t batch_calls;      /* timed: calls per sample of the subject */
    char reason[600];
};

struct fk_run {
    struct fk_krow *k;
    int nk;
    struct fk_sample *s;
    int ns, caps;
    struct fk_hypo aa;        /* the A/A self-check, judged like a parity hypothesis */
    int aa_biased;
    struct fk_hrow *h;
    int nh;
    struct fk_tqueue *tq;     /* timed comparisons between the two passes (check.c) */
    int kernel_failures;      /* wrong or crashed kernels */
    int guard_falsified;
    int untestable;           /* aggregate verdicts UNTESTABLE */
    int guard_unmatched;      /* guards whose subject matches no kernel built for this architecture */
    int edge_checked;         /* edge and random shapes the gate checked */
    unsigned long long shape_seed;  /* seed of the gate's random shapes */
    /* where the timing went: comparisons (measured, and judged from another
     * hypothesis's identical measurement), replicates run, their wall
     * seconds and of those set-up, calibration + first check, sampling */
    int timed_jobs, timed_shared, timed_reps;
    double timed_wall_s, timed_phase_s[3];
};

/* The plugin's cost() for (kernel, shape), from the sandboxed correctness
 * job (the harness never calls a plugin outside a sandbox); NULL if none
 * came back. */
const struct fk_cost *fk_run_cost(const struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s);

/* Ensures oracle vectors exist for (op, shape, formats) list; runs the
 * Python oracle for missing ones. */
int fk_oracle_ensure(const struct fk_ctx *c, char **specs, int nspecs, struct fk_err *e);

/* Checks every hypothesis against the kernels it names (shapes each kernel
 * can take, harness subjects) before anything runs: 0, or -1 naming file,
 * line and rule. */
int fk_check_validate(const struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_err *e);

/* Judges hypotheses h[0..nh).  Fills run.  Returns 0, or -1 on bad input
 * (message in e, nothing judged). */
int fk_check_run(struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_run *run, struct fk_err *e);
void fk_run_free(struct fk_run *run);

/* UNTESTABLE aggregate verdicts by cause into counts; returns the number of
 * UNTESTABLE rows (any) whose cause is naming, failed or unclassified. */
int fk_untestable_counts(const struct fk_run *run, int counts[FK_UC_COUNT]);

/* Verdict table on stdout. */
void fk_print_table(const struct fk_run *run, FILE *f);
/* results/<machine>/kernels.csv and hypotheses.csv, atomically. */
int fk_write_results(const struct fk_ctx *c, const struct fk_run *run, struct fk_err *e);

#endif
