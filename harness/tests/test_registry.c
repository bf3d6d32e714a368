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
static int provenance_stub(const struct fk_shape *s, char *buf, size_t n)
{
    (void)s;
    snprintf(buf, n, "stub 1.0");
    return 0;
}

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
    /* a descriptor from before the optional tail: accepted, tail read as NULL */
    b = k;
    b.size = (uint32_t)FK_KERNEL_SIZE_V1;
    b.provenance = provenance_stub;
    assert_int_equal(fk_kernel_validate(&b, &e), 0);
    assert_null(fk_kernel_provenance(&b));
    assert_null(fk_kernel_release(&b));
    /* a peer must say which library and code path it is */
    b = k;
    b.flags = FK_KERNEL_PEER;
    assert_int_equal(fk_kernel_validate(&b, &e), -1);
    assert_non_null(strstr(e.msg, "provenance"));
    b.provenance = provenance_stub;
    assert_int_equal(fk_kernel_validate(&b, &e), 0);
    assert_non_null(fk_kernel_provenance(&b));
    b.size = (uint32_t)FK_KERNEL_SIZE_V1;  /* the field exists only in the new size */
    assert_int_equal(fk_kernel_validate(&b, &e), -1);

    /* an absent peer is named by its library, so its hypotheses say why */
    assert_non_null(fk_peer_library("gemv.f32.openblas"));
    assert_non_null(strstr(fk_peer_library("gemm.w8a8.onednn"), "libdnnl-dev"));
    assert_null(fk_peer_library("gemv.f32.*"));
    assert_null(fk_peer_library("gemv.f32.avx2"));
    assert_null(fk_peer_library("openblas"));

    struct fk_shape s = {4, 33, 1};
    k.cols_multiple = 32;
    assert_int_equal(fk_shape_ok(&k, &s, &e), -1);
    assert_non_null(strstr(e.msg, "multiple of 32"));
    s.cols = 64;
    assert_int_equal(fk_shape_ok(&k, &s, &e), 0);
}

/* An in-memory registry of descriptors (no plugins needed). */
static struct fk_kernel fake(const char *name, const char *isa, uint64_t req, uint32_t flags)
{
    struct fk_kernel k = {
        .abi = FK_ABI_VERSION, .size = sizeof(struct fk_kernel), .name = name, .isa = isa,
        .op = FK_OP_GEMV, .weights = FK_FMT_NONE, .acts = FK_FMT_F32, .requires = req, .flags = flags,
        .cols_multiple = 1, .row_block = 1, .run = run_noop, .cost = cost_noop,
    };
    return k;
}

#define X512 (FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ)
#define X2 (FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA)

