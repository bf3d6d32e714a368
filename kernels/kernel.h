/* falsify plugin ABI.
 *
 * One plugin = one source file in kernels/ = one shared object under
 * build/kernels/, compiled with that variant's ISA flags only.  The plugin
 * exports one symbol, FK_ENTRY_SYMBOL, returning a struct fk_plugin that
 * lists its descriptor(s).  The harness owns memory, threads and time; a
 * kernel is pure: no malloc, no I/O, no exit, no threads.
 *
 * This header holds types, constants and static inline helpers only, so no
 * function compiled with a plugin's ISA flags leaks into the harness.
 *
 * Call sequence for one timed call (the harness drives it):
 *   once, untimed:  packed = aligned(packed_size(shape)); pack(shape, w, packed)
 *   per call, timed:
 *       prepare(args)                 -- one thread, before the rows
 *       run(args, r0, r1) per thread  -- disjoint row ranges covering [0, rows)
 *
 * Operand conventions per op (all f32 buffers row-major, 64-byte aligned):
 *
 *   FK_OP_GEMV   y[r] = sum_c W[r][c] * x[c]
 *                pack input w: (rows, cols) f32; x: (cols); y: (rows)
 *   FK_OP_GEMM   Y[m][r] = sum_c W[r][c] * X[m][c]         (m < batch)
 *                pack input w: (rows, cols) f32; x: (batch, cols); y: (batch, rows)
 *                run(r0, r1) computes columns r0..r1-1 of Y for every m.
 *   FK_OP_DOT    y[0] = sum_c a[c] * x[c]; rows = 1
 *                pack input w: a (cols); x: (cols); y: (1)
 *   FK_OP_RMSNORM y[r][c] = x[r][c] * g[c] / sqrt(mean_c(x[r][.]^2) + eps)
 *                pack input w: g (cols); x, y: (rows, cols); param[0] = eps
 *   FK_OP_SOFTMAX y[r][c] = exp(x[r][c] - max_r) / sum_c exp(x[r][c] - max_r)
 *                no pack input (w == NULL); x, y: (rows, cols)
 *   FK_OP_SWIGLU y[r][c] = silu(x[r][c]) * x2[r][c], silu(a) = a / (1 + exp(-a))
 *                no pack input; x, x2, y: (rows, cols)
 *   FK_OP_ROPE   rotate pairs (x[2i], x[2i+1]) of each row by angle
 *                pos * theta^(-2i/cols); rows = heads, cols = head_dim (even)
 *                no pack input; x, y: (rows, cols); param[0] = pos, param[1] = theta
 *   FK_OP_ATTENTION single-query attention per head over a KV cache:
 *                y[h] = softmax(K[h] q[h] * scale) . V[h]
 *                rows = heads, cols = head_dim, batch = cached positions
 *                pack input w: K (rows, batch, cols) then V (rows, batch, cols)
 *                x = q: (rows, cols); y: (rows, cols); param[0] = scale
 *
 * Threading: the harness partitions [0, rows) into chunks whose starts are
 * multiples of row_block; the last chunk may be shorter, so every kernel
 * handles any r1 - r0 >= 1.  run() must only write y entries belonging to
 * its rows (for GEMM: column range r0..r1-1 of every output row).
 */
#ifndef FK_KERNEL_H
#define FK_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define FK_ABI_VERSION 1u
#define FK_ENTRY_SYMBOL "fk_plugin_entry"
#define FK_BUILD_SYMBOL "fk_plugin_build"  /* optional: compiler and flags string */
#define FK_ALIGN 64   /* every buffer the harness passes is aligned to this */

enum fk_op {
    FK_OP_NONE = 0,
    FK_OP_GEMV,
    FK_OP_GEMM,
    FK_OP_DOT,
    FK_OP_RMSNORM,
    FK_OP_SOFTMAX,
    FK_OP_SWIGLU,
    FK_OP_ROPE,
    FK_OP_ATTENTION,
    FK_OP_COUNT
};

