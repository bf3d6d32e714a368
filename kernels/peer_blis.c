/* gemv.f32.blis, gemm.f32.blis — BLIS (Debian libblis-dev) as a peer,
 * through its typed API (bli_sgemv_ex, bli_sgemm_ex: general strides, so no
 * transposition is ever materialized).
 *
 * Built only where the library is installed (Makefile: ISAS_peer); flagged
 * FK_KERNEL_PEER (never picked by a glob or a role).  Provenance: the BLIS
 * version and the sub-configuration it selected at run time for this CPU
 * (bli_arch_query_id: e.g. haswell, skx, zen3; Debian's build decides which
 * sub-configurations exist).
 *
 * Threading.  The harness owns threads: run(r0, r1) is one BLIS call on the
 * row block W[r0:r1], and the harness spreads row blocks over its pool as
 * for our kernels.  Each call carries its own runtime object set to one
 * thread (rntm_t on the stack: no process-wide setting, so the library's
 * own OpenMP or pthreads team is never started).  BLIS's level-2 gemv is
 * single-threaded anyway; its sgemm packs A and B panels per call, inside
 * the timed call as for any caller. */
#include <assert.h>
#include <stdio.h>

#include <blis.h>

#include "gemv_f32.h"

/* y[r0:r1] = W[r0:r1, :] x; W row-major: row stride cols, column stride 1. */
static void peer_blis__gemv(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t cols = a->shape.cols;
    float one = 1.0f, zero = 0.0f;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    float *w = (float *)a->w + r0 * cols;  /* BLIS takes non-const operands; it does not write them */
    bli_sgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, (dim_t)(r1 - r0), (dim_t)cols, &one, w, (inc_t)cols, 1,
                 (float *)a->x, 1, &zero, a->y + r0, 1, NULL, &rntm);
}

/* Y[:, r0:r1] = X W[r0:r1, :]^T.  A = X (batch x cols, strides cols, 1);
 * B = W[r0:r1]^T (cols x n: element (k, j) = W[r0 + j][k], strides 1, cols);
 * C = Y + r0 (batch x n, strides rows, 1). */
static void peer_blis__gemm(const struct fk_args *a, int64_t r0, int64_t r1)
{
    assert(0 <= r0 && r0 < r1 && r1 <= a->shape.rows);
    const int64_t rows = a->shape.rows, cols = a->shape.cols, batch = a->shape.batch;
    float one = 1.0f, zero = 0.0f;
    rntm_t rntm = BLIS_RNTM_INITIALIZER;
    bli_rntm_set_num_threads(1, &rntm);
    float *w = (float *)a->w + r0 * cols;
    bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, (dim_t)batch, (dim_t)(r1 - r0), (dim_t)cols, &one,
                 (float *)a->x, (inc_t)cols, 1, w, 1, (inc_t)cols, &zero, a->y + r0, (inc_t)rows, 1, NULL, &rntm);
}

static int peer_blis__provenance(const struct fk_shape *s, int gemm, char *buf, size_t n)
{
    const char *arch = bli_arch_string(bli_arch_query_id());
    if (!s)
        snprintf(buf, n, "BLIS %s; sub-configuration %s", bli_info_get_version_str(), arch ? arch : "?");
    else
        snprintf(buf, n, "BLIS %s; sub-configuration %s; %s, 1 thread per call (rntm), row blocks on the harness pool",
                 bli_info_get_version_str(), arch ? arch : "?",
                 gemm ? "bli_sgemm_ex (packs panels per call)" : "bli_sgemv_ex");
    return 0;
}

static int peer_blis__gemv_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return peer_blis__provenance(s, 0, buf, n);
}

static int peer_blis__gemm_provenance(const struct fk_shape *s, char *buf, size_t n)
{
    return peer_blis__provenance(s, 1, buf, n);
}

static const struct fk_kernel gemv_f32_blis = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemv.f32.blis",
    .isa = "blis",
    .op = FK_OP_GEMV,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,  /* BLIS dispatches on the CPU itself */
    .flags = FK_KERNEL_PEER,
    .cols_multiple = 1,
    .row_block = 16,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = peer_blis__gemv,
    .cost = gemv_f32__cost,
    .provenance = peer_blis__gemv_provenance,
};

static const struct fk_kernel gemm_f32_blis = {
    .abi = FK_ABI_VERSION,
    .size = sizeof(struct fk_kernel),
    .name = "gemm.f32.blis",
    .isa = "blis",
    .op = FK_OP_GEMM,
    .weights = FK_FMT_F32,
    .acts = FK_FMT_F32,
    .requires = 0,
    .flags = FK_KERNEL_PEER,
    .cols_multiple = 1,
    .row_block = 16,
    .packed_size = gemv_f32__packed_size,
    .pack = gemv_f32__pack,
    .run = peer_blis__gemm,
    .cost = gemv_f32__cost,
    .provenance = peer_blis__gemm_provenance,
};

FK_PLUGIN(&gemv_f32_blis, &gemm_f32_blis);
