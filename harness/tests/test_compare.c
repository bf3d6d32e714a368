/* Tests for harness/compare.c: N machines side by side, the ratio interval of
 * a speedup between machines, LF/CRLF and extra columns, a folder of machine
 * folders, and one test per rejection (each message names the file and line),
 * including the leak on a malformed machine.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../compare.h"
#include "../output.h"

#define MHDR "kind,name,threads,bytes,value,unit,machine,cpu_model,key,date\n"
#define HHDR "id,kind,role,kernel,baseline,shape,aggregate,threads,cache,verdict,figure,ci_lo,ci_hi,n,threshold\n"
#define KHDR "kernel,op,isa,rows,cols,batch,threads,cache,status,median_ns,ci_lo_ns,ci_hi_ns,gops_per_s\n"

struct fixture {
    char dir[256];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_compare.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) { return remove(p); }

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc = nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* dir/sub/file := text (folders made as needed) */
static void put(const struct fixture *fx, const char *sub, const char *file, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", fx->dir, sub);
    for (char *s = p + strlen(fx->dir) + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
    snprintf(p + strlen(p), sizeof p - strlen(p), "/%s", file);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Runs fk_compare on the given sub-folders of fx->dir; out and err captured. */
static int run_fmt(const struct fixture *fx, int n, const char *const *subs, enum fk_out_format fmt, char **out,
                   char **err);

static int run(const struct fixture *fx, int n, const char *const *subs, char **out, char **err)
{
    return run_fmt(fx, n, subs, FK_OUT_TABLE, out, err);
}

static int run_fmt(const struct fixture *fx, int n, const char *const *subs, enum fk_out_format fmt, char **out,
                   char **err)
{
    char *dirs[8], paths[8][512];
    for (int i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "%s%s%s", fx->dir, *subs[i] ? "/" : "", subs[i]);
        dirs[i] = paths[i];
    }
    size_t no, ne;
    FILE *o = open_memstream(out, &no), *e = open_memstream(err, &ne);
    assert_non_null(o);
    assert_non_null(e);
    int rc = fmt == FK_OUT_TABLE ? fk_compare(n, dirs, o, e) : fk_compare_format(n, dirs, fmt, o, e);
    fclose(o);
    fclose(e);
    return rc;
}

static void two_machines(const struct fixture *fx)
{
    /* identity rows (kind cpu) hold text in 'value', as ident.c writes them */
    put(fx, "a", "machine.csv", MHDR "cpu,signature,1,0,\"x86-64 GenuineIntel family 6 model 207; cores 2\",,a,CPU A,k,"
                                     "2026-01-01\nread_ceiling,DRAM,1,0,20,GB/s,a,CPU A,k,2026-01-01\n");
    put(fx, "a", "hypotheses.csv",
        HHDR "S1,speedup,claim,gemv.f32.x,gemv.f32.scalar,64x64,yes,1,hot,SUPPORTED,2,1.5,2.5,20,1.5\n"
             "E1,error,guard,gemv.f32.x,,64x64,yes,1,hot,SUPPORTED,0.5,0.5,0.5,64,16\n");
    put(fx, "a", "kernels.csv", KHDR "gemv.f32.x,gemv,x,64,64,1,1,hot,ok,1000,900,1100,8.192\n");
    /* B: CRLF line ends, extra provenance columns, a role-chosen kernel with another name */
    put(fx, "b", "machine.csv",
        "kind,name,threads,bytes,value,unit,machine,cpu_model,vendor,family,key,date\r\n"
        "read_ceiling,DRAM,1,0,40,GB/s,b,\"CPU B, \"\"quoted\"\"\",GenuineIntel,6,k,2026-01-02\r\n");
    put(fx, "b", "hypotheses.csv",
        "id,kind,role,kernel,baseline,shape,aggregate,threads,cache,verdict,figure,ci_lo,ci_hi,n,threshold,"
        "microcode\r\n"
        "S1,speedup,claim,gemv.f32.y,gemv.f32.scalar,64x64,yes,1,hot,SUPPORTED,4,3.5,5,20,1.5,0x2b\r\n"
        "E1,error,guard,gemv.f32.y,,64x64,yes,1,hot,FALSIFIED,20,20,20,64,16,0x2b\r\n");
}

static void test_two_machines(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    char *out, *err;
    const char *subs[] = {"a", "b"};
    assert_int_equal(run(fx, 2, subs, &out, &err), 0);
    assert_string_equal(err, "");
    assert_non_null(strstr(out, "M2  b "));
    assert_non_null(strstr(out, "CPU B, \"quoted\""));
    assert_non_null(strstr(out, "vendor=GenuineIntel"));
    /* the matrix: E1 differs, S1 agrees */
    assert_non_null(strstr(out, "E1                               guard SUPPORTED        FALSIFIED         differs"));
    assert_non_null(strstr(out, "2 hypotheses, 1 with different verdicts"));
    /* kernel throughput with its interval: 8.192 GOP/s, ops = 8192, [8192/1100, 8192/900] ns */
    assert_non_null(strstr(out, "8.19 [7.45, 9.1]"));
    /* the ratio 4/2 with [3.5/2.5, 5/1.5], matched across kernel names */
    assert_non_null(strstr(out, "M2/M1 2 [1.4, 3.33] stronger"));
    assert_non_null(strstr(out, "1 machine pairs compared: 1 changed strength"));
    free(out);
    free(err);
}

#define TIDY_HDR                                                                                                   \
    "table,machine,machine_name,hypothesis,role,kind,name,kernel,baseline,shape,threads,cache,verdict,supported,"  \
    "falsified,inconclusive,untestable,other,differs,gbytes_per_s,gflops_per_s,gops_per_s,gops_per_s_ci_lo,"       \
    "gops_per_s_ci_hi,median_ns,ci_lo_ns,ci_hi_ns,speedup,speedup_ci_lo,speedup_ci_hi,threshold,reference,"        \
    "ratio_to_reference,ratio_ci_lo,ratio_ci_hi,strength,note\n"

static void expect_in(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected '%s' in:\n%s", needle, hay);
}

/* --format csv: the long table, LF line ends, one row per machine and value */
static void test_format_csv(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    char *out, *err;
    const char *subs[] = {"a", "b"};
    assert_int_equal(run_fmt(fx, 2, subs, FK_OUT_CSV, &out, &err), 0);
    assert_string_equal(err, "");
    assert_int_equal(strncmp(out, TIDY_HDR, strlen(TIDY_HDR)), 0);
    assert_null(strchr(out, '\r'));
    assert_null(strstr(out, "== "));   /* not the table */
    expect_in(out, "\nceiling,M1,a,,,read_ceiling,DRAM,,,,1,,,,,,,,,20,,,,,,,,,,,,,,,,,\n");
    expect_in(out, "\nceiling,M2,b,,,read_ceiling,DRAM,,,,1,,,,,,,,,40,,,,,,,,,,,,,,,,,\n");
    expect_in(out, "\nverdicts,M2,b,E1,guard,error,,,,,,,FALSIFIED,0,1,0,0,0,yes,");
    expect_in(out, "\nverdicts,M1,a,S1,claim,speedup,,,,,,,SUPPORTED,1,0,0,0,0,no,");
    /* 8192 ops at 1000 ns [900, 1100] */
    expect_in(out, "\nthroughput,M1,a,,,,,gemv.f32.x,,64x64,1,hot,,,,,,,,,,8.192,7.44727273,9.10222222,1000,900,1100,");
    /* the ratio 4/2 with [3.5/2.5, 5/1.5] */
    expect_in(out, "\nspeedup,M2,b,S1,claim,speedup,,gemv.f32.y,gemv.f32.scalar,,1,hot,SUPPORTED,,,,,,,,,,,,,,,4,3.5,5,"
                   "1.5,M1,2,1.4,3.33333333,stronger,\n");
    expect_in(out, "\nspeedup,M1,a,S1,claim,speedup,,gemv.f32.x,gemv.f32.scalar,,1,hot,SUPPORTED,,,,,,,,,,,,,,,2,1.5,2.5,"
                   "1.5,M1,,,,,reference\n");
    /* 2 ceilings + 4 verdict cells + 1 kernel + 2 speedups, and the header */
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 10);
    free(out);
    free(err);
}

