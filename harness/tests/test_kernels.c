/* Every discovered plugin against the oracle on edge shapes: one row, row
 * counts not a multiple of 4, a single column block, odd columns, large n;
 * called whole and split into row ranges (as the thread pool will), and
 * checked never to write outside its rows.  A plugin the CPU cannot run is
 * skipped and reported, never passed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../check.h"
#include "../cpu.h"
#include "../registry.h"
#include "../verify.h"
#include "gemm_shapes.h"

static const struct fk_shape edge_shapes[] = {
    {1, 1, 1},    {1, 32, 1},   {7, 32, 1},   {5, 31, 1},    {13, 64, 1},  {4, 33, 1},   {33, 100, 1},
    {64, 64, 1},  {3, 4096, 1}, {2, 16384, 1}, {1000, 32, 1}, {1, 256, 1},  {5, 512, 1},  {9, 2048, 1},
};
#define N_EDGE ((int)(sizeof edge_shapes / sizeof edge_shapes[0]))

/* Per-op edge shapes (rows x cols x batch) for the decode ops: one row,
 * odd cols, cols not a multiple of 8 or 16 (SIMD tails), realistic sizes. */
static const struct fk_shape dot_shapes[] = {
    {1, 1, 1}, {1, 7, 1}, {1, 33, 1}, {1, 100, 1}, {1, 4096, 1}, {1, 16383, 1},
};
static const struct fk_shape rmsnorm_shapes[] = {
    {1, 1, 1}, {1, 7, 1}, {2, 17, 1}, {3, 33, 1}, {5, 100, 1}, {4, 2048, 1}, {1, 4095, 1},
};
static const struct fk_shape softmax_shapes[] = {
    {1, 1, 1}, {1, 7, 1}, {2, 15, 1}, {3, 17, 1}, {7, 100, 1}, {32, 64, 1}, {1, 4096, 1}, {4, 4097, 1},
};
static const struct fk_shape swiglu_shapes[] = {
    {1, 1, 1}, {1, 7, 1}, {3, 13, 1}, {2, 31, 1}, {5, 100, 1}, {1, 5632, 1},
};
static const struct fk_shape rope_shapes[] = {  /* heads x head_dim (even) */
    {1, 2, 1}, {1, 6, 1}, {3, 10, 1}, {5, 14, 1}, {2, 126, 1}, {32, 64, 1}, {32, 128, 1},
};
static const struct fk_shape attention_shapes[] = {  /* heads x head_dim x positions */
    {1, 64, 1},  {2, 128, 1},  {1, 33, 9},   {3, 64, 17}, {7, 64, 16}, {5, 128, 33},
    {4, 80, 100}, {1, 64, 4096}, {2, 128, 4096},
};
#define SHAPES(a) (*n = (int)(sizeof a / sizeof a[0]), a)

/* The edge shapes a plugin of op is tried on (the generic list by default). */
static const struct fk_shape *op_edge_shapes(enum fk_op op, int *n)
{
    switch (op) {
    case FK_OP_DOT:       return SHAPES(dot_shapes);
    case FK_OP_RMSNORM:   return SHAPES(rmsnorm_shapes);
    case FK_OP_SOFTMAX:   return SHAPES(softmax_shapes);
    case FK_OP_SWIGLU:    return SHAPES(swiglu_shapes);
    case FK_OP_ROPE:      return SHAPES(rope_shapes);
    case FK_OP_ATTENTION: return SHAPES(attention_shapes);
    case FK_OP_GEMM:      return SHAPES(gemm_edge_shapes);
    default:              return SHAPES(edge_shapes);
    }
}
#define MAX_EDGE 64  /* no list above is longer */

struct kcase {
    const struct fk_ctx *c;
    const struct fk_entry *en;
};

static const unsigned seed = 7;

/* Runs [r0, r1) on a NaN-filled output and checks nothing else was written. */
static void check_range_discipline(const struct fk_inst *in, int64_t r0, int64_t r1)
{
    const struct fk_kernel *k = in->k;
    for (int64_t i = 0; i < in->out_count; i++)
        in->a.y[i] = NAN;
    if (k->prepare)
        k->prepare(&in->a);
    k->run(&in->a, r0, r1);
    for (int64_t i = 0; i < in->out_count; i++) {
        int64_t row = fk_op_output_row(k->op, &in->a.shape, i);
        if (row < r0 || row >= r1) {
            if (!isnan(in->a.y[i]))
                fail_msg("%s wrote output %lld outside its rows [%lld, %lld)", k->name, (long long)i, (long long)r0,
                         (long long)r1);
        } else if (isnan(in->a.y[i])) {
            fail_msg("%s left output %lld of its rows [%lld, %lld) unwritten", k->name, (long long)i, (long long)r0,
                     (long long)r1);
        }
    }
}

static void assert_gate(const struct fk_inst *in, const struct fk_case *cs, const char *how)
{
    struct fk_errstats st;
    const double *gauge = cs->gauge.count ? cs->gauge.data : NULL;
    fk_error_stats(in->a.y, cs->ref.data, gauge, in->out_count, &st);
    if (!fk_gate_pass(in->k, &cs->shape, &st)) {
        const char *metric;
        double bound = fk_gate_bound(in->k, &cs->shape, &metric);
        fail_msg("%s at %lldx%lld (%s): %s %.4g > bound %.4g (seed %u, output %lld)", in->k->name,
                 (long long)cs->shape.rows, (long long)cs->shape.cols, how, metric,
                 strcmp(metric, "gauge_max") == 0 ? st.gauge_max : st.ulp_max, bound, seed,
                 (long long)(strcmp(metric, "gauge_max") == 0 ? st.gauge_worst : st.ulp_worst));
    }
}

