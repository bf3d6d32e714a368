/* Registry: malformed plugins are refused naming the file; a plugin whose
 * features the CPU lacks is skipped naming them; descriptor rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../cpu.h"
#include "../registry.h"

static const char *fixtures(void)
{
    const char *d = getenv("FALSIFY_FIXTURES");
    return d ? d : "build/tests/fixtures";
}

static const struct fk_entry *by_file(const struct fk_registry *r, const char *file)
{
    for (int i = 0; i < r->n; i++) {
        const char *slash = strrchr(r->e[i].path, '/');
        if (strcmp(slash ? slash + 1 : r->e[i].path, file) == 0)
            return &r->e[i];
    }
    return NULL;
}

static void test_fixtures(void **state)
{
    (void)state;
    struct fk_registry r;
    memset(&r, 0, sizeof r);
    struct fk_err e;
    /* judge as a CPU with AVX2 but no AMX */
    assert_int_equal(fk_registry_scan(&r, fixtures(), FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, &e), 0);

    const struct fk_entry *x = by_file(&r, "bad_abi.so");
    assert_non_null(x);
    assert_int_equal(x->status, FK_REFUSED);
    assert_non_null(strstr(x->why, "bad_abi.so"));
    assert_non_null(strstr(x->why, "ABI version"));

    x = by_file(&r, "bad_name.so");
    assert_non_null(x);
    assert_int_equal(x->status, FK_REFUSED);
    assert_non_null(strstr(x->why, "bad_name.so"));
    assert_non_null(strstr(x->why, "must start with 'gemv.'"));

    x = by_file(&r, "no_entry.so");
    assert_non_null(x);
    assert_int_equal(x->status, FK_REFUSED);
    assert_non_null(strstr(x->why, "no_entry.so"));
    assert_non_null(strstr(x->why, "fk_plugin_entry"));

    x = by_file(&r, "needs_amx.so");
    assert_non_null(x);
    assert_int_equal(x->status, FK_SKIPPED);
    assert_non_null(strstr(x->why, "amx-tile"));
    assert_non_null(strstr(x->why, "amx-int8"));
    assert_null(fk_registry_find(&r, "gemv.f32.future"));
    fk_registry_free(&r);
}

static void test_missing_dir(void **state)
{
    (void)state;
    struct fk_registry r;
    memset(&r, 0, sizeof r);
    struct fk_err e;
    assert_int_equal(fk_registry_scan(&r, "/nonexistent/plugins", 0, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/plugins"));
    fk_registry_free(&r);
}

static void run_noop(const struct fk_args *a, int64_t r0, int64_t r1) { (void)a; (void)r0; (void)r1; }
static void cost_noop(const struct fk_shape *s, struct fk_cost *c) { (void)s; memset(c, 0, sizeof *c); }

static void test_validate_rules(void **state)
{
    (void)state;
    struct fk_kernel k = {
        .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = "gemv.f32.ok", .isa = "scalar",
        .op = FK_OP_GEMV, .weights = FK_FMT_NONE, .acts = FK_FMT_F32, .cols_multiple = 1, .row_block = 1,
        .run = run_noop, .cost = cost_noop,
    };
    struct fk_err e;
    assert_int_equal(fk_kernel_validate(&k, &e), 0);
    struct fk_kernel b = k;
    b.name = "gemv.f32";
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    assert_non_null(strstr(e.msg, "op.format.variant"));
    b = k;
    b.run = NULL;
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    b = k;
    b.row_block = 0;
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    b = k;
    b.flags = FK_KERNEL_REPACKED;
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    assert_non_null(strstr(e.msg, "to_ggml"));
    b = k;
    b.weights = FK_FMT_Q4_0;  /* a weight format needs pack */
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    b = k;
    b.size = 8;
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    assert_non_null(strstr(e.msg, "size"));

    struct fk_shape s = {4, 33, 1};
    k.cols_multiple = 32;
    assert_int_equal(fk_shape_ok(&k, &s, &e), -1);
    assert_non_null(strstr(e.msg, "multiple of 32"));
    s.cols = 64;
    assert_int_equal(fk_shape_ok(&k, &s, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_validate_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