/* --format json: one document; the long table and the machines */
static void test_format_json(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    char *out, *err;
    const char *subs[] = {"a", "b"};
    assert_int_equal(run_fmt(fx, 2, subs, FK_OUT_JSON, &out, &err), 0);
    assert_string_equal(err, "");
    assert_int_equal(strncmp(out, "{\n  \"schema\": \"falsify.compare/1\",\n  \"meta\": {", 46), 0);
    expect_in(out, "\"machines\": \"2\"");
    expect_in(out, "{\"table\": \"speedup\", \"machine\": \"M2\", \"machine_name\": \"b\", \"hypothesis\": \"S1\"");
    expect_in(out, "\"speedup\": 4, \"speedup_ci_lo\": 3.5, \"speedup_ci_hi\": 5, \"threshold\": 1.5, \"reference\": "
                   "\"M1\", \"ratio_to_reference\": 2, \"ratio_ci_lo\": 1.4, \"ratio_ci_hi\": 3.33333333, \"strength\": "
                   "\"stronger\"");
    expect_in(out, "\"gops_per_s\": 8.192, \"gops_per_s_ci_lo\": 7.44727273");
    expect_in(out, "\"supported\": null");   /* absent numbers are null, never 0 */
    expect_in(out, "\"machines\": [\n    {\"machine\": \"M1\", \"machine_name\": \"a\"");
    expect_in(out, "\"cpu_model\": \"CPU B, \\\"quoted\\\"\", \"vendor\": \"GenuineIntel\", \"family\": \"6\"");
    expect_in(out, "\"machine_csv\": \"yes\", \"hypotheses_csv\": \"yes\", \"kernels_csv\": \"no\"}");
    assert_string_equal(out + strlen(out) - 4, "]\n}\n");
    free(out);
    free(err);
}