static void test_plugin(void **state)
{
    struct kcase *kc = *state;
    const struct fk_entry *en = kc->en;
    if (en->status != FK_RUNNABLE) {
        print_message("[  SKIP    ] %s: %s\n", en->k->name, en->why);
        skip();
    }
    const struct fk_kernel *k = en->k;
    int tested = 0, nedge;
    const struct fk_shape *shapes = op_edge_shapes(k->op, &nedge);
    for (int s = 0; s < nedge; s++) {
        const struct fk_shape *sh = &shapes[s];
        struct fk_err e;
        if (fk_shape_ok(k, sh, &e) != 0)
            continue;
        struct fk_case cs;
        if (fk_case_load(&cs, kc->c->oracle_dir, k->op, sh, seed, k->weights, k->acts, &e) != 0)
            fail_msg("%s", e.msg);
        struct fk_inst in;
        if (fk_inst_init(&in, k, &cs, &e) != 0)
            fail_msg("%s", e.msg);
        fk_inst_call(&in);
        assert_gate(&in, &cs, "whole");
        int64_t pieces[] = {1, 3, k->row_block, 2 * k->row_block + 1};
        for (int p = 0; p < 4; p++) {
            memset(in.a.y, 0, (size_t)in.out_count * sizeof(float));
            fk_inst_call_split(&in, pieces[p]);
            assert_gate(&in, &cs, "split");
        }
        int64_t rows = sh->rows;
        check_range_discipline(&in, 0, rows);
        if (rows > 2)
            check_range_discipline(&in, 1, rows - 1);
        if (rows > 5)
            check_range_discipline(&in, rows / 2, rows / 2 + 1);
        fk_inst_free(&in);
        fk_case_free(&cs);
        tested++;
    }
    if (tested < 3)
        fail_msg("%s: only %d edge shapes fit its rules (cols multiple of %d): add shapes", k->name, tested,
                 k->cols_multiple);
}

int main(void)
{
    struct fk_ctx c;
    memset(&c, 0, sizeof c);
    const char *dir = getenv("FALSIFY_PLUGINS") ? getenv("FALSIFY_PLUGINS") : "build/kernels";
    const char *py = getenv("FALSIFY_PYTHON") ? getenv("FALSIFY_PYTHON") : "/usr/bin/python3";
    snprintf(c.python, sizeof c.python, "%s", py);
    snprintf(c.oracle_dir, sizeof c.oracle_dir, "build/oracle");
    snprintf(c.oracle_script, sizeof c.oracle_script, "oracle/gen.py");
    c.cpu = fk_cpu_detect();
    struct fk_err e;
    if (fk_registry_scan(&c.reg, dir, c.cpu, &e) != 0) {
        fprintf(stderr, "test_kernels: %s\n", e.msg);
        return 1;
    }
    /* oracle vectors for every (op, shape, formats) a plugin will see */
    char **specs = calloc((size_t)(c.reg.n * MAX_EDGE + 1), sizeof *specs);
    int nspecs = 0, nplug = 0;
    for (int i = 0; i < c.reg.n; i++) {
        const struct fk_entry *en = &c.reg.e[i];
        if (en->status == FK_REFUSED) {
            fprintf(stderr, "test_kernels: refused %s\n", en->why);
            return 1;
        }
        nplug++;
        int nedge;
        const struct fk_shape *shapes = op_edge_shapes(en->k->op, &nedge);
        for (int s = 0; s < nedge; s++) {
            if (fk_shape_ok(en->k, &shapes[s], &e) != 0 ||
                fk_case_present(c.oracle_dir, en->k->op, &shapes[s], seed, en->k->weights, en->k->acts))
                continue;
            char spec[160];
            fk_case_spec(en->k->op, &shapes[s], seed, en->k->weights, en->k->acts, spec, sizeof spec);
            int dup = 0;
            for (int q = 0; q < nspecs; q++)
                dup |= strcmp(spec, specs[q]) == 0;
            if (!dup)
                specs[nspecs++] = strdup(spec);
        }
    }
    if (nplug == 0) {
        fprintf(stderr, "test_kernels: no plugins in %s (run make)\n", dir);
        return 1;
    }
    if (fk_oracle_ensure(&c, specs, nspecs, &e) != 0) {
        fprintf(stderr, "test_kernels: %s\n", e.msg);
        return 1;
    }
    for (int q = 0; q < nspecs; q++)
        free(specs[q]);
    free(specs);

    struct CMUnitTest *tests = calloc((size_t)nplug, sizeof *tests);
    struct kcase *kc = calloc((size_t)nplug, sizeof *kc);
    for (int i = 0; i < nplug; i++) {
        kc[i].c = &c;
        kc[i].en = &c.reg.e[i];
        tests[i].name = c.reg.e[i].k->name;
        tests[i].test_func = test_plugin;
        tests[i].initial_state = &kc[i];
    }
    int rc = _cmocka_run_group_tests("kernels vs oracle", tests, (size_t)nplug, NULL, NULL);
    free(tests);
    free(kc);
    fk_registry_free(&c.reg);
    return rc;
}
