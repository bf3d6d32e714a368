/* gemv.f32.openblas, gemm.f32.openblas — OpenBLAS (Debian libopenblas-dev)
 * as a peer: the library a user would call instead of our f32 kernels.
 *
 * Built only where the library is installed (Makefile: ISAS_peer) and linked
 * against it; flagged FK_KERNEL_PEER, so no glob or role ever picks it.  Its
 * version, build configuration and the core kernel set it selected at load
 * (OpenBLAS DYNAMIC_ARCH dispatches on the CPU) go into provenance.
 *
 * Threading.  The harness owns threads: run(r0, r1) is one single-threaded
 * library call on the row block W[r0:r1] (sgemv on a sub-matrix, sgemm on a
 * column block of Y), and the harness spreads row blocks over its pinned
 * pool exactly as it does for our kernels.  So the library is set to one
 * thread (openblas_set_num_threads(1), in pack: untimed, and process-wide
 * before any run).  Letting OpenBLAS thread itself would compare its thread
 * pool against ours instead of kernel against kernel, and two harness
 * threads each starting an OpenBLAS team would oversubscribe the cores.
 * Concurrent calls from several threads are safe in OpenBLAS >= 0.3.7.
 *
 * Not pure like our kernels: OpenBLAS keeps its own buffers (sgemm packs
 * panels into them per call; that packing is part of its time, as it is
 * for any BLAS caller).  Packed operand: W itself, row-major (gemv_f32.h). */
#include <assert.h>
#include <stdio.h>

#include <cblas-openblas.h>

#include "gemv_f32.h"

static int peer_openblas__pack(const struct fk_shape *s, const float *w, void *packed)
{
    openblas_set_num_threads(1);
    return gemv_f32__pack(s, w, packed);
}

/* y[r0:r1] = W[r0:r1, :] x: row-major no-transpose sgemv on the row block
 * (OpenBLAS runs it as its column-major sgemv_t kernel). */
static void peer_openblas__gemv(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    const float *w = (const float *)a->w + r0 * cols;  /* (r1 - r0, cols) */
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)(r1 - r0), (blasint)cols, 1.0f, w, (blasint)cols, a->x, 1,
                0.0f, a->y + r0, 1);
}

/* Y[:, r0:r1] = X W[r0:r1, :]^T: X (batch, cols), Y (batch, rows) with
 * leading dimension rows, so the column block is written in place. */
static void peer_openblas__gemm(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t rows = a->shape.rows, cols = a->shape.cols, batch = a->shape.batch;
    const float *w = (const float *)a->w + r0 * cols;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)batch, (blasint)(r1 - r0), (blasint)cols, 1.0f,
                a->x, (blasint)cols, w, (blasint)cols, 0.0f, a->y + r0, (blasint)rows);
}

/* "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64; core
 * SkylakeX; sgemv (1 thread per call)" */
static int peer_openblas__provenance(const struct fk_shape *s, int gemm, char *buf, size_t n)
{
    const char *config = openblas_get_config();
    const char *core = openblas_get_corename();
    if (!s)
        snprintf(buf, n, "%s; core %s", config ? config : "OpenBLAS (no config string)", core ? core : "?");
    else
        snprintf(buf, n, "%s; core %s; %s, 1 thread per call, row blocks on the harness pool",
                 config ? config : "OpenBLAS (no config string)", core ? core : "?",
                 gemm ? "cblas_sgemm (packs panels per call)" : "cblas_sgemv");
    return 0;
}

static int peer_openblas__gemv_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return peer_openblas__provenance(s, 0, buf, n);
}

static int peer_openblas__gemm_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return peer_openblas__provenance(s, 1, buf, n);
}

/* row_block 16: a thread's row block starts on a 64-byte multiple of rows
 * when cols is one, and is never so thin that the call overhead dominates */
static const struct fk_kernel gemv_f32_openblas = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.openblas",
    .isa = "openblas",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,  /* OpenBLAS dispatches on the CPU itself */
    .flags = FK_KERNEL_PEER,
    .cols_multiple = 1,
    .row_block = 16,
    .packed_size = gemv_f32__packed_size,
    .pack = peer_openblas__pack,
    .run = peer_openblas__gemv,
    .cost = gemv_f32__cost,
    .provenance = peer_openblas__gemv_provenance,
};

static const struct fk_kernel gemm_f32_openblas = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.openblas",
    .isa = "openblas",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = FK_KERNEL_PEER,
    .cols_multiple = 1,
    .row_block = 16,
    .packed_size = gemv_f32__packed_size,
    .pack = peer_openblas__pack,
    .run = peer_openblas__gemm,
    .cost = gemv_f32__cost,
    .provenance = peer_openblas__gemm_provenance,
};

FK_PLUGIN(&gemv_f32_openblas, &gemm_f32_openblas);
