/* oneDNN (Debian libdnnl-dev) matmul as a peer:
 *   gemv.f32.onednn, gemm.f32.onednn    f32 x f32 -> f32
 *   gemv.w8a8.onednn, gemm.w8a8.onednn  u8 activations x s8 weights -> s32,
 *                                       dequantized to f32 here
 *
 * Built only where the library is installed (Makefile: ISAS_peer); flagged
 * FK_KERNEL_PEER (never picked by a glob or a role).  Provenance: oneDNN's
 * version, its CPU runtime and ISA, and for a shape the implementation its
 * dispatcher chose for each primitive (dnnl_query_impl_info_str, the name
 * ONEDNN_VERBOSE prints: brg:avx512_core_vnni, brg:avx512_core_amx,
 * gemm:jit, ...).
 *
 * Tiles.  The harness owns threads and hands run() a row range.  oneDNN's
 * fast matmuls (brgemm, AMX) need their dimensions fixed when the primitive
 * is created and their weights reordered to a blocked layout, so pack()
 * cuts W into tiles of ONEDNN_TILE output rows (= row_block; the last tile
 * is shorter), creates one primitive for a full tile and one for the short
 * tail, and reorders every tile's weights with oneDNN's own reorder into the
 * layout the primitive asked for (format_tag any).  run(r0, r1) executes one
 * primitive per tile; the harness's partitions start on tile boundaries, so
 * a timed call never computes a row twice (a range that cuts a tile, which
 * only the tests' odd pieces do, computes the whole tile and keeps its own
 * rows).  A tile's output is dense (batch, n): oneDNN 2.6 takes its brgemm
 * kernels only for a dense destination, and Y's column block is strided, so
 * each tile writes a staging block in scratch (tile t owns block t: threads
 * never share one) and run() copies, or dequantizes, its rows into Y.  The
 * copy is batch * n floats against the tile's batch * n * cols multiply-adds.
 * Each call is single-threaded: the Debian build
 * uses the OpenMP runtime, and run() sets omp_set_num_threads(1) for its
 * calling thread (the primitives were created under the same setting, so
 * their blocking assumes one thread).  Letting oneDNN thread itself would
 * pit its OpenMP team against our pool instead of kernel against kernel.
 *
 * Int8 scheme (kernel.h, oracle/formats.py): weights S8_ROW (symmetric, one
 * f32 scale d[r] per output row, quantized in pack), activations U8_ASYM
 * (ONNX DynamicQuantizeLinear over the whole tensor: scale s, zero point
 * zp, quantized in prepare, inside the timed call).  oneDNN computes the
 * exact integer sums acc[m][r] = sum_c qx[m][c] qw[r][c] into y (as s32);
 * then y = (acc - zp * wsum[r]) * s * d[r] in double, rounded once to f32
 * (wsum[r] = sum_c qw[r][c], from pack).  The oracle's reference for
 * (s8_row, u8_asym) is the exact product of the same dequantized operands,
 * so the gate checks oneDNN's integer arithmetic and our quantization (the
 * weight bytes exactly, through to_ggml, which reorders oneDNN's blocked
 * tiles back to plain rows).  Only where the CPU has VNNI: without it
 * oneDNN's u8 x s8 paths use vpmaddubsw, whose int16 pair sums saturate
 * (255 * 127 * 2 > 32767), and the result is not that arithmetic.
 *
 * Not pure like our kernels: oneDNN allocates its primitives, memory
 * objects and scratchpads; pack's objects are freed by release().  Their
 * handles live in the packed buffer's header; weights are addressed by
 * offset from the buffer, so the harness's cold copies of it work. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "kernel.h"

#define ONEDNN_TILE 256        /* output rows per primitive: row_block */
#define ONEDNN_HEADER 256      /* bytes before the first weight tile */
#define ONEDNN_MAGIC 0x31306e6e64656e6full
#define ONEDNN_ACTS_OFF 64     /* int8 scratch: {f32 s; int32 zp}, then q (batch, cols) */

