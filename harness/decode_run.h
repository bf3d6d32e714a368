/* `falsify decode`: measured configurations and their metrics. */
#ifndef FK_DECODE_RUN_H
#define FK_DECODE_RUN_H

#include <stdio.h>

#include "decode.h"
#include "machine.h"

struct fk_decode_result {
    char model[128], wconf[16], source[64];
    double weight_bytes;          /* the model's weights as stored */
    char level[8];                /* memory level the per-token bytes live in (hot): its ceiling bounds */
    char plugins[600], gemv[96], gemm[96], attention[96];
    int threads, prompt_len;
    int n;                        /* decode tokens measured */
    double *ns;                   /* (n) raw ns per decode token */
    double *bytes;                /* (n) bytes that token had to read: weights + KV cache */
    int *tokens;                  /* (n) greedy tokens */
    double prefill_tok_s, prefill_lo, prefill_hi;   /* median of the reps, 95% rank CI */
    double decode_tok_s, decode_lo, decode_hi;      /* median over tokens, 95% rank CI */
    double p50_ms, p90_ms, p99_ms;
    double weight_bytes_token, kv_bytes_token;      /* means over the decode tokens */
    double dram_gbs;                                /* read ceiling of that level at these threads (0: unknown) */
    double roofline_ms, fraction, fraction_lo, fraction_hi;  /* bound per token; bound / achieved */
    double op_ns[FK_DOP_COUNT];   /* per decode token */
    double peak_rss;              /* bytes, VmHWM from building the decoder (packing transients included) */
    double run_rss;               /* bytes, VmHWM while prefilling and decoding (after packing) */
    double pack_s;                /* choosing plugins and packing weights */
    double load_s;                /* building or mapping the model */
};

/* KV-cache bytes one token reads at `positions` cached positions (f32). */
double fk_decode_kv_bytes(const struct fk_model *m, int positions);

/* Builds a decoder, times prefill_reps prefills of a prompt_len prompt
 * (after one warm-up), then `steps` greedy decode tokens (after one). */
int fk_decode_measure(const struct fk_model *m, const struct fk_registry *reg, const struct fk_registry *mut,
                      const struct fk_decode_opts *o, int prompt_len, int steps, int prefill_reps,
                      const struct fk_machine *ceilings,
                      uint64_t seed, int progress, struct fk_decode_result *r, struct fk_err *e);
void fk_decode_result_free(struct fk_decode_result *r);
/* The per-token roofline figures of a measured r (level, ceiling, bound,
 * fraction with its interval) from the ceilings (NULL: none, NaN). */
void fk_decode_roofline(struct fk_decode_result *r, const struct fk_model *m, const struct fk_machine *ceilings);

/* results_dir/decode.csv, decode_tokens.csv, decode_ops.csv: rows keyed
 * by (model, weights, threads) replace earlier ones; atomic writes. */
int fk_decode_write(const char *results_dir, const char *machine, const char *cpu_model, int ncpu, int emulated,
                    const struct fk_decode_result *r, int n, struct fk_err *e);
void fk_decode_print(const struct fk_decode_result *x, FILE *f);
/* Rewrites path (atomically) with header, the lines of its old content
 * (same header) whose first nkey fields match no line of fresh, then
 * fresh (lines without header). */
int fk_decode_merge_csv(const char *path, const char *header, const char *fresh, int nkey, struct fk_err *e);

/* What main() hands the decode verb. */
struct fk_decode_env {
    const struct fk_registry *reg, *mut;
    /* machine ceilings, asked for on the first measurement only (bad input
     * and --export-gguf never wait for a measurement); returns NULL when
     * there are none (emulated): no roofline figures */
    const struct fk_machine *(*ceilings)(void *ctx);
    void *ceilings_ctx;
    const char *results_dir, *machine, *cpu_model;
    int ncpu, emulated, quiet;
    unsigned seed;
    const int *threads;
    int nthreads;
    /* engine = numpy (decode_numpy.h): the interpreter and oracle/gen.py,
     * whose folder holds forward.py; NULL: such claims are UNTESTABLE */
    const char *python, *oracle_script;
};

/* Parses the decode options in args (see usage in decode_run.c), runs and
 * writes; returns the exit status (0, 1, 2 = bad input). */
int fk_decode_cmd(const struct fk_decode_env *env, char **args, int nargs);

#endif
