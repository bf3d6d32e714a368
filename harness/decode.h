/* `falsify decode`: a Llama-2 forward pass in which every op is a
 * registered plugin, chosen per op, driven with threads from the harness
 * pool exactly as check drives a kernel (prepare on thread 0, a barrier,
 * block-aligned row chunks from fk_partition).
 *
 * Plugin ops: rmsnorm, the projections and the classifier (GEMV at decode;
 * GEMM at prefill, batch = prompt length, when a GEMM plugin exists for the
 * weight x activation format, else the GEMV plugin once per prompt row),
 * rope, attention (the KV cache is kept in f32 by the harness and handed to
 * the attention plugin's pack() per step, since the plugin owns its K/V
 * layout), swiglu.  Harness code, not kernels: the token embedding lookup
 * (one row dequantized), the residual adds, the KV-cache append and gather,
 * and the greedy argmax. */
#ifndef FK_DECODE_H
#define FK_DECODE_H

#include <stdint.h>

#include "model.h"
#include "pool.h"
#include "registry.h"

/* Time breakdown of the forward pass (one slot per op kind). */
enum fk_dop {
    FK_DOP_EMBED = 0,  /* harness */
    FK_DOP_RMSNORM,
    FK_DOP_QKV,        /* wq, wk, wv */
    FK_DOP_ROPE,
    FK_DOP_KV,         /* harness: cache append and gather, plugin pack of K/V */
    FK_DOP_ATTENTION,
    FK_DOP_WO,
    FK_DOP_FFN_UP,     /* w1, w3 */
    FK_DOP_SWIGLU,
    FK_DOP_FFN_DOWN,   /* w2 */
    FK_DOP_RESIDUAL,   /* harness */
    FK_DOP_CLS,        /* classifier */
    FK_DOP_ARGMAX,     /* harness */
    FK_DOP_COUNT
};
const char *fk_dop_name(enum fk_dop op);

/* Per-op overrides: a plugin name (exact), NULL = the best runnable
 * variant by declared ISA preference. */
struct fk_decode_opts {
    const char *gemv, *gemm, *attention, *rmsnorm, *rope, *swiglu;
    int threads;        /* >= 1; a pool is created when > 1 */
    int no_gemm;        /* prefill through the GEMV plugin row by row */
    int gemm_decode;    /* decode tokens (batch 1) through the GEMM plugin too (AMX tiles at batch 1) */
    int max_ctx;        /* KV-cache positions to allocate (0 or > seq_len: seq_len) */
};

/* A matmul: weights and the packed operand of each plugin used on it. */
struct fk_mm {
    const struct fk_tensor *t;
    const struct fk_entry *gemv, *gemm;   /* gemm NULL: prefill uses gemv per row */
    const void *wv, *wm;                  /* packed operands (may be t->data: no copy) */
    void *own_v, *own_m;
};

struct fk_decoder {
    const struct fk_model *m;
    struct fk_decode_opts o;
    struct fk_pool *pool;
    int threads;
    const struct fk_entry *rmsnorm, *rope, *attention, *swiglu;
    struct fk_mm *mm;            /* n_layers * 7 (q k v o w1 w3 w2) + 1 (classifier) */
    void **norm_packed;          /* 2 * n_layers + 1 packed gains (att, ffn per layer; final) */
    int maxp;                    /* prompt rows the buffers hold */
    float *x, *xb, *q, *qr, *k, *v, *att, *ob, *h1, *h3, *hs;  /* (maxp, width) activations */
    float *logits;               /* (vocab) */
    float *kcache, *vcache;      /* (n_layers, n_kv, ctx, head_dim) */
    float *stage;                /* (2, n_kv, ctx, head_dim): K then V for the plugin's pack */
    void *kv_packed;             /* attention packed operand at ctx positions */
    float *qg, *og;              /* (n_kv, head_dim): one query head per KV head */
    void *scratch;               /* largest prepare() scratch */
    size_t scratch_bytes;
    int pos;                     /* positions in the cache */
    int ctx;                     /* positions the cache holds: min(seq_len, max_ctx) */
    double op_ns[FK_DOP_COUNT];  /* accumulated since the last reset */
    char gemm_note[256];         /* why prefill fell back to GEMV, if it did */
    double packed_extra_bytes;   /* bytes of packed copies made (not mapped) */
    enum fk_dop cur_op;          /* what the plugin call in progress computes, for the watch (watch.h) */
    int cur_layer, cur_pos, cur_npos;  /* its layer and positions cur_pos.. +cur_npos-1 (-1: none) */
};

/* The plugin for (op, weights, acts): fk_registry_best of "op.format"
 * (declared ISA preference, never scalar, emulated or a mutant), else the
 * scalar reference variant; NULL with why if neither runs here. */
const struct fk_entry *fk_decode_best(const struct fk_registry *reg, enum fk_op op, enum fk_format w,
                                      enum fk_format a, char *why, size_t n);

/* Chooses plugins, packs weights, allocates the cache for min(seq_len,
 * o->max_ctx) positions and prompts of up to maxp tokens.  mut (may be NULL) is
 * searched too for overrides (mutants by name only). */
int fk_decoder_init(struct fk_decoder *d, const struct fk_model *m, const struct fk_registry *reg,
                    const struct fk_registry *mut, const struct fk_decode_opts *o, int maxp, struct fk_err *e);
void fk_decoder_free(struct fk_decoder *d);
void fk_decoder_reset(struct fk_decoder *d);   /* empty cache, zero op times */

/* Runs n tokens at positions pos..pos+n-1 (n == 1: GEMV path; n > 1: the
 * prefill path) and leaves the last position's logits in d->logits.
 * -1 with a message if the context would exceed seq_len or n > maxp. */
int fk_decoder_forward(struct fk_decoder *d, const int *tokens, int n, struct fk_err *e);

/* Greedy argmax (the first maximum), timed as FK_DOP_ARGMAX. */
int fk_decoder_argmax(struct fk_decoder *d);

/* One line naming the plugin chosen for each op. */
void fk_decoder_describe(const struct fk_decoder *d, char *buf, size_t n);

/* Bound on the logit error of this engine against the float64 forward
 * pass on the dequantized weights, in units of 2^-24 x the classifier's
 * gauge sum_j |Wcls_ij| |xn_j| (see decode.c for the derivation). */
double fk_decode_logit_bound(const struct fk_model *m);

/* Synthetic prompt: n token ids in [1, vocab) from seed. */
void fk_decode_prompt(int *tokens, int n, int vocab, uint64_t seed);

#endif
