/* Roles and UNTESTABLE causes through fk_check_run --plan (nothing is
 * measured): a claim named by ISA on a CPU without it is UNTESTABLE for
 * "naming", and fk_untestable_counts flags it (what --strict fails on); a
 * role resolves; a declared `needs`, a glob over every variant, cores and
 * emulation are legitimate causes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../check.h"
#include "../cpu.h"

static void run_noop(const struct fk_args *a, int64_t r0, int64_t r1) { (void)a; (void)r0; (void)r1; }
static void cost_noop(const struct fk_shape *s, struct fk_cost *c) { (void)s; memset(c, 0, sizeof *c); }

#define X2 (FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA)
#define X512 (FK_CPU_AVX512F | FK_CPU_AVX512DQ | FK_CPU_AVX512VL)

static struct fk_kernel kernels[] = {
    {.name = "gemv.f32.scalar", .isa = "scalar", .requires = 0},
    {.name = "gemv.f32.avx2", .isa = "avx2", .requires = X2},
    {.name = "gemv.f32.avx512", .isa = "avx512", .requires = X512},
    {.name = "gemm.f32.scalar", .isa = "scalar", .requires = 0, .op = FK_OP_GEMM},
    {.name = "gemv.f32.peerlib", .isa = "avx512", .requires = X512, .flags = FK_KERNEL_PEER},
};
#define NK ((int)(sizeof kernels / sizeof kernels[0]))

struct env {
    struct fk_entry e[NK];
    struct fk_ctx c;
};

/* A registry judged against cpu, as fk_registry_scan would leave it. */
static void setup_env(struct env *v, uint64_t cpu)
{
    memset(v, 0, sizeof *v);
    for (int i = 0; i < NK; i++) {
        struct fk_kernel *k = &kernels[i];
        k->abi = FK_ABI_VERSION;
        k->size = sizeof *k;
        if (!k->op)
            k->op = FK_OP_GEMV;
        k->acts = FK_FMT_F32;
        k->cols_multiple = k->row_block = 1;
        k->run = run_noop;
        k->cost = cost_noop;
        v->e[i].k = k;
        v->e[i].missing = k->requires & ~cpu;
        v->e[i].status = v->e[i].missing ? FK_SKIPPED : FK_RUNNABLE;
        if (v->e[i].missing)
            snprintf(v->e[i].why, sizeof v->e[i].why, "CPU lacks it");
    }
    v->c.reg.e = v->e;
    v->c.reg.n = NK;
    v->c.reg.cpu = cpu;
    v->c.cpu = cpu;
    v->c.ncpu = 2;
    v->c.plan = 1;
    v->c.quiet = 1;
    snprintf(v->c.oracle_dir, sizeof v->c.oracle_dir, "/nonexistent");
}

static struct fk_hypo hypo(const char *id, enum fk_kind kind, const char *subject, const char *baseline)
{
    struct fk_hypo h;
    memset(&h, 0, sizeof h);
    snprintf(h.id, sizeof h.id, "%s", id);
    snprintf(h.file, sizeof h.file, "test");
    h.kind = kind;
    snprintf(h.subject, sizeof h.subject, "%s", subject);
    snprintf(h.baseline, sizeof h.baseline, "%s", baseline);
    h.shapes[0] = (struct fk_shape){64, 64, kind == FK_KIND_SPEEDUP && strstr(subject, "gemm") ? 4 : 1};
    h.nshapes = 1;
    h.threads[0] = 1;
    h.nthreads = 1;
    h.threshold = 1.5;
    h.role = FK_ROLE_CLAIM;
    h.budget_s = 1;
    h.tolerance = 0.05;
    snprintf(h.metric, sizeof h.metric, "gauge_max");
    return h;
}

/* The aggregate row of hypothesis id for kernel (NULL: any). */
static const struct fk_hrow *agg(const struct fk_run *run, const char *id, const char *kernel)
{
    for (int i = 0; i < run->nh; i++)
        if (run->h[i].aggregate && strcmp(run->h[i].h->id, id) == 0 &&
            (!kernel || strcmp(run->h[i].kernel, kernel) == 0))
            return &run->h[i];
    return NULL;
}

static void test_causes_avx2_cpu(void **state)
{
    (void)state;
    struct env *v = calloc(1, sizeof *v);
    setup_env(v, X2);
    struct fk_hypo h[] = {
        hypo("by-role", FK_KIND_SPEEDUP, "best:gemv.f32", "scalar:gemv.f32"),
        hypo("by-glob", FK_KIND_ERROR, "gemv.f32.*", ""),
        hypo("by-needs", FK_KIND_SPEEDUP, "gemv.f32.avx512", "scalar:gemv.f32"),
        hypo("four-cores", FK_KIND_SCALING, "best:gemv.f32", ""),
    };
    h[2].needs = FK_CPU_AVX512F;
    snprintf(h[2].needs_text, sizeof h[2].needs_text, "avx512f");
    h[3].threads[0] = 4;
    struct fk_hypo hp[5];
    memcpy(hp, h, sizeof h);
    /* a peer is named exactly: what it lacks is the claim's capability */
    hp[4] = hypo("vs-peer", FK_KIND_SPEEDUP, "best:gemv.f32", "gemv.f32.peerlib");
    struct fk_run run;
    struct fk_err e;
    assert_int_equal(fk_check_run(&v->c, hp, 5, &run, &e), 0);

    const struct fk_hrow *r = agg(&run, "by-role", NULL);
    assert_non_null(r);
    assert_string_equal(r->kernel, "gemv.f32.avx2");     /* the best runnable, not avx512 */
    assert_string_equal(r->baseline, "gemv.f32.scalar");
    assert_int_not_equal(r->verdict, FK_UNTESTABLE);
    r = agg(&run, "by-glob", "gemv.f32.avx512");
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_CAPABILITY);
    r = agg(&run, "by-needs", NULL);
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_CAPABILITY);
    assert_non_null(strstr(r->reason, "avx512f"));
    r = agg(&run, "four-cores", NULL);
    assert_int_equal(r->cause, FK_UC_CORES);
    r = agg(&run, "vs-peer", NULL);
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_CAPABILITY);

    int counts[FK_UC_COUNT];
    assert_int_equal(fk_untestable_counts(&run, counts), 0);  /* --strict passes */
    assert_int_equal(counts[FK_UC_CAPABILITY], 3);
    assert_int_equal(counts[FK_UC_CORES], 1);
    fk_run_free(&run);
    free(v);
}