struct onednn_packed {                 /* at offset 0 of the packed buffer */
    uint64_t magic;
    int32_t int8;                      /* 1: u8 x s8 -> s32, dequantized here */
    int32_t ntiles;                    /* tiles, the tail included */
    int64_t tail;                      /* rows of the last tile (ONEDNN_TILE if rows divide) */
    dnnl_engine_t engine;
    dnnl_primitive_desc_t pd[2];       /* [0] a full tile, [1] the tail (NULL if none) */
    dnnl_primitive_t prim[2];
    size_t tile_bytes[2];              /* blocked weight bytes of a full tile and of the tail */
    size_t weights_off;                /* tile t at weights_off + t * tile_bytes[0] */
    size_t scale_off;                  /* int8: f32 d[rows] */
    size_t wsum_off;                   /* int8: int32 wsum[rows] */
};
_Static_assert(sizeof(struct onednn_packed) <= ONEDNN_HEADER, "header must fit its reserved bytes");

/* The zero-point term of the int8 dequantization, zp * wsum[r].
 * kernels/mutants/gemv_w8a8nozp_onednn.c redefines it (to 0) and includes
 * this file without its plugin list (ONEDNN_NO_PLUGIN). */
#ifndef ONEDNN_ZP_TERM
#define ONEDNN_ZP_TERM(zp, wsum_r) ((int64_t)(zp) * (wsum_r))
#endif

static size_t onednn__align(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

static int64_t onednn__ntiles(const struct fk_shape *s)
{
    return (s->rows + ONEDNN_TILE - 1) / ONEDNN_TILE;
}

static int64_t onednn__tail(const struct fk_shape *s)
{
    return s->rows - (onednn__ntiles(s) - 1) * ONEDNN_TILE;
}

/* Matmul of one tile of n output rows: src (batch, cols), weights (cols, n)
 * in the layout oneDNN prefers, dst (batch, n) dense (a staging block). */
static dnnl_status_t onednn__pd(dnnl_engine_t eng, const struct fk_shape *s, int64_t n, int int8,
                                dnnl_primitive_desc_t *pd)
{
    dnnl_memory_desc_t src, wei, dst;
    dnnl_dims_t sd = {s->batch, s->cols}, wd = {s->cols, n}, dd = {s->batch, n};
    dnnl_status_t st = dnnl_memory_desc_init_by_tag(&src, 2, sd, int8 ? dnnl_u8 : dnnl_f32, dnnl_ab);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&wei, 2, wd, int8 ? dnnl_s8 : dnnl_f32, dnnl_format_tag_any);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_tag(&dst, 2, dd, int8 ? dnnl_s32 : dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md;
    if (st == dnnl_success)
        st = dnnl_matmul_desc_init(&md, &src, &wei, NULL, &dst);
    /* user scratchpad: the Debian build shares one library scratchpad among
     * all primitives (DNNL_ENABLE_CONCURRENT_EXEC off), so two harness
     * threads executing tiles at once overwrote each other's scratch (the
     * timed-output check saw wrong outputs and crashes at 2 threads); each
     * run() call now brings its own (onednn__exec_tile) */
    dnnl_primitive_attr_t attr = NULL;
    if (st == dnnl_success)
        st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(pd, &md, attr, eng, NULL);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

static size_t onednn__weights_bytes(dnnl_primitive_desc_t pd)
{
    return dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0));
}

/* Byte layout of the packed buffer for shape s (weights_off, tile bytes,
 * int8 arrays) into h; returns the total bytes, 0 if oneDNN refused. */
static size_t onednn__layout(const struct fk_shape *s, int int8, struct onednn_packed *h)
{
    omp_set_num_threads(1);
    memset(h, 0, sizeof *h);
    dnnl_engine_t eng;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success)
        return 0;
    h->int8 = int8;
    h->ntiles = (int32_t)onednn__ntiles(s);
    h->tail = onednn__tail(s);
    size_t total = 0;
    for (int i = 0; i < 2; i++) {
        int64_t n = i == 0 ? (s->rows < ONEDNN_TILE ? s->rows : ONEDNN_TILE) : h->tail;
        if (i == 1 && h->tail == ONEDNN_TILE)
            break;
        if (i == 1 && h->ntiles == 1)  /* one short tile: it is the tail */
            break;
        dnnl_primitive_desc_t pd;
        if (onednn__pd(eng, s, n, int8, &pd) != dnnl_success) {
            dnnl_engine_destroy(eng);
            return 0;
        }
        h->tile_bytes[i] = onednn__align(onednn__weights_bytes(pd));
        dnnl_primitive_desc_destroy(pd);
    }
    dnnl_engine_destroy(eng);
    int64_t full = h->tail == ONEDNN_TILE || h->ntiles == 1 ? h->ntiles : h->ntiles - 1;
    h->weights_off = ONEDNN_HEADER;
    total = h->weights_off + (size_t)full * h->tile_bytes[0] + (full == h->ntiles ? 0 : h->tile_bytes[1]);
    if (int8) {
        h->scale_off = total;
        total += onednn__align((size_t)s->rows * sizeof(float));
        h->wsum_off = total;
        total += onednn__align((size_t)s->rows * sizeof(int32_t));
    }
    return total;
}

