/* `falsify decode` against the NumPy float64 forward pass (oracle/forward.py)
 * on the dequantized weights: for the small random model and the
 * stories15M shape, in every weight configuration, the logits of every
 * step within the bound of fk_decode_logit_bound and the greedy tokens
 * identical for 32 steps; prefill through GEMM and through GEMV agree; the
 * Bare-Metal Tensor Virtualization SwiGLU mutant (silu(h1)*h1*h3) wired in
 * with --swiglu is caught at model level. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "../decode.h"
#include "../decode_hypo.h"
#include "../npy.h"
#include "../cpu.h"

#define STEPS 32
#define PROMPT 4

static struct fk_registry reg, mut;

static int setup(void **state)
{
    (void)state;
    struct fk_err e;
    const char *dir = getenv("FALSIFY_PLUGINS") ? getenv("FALSIFY_PLUGINS") : "build/kernels";
    const char *mdir = getenv("FALSIFY_MUTANTS") ? getenv("FALSIFY_MUTANTS") : "build/mutants";
    uint64_t cpu = fk_cpu_detect();
    if (fk_registry_scan(&reg, dir, cpu, &e) != 0 || fk_registry_scan(&mut, mdir, cpu, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fk_registry_free(&reg);
    fk_registry_free(&mut);
    return 0;
}

struct outcome {
    int tokens[STEPS];
    float *logits;       /* (STEPS, vocab) */
    int same_tokens;     /* steps whose token equals the oracle's, from the start */
    double rho_max;      /* max |l - z| / (2^-24 gauge) over the matching steps */
    double bound;
};

/* Runs the engine greedily and the oracle on the same model. */
static void run_case(const char *preset, enum fk_wconf w, const struct fk_decode_opts *o, int with_oracle,
                     struct outcome *out)
{
    struct fk_err e;
    struct fk_model_cfg cfg;
    assert_int_equal(fk_model_preset_cfg(preset, &cfg, &e), 0);
    struct fk_model m;
    if (fk_model_synthetic(&m, preset, &cfg, w, 7, &e) != 0)
        fail_msg("%s", e.msg);
    struct fk_decoder d;
    if (fk_decoder_init(&d, &m, &reg, &mut, o, PROMPT, &e) != 0)
        fail_msg("%s", e.msg);
    int prompt[PROMPT];
    fk_decode_prompt(prompt, PROMPT, cfg.vocab, 7);
    memset(out, 0, sizeof *out);
    out->logits = calloc((size_t)STEPS * cfg.vocab, sizeof(float));
    assert_non_null(out->logits);
    if (fk_decoder_forward(&d, prompt, PROMPT, &e) != 0)
        fail_msg("%s", e.msg);
    for (int s = 0; s < STEPS; s++) {
        if (s > 0 && fk_decoder_forward(&d, &out->tokens[s - 1], 1, &e) != 0)
            fail_msg("%s", e.msg);
        memcpy(out->logits + (size_t)s * cfg.vocab, d.logits, (size_t)cfg.vocab * sizeof(float));
        out->tokens[s] = fk_decoder_argmax(&d);
    }
    out->bound = fk_decode_logit_bound(&m);
    if (with_oracle) {
        char dir[256], mdir[300], odir[300], cmd[2048], path[400];
        snprintf(dir, sizeof dir, "build/test-decode/%s-%s", preset, fk_wconf_name(w));
        snprintf(mdir, sizeof mdir, "%s/model", dir);
        snprintf(odir, sizeof odir, "%s/oracle", dir);
        if (fk_model_dump_npy(&m, mdir, &e) != 0)
            fail_msg("%s", e.msg);
        const char *py = getenv("FALSIFY_PYTHON") ? getenv("FALSIFY_PYTHON") : "/usr/bin/python3";
        int n = snprintf(cmd, sizeof cmd, "%s oracle/forward.py --model %s --out %s --steps %d --prompt ", py, mdir,
                         odir, STEPS);
        for (int i = 0; i < PROMPT; i++)
            n += snprintf(cmd + n, sizeof cmd - (size_t)n, "%d%s", prompt[i], i + 1 < PROMPT ? "," : "");
        assert_int_equal(system(cmd), 0);
        struct fk_npy tk, lg, ga;
        snprintf(path, sizeof path, "%s/tokens.npy", odir);
        assert_int_equal(fk_npy_read(path, &tk, &e), 0);
        snprintf(path, sizeof path, "%s/logits.npy", odir);
        assert_int_equal(fk_npy_read(path, &lg, &e), 0);
        snprintf(path, sizeof path, "%s/gauge.npy", odir);
        assert_int_equal(fk_npy_read(path, &ga, &e), 0);
        assert_int_equal(lg.count, (int64_t)STEPS * cfg.vocab);
        const int64_t *ot = tk.data;
        const double *z = lg.data, *g = ga.data;
        for (int s = 0; s < STEPS; s++) {
            for (int i = 0; i < cfg.vocab; i++) {
                const size_t j = (size_t)s * cfg.vocab + i;
                const double rho = fabs((double)out->logits[j] - z[j]) / (ldexp(1.0, -24) * g[j]);
                if (rho > out->rho_max)
                    out->rho_max = rho;
            }
            if (out->tokens[s] != ot[s])
                break;
            out->same_tokens++;
        }
        fk_npy_free(&tk);
        fk_npy_free(&lg);
        fk_npy_free(&ga);
        printf("  %-11s %-5s  %s: greedy tokens equal for %d/%d steps, logit error max %.4g (bound %.4g) x 2^-24 gauge\n",
               preset, fk_wconf_name(w), o->swiglu ? o->swiglu : "plugins", out->same_tokens, STEPS, out->rho_max,
               out->bound);
    }
    fk_decoder_free(&d);
    fk_model_free(&m);
}