/* Weight and activation formats.  Quantized formats are GGML-exact blocks:
 *   Q4_0: {fp16 d; uint8 qs[16]}  18 B per 32; low nibble of qs[j] = elem j,
 *         high nibble = elem j+16; value = (q - 8) * d, q in [0,15]
 *   Q8_0: {fp16 d; int8 qs[32]}   34 B per 32; value = q * d
 *   Q4_K: {fp16 d; fp16 dmin; uint8 scales[12]; uint8 qs[128]} 144 B per 256
 * Plain int8 formats of the int8 peers (oneDNN), all arithmetic in f32:
 *   S8_ROW weights, symmetric per output row: {f32 d; int8 q[cols]} per row,
 *         d = max_c |w| / 127, q = rintf(w / d) in [-127, 127] (d = 0: q = 0);
 *         value = q * d
 *   U8_ASYM activations, ONNX DynamicQuantizeLinear per tensor: lo = min(0,
 *         min x), hi = max(0, max x), s = (hi - lo) / 255, zp = rintf(-lo / s)
 *         clamped to [0, 255], q = clamp(rintf(x / s) + zp, 0, 255) (s = 0:
 *         q = zp = 0); value = (q - zp) * s.  rintf rounds half to even.
 * Activation format of the K-quant integer dots (ggml):
 *   Q8_K: {f32 d; int8 qs[256]; int16 bsums[16]} 292 B per 256; value = q * d,
 *         bsums[i] = sum of qs[16i..16i+15] */
enum fk_format {
    FK_FMT_NONE = 0,
    FK_FMT_F32,
    FK_FMT_F16,
    FK_FMT_Q4_0,
    FK_FMT_Q8_0,
    FK_FMT_Q4_K,
    FK_FMT_S8_ROW,   /* peer int8 weights: per row {f32 d; int8 q[cols]}, value = q * d */
    FK_FMT_U8_ASYM,  /* peer int8 activations: uint8 q, one f32 scale and zero point per tensor */
    FK_FMT_Q8_K,
    FK_FMT_COUNT
};

#define FK_Q4_0_BLOCK 32
#define FK_Q4_0_BYTES 18
#define FK_Q8_0_BLOCK 32
#define FK_Q8_0_BYTES 34
#define FK_Q4_K_BLOCK 256
#define FK_Q4_K_BYTES 144
#define FK_Q8_K_BLOCK 256
#define FK_Q8_K_BYTES 292

/* CPU features a kernel may require.  The harness detects them at run time
 * (x86: CPUID + XGETBV, AMX also the Linux XTILEDATA permission; aarch64:
 * getauxval HWCAP) and never calls a kernel whose bits are not all present. */
#define FK_CPU_AVX        (1ull << 0)
#define FK_CPU_AVX2       (1ull << 1)
#define FK_CPU_FMA        (1ull << 2)
#define FK_CPU_F16C       (1ull << 3)
#define FK_CPU_AVX512F    (1ull << 4)
#define FK_CPU_AVX512BW   (1ull << 5)
#define FK_CPU_AVX512VL   (1ull << 6)
#define FK_CPU_AVX512DQ   (1ull << 7)
#define FK_CPU_AVX512VNNI (1ull << 8)
#define FK_CPU_AVX512BF16 (1ull << 9)
#define FK_CPU_AVXVNNI    (1ull << 10)
#define FK_CPU_AMX_TILE   (1ull << 11)
#define FK_CPU_AMX_INT8   (1ull << 12)
#define FK_CPU_AMX_BF16   (1ull << 13)
#define FK_CPU_NEON       (1ull << 32)  /* aarch64 asimd */
#define FK_CPU_DOTPROD    (1ull << 33)  /* asimddp: sdot/udot */
#define FK_CPU_I8MM       (1ull << 34)
#define FK_CPU_SVE        (1ull << 35)
#define FK_CPU_FP16       (1ull << 36)  /* aarch64 fphp + asimdhp */

/* Descriptor flags. */
#define FK_KERNEL_MUTANT   (1u << 0)  /* deliberately wrong: never in normal runs */
#define FK_KERNEL_EMULATED (1u << 1)  /* runs through a software model: no speed verdicts */
#define FK_KERNEL_REPACKED (1u << 2)  /* packed layout is not plain GGML blocks: to_ggml required */
#define FK_KERNEL_PEER     (1u << 3)  /* a library a user would pick instead (OpenBLAS, BLIS, oneDNN):
                                       * matched only by its exact name, never by a glob or a role;
                                       * provenance() required */