/* Which primitive computes tile t: [1] for a short tail after full tiles. */
static int onednn__which(const struct onednn_packed *h, int64_t t)
{
    return (t == h->ntiles - 1 && h->pd[1]) ? 1 : 0;
}

static int64_t onednn__tile_rows(const struct onednn_packed *h, int64_t t)
{
    return t == h->ntiles - 1 ? h->tail : ONEDNN_TILE;
}

static size_t onednn__f32_packed_size(const struct fk_shape *s)
{
    struct onednn_packed h;
    return onednn__layout(s, 0, &h);
}

static size_t onednn__int8_packed_size(const struct fk_shape *s)
{
    struct onednn_packed h;
    return onednn__layout(s, 1, &h);
}

static void onednn__release(const struct fk_shape *s, void *packed)
{
    struct onednn_packed *h = packed;
    if (h->magic != ONEDNN_MAGIC)
        return;
    for (int i = 0; i < 2; i++) {
        if (h->prim[i])
            dnnl_primitive_destroy(h->prim[i]);
        if (h->pd[i])
            dnnl_primitive_desc_destroy(h->pd[i]);
    }
    if (h->engine)
        dnnl_engine_destroy(h->engine);
    h->magic = 0;
}

/* One reorder between a plain (cols, n) view with the given strides (in
 * elements) at plain and the tile layout md at blocked; to_tile picks the
 * direction.  The tile md's extra (compensation) flags are dropped for the
 * way back: only the weights are read. */
static dnnl_status_t onednn__reorder(dnnl_engine_t eng, const dnnl_memory_desc_t *tile_md, void *blocked, void *plain,
                                     const struct fk_shape *s, int64_t n, int64_t col_stride, int to_tile)
{
    dnnl_memory_desc_t pmd, bmd = *tile_md;
    dnnl_dims_t dims = {s->cols, n}, strides = {1, col_stride};
    dnnl_status_t st = dnnl_memory_desc_init_by_strides(&pmd, 2, dims, tile_md->data_type, strides);
    if (!to_tile)
        bmd.extra.flags = 0;
    const dnnl_memory_desc_t *from = to_tile ? &pmd : &bmd, *to = to_tile ? &bmd : &pmd;
    dnnl_primitive_desc_t rpd = NULL;
    dnnl_primitive_t r = NULL;
    dnnl_memory_t mf = NULL, mt = NULL;
    dnnl_stream_t stream = NULL;
    if (st == dnnl_success)
        st = dnnl_reorder_primitive_desc_create(&rpd, from, eng, to, eng, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&r, rpd);
    if (st == dnnl_success)
        st = dnnl_memory_create(&mf, from, eng, to_tile ? plain : blocked);
    if (st == dnnl_success)
        st = dnnl_memory_create(&mt, to, eng, to_tile ? blocked : plain);
    if (st == dnnl_success)
        st = dnnl_stream_create(&stream, eng, dnnl_stream_default_flags);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, mf}, {DNNL_ARG_TO, mt}};
        st = dnnl_primitive_execute(r, stream, 2, args);
    }
    if (st == dnnl_success)
        st = dnnl_stream_wait(stream);
    if (stream)
        dnnl_stream_destroy(stream);
    if (mf)
        dnnl_memory_destroy(mf);
    if (mt)
        dnnl_memory_destroy(mt);
    if (r)
        dnnl_primitive_destroy(r);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    return st;
}

