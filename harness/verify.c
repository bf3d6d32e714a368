#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "stats.h"

void fk_case_name(enum fk_op op, const struct fk_shape *s, unsigned seed, char *buf, size_t n)
{
    snprintf(buf, n, "%s-%lldx%lldx%lld-s%u", fk_op_name(op), (long long)s->rows, (long long)s->cols,
             (long long)s->batch, seed);
}

void fk_case_spec(enum fk_op op, const struct fk_shape *s, unsigned seed, enum fk_format wf,
                  enum fk_format af, char *buf, size_t n)
{
    snprintf(buf, n, "%s:%lldx%lldx%lld:%u:%s:%s", fk_op_name(op), (long long)s->rows, (long long)s->cols,
             (long long)s->batch, seed, fk_format_name(wf), fk_format_name(af));
}

static void case_file(const char *oracle_dir, enum fk_op op, const struct fk_shape *s, unsigned seed,
                      const char *file, char *buf, size_t n)
{
    char name[200];
    fk_case_name(op, s, seed, name, sizeof name);
    snprintf(buf, n, "%s/%s/%s", oracle_dir, name, file);
}

int fk_case_present(const char *oracle_dir, enum fk_op op, const struct fk_shape *s, unsigned seed,
                    enum fk_format wf, enum fk_format af)
{
    char file[64], path[1024];
    struct stat st;
    snprintf(file, sizeof file, "ref-%s-%s.npy", fk_format_name(wf), fk_format_name(af));
    case_file(oracle_dir, op, s, seed, file, path, sizeof path);
    return stat(path, &st) == 0;
}

/* Expected input shapes per op, from kernel.h. */
static int expect_inputs(const struct fk_case *c, struct fk_err *e)
{
    const struct fk_shape *s = &c->shape;
    char path[1024];
    switch (c->op) {
    case FK_OP_GEMV: {
        int64_t ws[2] = {s->rows, s->cols}, xs[1] = {s->cols}, ys[1] = {s->rows};
        snprintf(path, sizeof path, "%s/w.npy", c->dir);
        if (fk_npy_expect(&c->w, path, "<f4", 2, ws, e))
            return -1;
        snprintf(path, sizeof path, "%s/x.npy", c->dir);
        if (fk_npy_expect(&c->x, path, "<f4", 1, xs, e))
            return -1;
        snprintf(path, sizeof path, "%s/ref-%s-%s.npy", c->dir, fk_format_name(c->wf), fk_format_name(c->af));
        if (fk_npy_expect(&c->ref, path, "<f8", 1, ys, e))
            return -1;
        snprintf(path, sizeof path, "%s/gauge-%s-%s.npy", c->dir, fk_format_name(c->wf), fk_format_name(c->af));
        return fk_npy_expect(&c->gauge, path, "<f8", 1, ys, e);
    }
    default:
        return fk_fail(e, "%s: op '%s' has no oracle case layout yet", c->dir, fk_op_name(c->op));
    }
}

int fk_case_load(struct fk_case *c, const char *oracle_dir, enum fk_op op, const struct fk_shape *s,
                 unsigned seed, enum fk_format wf, enum fk_format af, struct fk_err *e)
{
    memset(c, 0, sizeof *c);
    c->op = op;
    c->shape = *s;
    c->seed = seed;
    c->wf = wf;
    c->af = af;
    char name[200], path[1024];
    fk_case_name(op, s, seed, name, sizeof name);
    snprintf(c->dir, sizeof c->dir, "%s/%s", oracle_dir, name);
    const char *fw = fk_format_name(wf), *fa = fk_format_name(af);
    struct {
        struct fk_npy *dst;
        char file[64];
    } files[4] = {{&c->w, "w.npy"}, {&c->x, "x.npy"}, {&c->ref, ""}, {&c->gauge, ""}};
    snprintf(files[2].file, sizeof files[2].file, "ref-%s-%s.npy", fw, fa);
    snprintf(files[3].file, sizeof files[3].file, "gauge-%s-%s.npy", fw, fa);
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", c->dir, files[i].file);
        if (fk_npy_read(path, files[i].dst, e) != 0) {
            fk_case_free(c);
            return -1;
        }
    }
    if (expect_inputs(c, e) != 0) {
        fk_case_free(c);
        return -1;
    }
    return 0;
}

void fk_case_free(struct fk_case *c)
{
    fk_npy_free(&c->w);
    fk_npy_free(&c->x);
    fk_npy_free(&c->ref);
    fk_npy_free(&c->gauge);
}