/* --format md: the table's sections as pipe tables, machines as columns */
static void test_format_md(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    char *out, *err;
    const char *subs[] = {"a", "b"};
    assert_int_equal(run_fmt(fx, 2, subs, FK_OUT_MD, &out, &err), 0);
    assert_string_equal(err, "");
    assert_null(strstr(out, "== "));
    expect_in(out, "\n| machine | name | cpu | identity | run | commit | files |\n| --- | --- |");
    expect_in(out, "\n| M2 | b | CPU B, \"quoted\" | vendor=GenuineIntel family=6 microcode=0x2b | 2026-01-02 | ? | "
                   "machine.csv hypotheses.csv |\n");
    expect_in(out, "\n| read_ceiling | DRAM | 1 | 20 | 40 |\n");
    expect_in(out, "\n| hypothesis | role | M1 | M2 | differs |\n| --- | --- | --- | --- | --- |\n");
    expect_in(out, "\n| E1 | guard | SUPPORTED | FALSIFIED | differs |\n");
    expect_in(out, "\n2 hypotheses, 1 with different verdicts between machines\n");
    expect_in(out, "\n| gemv.f32.x | 64x64 | 1 | hot | 8.19 [7.45, 9.1] | - |\n");
    expect_in(out, "\n| S1 T1 hot | 1.5x | M2 | gemv.f32.y vs gemv.f32.scalar | SUPPORTED | 4 [3.5, 5] | M2/M1 2 [1.4, 3.33] | "
                   "stronger |\n");
    expect_in(out, "\n1 machine pairs compared: 1 changed strength, 0 the same within the intervals\n");
    free(out);
    free(err);
}

/* md puts machines in columns: more than fit is an error naming the limit */
static void test_format_md_limit(void **state)
{
    struct fixture *fx = *state;
    for (int i = 0; i < 57; i++) {
        char sub[16];
        snprintf(sub, sizeof sub, "m%02d", i);
        put(fx, sub, "hypotheses.csv", HHDR "S1,speedup,claim,k,b,1x1,yes,1,hot,SUPPORTED,2,1,3,20,1.5\n");
    }
    char *out, *err;
    const char *subs[] = {""};
    assert_int_equal(run_fmt(fx, 1, subs, FK_OUT_MD, &out, &err), 2);
    expect_in(err, "at most 56 machines, got 57");
    free(out);
    free(err);
    assert_int_equal(run_fmt(fx, 1, subs, FK_OUT_JSON, &out, &err), 0);
    expect_in(out, "\"machines\": \"57\"");
    free(out);
    free(err);
}

/* a folder of machine folders stands for all of them; runs/ is not a machine */
static void test_parent_folder(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    put(fx, "runs", "hypotheses.csv", HHDR);
    put(fx, "c", "hypotheses.csv",
        HHDR "S1,speedup,claim,gemv.f32.x,gemv.f32.scalar,64x64,yes,1,hot,INCONCLUSIVE,2,1,3,20,1.5\n");
    char *out, *err;
    const char *subs[] = {""};
    assert_int_equal(run(fx, 1, subs, &out, &err), 0);
    assert_string_equal(err, "");
    assert_non_null(strstr(out, "3 machines"));
    assert_null(strstr(out, "runs"));
    assert_non_null(strstr(out, "M3/M1 1 [0.4, 2] same within the intervals"));
    free(out);
    free(err);
}