/* S8_ROW quantization of w (rows, cols) into q (rows, cols) and d (rows),
 * wsum = row sums of q.  f32 steps as in kernel.h / oracle/formats.py. */
static void onednn__quantize_weights(const struct fk_shape *s, const float *w, int8_t *q, float *d, int32_t *wsum)
{
    for (int64_t r = 0; r < s->rows; r++) {
        const float *wr = w + r * s->cols;
        float amax = 0.0f;
        for (int64_t c = 0; c < s->cols; c++)
            amax = fabsf(wr[c]) > amax ? fabsf(wr[c]) : amax;
        float dr = amax / 127.0f;
        int32_t sum = 0;
        for (int64_t c = 0; c < s->cols; c++) {
            float v = dr != 0.0f ? rintf(wr[c] / dr) : 0.0f;
            int32_t qi = v > 127.0f ? 127 : v < -127.0f ? -127 : (int32_t)v;  /* |w| <= amax: in range */
            q[r * s->cols + c] = (int8_t)qi;
            sum += qi;
        }
        d[r] = dr;
        wsum[r] = sum;
    }
}

static int onednn__pack(const struct fk_shape *s, const float *w, void *packed, int int8)
{
    struct onednn_packed *h = packed;
    if (onednn__layout(s, int8, h) == 0)
        return -1;
    int8_t *q = NULL;
    if (int8) {
        q = malloc((size_t)(s->rows * s->cols));
        if (!q)
            return -1;
        onednn__quantize_weights(s, w, q, (float *)((char *)packed + h->scale_off),
                                 (int32_t *)((char *)packed + h->wsum_off));
    }
    int ok = dnnl_engine_create(&h->engine, dnnl_cpu, 0) == dnnl_success;
    h->magic = ONEDNN_MAGIC;  /* from here on release() frees what exists */
    for (int i = 0; ok && i < 2; i++) {
        if (i == 1 && (h->tail == ONEDNN_TILE || h->ntiles == 1))
            break;
        int64_t n = i == 0 ? (s->rows < ONEDNN_TILE ? s->rows : ONEDNN_TILE) : h->tail;
        ok = onednn__pd(h->engine, s, n, int8, &h->pd[i]) == dnnl_success &&
             dnnl_primitive_create(&h->prim[i], h->pd[i]) == dnnl_success;
    }
    for (int64_t t = 0; ok && t < h->ntiles; t++) {
        int which = onednn__which(h, t);
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(h->pd[which], dnnl_query_weights_md, 0);
        void *plain = int8 ? (void *)(q + t * ONEDNN_TILE * s->cols) : (void *)(w + t * ONEDNN_TILE * s->cols);
        char *tile = (char *)packed + h->weights_off + (size_t)t * h->tile_bytes[0];
        ok = onednn__reorder(h->engine, md, tile, plain, s, onednn__tile_rows(h, t), s->cols, 1) == dnnl_success;
    }
    free(q);
    if (!ok) {
        onednn__release(s, packed);
        return -1;
    }
    return 0;
}

static int onednn__f32_pack(const struct fk_shape *s, const float *w, void *packed)
{
    return onednn__pack(s, w, packed, 0);
}

static int onednn__int8_pack(const struct fk_shape *s, const float *w, void *packed)
{
    return onednn__pack(s, w, packed, 1);
}

/* S8_ROW bytes {f32 d; int8 q[cols]} per row, from oneDNN's blocked tiles
 * (reordered back) and the scales. */
static int onednn__to_ggml(const struct fk_shape *s, const void *packed, void *ggml)
{
    const struct onednn_packed *h = packed;
    if (h->magic != ONEDNN_MAGIC || !h->int8)
        return -1;
    const int64_t stride = s->cols + 4;
    uint8_t *out = ggml;
    const float *d = (const float *)((const char *)packed + h->scale_off);
    for (int64_t r = 0; r < s->rows; r++)
        memcpy(out + r * stride, &d[r], 4);
    for (int64_t t = 0; t < h->ntiles; t++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(h->pd[onednn__which(h, t)], dnnl_query_weights_md, 0);
        char *tile = (char *)packed + h->weights_off + (size_t)t * h->tile_bytes[0];
        if (onednn__reorder(h->engine, md, tile, out + t * ONEDNN_TILE * stride + 4, s, onednn__tile_rows(h, t),
                            stride, 0) != dnnl_success)
            return -1;
    }
    return 0;
}