/* The same claims named by ISA without `needs`, and a role nothing answers:
 * naming, and --strict would fail. */
static void test_naming_fails(void **state)
{
    (void)state;
    struct env *v = calloc(1, sizeof *v);
    setup_env(v, X2);
    struct fk_hypo h[] = {
        hypo("tied-to-avx512", FK_KIND_SPEEDUP, "gemv.f32.avx512", "gemv.f32.scalar"),
        hypo("no-simd-gemm", FK_KIND_SPEEDUP, "best:gemm.f32", "scalar:gemm.f32"),
        hypo("missing-baseline", FK_KIND_SPEEDUP, "best:gemv.f32", "gemv.f32.avx512"),
    };
    struct fk_run run;
    struct fk_err e;
    assert_int_equal(fk_check_run(&v->c, h, 3, &run, &e), 0);
    const struct fk_hrow *r = agg(&run, "tied-to-avx512", NULL);
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_NAMING);
    r = agg(&run, "no-simd-gemm", NULL);
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_NAMING);
    assert_non_null(strstr(r->reason, "no runnable SIMD variant of gemm.f32"));
    r = agg(&run, "missing-baseline", NULL);
    assert_int_equal(r->verdict, FK_UNTESTABLE);
    assert_int_equal(r->cause, FK_UC_NAMING);
    int counts[FK_UC_COUNT];
    assert_true(fk_untestable_counts(&run, counts) >= 3);
    assert_int_equal(counts[FK_UC_NAMING], 3);
    fk_run_free(&run);

    /* under emulation the speed claims are UNTESTABLE for that, not naming */
    v->c.emulated = 1;
    assert_int_equal(fk_check_run(&v->c, h + 1, 1, &run, &e), 0);
    assert_int_equal(agg(&run, "no-simd-gemm", NULL)->cause, FK_UC_EMULATED);
    assert_int_equal(fk_untestable_counts(&run, counts), 0);
    fk_run_free(&run);
    free(v);
}

/* AVX-512: the role moves up; the --isa mask moves it back down, "masked". */
static void test_mask(void **state)
{
    (void)state;
    struct env *v = calloc(1, sizeof *v);
    setup_env(v, X2 | X512);
    struct fk_hypo h[] = {hypo("by-role", FK_KIND_SPEEDUP, "best:gemv.f32", "scalar:gemv.f32")};
    struct fk_run run;
    struct fk_err e;
    assert_int_equal(fk_check_run(&v->c, h, 1, &run, &e), 0);
    assert_string_equal(agg(&run, "by-role", NULL)->kernel, "gemv.f32.avx512");
    fk_run_free(&run);
    uint64_t mask;
    assert_int_equal(fk_isa_mask_parse("x86-64-v3", &mask, &e), 0);
    fk_registry_mask(&v->c.reg, mask, "x86-64-v3");
    assert_int_equal(fk_check_run(&v->c, h, 1, &run, &e), 0);
    assert_string_equal(agg(&run, "by-role", NULL)->kernel, "gemv.f32.avx2");
    fk_run_free(&run);
    free(v);
}

static void test_mask_parse(void **state)
{
    (void)state;
    uint64_t m;
    struct fk_err e;
    assert_int_equal(fk_isa_mask_parse("x86-64-v3", &m, &e), 0);
    assert_true((m & X2) == X2);
    assert_int_equal(m & FK_CPU_AVX512F, 0);
    assert_int_equal(fk_isa_mask_parse("x86-64-v4", &m, &e), 0);
    assert_true(m & FK_CPU_AVX512BW);
    assert_int_equal(m & FK_CPU_AVX512VNNI, 0);
    assert_int_equal(fk_isa_mask_parse("x86-64-v3, avxvnni", &m, &e), 0);
    assert_true(m & FK_CPU_AVXVNNI);
    assert_int_equal(fk_isa_mask_parse("avx,avx2", &m, &e), 0);
    assert_int_equal(m, FK_CPU_AVX | FK_CPU_AVX2);
    assert_int_equal(fk_isa_mask_parse("x86-64-v2", &m, &e), 0);
    assert_int_equal(m, 0);
    assert_int_equal(fk_isa_mask_parse("x86-64-v5", &m, &e), -1);
    assert_non_null(strstr(e.msg, "unknown level or feature 'x86-64-v5'"));
    assert_int_equal(fk_isa_mask_parse(" , ", &m, &e), -1);
    assert_non_null(strstr(e.msg, "empty"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_causes_avx2_cpu),
        cmocka_unit_test(test_naming_fails),
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_mask_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
