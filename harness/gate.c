#include "gate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypo.h"
#include "registry.h"
#include "sandbox.h"

void fk_gate_job_free(struct fk_gate_job *j)
{
    j->in.fd = -1;  /* the job's message fd is gone: release() is not announced */
    fk_inst_free(&j->in);
    fk_case_free(&j->cs);
    free(j->pristine);
    free(j->y1);
    free(j->pieces);
    fk_gbuf_free(&j->ggml);
    j->pristine = NULL;
    j->y1 = j->pieces = NULL;
}

double fk_gate_deadline(const struct fk_kernel *k, const struct fk_shape *s, int emulated)
{
    double per = fk_op_work(k->op, s);
    int calls = per > FK_GATE_BIG_OPS ? FK_GATE_CALLS_BIG : FK_GATE_CALLS;
    /* calls + the split pass + the second guard pass (2 calls), and pack ~ 50 ops per weight */
    struct fk_op_layout l;
    double pack = fk_op_layout(k->op, s, &l) == 0 ? 50.0 * (double)l.w : 0.0;
    return fk_job_deadline(per * (calls + 3) + 2 * pack, 0, emulated);
}

/* ---- checks ---- */

static int wrong(int fd, const struct fk_gate_job *j, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int wrong(int fd, const struct fk_gate_job *j, const char *fmt, ...)
{
    char msg[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fk_send_wrong(fd, j->k->name, msg);
    return -1;
}

/* The canary bytes after each buffer are intact. */
static int tails_ok(int fd, const struct fk_gate_job *j, const char *call)
{
    for (int b = 0; b < FK_IB_COUNT; b++) {
        const struct fk_gbuf *g = &j->in.buf[b];
        int64_t at = fk_gbuf_tail_clobbered(g);
        if (at >= 0 && b == FK_IB_Y)
            return wrong(fd, j, "over-write outside [r0, r1): %s wrote byte %lld past the end of buffer 'y' (%zu "
                         "bytes, the row after the last; canary clobbered)", call, (long long)at, g->bytes);
        if (at >= 0)
            return wrong(fd, j, "over-write: %s wrote byte %lld past the end of buffer '%s' (%zu bytes; canary clobbered)",
                         call, (long long)at, g->name, g->bytes);
    }
    return 0;
}

/* x, x2 and the packed weights are as they were before the call. */
static int inputs_ok(int fd, const struct fk_gate_job *j, const char *call)
{
    const struct fk_case *cs = &j->cs;
    const float *x = j->in.a.x, *x2 = j->in.a.x2;
    if (cs->x.count && memcmp(x, cs->x.data, (size_t)cs->x.count * sizeof(float)) != 0) {
        int64_t i = 0;
        while (memcmp(&x[i], (const float *)cs->x.data + i, sizeof(float)) == 0)
            i++;
        return wrong(fd, j, "input mutation: %s changed x[%lld] from %.9g to %.9g (inputs are read-only)", call,
                     (long long)i, ((const float *)cs->x.data)[i], x[i]);
    }
    if (cs->x2.count && memcmp(x2, cs->x2.data, (size_t)cs->x2.count * sizeof(float)) != 0)
        return wrong(fd, j, "input mutation: %s changed x2 (inputs are read-only)", call);
    if (j->pristine && memcmp(j->in.packed, j->pristine, j->in.packed_bytes) != 0) {
        size_t i = 0;
        while (((const unsigned char *)j->in.packed)[i] == j->pristine[i])
            i++;
        return wrong(fd, j, "input mutation: %s changed byte %zu of the packed weights (inputs are read-only)", call,
                     i);
    }
    return 0;
}

static int is_canary(const float *y, int64_t i)
{
    unsigned char b[sizeof(float)];
    memcpy(b, &y[i], sizeof b);
    for (size_t q = 0; q < sizeof b; q++)
        if (b[q] != FK_CANARY_BYTE)
            return 0;
    return 1;
}

/* pack must reproduce the oracle's GGML bytes exactly (through to_ggml for
 * repacked layouts). */
static int pack_bytes_ok(int fd, struct fk_gate_job *j, const char *what)
{
    const struct fk_kernel *k = j->k;
    const struct fk_case *cs = &j->cs;
    if (cs->wq.count <= 0)
        return 0;
    size_t nb = (size_t)cs->wq.count;
    const uint8_t *g = j->in.packed;
    if (k->flags & FK_KERNEL_REPACKED) {
        unsigned char *out = fk_gbuf_alloc(&j->ggml, "ggml (to_ggml output)", nb, FK_GUARD_AFTER);
        if (!out)
            return wrong(fd, j, "pack: out of memory for the to_ggml check");
        char call[200];
        snprintf(call, sizeof call, "%s: to_ggml()", what);
        fk_send_begin(fd, k->name, call);
        int rc = k->to_ggml(&cs->shape, j->in.packed, out);
        fk_send_end(fd, k->name);
        if (rc != 0)
            return wrong(fd, j, "pack: to_ggml failed: the bytes cannot be checked against the oracle");
        if (fk_gbuf_tail_clobbered(&j->ggml) >= 0)
            return wrong(fd, j, "over-write: to_ggml() wrote past the end of its %zu-byte output", nb);
        g = out;
    } else if (j->in.packed_bytes < nb) {
        return wrong(fd, j, "pack: packed_size() is %zu bytes, the GGML blocks need %zu", j->in.packed_bytes, nb);
    }
    const uint8_t *o = cs->wq.data;
    for (size_t i = 0; i < nb; i++)
        if (g[i] != o[i])
            return wrong(fd, j, "pack: byte %zu of the GGML blocks is 0x%02x, the oracle's w-%s.npy has 0x%02x", i,
                         g[i], fk_format_name(k->weights), o[i]);
    return 0;
}

/* prepare once, then run the row pieces in descending order, each into a
 * freshly canaried y: a write outside [r0, r1) shows in whichever
 * neighbour's rows it lands, and the pieces' own rows are assembled. */
static int split_check(int fd, struct fk_gate_job *j, const char *what)
{
    const struct fk_kernel *k = j->k;
    const struct fk_inst *in = &j->in;
    const int64_t rows = in->a.shape.rows, n = in->out_count;
    int64_t piece = k->row_block;
    int64_t npieces = (rows + piece - 1) / piece;
    if (npieces > FK_GATE_MAX_PIECES)
        piece *= (npieces + FK_GATE_MAX_PIECES - 1) / FK_GATE_MAX_PIECES;
    char call[200];
    if (k->prepare) {
        snprintf(call, sizeof call, "%s: prepare() (split check)", what);
        fk_send_begin(fd, k->name, call);
        k->prepare(&in->a);
        fk_send_end(fd, k->name);
    }
    int64_t last = (rows - 1) / piece * piece;
    for (int64_t r0 = last; r0 >= 0; r0 -= piece) {
        int64_t r1 = r0 + piece < rows ? r0 + piece : rows;
        memset(in->a.y, FK_CANARY_BYTE, (size_t)n * sizeof(float));
        snprintf(call, sizeof call, "%s: run(%lld, %lld) (split check, descending)", what, (long long)r0,
                 (long long)r1);
        fk_send_begin(fd, k->name, call);
        k->run(&in->a, r0, r1);
        fk_send_end(fd, k->name);
        snprintf(call, sizeof call, "run(%lld, %lld)", (long long)r0, (long long)r1);
        if (tails_ok(fd, j, call) || inputs_ok(fd, j, call))
            return -1;
        for (int64_t i = 0; i < n; i++) {
            int64_t r = fk_op_output_row(k->op, &in->a.shape, i);
            if (r >= r0 && r < r1) {
                j->pieces[i] = in->a.y[i];
            } else if (!is_canary(in->a.y, i)) {
                return wrong(fd, j, "neighbour-row write: run(%lld, %lld) wrote y[%lld], which belongs to row %lld "
                             "outside [r0, r1)", (long long)r0, (long long)r1, (long long)i, (long long)r);
            }
        }
    }
    return 0;
}

static void merge_worst(struct fk_errstats *into, const struct fk_errstats *s)
{
    if (s->gauge_max > into->gauge_max || s->nonfinite > into->nonfinite) {
        into->gauge_max = s->gauge_max;
        into->gauge_worst = s->gauge_worst;
        into->nonfinite = s->nonfinite;
    }
    if (s->gauge_p99 > into->gauge_p99)
        into->gauge_p99 = s->gauge_p99;
    if (s->ulp_max > into->ulp_max) {
        into->ulp_max = s->ulp_max;
        into->ulp_worst = s->ulp_worst;
    }
}

int fk_gate_child(void *vjob, int fd)
{
    struct fk_gate_job *j = vjob;
    const struct fk_kernel *k = j->k;
    struct fk_err e;
    char what[96];
    fk_shape_format(&j->shape, what, sizeof what);
    if (fk_case_load(&j->cs, j->oracle_dir, k->op, &j->shape, j->seed, k->weights, k->acts, &e) != 0) {
        fk_send_fail(fd, k->name, e.msg);
        return -1;
    }
    const struct fk_case *cs = &j->cs;
    const double *gauge = cs->gauge.count ? (const double *)cs->gauge.data : NULL;
    const int calls = fk_op_work(k->op, &j->shape) > FK_GATE_BIG_OPS ? FK_GATE_CALLS_BIG : FK_GATE_CALLS;
    struct fk_msg m;
    memset(&m, 0, sizeof m);
    m.type = FK_MSG_ERRSTATS;
    snprintf(m.kernel, sizeof m.kernel, "%s", k->name);
    struct fk_msg m32 = m;
    m32.i[0] = 1;
    int broken = 0;
    for (int pass = 0; pass < 2 && !broken; pass++) {
        enum fk_guard_mode mode = pass == 0 ? FK_GUARD_AFTER : FK_GUARD_BEFORE;
        const char *where = pass == 0 ? "buffers flush against a guard page after" : "buffers right after a guard page";
        if (fk_inst_init_guarded(&j->in, k, cs, mode, fd, &e) != 0) {
            fk_send_fail(fd, k->name, e.msg);
            return -1;
        }
        if (pass == 0) {
            struct fk_msg c;
            memset(&c, 0, sizeof c);
            c.type = FK_MSG_COST;
            snprintf(c.kernel, sizeof c.kernel, "%s", k->name);
            c.v[0] = j->in.cost.weight_bytes;
            c.v[1] = j->in.cost.act_bytes;
            c.v[2] = j->in.cost.out_bytes;
            c.v[3] = j->in.cost.ops;
            fk_send(fd, &c);
            if (pack_bytes_ok(fd, j, what) != 0)
                broken = 1;
        }
        if (j->in.packed_bytes) {
            j->pristine = malloc(j->in.packed_bytes);
            if (!j->pristine) {
                fk_send_fail(fd, k->name, "out of memory for the packed-weights copy");
                return -1;
            }
            memcpy(j->pristine, j->in.packed, j->in.packed_bytes);
        }
        j->y1 = malloc((size_t)j->in.out_count * sizeof(float));
        if (!j->y1) {
            fk_send_fail(fd, k->name, "out of memory");
            return -1;
        }
        int n = pass == 0 ? calls : 2;
        for (int c = 0; c < n && !broken; c++) {
            char call[200];
            memset(j->in.a.y, FK_CANARY_BYTE, (size_t)j->in.out_count * sizeof(float));
            snprintf(call, sizeof call, "%s (call %d of %d, %s)", what, c + 1, n, where);
            fk_send_begin(fd, k->name, call);
            fk_inst_call(&j->in);
            fk_send_end(fd, k->name);
            snprintf(call, sizeof call, "call %d of %d", c + 1, n);
            if (tails_ok(fd, j, call) || inputs_ok(fd, j, call)) {
                broken = 1;
                break;
            }
            if (c == 0) {
                memcpy(j->y1, j->in.a.y, (size_t)j->in.out_count * sizeof(float));
                if (pass == 0) {
                    fk_error_stats(j->y1, cs->ref.data, gauge, j->in.out_count, &m.es);
                    for (int64_t i = 0; i < j->in.out_count; i++)
                        if (is_canary(j->y1, i)) {
                            wrong(fd, j, "unwritten output: one call left y[%lld] as it was", (long long)i);
                            broken = 1;
                            break;
                        }
                }
            } else if (memcmp(j->y1, j->in.a.y, (size_t)j->in.out_count * sizeof(float)) != 0) {
                int64_t i = 0;
                while (memcmp(&j->y1[i], &j->in.a.y[i], sizeof(float)) == 0)
                    i++;
                wrong(fd, j, "nondeterministic: call %d of %d gave y[%lld] = %.9g, call 1 gave %.9g (repeated calls "
                      "must be bit-identical)", c + 1, n, (long long)i, j->in.a.y[i], j->y1[i]);
                broken = 1;
            }
        }
        if (pass == 0 && !broken) {
            j->pieces = malloc((size_t)j->in.out_count * sizeof(float));
            if (!j->pieces) {
                fk_send_fail(fd, k->name, "out of memory");
                return -1;
            }
            if (split_check(fd, j, what) != 0) {
                broken = 1;
            } else {
                struct fk_errstats split;
                fk_error_stats(j->pieces, cs->ref.data, gauge, j->in.out_count, &split);
                merge_worst(&m.es, &split);
            }
        }
        if (pass == 0 && m.es.n > 0) {  /* (n == 0: no call completed) */
            /* the second reference: the plain f32 product, i.e. what quantizing
             * weights (and activations) costs; equal to the first for f32 kernels */
            const double *g32 = cs->gauge32.count ? (const double *)cs->gauge32.data : NULL;
            fk_error_stats(j->y1, cs->ref32.data, g32, j->in.out_count, &m32.es);
        } else if (pass == 1 && !broken) {  /* the buffers moved: the outputs must still be right */
            struct fk_errstats moved;
            fk_error_stats(j->y1, cs->ref.data, gauge, j->in.out_count, &moved);
            merge_worst(&m.es, &moved);
        }
        free(j->pristine);
        free(j->y1);
        free(j->pieces);
        j->pristine = NULL;
        j->y1 = j->pieces = NULL;
        fk_inst_free(&j->in);
    }
    fk_send(fd, &m);
    fk_send(fd, &m32);
    return 0;
}

/* ---- shapes ---- */

static int add_shape(const struct fk_kernel *k, struct fk_shape *out, int n, int max, int64_t rows, int64_t cols,
                     int64_t batch)
{
    if (n >= max)
        return n;
    struct fk_shape s = {rows, cols, batch};
    if (k->op == FK_OP_DOT)
        s.rows = 1;
    if (fk_shape_ok(k, &s, NULL) != 0)
        return n;
    for (int i = 0; i < n; i++)
        if (out[i].rows == s.rows && out[i].cols == s.cols && out[i].batch == s.batch)
            return n;
    out[n] = s;
    return n + 1;
}

int fk_gate_edge_shapes(const struct fk_kernel *k, unsigned long long seed, struct fk_shape *out, int max)
{
    const int64_t m = k->cols_multiple > 0 ? k->cols_multiple : 1;
    const int64_t rb = k->row_block > 0 ? k->row_block : 1;
    /* a batch that is not a power of two where the op has one */
    const int64_t b = k->op == FK_OP_GEMM ? 3 : k->op == FK_OP_ATTENTION ? 5 : 1;
    const int64_t rows = 2 * rb + 1;
    int n = 0;
    static const int64_t small[] = {1, 3, 7};
    for (int i = 0; i < 3; i++)
        n = add_shape(k, out, n, max, rows, m * small[i], b);
    for (int64_t j = 32; j < 64; j++)
        n = add_shape(k, out, n, max, rows, m * j, b);
    for (int64_t r = 1; r < rb; r++)
        n = add_shape(k, out, n, max, 2 * rb + r, m * 33, b);
    n = add_shape(k, out, n, max, 4096 + rb + 1, m * (m >= 32 ? 1 : 33), 1 + (b > 1));
    /* seeded random shapes (splitmix64 on the run's shape seed and the kernel's name) */
    unsigned long long h = seed;
    for (const char *p = k->name; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    for (int i = 0; i < FK_GATE_RANDOM_SHAPES; i++) {
        int64_t v[3];
        for (int q = 0; q < 3; q++) {
            h += 0x9e3779b97f4a7c15ull;
            unsigned long long z = h;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            v[q] = (int64_t)((z ^ (z >> 31)) >> 1);
        }
        int64_t rr = 1 + v[0] % (4 * rb + 9);
        int64_t cc = m * (1 + v[1] % (m >= 32 ? 24 : 160));
        int64_t bb = b > 1 ? 1 + v[2] % 9 : 1;
        n = add_shape(k, out, n, max, rr, cc, bb);
    }
    return n;
}