/* Scratch: int8 activations (int8 only), then the staging blocks: tile t's
 * (batch, n) f32 or s32 output at stage + t * ONEDNN_TILE * batch. */
static size_t onednn__stage_off(const struct fk_shape *s, int int8)
{
    return int8 ? onednn__align(ONEDNN_ACTS_OFF + (size_t)(s->batch * s->cols)) : 0;
}

static size_t onednn__scratch_size(const struct fk_shape *s, int int8)
{
    return onednn__stage_off(s, int8) + (size_t)(onednn__ntiles(s) * ONEDNN_TILE * s->batch) * 4;
}

static size_t onednn__f32_prepare_size(const struct fk_shape *s)
{
    return onednn__scratch_size(s, 0);
}

static size_t onednn__int8_prepare_size(const struct fk_shape *s)
{
    return onednn__scratch_size(s, 1);
}

/* U8_ASYM over the whole activation tensor (batch, cols) -> scratch. */
static void onednn__int8_prepare(const struct fk_args *a)
{
    const int64_t n = a->shape.batch * a->shape.cols;
    const float *x = a->x;
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    float s = (hi - lo) / 255.0f;
    int32_t zp = 0;
    uint8_t *q = (uint8_t *)a->scratch + ONEDNN_ACTS_OFF;
    if (s == 0.0f) {
        memset(q, 0, (size_t)n);
    } else {
        float z = rintf(-lo / s);
        zp = z < 0.0f ? 0 : z > 255.0f ? 255 : (int32_t)z;
        for (int64_t i = 0; i < n; i++) {
            int32_t v = (int32_t)rintf(x[i] / s) + zp;  /* |x / s| <= 255 */
            q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    memcpy(a->scratch, &s, sizeof s);
    memcpy((char *)a->scratch + 4, &zp, sizeof zp);
}

/* Memory objects of one run() call: the source once, weights and
 * destination per primitive ([0] full tile, [1] tail), created on first use
 * and re-pointed per tile (dnnl_memory_set_data_handle), so a tile costs
 * one primitive call, not three allocations. */
struct onednn_mem {
    dnnl_memory_t src, wei[2], dst[2], pad[2];
    void *padbuf[2];   /* this call's own scratchpad per primitive (user mode) */
};

static void onednn__mem_free(struct onednn_mem *m)
{
    if (m->src)
        dnnl_memory_destroy(m->src);
    for (int i = 0; i < 2; i++) {
        if (m->wei[i])
            dnnl_memory_destroy(m->wei[i]);
        if (m->dst[i])
            dnnl_memory_destroy(m->dst[i]);
        if (m->pad[i])
            dnnl_memory_destroy(m->pad[i]);
        free(m->padbuf[i]);
    }
}

/* Executes tile t into dst, its dense (batch, n) staging block.  0 or -1. */
static int onednn__exec_tile(const struct onednn_packed *h, const struct fk_args *a, int64_t t, void *dst,
                             dnnl_stream_t stream, struct onednn_mem *m)
{
    int which = onednn__which(h, t);
    dnnl_primitive_desc_t pd = h->pd[which];
    void *src = h->int8 ? (void *)((char *)a->scratch + ONEDNN_ACTS_OFF) : (void *)a->x;
    void *tile = (char *)a->w + h->weights_off + (size_t)t * h->tile_bytes[0];
    dnnl_status_t st = dnnl_success;
    if (!m->src)
        st = dnnl_memory_create(&m->src, dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), h->engine, src);
    if (st == dnnl_success && !m->wei[which])
        st = dnnl_memory_create(&m->wei[which], dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                                h->engine, tile);
    else if (st == dnnl_success)
        st = dnnl_memory_set_data_handle(m->wei[which], tile);
    if (st == dnnl_success && !m->dst[which])
        st = dnnl_memory_create(&m->dst[which], dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), h->engine,
                                dst);
    else if (st == dnnl_success)
        st = dnnl_memory_set_data_handle(m->dst[which], dst);
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    size_t pad_bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
    if (st == dnnl_success && pad_bytes && !m->pad[which]) {
        m->padbuf[which] = aligned_alloc(64, (pad_bytes + 63) / 64 * 64);
        st = m->padbuf[which] ? dnnl_memory_create(&m->pad[which], smd, h->engine, m->padbuf[which])
                              : dnnl_out_of_memory;
    }
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m->src}, {DNNL_ARG_WEIGHTS, m->wei[which]},
                                   {DNNL_ARG_DST, m->dst[which]}, {DNNL_ARG_SCRATCHPAD, m->pad[which]}};
        st = dnnl_primitive_execute(h->prim[which], stream, pad_bytes ? 4 : 3, args);
    }
    return st == dnnl_success ? 0 : -1;
}