static int emulated(void)
{
    const char *v = getenv("FALSIFY_EMULATED");
    return v && v[0] && strcmp(v, "0") != 0;
}

static void check_against_oracle(const char *preset)
{
    for (int w = 0; w < FK_WCONF_COUNT; w++) {
        /* two threads: the rows split as check splits them (one under qemu,
         * where spinning pool threads only slow the emulation down) */
        struct fk_decode_opts o = {.threads = emulated() ? 1 : 2};
        struct outcome r;
        run_case(preset, (enum fk_wconf)w, &o, 1, &r);
        assert_int_equal(r.same_tokens, STEPS);
        assert_true(r.rho_max <= r.bound);
        free(r.logits);
    }
}

static void test_tiny_all_configs(void **state)
{
    (void)state;
    check_against_oracle("tiny");
}

static void test_stories15m_all_configs(void **state)
{
    (void)state;
    if (emulated()) {  /* 32000 x 288 classifier in software f32: minutes per configuration */
        printf("  stories15M: not run under emulation (tiny covers every configuration)\n");
        skip();
    }
    check_against_oracle("stories15M");
}

/* GEMM prefill and GEMV-per-row prefill, and decode through the GEMM
 * plugin at batch 1, one thread and two: the same greedy tokens. */
static void test_prefill_paths_agree(void **state)
{
    (void)state;
    const enum fk_wconf ws[] = {FK_WCONF_F32, FK_WCONF_W4A8};
    for (size_t i = 0; i < 2; i++) {
        struct fk_decode_opts a = {.threads = 1}, b = {.threads = emulated() ? 1 : 2, .no_gemm = 1},
                              c = {.threads = emulated() ? 1 : 2, .gemm_decode = 1};
        struct outcome ra, rb, rc;
        run_case("tiny", ws[i], &a, 0, &ra);
        run_case("tiny", ws[i], &b, 0, &rb);
        run_case("tiny", ws[i], &c, 0, &rc);  /* decode tokens through the GEMM plugin at batch 1 */
        assert_memory_equal(ra.tokens, rb.tokens, sizeof ra.tokens);
        assert_memory_equal(ra.tokens, rc.tokens, sizeof ra.tokens);
        free(ra.logits);
        free(rb.logits);
        free(rc.logits);
    }
}

/* The mutant must be caught: tokens diverge or logits leave the bound. */
static void test_swiglu_mutant_caught(void **state)
{
    (void)state;
    if (!fk_registry_find(&mut, "swiglu.f32.mutant-wrongoperand"))
        skip();
    struct fk_decode_opts o = {.threads = 1, .swiglu = "swiglu.f32.mutant-wrongoperand"};
    struct outcome r;
    run_case("tiny", FK_WCONF_F32, &o, 1, &r);
    assert_true(r.same_tokens < STEPS || r.rho_max > r.bound);
    assert_true(r.rho_max > 100.0 * r.bound);  /* not a near miss */
    free(r.logits);
}

