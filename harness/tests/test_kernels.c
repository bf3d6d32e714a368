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

static const struct fk_shape edge_shapes[] = {
    {1, 1, 1},    {1, 32, 1},   {7, 32, 1},   {5, 31, 1},    {13, 64, 1},  {4, 33, 1},   {33, 100, 1},
    {64, 64, 1},  {3, 4096, 1}, {2, 16384, 1}, {1000, 32, 1}, {1, 256, 1},  {5, 512, 1},  {9, 2048, 1},
};
#define N_EDGE ((int)(sizeof edge_shapes / sizeof edge_shapes[0]))

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
    int tested = 0;
    for (int s = 0; s < N_EDGE; s++) {
        const struct fk_shape *sh = &edge_shapes[s];
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
    char **specs = calloc((size_t)(c.reg.n * N_EDGE + 1), sizeof *specs);
    int nspecs = 0, nplug = 0;
    for (int i = 0; i < c.reg.n; i++) {
        const struct fk_entry *en = &c.reg.e[i];
        if (en->status == FK_REFUSED) {
            fprintf(stderr, "test_kernels: refused %s\n", en->why);
            return 1;
        }
        nplug++;
        for (int s = 0; s < N_EDGE; s++) {
            if (fk_shape_ok(en->k, &edge_shapes[s], &e) != 0 ||
                fk_case_present(c.oracle_dir, en->k->op, &edge_shapes[s], seed, en->k->weights, en->k->acts))
                continue;
            char spec[160];
            fk_case_spec(en->k->op, &edge_shapes[s], seed, en->k->weights, en->k->acts, spec, sizeof spec);
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