/* Y[:, r0:r1]: one primitive call per tile into its staging block, then
 * its rows copied (f32) or dequantized (int8) into Y. */
static void onednn__run(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const struct onednn_packed *h = a->w;
    const int64_t rows = a->shape.rows, batch = a->shape.batch;
    omp_set_num_threads(1);
    dnnl_stream_t stream = NULL;
    int ok = h->magic == ONEDNN_MAGIC && dnnl_stream_create(&stream, h->engine, dnnl_stream_default_flags) == dnnl_success;
    float s = 0.0f;
    int32_t zp = 0;
    if (h->int8) {
        memcpy(&s, a->scratch, sizeof s);
        memcpy(&zp, (const char *)a->scratch + 4, sizeof zp);
    }
    const float *d = (const float *)((const char *)a->w + h->scale_off);         /* int8: (rows) */
    const int32_t *wsum = (const int32_t *)((const char *)a->w + h->wsum_off);   /* int8: (rows) */
    char *stage0 = (char *)a->scratch + onednn__stage_off(&a->shape, h->int8);
    struct onednn_mem mem = {0};
    for (int64_t t = r0 / ONEDNN_TILE; t * ONEDNN_TILE < r1; t++) {
        const int64_t t0 = t * ONEDNN_TILE, n = onednn__tile_rows(h, t);
        const int64_t lo = r0 > t0 ? r0 : t0, hi = r1 < t0 + n ? r1 : t0 + n;
        char *stage = stage0 + (size_t)(t0 * batch) * 4;  /* (batch, n) f32 or s32 */
        if (ok)
            ok = onednn__exec_tile(h, a, t, stage, stream, &mem) == 0;
        for (int64_t m = 0; m < batch; m++) {
            float *ym = a->y + m * rows;
            if (!ok) {  /* a library failure shows as NaN at the gate */
                for (int64_t r = lo; r < hi; r++)
                    ym[r] = NAN;
            } else if (!h->int8) {
                memcpy(ym + lo, (const float *)stage + m * n + (lo - t0), (size_t)(hi - lo) * sizeof(float));
            } else {
                const int32_t *acc = (const int32_t *)stage + m * n - t0;
                for (int64_t r = lo; r < hi; r++) {
                    int64_t exact = (int64_t)acc[r] - ONEDNN_ZP_TERM(zp, wsum[r]);
                    ym[r] = (float)((double)exact * ((double)s * (double)d[r]));
                }
            }
        }
    }
    if (stream) {
        dnnl_stream_wait(stream);
        dnnl_stream_destroy(stream);
    }
    onednn__mem_free(&mem);
}

static const char *onednn__isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41:           return "sse41";
    case dnnl_cpu_isa_avx:             return "avx";
    case dnnl_cpu_isa_avx2:            return "avx2";
    case dnnl_cpu_isa_avx2_vnni:       return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core:     return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default:                           return "other";
    }
}

/* "oneDNN 2.6.3 (OpenMP runtime, max ISA avx512_core_bf16); tile 256 rows:
 * brg:avx512_core_vnni; tail 37 rows: gemm:jit; 1 thread per call" */