struct fk_shape {
    int64_t rows;   /* output rows (GEMV/GEMM: weight rows N; attention/rope: heads) */
    int64_t cols;   /* row length / reduction length K; attention/rope: head_dim */
    int64_t batch;  /* GEMM: activation rows M; attention: cached positions; else 1 */
};

/* What one call moves and performs, for bandwidth and roofline figures.
 * Bytes count the operand as stored (weights with their scales). */
struct fk_cost {
    double weight_bytes;  /* packed operand read once per call */
    double act_bytes;     /* activations read (f32 inputs, and prepared form) */
    double out_bytes;     /* outputs written */
    double ops;           /* arithmetic ops: 2 per multiply-add */
};

struct fk_args {
    struct fk_shape shape;
    const void *w;       /* packed operand (pack output), NULL if the op has none */
    const float *x;      /* primary f32 input, shape per op (see top of file) */
    const float *x2;     /* second f32 input (SwiGLU b), else NULL */
    void *scratch;       /* prepare_size(shape) bytes, written by prepare, read by run */
    float *y;            /* outputs, shape per op */
    float param[4];      /* op parameters (see top of file) */
};

struct fk_kernel {
    uint32_t abi;            /* FK_ABI_VERSION */
    uint32_t size;           /* sizeof(struct fk_kernel) as compiled into the plugin */
    const char *name;        /* "op.format.variant", e.g. "gemv.q4_0.avx2" */
    const char *isa;         /* ISA family for reports: scalar avx2 avx512 avx512vnni neon amx ... */
    enum fk_op op;
    enum fk_format weights;  /* format of the packed operand (FK_FMT_NONE if none) */
    enum fk_format acts;     /* format run() consumes: F32, or Q8_0 after prepare (W4A8) */
    uint64_t requires;       /* FK_CPU_* bits, all needed */
    uint32_t flags;          /* FK_KERNEL_* */
    int32_t cols_multiple;   /* cols must be a multiple of this (>= 1) */
    int32_t row_block;       /* rows per partition granule (>= 1) */

    /* Bytes of the packed operand for this shape; 0 if the op has none. */
    size_t (*packed_size)(const struct fk_shape *s);
    /* Convert f32 operand w to the kernel's layout, once, outside timing.
     * Returns 0, or negative if the shape cannot be packed. */
    int (*pack)(const struct fk_shape *s, const float *w, void *packed);
    /* For FK_KERNEL_REPACKED: rebuild plain row-major GGML blocks from the
     * packed layout, so the bit-exact check covers repacked layouts too. */
    int (*to_ggml)(const struct fk_shape *s, const void *packed, void *ggml);
    /* Scratch bytes prepare() needs (NULL or 0: none). */
    size_t (*prepare_size)(const struct fk_shape *s);
    /* Per-call work on the activations, inside timing (e.g. x -> Q8_0). */
    void (*prepare)(const struct fk_args *a);
    /* Compute output rows [r0, r1). */
    void (*run)(const struct fk_args *a, int64_t r0, int64_t r1);
    /* Bytes and ops of one call. */
    void (*cost)(const struct fk_shape *s, struct fk_cost *c);

    /* ---- optional, appended: a plugin built before these fields existed
     * has size == FK_KERNEL_SIZE_V1 and is read as if they were NULL ---- */

    /* Peers: library, version and the code path it chooses for shape s
     * (s == NULL: library and version only), NUL-terminated into buf.
     * Untimed; may call into the library.  Returns 0, or negative. */
    int (*provenance)(const struct fk_shape *s, char *buf, size_t n);
    /* Frees what pack() acquired outside the packed buffer (a peer's
     * library objects); called once on the buffer pack() wrote, never on
     * the harness's cold copies of it.  NULL: nothing to free. */
    void (*release)(const struct fk_shape *s, void *packed);
};

/* Descriptor size before provenance and release were appended. */
#define FK_KERNEL_SIZE_V1 (offsetof(struct fk_kernel, provenance))