static void test_bad_override(void **state)
{
    (void)state;
    struct fk_err e;
    struct fk_model_cfg cfg;
    struct fk_model m;
    assert_int_equal(fk_model_preset_cfg("tiny", &cfg, &e), 0);
    assert_int_equal(fk_model_synthetic(&m, "tiny", &cfg, FK_WCONF_F32, 1, &e), 0);
    struct fk_decoder d;
    struct fk_decode_opts o = {.threads = 1, .gemv = "gemv.q4_0.scalar"};
    assert_int_equal(fk_decoder_init(&d, &m, &reg, &mut, &o, 1, &e), -1);
    assert_non_null(strstr(e.msg, "gemv.q4_0.scalar"));
    o.gemv = NULL;
    o.attention = "rope.f32.scalar";
    assert_int_equal(fk_decoder_init(&d, &m, &reg, &mut, &o, 1, &e), -1);
    assert_non_null(strstr(e.msg, "this op needs attention"));
    o.attention = "attention.f32.nosuch";
    assert_int_equal(fk_decoder_init(&d, &m, &reg, &mut, &o, 1, &e), -1);
    assert_non_null(strstr(e.msg, "no such plugin"));
    fk_model_free(&m);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* decode.ini: bad input exits 2 naming file, section and key; a good file
 * is judged (memory measured, 4 threads UNTESTABLE here with the reason). */
static void test_decode_hypotheses(void **state)
{
    (void)state;
    struct fk_err e;
    assert_int_equal(fk_mkdirs("build/test-decode", &e), 0);
    int th[1] = {1};
    const char *py = getenv("FALSIFY_PYTHON") ? getenv("FALSIFY_PYTHON") : "/usr/bin/python3";
    struct fk_decode_env env = {&reg, &mut, NULL, NULL, "build/test-decode/results", "test", "test cpu", 2, 0, 1,
                                7, th, 1, py, "oracle/gen.py"};
    static const char *const bad[] = {
        "[a]\nclaim = c\nsource = s\nkind = speedy\nmodel = tiny\nsubject = f32\nthreshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = f32\nthreshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = memory\nmodel = huge\nsubject = f32\nthreshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f33@1\nthreshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f32@1:gemv=gemv.f32.nosuch\n"
        "threshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f32\nthreshold = -1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f32\nthreshold = 1\nrole = claim\n"
        "colour = red\n",
        "[a]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = f32:engine=numpy,gemv=gemv.f32.scalar\n"
        "baseline = f32\nthreshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = roofline\nmodel = tiny\nsubject = f32:engine=numpy\n"
        "threshold = 1\nrole = claim\n",
        "[a]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = f32:decode=tiles\n"
        "baseline = f32\nthreshold = 1\nrole = claim\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file("build/test-decode/bad.ini", bad[i]);
        assert_int_equal(fk_decode_hypotheses(&env, "build/test-decode/bad.ini"), 2);
    }
    /* the project's own file stays valid */
    assert_int_equal(fk_decode_hypotheses_validate(&env, "hypotheses/decode.ini"), 0);
    assert_int_equal(fk_decode_hypotheses_validate(&env, "hypotheses/decode-small.ini"), 0);
    write_file("build/test-decode/good.ini",
               "[mem]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = w4a8@1:gemm=none\n"
               "threshold = 100\nrole = guard\n"
               "[four]\nclaim = c\nsource = s\nkind = parity\nmodel = tiny\nsubject = w4a8@4\n"
               "baseline = int4@4\nthreshold = 1\nrole = claim\n"
               "[numpy]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = w4a8@1:engine=numpy\n"
               "baseline = w4a8@1:decode=gemm\nthreshold = 1000\nbudget_s = 2\nrole = claim\n");
    assert_int_equal(fk_decode_hypotheses(&env, "build/test-decode/good.ini"), 0);
    FILE *f = fopen("build/test-decode/results/decode_hypotheses.csv", "r");
    assert_non_null(f);
    char line[4096];
    int mem = 0, four = 0, numpy = 0;
    while (fgets(line, sizeof line, f)) {
        mem |= !strncmp(line, "mem,", 4) && strstr(line, ",SUPPORTED,") != NULL;
        four |= !strncmp(line, "four,", 5) && strstr(line, ",UNTESTABLE,") && strstr(line, "needs 4 threads");
        /* the NumPy engine timed token by token (not 1000x faster than the plugins) */
        numpy |= !strncmp(line, "numpy,", 6) && strstr(line, ",FALSIFIED,");
    }
    fclose(f);
    assert_true(mem);
    assert_true(four);
    assert_true(numpy);
    /* a guard FALSIFIED fails the run (exit 1, as check --strict); the same
     * verdict on a claim does not */
    write_file("build/test-decode/guard.ini",
               "[mem-guard]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f32@1\n"
               "threshold = 0.01\nrole = guard\n");
    assert_int_equal(fk_decode_hypotheses(&env, "build/test-decode/guard.ini"), 1);
    write_file("build/test-decode/claim.ini",
               "[mem-claim]\nclaim = c\nsource = s\nkind = memory\nmodel = tiny\nsubject = f32@1\n"
               "threshold = 0.01\nrole = claim\n");
    assert_int_equal(fk_decode_hypotheses(&env, "build/test-decode/claim.ini"), 0);
    /* a configuration that cannot be built (wrong op for a plugin) is not a
     * capability: the run fails, as check --strict fails it */
    write_file("build/test-decode/broken.ini",
               "[broken]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = f32@1\n"
               "baseline = f32@1:attention=rope.f32.scalar\nthreshold = 1\nrole = claim\n");
    assert_int_equal(fk_decode_hypotheses(&env, "build/test-decode/broken.ini"), 1);
}

/* Runs `falsify decode ARGS` (stderr to build/test-decode/err.txt):
 * the exit status, or -1 where the binary cannot be run (qemu-user cannot
 * exec an aarch64 binary from the emulated process). */
static int run_cli(const char *env_prefix, const char *args)
{
    const char *emu = getenv("FALSIFY_EMULATED");
    if (emu && emu[0] && strcmp(emu, "0") != 0)
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s decode %s --no-write --quiet --results build/test-decode/cli >/dev/null "
             "2>build/test-decode/err.txt", env_prefix, getenv("FALSIFY_BIN") ? getenv("FALSIFY_BIN") : "build/falsify",
             args);
    const int st = system(cmd);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void assert_err_names(const char *a, const char *b, const char *c)
{
    char text[2048] = "";
    FILE *f = fopen("build/test-decode/err.txt", "r");
    assert_non_null(f);
    const size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    printf("  %s", text);
    if (!strstr(text, a) || !strstr(text, b) || !strstr(text, c))
        fail_msg("stderr '%s' does not name '%s', '%s' and '%s'", text, a, b, c);
}

/* Plugins run in the harness process during decode (no fork sandbox): a
 * faulting or hanging one ends the run with exit 1, naming the plugin and
 * the op, at 1 and 2 threads and under --hypotheses; never a hang. */
static void test_plugin_fault_and_hang(void **state)
{
    (void)state;
    struct fk_err e;
    assert_int_equal(fk_mkdirs("build/test-decode", &e), 0);
    int rc = run_cli("", "--preset tiny --weights f32 --no-gemm --gemv gemv.f32.mutant-trap --steps 4");
    if (rc < 0)
        skip();
    assert_int_equal(rc, 1);
    assert_err_names("gemv.f32.mutant-trap", "op qkv, layer 0", "SIGILL");
    rc = run_cli("", "--preset tiny --weights f32 --no-gemm --gemv gemv.f32.mutant-trap --steps 4 --threads 2");
    assert_int_equal(rc, 1);
    assert_err_names("gemv.f32.mutant-trap", "op qkv", "crashed");
    rc = run_cli("FALSIFY_CALL_DEADLINE_S=1", "--preset tiny --weights f32 --gemv gemv.f32.mutant-hang --threads 2");
    assert_int_equal(rc, 1);
    assert_err_names("gemv.f32.mutant-hang", "op classifier", "did not return within");
    write_file("build/test-decode/hang.ini",
               "[h]\nclaim = c\nsource = s\nkind = speedup\nmodel = tiny\nsubject = f32@1\n"
               "baseline = f32@1:gemv=gemv.f32.mutant-hang\nthreshold = 1\nrole = claim\n");
    rc = run_cli("FALSIFY_CALL_DEADLINE_S=1", "--hypotheses build/test-decode/hang.ini");
    assert_int_equal(rc, 1);
    assert_err_names("gemv.f32.mutant-hang", "(op ", "did not return within");
    /* a deadline that is not a number is bad input */
    assert_int_equal(run_cli("FALSIFY_CALL_DEADLINE_S=soon", "--preset tiny --weights f32 --steps 4"), 2);
    assert_err_names("FALSIFY_CALL_DEADLINE_S", "soon", "seconds");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_override),
        cmocka_unit_test(test_decode_hypotheses),
        cmocka_unit_test(test_plugin_fault_and_hang),
        cmocka_unit_test(test_tiny_all_configs),
        cmocka_unit_test(test_prefill_paths_agree),
        cmocka_unit_test(test_swiglu_mutant_caught),
        cmocka_unit_test(test_stories15m_all_configs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
