/* Llama-2-architecture models for `falsify decode`: hyper-parameters and
 * weight tensors, from seeded synthetic presets at real shapes, llama2.c
 * checkpoints or GGUF v3 files (both mmap'd, never copied when a plugin can
 * read the bytes as they are), and a GGUF writer for synthetic models.
 *
 * Tensors keep the layout GGML and llama2.c use: a matrix is (rows, cols)
 * row-major, rows = outputs, cols = the reduction length; quantized rows
 * are GGML blocks (kernels/quant.h). */
#ifndef FK_MODEL_H
#define FK_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/kernel.h"
#include "util.h"

/* Hyper-parameters. */
struct fk_model_cfg {
    int dim;          /* model width */
    int hidden;       /* FFN width */
    int n_layers;
    int n_heads;
    int n_kv_heads;   /* GQA: n_heads % n_kv_heads == 0 */
    int vocab;
    int seq_len;      /* context limit */
    float rope_theta; /* 10000 for Llama 2 */
    float norm_eps;   /* RMSNorm epsilon (1e-5; llama2.c uses 1e-5) */
};

/* Sanity limits for files (bigger is treated as a corrupt header). */
#define FK_MODEL_MAX_DIM 65536
#define FK_MODEL_MAX_LAYERS 1024
#define FK_MODEL_MAX_VOCAB (1 << 20)
#define FK_MODEL_MAX_SEQ (1 << 20)

/* One tensor: (rows, cols), cols the reduction length; 1-D tensors have
 * rows = 1.  data points into the mapped file or into owned memory. */
struct fk_tensor {
    char name[64];
    enum fk_format fmt;
    int64_t rows, cols;
    const void *data;    /* rows * fk_format_row_bytes(fmt, cols) bytes */
    size_t bytes;
    void *owned;         /* fk_alloc'd storage (NULL when data is in a mapping) */
};

struct fk_layer {
    struct fk_tensor att_norm;  /* (dim) f32 */
    struct fk_tensor wq;        /* (n_heads * head_dim, dim) */
    struct fk_tensor wk, wv;    /* (n_kv_heads * head_dim, dim) */
    struct fk_tensor wo;        /* (dim, n_heads * head_dim) */
    struct fk_tensor ffn_norm;  /* (dim) f32 */
    struct fk_tensor w1, w3;    /* (hidden, dim): gate, up */
    struct fk_tensor w2;        /* (dim, hidden): down */
};

/* Weight configurations of the presets (and the activation format each
 * matmul runs with). */
enum fk_wconf { FK_WCONF_F32 = 0, FK_WCONF_INT4, FK_WCONF_W4A8, FK_WCONF_Q8_0, FK_WCONF_Q4_K, FK_WCONF_COUNT };

struct fk_model {
    char name[128];            /* preset name or file */
    char source[64];           /* "synthetic seed N", "llama2.c", "gguf" */
    struct fk_model_cfg cfg;
    enum fk_format acts;       /* activation format of the matmuls: F32, or Q8_0 (W4A8) */
    char wconf[16];            /* "f32", "int4", "w4a8", "q8_0", "q4_k", or "file" */
    struct fk_tensor tok_emb;  /* (vocab, dim); rows looked up, dequantized by the harness */
    struct fk_tensor final_norm; /* (dim) f32 */
    struct fk_tensor cls;      /* (vocab, dim); data may alias tok_emb (shared classifier) */
    struct fk_layer *layers;   /* n_layers */
    void *map;                 /* mmap of the file, or NULL */
    size_t map_bytes;
    double load_s;             /* wall time to build or map the model */
    char note[256];            /* e.g. tensors stored in a fallback format */
};

/* Presets: "tiny" (a small random model for tests: dim 256, hidden 512,
 * 2 layers, 4 heads, 2 KV heads, vocab 512, seq 128), "stories15M",
 * "stories110M", "tinyllama" (TinyLlama-1.1B shape). */
int fk_model_preset_cfg(const char *preset, struct fk_model_cfg *cfg, struct fk_err *e);
int fk_wconf_parse(const char *s, enum fk_wconf *out, struct fk_err *e);
const char *fk_wconf_name(enum fk_wconf w);

/* Seeded weights: every tensor from its own stream (seed, layer, tensor),
 * f32 values quantized with ggml's reference quantizers into the
 * configuration's format.  Q4_K tensors whose cols are not a multiple of
 * 256 fall back to Q8_0, as llama.cpp does (named in m->note). */
int fk_model_synthetic(struct fk_model *m, const char *preset, const struct fk_model_cfg *cfg, enum fk_wconf w,
                       uint64_t seed, struct fk_err *e);

/* Loads a llama2.c checkpoint or a GGUF v3 file (told apart by the magic),
 * mmap'd.  Every rule broken names the file, the byte offset and the rule. */
int fk_model_load(struct fk_model *m, const char *path, struct fk_err *e);
int fk_model_load_llama2c(struct fk_model *m, const char *path, struct fk_err *e);
int fk_model_load_gguf(struct fk_model *m, const char *path, struct fk_err *e);

/* Writes m as GGUF v3 (llama architecture, a synthetic vocabulary "<0xNN>"
 * / "tok%d"), atomically.  F32, Q4_0, Q8_0, Q4_K tensors as stored. */
int fk_model_export_gguf(const struct fk_model *m, const char *path, struct fk_err *e);
/* Writes m as a llama2.c checkpoint (f32 only: dequantizes). */
int fk_model_export_llama2c(const struct fk_model *m, const char *path, struct fk_err *e);

/* For the oracle (oracle/forward.py): DIR/config.txt (one "key value" a
 * line) and DIR/<tensor>.npy, each tensor dequantized to f32 exactly as
 * the harness dequantizes it. */
int fk_model_dump_npy(const struct fk_model *m, const char *dir, struct fk_err *e);

void fk_model_free(struct fk_model *m);

/* Dequantizes row r of t into out (cols floats). */
void fk_tensor_row_f32(const struct fk_tensor *t, int64_t r, float *out);
/* Dequantizes the whole tensor into out (rows * cols floats). */
void fk_tensor_f32(const struct fk_tensor *t, float *out);

/* Bytes of all weight tensors (the classifier once if shared). */
double fk_model_weight_bytes(const struct fk_model *m);
/* Bytes one decode step must read: every matmul weight, the norms, one
 * embedding row (not the whole table unless it is also the classifier). */
double fk_model_step_weight_bytes(const struct fk_model *m);

#endif