static void test_roles(void **state)
{
    (void)state;
    struct fk_kernel k[] = {
        fake("gemv.w4a8.scalar", "scalar", 0, 0),
        fake("gemv.w4a8.avx2", "avx2", X2, 0),
        fake("gemv.w4a8.avx512vnni", "avx512vnni", X512 | FK_CPU_AVX512VNNI, 0),
        fake("gemv.w4a8.avxvnni", "avxvnni", X2 | FK_CPU_AVXVNNI, 0),
        fake("gemv.w4a8.mutant-x", "scalar", 0, FK_KERNEL_MUTANT),
        fake("gemv.q4_0.scalar", "scalar", 0, 0),
        fake("gemv.q4_0.avx2", "avx2", X2, 0),
        fake("gemv.q4_0.avx512", "avx512", X512, 0),
        fake("gemm.w4a8.amx-model", "amx-model", 0, FK_KERNEL_EMULATED),
        fake("gemm.w4a8.scalar", "scalar", 0, 0),
        fake("gemm.w4a8.amx", "amx", FK_CPU_AMX_TILE | FK_CPU_AMX_INT8 | FK_CPU_AVX512F, 0),
        fake("gemm.f32.avx512", "avx512", FK_CPU_AVX512F, 0),
        fake("gemm.f32.scalar", "scalar", 0, 0),
        fake("gemv.f32.tiled4x4", "sse", 0, 0),
        fake("gemv.f32.scalar", "scalar", 0, 0),
        fake("gemv.f32.openblas", "openblas", 0, FK_KERNEL_PEER),
        fake("gemv.w8a8.onednn", "onednn", 0, FK_KERNEL_PEER),
    };
    int n = (int)(sizeof k / sizeof k[0]);
    struct fk_entry e[sizeof k / sizeof k[0]];
    memset(e, 0, sizeof e);
    uint64_t all = X2 | X512 | FK_CPU_AVX512VNNI | FK_CPU_AVXVNNI | FK_CPU_AMX_TILE | FK_CPU_AMX_INT8 | FK_CPU_F16C;
    for (int i = 0; i < n; i++) {
        e[i].k = &k[i];
        e[i].status = FK_RUNNABLE;
    }
    struct fk_registry r = {.e = e, .n = n, .cpu = all};
    char why[1024];
    const struct fk_entry *x;

    /* declared rank, not name order: avx512vnni > avxvnni > avx2 */
    x = fk_registry_best(&r, "gemv.w4a8", all, why, sizeof why);
    assert_non_null(x);
    assert_string_equal(x->k->name, "gemv.w4a8.avx512vnni");
    /* AVX2 + AVX-VNNI only */
    x = fk_registry_best(&r, "gemv.w4a8", X2 | FK_CPU_AVXVNNI, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.w4a8.avxvnni");
    x = fk_registry_best(&r, "gemv.w4a8", X2, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.w4a8.avx2");
    /* never scalar or mutant: a baseline-only CPU has no best */
    x = fk_registry_best(&r, "gemv.w4a8", 0, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "no runnable SIMD variant of gemv.w4a8"));
    assert_non_null(strstr(why, "gemv.w4a8.scalar: scalar"));
    assert_non_null(strstr(why, "gemv.w4a8.mutant-x: mutant"));
    assert_non_null(strstr(why, "CPU lacks"));
    /* never emulated: without AMX the model is not picked, the real AMX is lacking */
    x = fk_registry_best(&r, "gemm.w4a8", X2 | X512, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "gemm.w4a8.amx-model: emulated"));
    x = fk_registry_best(&r, "gemm.w4a8", all, why, sizeof why);
    assert_string_equal(x->k->name, "gemm.w4a8.amx");
    /* tiled4x4 (baseline SIMD) outranks scalar */
    x = fk_registry_best(&r, "gemv.f32", 0, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.f32.tiled4x4");
    /* never a peer: a library answers only to its exact name */
    x = fk_registry_best(&r, "gemv.w8a8", all, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "gemv.w8a8.onednn: peer"));
    x = fk_registry_resolve(&r, "gemv.w8a8.onednn", NULL, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.w8a8.onednn");
    x = fk_registry_resolve(&r, "gemv.f32.blis", NULL, all, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "peer library not installed: BLIS"));
    x = fk_registry_best(&r, "gemv.nope", all, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "no gemv.nope kernel"));

    /* same-isa: the baseline of the subject's family */
    const struct fk_entry *s = fk_registry_find(&r, "gemv.w4a8.avx512vnni");
    x = fk_registry_same_isa(&r, "gemv.q4_0", s, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.avx512");
    s = fk_registry_find(&r, "gemv.w4a8.avxvnni");
    x = fk_registry_same_isa(&r, "gemv.q4_0", s, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.avx2");
    /* AMX has no f32 GEMM: the best one using no feature AMX's lacks */
    s = fk_registry_find(&r, "gemm.w4a8.amx");
    x = fk_registry_same_isa(&r, "gemm.f32", s, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemm.f32.avx512");
    /* scalar only for a scalar subject */
    s = fk_registry_find(&r, "gemv.w4a8.scalar");
    x = fk_registry_same_isa(&r, "gemv.q4_0", s, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.scalar");
    s = fk_registry_find(&r, "gemv.w4a8.avx2");
    x = fk_registry_same_isa(&r, "gemv.q4_0", s, X2, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.avx2");
    x = fk_registry_same_isa(&r, "gemm.f32", s, X2, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "gemm.f32"));

    /* resolve: names and roles */
    x = fk_registry_resolve(&r, "scalar:gemv.q4_0", NULL, all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.scalar");
    x = fk_registry_resolve(&r, "best:gemv.q4_0", NULL, X2, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.avx2");
    x = fk_registry_resolve(&r, "gemv.q4_0.avx2", NULL, X2, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.q4_0.avx2");
    x = fk_registry_resolve(&r, "fastest:gemv.q4_0", NULL, X2, why, sizeof why);
    assert_null(x);
    assert_non_null(strstr(why, "unknown role 'fastest'"));

    /* mask: runnable entries needing more than allowed become skipped, "masked" */
    fk_registry_mask(&r, X2 | FK_CPU_F16C, "x86-64-v3");
    x = fk_registry_find(&r, "gemv.q4_0.avx512");
    assert_int_equal(x->status, FK_SKIPPED);
    assert_non_null(strstr(x->why, "masked (x86-64-v3)"));
    assert_non_null(strstr(x->why, "avx512f"));
    assert_int_equal(fk_registry_find(&r, "gemv.q4_0.avx2")->status, FK_RUNNABLE);
    x = fk_registry_best(&r, "gemv.w4a8", all, why, sizeof why);
    assert_string_equal(x->k->name, "gemv.w4a8.avx2");
}

static void test_role_parse(void **state)
{
    (void)state;
    char of[64];
    struct fk_err e;
    assert_int_equal(fk_role_parse("gemv.f32.avx2", of, sizeof of, &e), FK_PICK_NONE);
    assert_int_equal(fk_role_parse("best:gemv.f32", of, sizeof of, &e), FK_PICK_BEST);
    assert_string_equal(of, "gemv.f32");
    assert_int_equal(fk_role_parse("same-isa:gemm.f32", of, sizeof of, &e), FK_PICK_SAME_ISA);
    assert_int_equal(fk_role_parse("scalar:gemv.q4_0", of, sizeof of, &e), FK_PICK_SCALAR);
    assert_int_equal(fk_role_parse("best:gemv.f32.avx2", of, sizeof of, &e), -1);
    assert_non_null(strstr(e.msg, "op.format"));
    assert_int_equal(fk_role_parse("best:gemv.*", of, sizeof of, &e), -1);
    assert_int_equal(fk_role_parse("top:gemv.f32", of, sizeof of, &e), -1);
    assert_non_null(strstr(e.msg, "unknown role 'top'"));
    int rank;
    const char *fam;
    rank = fk_variant_rank("avx512vnni", &fam);
    assert_true(rank > fk_variant_rank("avxvnni", NULL));
    assert_string_equal(fam, "avx512");
    assert_true(fk_variant_rank("amx", NULL) > rank);
    assert_true(fk_variant_rank("neondot", NULL) > fk_variant_rank("neon", NULL));
    assert_true(fk_variant_rank("neon", NULL) > fk_variant_rank("tiled4x4neon", NULL));
    assert_true(fk_variant_rank("tiled4x4", NULL) > fk_variant_rank("scalar", NULL));
    assert_int_equal(fk_variant_rank("scalar", NULL), 0);
    assert_int_equal(fk_variant_rank("amx-model", NULL), -1);
    assert_int_equal(fk_variant_rank("mutant-trap", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_validate_rules),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_role_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