/* The optional fields, NULL where the plugin's descriptor predates them. */
static inline int (*fk_kernel_provenance(const struct fk_kernel *k))(const struct fk_shape *, char *, size_t)
{
    return k->size > FK_KERNEL_SIZE_V1 ? k->provenance : NULL;
}
static inline void (*fk_kernel_release(const struct fk_kernel *k))(const struct fk_shape *, void *)
{
    return k->size >= sizeof(struct fk_kernel) ? k->release : NULL;
}

struct fk_plugin {
    uint32_t abi;                        /* FK_ABI_VERSION */
    uint32_t count;                      /* entries in kernels */
    const struct fk_kernel *const *kernels;
};

typedef const struct fk_plugin *(*fk_entry_fn)(void);

/* Defines the plugin's single exported entry.  Usage:
 *   FK_PLUGIN(&fk_gemv_f32_avx2);                                       */
#define FK_PLUGIN(...)                                                      \
    static const struct fk_kernel *const fk_plugin_list_[] = {__VA_ARGS__}; \
    static const struct fk_plugin fk_plugin_ = {                            \
        FK_ABI_VERSION,                                                     \
        (uint32_t)(sizeof fk_plugin_list_ / sizeof fk_plugin_list_[0]),     \
        fk_plugin_list_};                                                   \
    __attribute__((visibility("default"))) const struct fk_plugin *fk_plugin_entry(void); \
    const struct fk_plugin *fk_plugin_entry(void) { return &fk_plugin_; }  \
    __attribute__((visibility("default"))) extern const char fk_plugin_build[]; \
    const char fk_plugin_build[] = FK_COMPILER_NAME " " __VERSION__ " " FK_BUILD_FLAGS

/* Compiler flags the Makefile used for this plugin (provenance). */
#ifdef __clang__
#define FK_COMPILER_NAME "clang"
#else
#define FK_COMPILER_NAME "gcc"
#endif
#ifndef FK_BUILD_FLAGS
#define FK_BUILD_FLAGS "(flags not recorded)"
#endif

/* ---- static inline helpers shared by kernels and harness ---- */

/* Bytes of one row of `cols` elements stored in format f (cols a multiple of
 * the block size for block formats). */
static inline size_t fk_format_row_bytes(enum fk_format f, int64_t cols)
{
    switch (f) {
    case FK_FMT_F32:  return (size_t)cols * 4;
    case FK_FMT_F16:  return (size_t)cols * 2;
    case FK_FMT_Q4_0: return (size_t)(cols / FK_Q4_0_BLOCK) * FK_Q4_0_BYTES;
    case FK_FMT_Q8_0: return (size_t)(cols / FK_Q8_0_BLOCK) * FK_Q8_0_BYTES;
    case FK_FMT_Q4_K: return (size_t)(cols / FK_Q4_K_BLOCK) * FK_Q4_K_BYTES;
    case FK_FMT_S8_ROW: return (size_t)cols + 4;
    case FK_FMT_U8_ASYM: return (size_t)cols;  /* + 8 B scale and zero point per tensor */
    case FK_FMT_Q8_K: return (size_t)(cols / FK_Q8_K_BLOCK) * FK_Q8_K_BYTES;
    default:          return 0;
    }
}

/* Cost of a matrix-vector family op (GEMV, GEMM with batch rows, DOT):
 * weights in format wf once, f32 activations (batch, cols), f32 outputs
 * (batch, rows), plus the prepared activations if af is not F32. */
static inline void fk_matvec_cost(const struct fk_shape *s, enum fk_format wf,
                                  enum fk_format af, struct fk_cost *c)
{
    double m = s->batch > 0 ? (double)s->batch : 1.0;
    c->weight_bytes = (double)s->rows * (double)fk_format_row_bytes(wf, s->cols);
    c->act_bytes = m * (double)s->cols * 4.0;
    if (af != FK_FMT_F32 && af != FK_FMT_NONE)
        c->act_bytes += m * (double)fk_format_row_bytes(af, s->cols);
    c->out_bytes = m * (double)s->rows * 4.0;
    c->ops = 2.0 * m * (double)s->rows * (double)s->cols;
}

#endif /* FK_KERNEL_H */
