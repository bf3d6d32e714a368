/* Oracle cases, kernel instances bound to them, and error metrics. */
#ifndef FK_VERIFY_H
#define FK_VERIFY_H

#include <stdint.h>

#include "../kernels/kernel.h"
#include "npy.h"
#include "util.h"

/* Element counts of an op's operands for a shape (kernel.h conventions). */
struct fk_op_layout {
    int64_t w;          /* pack input floats (0: the op has none) */
    int64_t x;          /* primary input floats */
    int64_t x2;         /* second input floats (0: none) */
    int64_t y;          /* outputs */
    int reduction;      /* outputs are reductions: gauge metric applies */
};
int fk_op_layout(enum fk_op op, const struct fk_shape *s, struct fk_op_layout *l);
/* Which partition row ([0, rows)) output element i belongs to. */
int64_t fk_op_output_row(enum fk_op op, const struct fk_shape *s, int64_t i);

/* One oracle case: op, shape, seed; inputs and the float64 references for
 * the formats a kernel sees (see oracle/gen.py). */
struct fk_case {
    enum fk_op op;
    struct fk_shape shape;
    unsigned seed;
    enum fk_format wf, af;
    struct fk_op_layout lay;
    char dir[600];
    struct fk_npy w;      /* pack input, f32 (count 0 if the op has none) */
    struct fk_npy wq;     /* GGML blocks of w in format wf, uint8 (quantized wf only) */
    struct fk_npy x;      /* activations, f32 */
    struct fk_npy x2;     /* second input, f32 (count 0 if none) */
    struct fk_npy params; /* float64[4] op parameters (count 0 if none) */
    struct fk_npy ref;    /* float64 reference for (wf, af): kernel arithmetic error */
    struct fk_npy gauge;  /* float64 error scale per output (count 0 for elementwise ops) */
    struct fk_npy ref32;  /* float64 reference for f32 operands: quantization error */
    struct fk_npy gauge32;
};

/* Oracle case directory name: "<op>-RxCxB-s<seed>". */
void fk_case_name(enum fk_op op, const struct fk_shape *s, unsigned seed, char *buf, size_t n);
/* Oracle spec for gen.py: "op:RxCxB:seed:wf:af". */
void fk_case_spec(enum fk_op op, const struct fk_shape *s, unsigned seed, enum fk_format wf,
                  enum fk_format af, char *buf, size_t n);
/* Whether the case's reference files exist. */
int fk_case_present(const char *oracle_dir, enum fk_op op, const struct fk_shape *s, unsigned seed,
                    enum fk_format wf, enum fk_format af);

int fk_case_load(struct fk_case *c, const char *oracle_dir, enum fk_op op, const struct fk_shape *s,
                 unsigned seed, enum fk_format wf, enum fk_format af, struct fk_err *e);
void fk_case_free(struct fk_case *c);

/* Guarded buffers for the correctness gate: each sits against a PROT_NONE
 * guard page so an access past it faults (fk_guard_note names it to the
 * sandbox's fault handler).
 *   FK_GUARD_AFTER:  the buffer ends flush against the guard page (its
 *                    start stays FK_ALIGN-aligned, so when bytes is not a
 *                    multiple of FK_ALIGN the < FK_ALIGN bytes between its
 *                    end and the guard are canary bytes, checked after
 *                    each call);
 *   FK_GUARD_BEFORE: the buffer starts right after a guard page (and a
 *                    second guard follows its canaried tail). */
enum fk_guard_mode { FK_GUARD_NONE = 0, FK_GUARD_AFTER, FK_GUARD_BEFORE };
#define FK_CANARY_BYTE 0xA5
struct fk_gbuf {
    const char *name;     /* for messages: "w (packed)", "x", "y", ... */
    void *p;              /* the buffer, FK_ALIGN-aligned, zero-filled */
    size_t bytes;
    size_t tail;          /* canary bytes after p + bytes */
    void *map;            /* the mapping (NONE mode: fk_alloc'd p) */
    size_t map_bytes;
    enum fk_guard_mode mode;
};
/* Allocates g (bytes may be 0: p = NULL).  Returns p, or NULL on failure. */
void *fk_gbuf_alloc(struct fk_gbuf *g, const char *name, size_t bytes, enum fk_guard_mode mode);
/* Index of the first clobbered canary byte after the buffer, or -1. */
int64_t fk_gbuf_tail_clobbered(const struct fk_gbuf *g);
void fk_gbuf_free(struct fk_gbuf *g);