static int onednn__provenance(const struct fk_shape *s, int int8, char *buf, size_t n)
{
    const dnnl_version_t *v = dnnl_version();
    int len = snprintf(buf, n, "oneDNN %d.%d.%d (%s runtime, max ISA %s)", v->major, v->minor, v->patch,
                       v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "non-OpenMP",
                       onednn__isa_name(dnnl_get_effective_cpu_isa()));
    if (!s || len < 0 || (size_t)len >= n)
        return 0;
    omp_set_num_threads(1);
    dnnl_engine_t eng;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success)
        return -1;
    int64_t tail = onednn__tail(s), full = s->rows < ONEDNN_TILE ? s->rows : ONEDNN_TILE;
    for (int i = 0; i < 2 && (size_t)len < n; i++) {
        int64_t rows = i == 0 ? full : tail;
        if (i == 1 && (tail == ONEDNN_TILE || onednn__ntiles(s) == 1))
            break;
        dnnl_primitive_desc_t pd;
        const char *impl = "refused";
        int have = onednn__pd(eng, s, rows, int8, &pd) == dnnl_success;
        if (have)
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
        len += snprintf(buf + len, n - (size_t)len, "; %s %lld rows: %s", i == 0 ? "tile" : "tail", (long long)rows,
                        impl);
        if (have)
            dnnl_primitive_desc_destroy(pd);
    }
    if ((size_t)len < n)
        snprintf(buf + len, n - (size_t)len, "; 1 thread per call, tiles on the harness pool");
    dnnl_engine_destroy(eng);
    return 0;
}

static int onednn__f32_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return onednn__provenance(s, 0, buf, n);
}

static int onednn__int8_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return onednn__provenance(s, 1, buf, n);
}

static void onednn__f32_cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_F32, FK_FMT_F32, c);
}

static void onednn__int8_cost(const struct fk_shape *s, struct fk_cost *c)
{
    fk_matvec_cost(s, FK_FMT_S8_ROW, FK_FMT_U8_ASYM, c);
}

#define ONEDNN_F32_KERNEL(var, nm, opv)                                                                       \
    static const struct fk_kernel var = {                                                                     \
        .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = nm, .isa = "onednn", .op = opv,      \
        .weights = FK_FMT_F32, .acts = FK_FMT_F32, .requires = 0, /* oneDNN dispatches on the CPU itself */ \
        .flags = FK_KERNEL_PEER, .cols_multiple = 1, .row_block = ONEDNN_TILE,                                \
        .packed_size = onednn__f32_packed_size, .pack = onednn__f32_pack,                                     \
        .prepare_size = onednn__f32_prepare_size, .run = onednn__run, /* scratch: staging only */            \
        .cost = onednn__f32_cost, .provenance = onednn__f32_provenance, .release = onednn__release,           \
    }

/* VNNI required: see the top of the file (exact integer sums). */
#define ONEDNN_INT8_KERNEL(var, nm, opv)                                                                      \
    static const struct fk_kernel var = {                                                                     \
        .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = nm, .isa = "onednn", .op = opv,      \
        .weights = FK_FMT_S8_ROW, .acts = FK_FMT_U8_ASYM,                                                     \
        .requires = FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512VNNI,                   \
        .flags = FK_KERNEL_PEER | FK_KERNEL_REPACKED, .cols_multiple = 1, .row_block = ONEDNN_TILE,           \
        .packed_size = onednn__int8_packed_size, .pack = onednn__int8_pack, .to_ggml = onednn__to_ggml,       \
        .prepare_size = onednn__int8_prepare_size, .prepare = onednn__int8_prepare, .run = onednn__run,       \
        .cost = onednn__int8_cost, .provenance = onednn__int8_provenance, .release = onednn__release,         \
    }

#ifndef ONEDNN_NO_PLUGIN
ONEDNN_F32_KERNEL(gemv_f32_onednn, "gemv.f32.onednn", FK_OP_GEMV);
ONEDNN_F32_KERNEL(gemm_f32_onednn, "gemm.f32.onednn", FK_OP_GEMM);
ONEDNN_INT8_KERNEL(gemv_w8a8_onednn, "gemv.w8a8.onednn", FK_OP_GEMV);
ONEDNN_INT8_KERNEL(gemm_w8a8_onednn, "gemm.w8a8.onednn", FK_OP_GEMM);

FK_PLUGIN(&gemv_f32_onednn, &gemm_f32_onednn, &gemv_w8a8_onednn, &gemm_w8a8_onednn);
#endif