static void expect_error(const struct fixture *fx, const char *sub, const char *needle)
{
    char *out, *err;
    const char *subs[] = {"a", sub};
    assert_int_equal(run(fx, 2, subs, &out, &err), 2);
    if (!strstr(err, needle))
        fail_msg("expected '%s' in: %s", needle, err);
    assert_non_null(strstr(err, fx->dir));
    free(out);
    free(err);
}

static void test_rejects_missing_folder(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    expect_error(fx, "nonexistent", "/nonexistent: No such file or directory");
    put(fx, "empty/x", "notes.txt", "nothing\n");
    expect_error(fx, "empty", "/empty: no machine.csv, hypotheses.csv or kernels.csv");
}

static void test_rejects_malformed(void **state)
{
    struct fixture *fx = *state;
    two_machines(fx);
    put(fx, "m1", "machine.csv", MHDR "cache,L1d,1,32768,32768,bytes,m,c,k,d\nread_ceiling,DRAM,1,0,20\n");
    expect_error(fx, "m1", "m1/machine.csv:3: malformed CSV: 5 fields, the header (line 1) has 10");
    put(fx, "m2", "hypotheses.csv", HHDR "S1,speedup,claim,\"unterminated,x\n\n");
    expect_error(fx, "m2", "m2/hypotheses.csv:2: malformed CSV: quoted field never closed");
    put(fx, "m3", "hypotheses.csv",
        HHDR "S1,speedup,claim,k,b,1x1,yes,1,hot,SUPPORTED,2,1,3,20,1.5\n"
             "S2,speedup,claim,k,b,1x1,yes,1,hot,SUPPORTED,fast,1,3,20,1.5\n");
    expect_error(fx, "m3", "m3/hypotheses.csv:3: column 'figure' is 'fast', not a number");
    put(fx, "m4", "kernels.csv", "kernel,rows,cols\n");
    expect_error(fx, "m4", "m4/kernels.csv:1: malformed header: no column 'threads'");
    put(fx, "m5", "machine.csv", "");
    expect_error(fx, "m5", "m5/machine.csv:1: empty file");
    put(fx, "m7", "machine.csv", MHDR "read_ceiling,DRAM,1,0,fast,GB/s,m,c,k,d\n");
    expect_error(fx, "m7", "m7/machine.csv:2: column 'value' is 'fast', not a number");
    put(fx, "m6", "hypotheses.csv", HHDR "\"S1\"x,speedup\n");
    expect_error(fx, "m6", "m6/hypotheses.csv:2: malformed CSV: 'x' after a closing quote");
}

/* Regression: a malformed machine.csv used to leak its header and rows. */
static void test_no_leak_on_malformed(void **state)
{
#ifdef __GLIBC__
    struct fixture *fx = *state;
    two_machines(fx);
    put(fx, "bad", "machine.csv",
        MHDR "read_ceiling,L1,1,0,100,GB/s,m,c,k,d\nread_ceiling,L2,1,0,50,GB/s,m,c,k,d\nread_ceiling,DRAM\n");
    put(fx, "bad", "hypotheses.csv", HHDR);
    char *out, *err;
    const char *subs[] = {"a", "bad"};
    assert_int_equal(run(fx, 2, subs, &out, &err), 2); /* warm-up: stdio buffers, locale */
    free(out);
    free(err);
    size_t before = mallinfo2().uordblks;
    /* bytes in use drift by a few hundred (glibc's per-thread cache holds
     * freed chunks); the leak this guards against was ~1 KiB a run */
    for (int i = 0; i < 200; i++) {
        assert_int_equal(run(fx, 2, subs, &out, &err), 2);
        free(out);
        free(err);
    }
    size_t after = mallinfo2().uordblks;
    if (after > before + 8192)
        fail_msg("fk_compare leaked %zu bytes over 200 malformed runs", after - before);
    for (int i = 0; i < 20; i++) { /* the good path too */
        assert_int_equal(run(fx, 2, (const char *const[]){"a", "b"}, &out, &err), 0);
        free(out);
        free(err);
    }
    assert_true(mallinfo2().uordblks <= after + 8192);
#else
    skip();
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_machines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_md, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_md_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parent_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_leak_on_malformed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