/* Arithmetic work of one call of op at shape, estimated by the harness
 * (never by the plugin): for deadlines. */
double fk_op_work(enum fk_op op, const struct fk_shape *s);

/* A kernel bound to a case: packed operand, scratch and output buffers. */
enum { FK_IB_W, FK_IB_PACKED, FK_IB_X, FK_IB_X2, FK_IB_SCRATCH, FK_IB_Y, FK_IB_COUNT };
struct fk_inst {
    const struct fk_kernel *k;
    struct fk_args a;
    void *packed;
    size_t packed_bytes;
    int64_t out_count;     /* floats in a.y */
    struct fk_cost cost;
    struct fk_gbuf buf[FK_IB_COUNT];  /* every buffer handed to the plugin */
    int fd;                /* >= 0: a sandbox job: plugin calls are announced on it */
};

/* Packs (untimed) and allocates.  x is copied so instances never share
 * writable memory. */
int fk_inst_init(struct fk_inst *in, const struct fk_kernel *k, const struct fk_case *c, struct fk_err *e);
/* The same with every buffer in guard mode `mode`, and every plugin call
 * (packed_size, pack, prepare_size, cost) announced on sandbox fd (>= 0)
 * so a fault or hang in it is reported as that call. */
int fk_inst_init_guarded(struct fk_inst *in, const struct fk_kernel *k, const struct fk_case *c,
                         enum fk_guard_mode mode, int fd, struct fk_err *e);

/* As fk_inst_init, for timing: when cache names a file and the plugin has
 * no release() (its packed weights are plain bytes), the packed weights are
 * read from that file if it holds exactly packed_size() bytes, instead of
 * calling pack(); otherwise pack() runs, and if it took longer than
 * FK_PACK_CACHE_MIN_S its output is written there for the next replicate.
 * Each replicate still gets its own fresh allocation; the gate never uses
 * this (it checks pack() itself, guarded). */
#define FK_PACK_CACHE_MIN_S 0.25
int fk_inst_init_cached(struct fk_inst *in, const struct fk_kernel *k, const struct fk_case *c, const char *cache,
                        struct fk_err *e);
void fk_inst_free(struct fk_inst *in);
/* One single-threaded call: prepare, then run over all rows. */
void fk_inst_call(const struct fk_inst *in);
/* prepare, then run over [0, rows) in pieces of `piece` rows (tests). */
void fk_inst_call_split(const struct fk_inst *in, int64_t piece);

/* Error of outputs y against the float64 reference.
 *   gauge (reductions): rho_i = |y_i - z_i| / (2^-24 * g_i)   (g_i = 0: rho = 0 if exact, else inf)
 *   ulp:                |y_i - z_i| / ulp32(z_i), ulp32(z) = 2^(max(floor(log2|z|), -126) - 23)
 * A non-finite y_i counts as infinite error. */
struct fk_errstats {
    int64_t n;
    double gauge_max, gauge_p99;
    int64_t gauge_worst;   /* index of gauge_max, -1 if no gauge */
    double ulp_max;
    int64_t ulp_worst;
    int64_t nonfinite;
};
void fk_error_stats(const float *y, const double *ref, const double *gauge, int64_t n, struct fk_errstats *s);

/* The correctness gate: the bound no correct kernel can exceed, by op.
 * Reductions: the worst-case rounding bound of any summation order of K
 * products, gamma_K = K u / (1 - K u), in gauge units (u = 2^-24), plus 2
 * roundings for output and scale.  metric says which statistic it bounds. */
double fk_gate_bound(const struct fk_kernel *k, const struct fk_shape *s, const char **metric);
/* Gauge units of the integer-dot bound (W4A8, Q8_0 x Q8_0) at reduction
 * length cols: see verify.c. */
double fk_intdot_gauge_bound(double cols);
/* Whether stats pass the gate. */
int fk_gate_pass(const struct fk_kernel *k, const struct fk_shape *s, const struct fk_errstats *st);

#endif