int fk_inst_init(struct fk_inst *in, const struct fk_kernel *k, const struct fk_case *c, struct fk_err *e)
{
    memset(in, 0, sizeof *in);
    in->k = k;
    in->a.shape = c->shape;
    struct fk_err why;
    if (fk_shape_ok(k, &c->shape, &why) != 0) {
        char sh[64];
        snprintf(sh, sizeof sh, "%lldx%lldx%lld", (long long)c->shape.rows, (long long)c->shape.cols,
                 (long long)c->shape.batch);
        return fk_fail(e, "shape %s invalid for %s: %s", sh, k->name, why.msg);
    }
    if (k->pack) {
        in->packed_bytes = k->packed_size(&c->shape);
        in->packed = fk_alloc(in->packed_bytes);
        if (!in->packed)
            return fk_fail(e, "%s: cannot allocate %zu bytes for packed weights", k->name, in->packed_bytes);
        if (k->pack(&c->shape, (const float *)c->w.data, in->packed) != 0) {
            fk_inst_free(in);
            return fk_fail(e, "%s: pack refused shape %lldx%lld", k->name, (long long)c->shape.rows,
                           (long long)c->shape.cols);
        }
        in->a.w = in->packed;
    }
    float *x = fk_alloc((size_t)c->x.count * sizeof(float));
    size_t scratch_bytes = k->prepare_size ? k->prepare_size(&c->shape) : 0;
    in->a.scratch = scratch_bytes ? fk_alloc(scratch_bytes) : NULL;
    in->out_count = c->ref.count;
    in->a.y = fk_alloc((size_t)in->out_count * sizeof(float));
    if (!x || !in->a.y || (scratch_bytes && !in->a.scratch)) {
        fk_free(x);
        fk_inst_free(in);
        return fk_fail(e, "%s: out of memory for buffers", k->name);
    }
    memcpy(x, c->x.data, (size_t)c->x.count * sizeof(float));
    in->a.x = x;
    k->cost(&c->shape, &in->cost);
    return 0;
}

void fk_inst_free(struct fk_inst *in)
{
    fk_free(in->packed);
    fk_free((void *)in->a.x);
    fk_free(in->a.scratch);
    fk_free(in->a.y);
    memset(in, 0, sizeof *in);
}

void fk_inst_call(const struct fk_inst *in)
{
    if (in->k->prepare)
        in->k->prepare(&in->a);
    in->k->run(&in->a, 0, in->a.shape.rows);
}

void fk_inst_call_split(const struct fk_inst *in, int64_t piece)
{
    if (in->k->prepare)
        in->k->prepare(&in->a);
    for (int64_t r0 = 0; r0 < in->a.shape.rows; r0 += piece) {
        int64_t r1 = r0 + piece < in->a.shape.rows ? r0 + piece : in->a.shape.rows;
        in->k->run(&in->a, r0, r1);
    }
}

static double ulp32(double z)
{
    double a = fabs(z);
    int ex = a > 0 ? (int)floor(log2(a)) : -126;
    if (ex < -126)
        ex = -126;
    return ldexp(1.0, ex - 23);
}

void fk_error_stats(const float *y, const double *ref, const double *gauge, int64_t n, struct fk_errstats *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->gauge_worst = -1;
    s->ulp_worst = -1;
    double *rho = gauge ? malloc((size_t)(n > 0 ? n : 1) * sizeof *rho) : NULL;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)y[i] - ref[i]);
        if (!isfinite(y[i])) {
            d = INFINITY;
            s->nonfinite++;
        }
        double u = d / ulp32(ref[i]);
        if (s->ulp_worst < 0 || u > s->ulp_max) {
            s->ulp_max = u;
            s->ulp_worst = i;
        }
        if (gauge) {
            double g = ldexp(gauge[i], -24);
            double r = g > 0 ? d / g : (d == 0 ? 0.0 : INFINITY);
            if (rho)
                rho[i] = r;
            if (s->gauge_worst < 0 || r > s->gauge_max) {
                s->gauge_max = r;
                s->gauge_worst = i;
            }
        }
    }
    if (rho && n > 0)
        s->gauge_p99 = fk_quantile(rho, (size_t)n, 0.99);
    free(rho);
}

static int is_reduction(enum fk_op op)
{
    return op == FK_OP_GEMV || op == FK_OP_GEMM || op == FK_OP_DOT;
}

double fk_gate_bound(const struct fk_kernel *k, const struct fk_shape *s, const char **metric)
{
    if (is_reduction(k->op)) {
        double ku = ldexp((double)s->cols, -24);
        if (metric)
            *metric = "gauge_max";
        return (double)s->cols / (1.0 - ku) + 2.0;
    }
    if (metric)
        *metric = "ulp_max";
    return 64.0;
}

int fk_gate_pass(const struct fk_kernel *k, const struct fk_shape *s, const struct fk_errstats *st)
{
    const char *metric;
    double bound = fk_gate_bound(k, s, &metric);
    if (st->nonfinite)
        return 0;
    double v = strcmp(metric, "gauge_max") == 0 ? st->gauge_max : st->ulp_max;
    return v <= bound;
}
