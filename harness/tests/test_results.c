/* Results that accumulate: merge by key (a partial run replaces only its
 * keys and says which), the one-unit commit (a failed write leaves the old
 * set intact; an interrupted commit is rolled forward), LF line endings,
 * and the preflight before measuring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../results.h"

static char root[64];

static void put(const char *rel, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *get(const char *rel)
{
    static char buf[8192];
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/falsify-results-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    char p[512];
    snprintf(p, sizeof p, "%s/runs/r2", root);
    struct fk_err e;
    return fk_mkdirs(p, &e);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

#define HYP_HDR "id,kind,kernel,shape,aggregate,threads,cache,verdict,reason\n"
#define KER_HDR "kernel,rows,cols,batch,threads,cache,median_ns\n"
#define SMP_HDR "hypothesis,arm,shape,threads,cache,pair,ns_per_call\n"

/* The set an earlier full run left: H1 and H2, CRLF as older versions wrote. */
static void old_set(void)
{
    put("hypotheses.csv", "id,kind,kernel,shape,aggregate,threads,cache,verdict\r\n"
                          "H1,speedup,k.a,64x64,no,1,hot,SUPPORTED\r\n"
                          "H1,speedup,k.a,64x64,yes,1,hot,SUPPORTED\r\n"
                          "H2,error,k.b,64x64,yes,1,hot,\"FALSIFIED, badly\"\r\n");
    put("kernels.csv", KER_HDR "k.a,64,64,1,1,hot,100\nk.b,64,64,1,1,hot,200\n");
    put("samples.csv", SMP_HDR "H1,k.a,64x64,1,hot,0,100\nH2,k.b,64x64,1,hot,0,200\n");
}

/* A partial run: H1 only, with a new column (reason) older files lack. */
static void run_set(const char *hyp_extra)
{
    char h[1024];
    snprintf(h, sizeof h, HYP_HDR "H1,speedup,k.a,64x64,no,1,hot,FALSIFIED,slower\n"
                                  "H1,speedup,k.a,64x64,yes,1,hot,FALSIFIED,slower\n%s", hyp_extra);
    put("runs/r2/hypotheses.csv", h);
    put("runs/r2/kernels.csv", KER_HDR "k.a,64,64,1,1,hot,150\n");
    put("runs/r2/samples.csv", SMP_HDR "H1,k.a,64x64,1,hot,0,150\n");
}

static void test_merge_by_key(void **state)
{
    (void)state;
    old_set();
    run_set("");
    struct fk_merge_stats st[FK_RESULT_FILES];
    struct fk_err e;
    assert_int_equal(fk_results_merge_run(root, "r2", st, &e), 0);
    const char *h = get("hypotheses.csv");
    /* H2 kept (mapped onto the new header, reason empty), H1 replaced */
    assert_non_null(strstr(h, HYP_HDR));
    assert_non_null(strstr(h, "H2,error,k.b,64x64,yes,1,hot,\"FALSIFIED, badly\",\n"));
    assert_null(strstr(h, "H1,speedup,k.a,64x64,no,1,hot,SUPPORTED"));
    assert_non_null(strstr(h, "H1,speedup,k.a,64x64,yes,1,hot,FALSIFIED,slower\n"));
    assert_null(strchr(h, '\r'));  /* LF only */
    assert_int_equal(st[1].new_rows, 2);
    assert_int_equal(st[1].replaced, 2);
    assert_int_equal(st[1].kept, 1);
    assert_string_equal(st[1].replaced_ids, "H1");
    const char *k = get("kernels.csv");
    assert_non_null(strstr(k, "k.b,64,64,1,1,hot,200\n"));
    assert_non_null(strstr(k, "k.a,64,64,1,1,hot,150\n"));
    assert_null(strstr(k, "k.a,64,64,1,1,hot,100"));
    assert_int_equal(st[0].replaced, 1);
    assert_non_null(strstr(get("samples.csv"), "H2,k.b,64x64,1,hot,0,200\n"));
    /* no journal or staging left */
    assert_null(get(".commit"));
    char p[512];
    snprintf(p, sizeof p, "%s/.staging-r2", root);
    assert_int_not_equal(access(p, F_OK), 0);
}

/* The run's hypotheses.csv is malformed: the merge fails after kernels.csv
 * was staged; the old set is untouched and nothing is left behind. */
static void test_failed_write_keeps_old_set(void **state)
{
    (void)state;
    old_set();
    run_set("H3,speedup,\"k.c,64x64,yes,1,hot,SUPPORTED,unterminated\n");
    char before[3][8192];
    for (int i = 0; i < FK_RESULT_FILES; i++)
        snprintf(before[i], sizeof before[i], "%s", get(fk_result_files[i]));
    struct fk_merge_stats st[FK_RESULT_FILES];
    struct fk_err e;
    assert_int_equal(fk_results_merge_run(root, "r2", st, &e), -1);
    assert_non_null(strstr(e.msg, "unterminated quoted field"));
    for (int i = 0; i < FK_RESULT_FILES; i++)
        assert_string_equal(get(fk_result_files[i]), before[i]);
    assert_null(get(".commit"));
    char p[512];
    snprintf(p, sizeof p, "%s/.staging-r2", root);
    assert_int_not_equal(access(p, F_OK), 0);
}

/* Interrupted after the journal, with one file already moved: the next run
 * finishes the commit, never leaving old and new files side by side. */
static void test_interrupted_commit_rolls_forward(void **state)
{
    (void)state;
    old_set();
    char p[512];
    snprintf(p, sizeof p, "%s/.staging-r9", root);
    assert_int_equal(mkdir(p, 0777), 0);
    put(".staging-r9/hypotheses.csv", HYP_HDR "H9,speedup,k.a,1x1,yes,1,hot,SUPPORTED,\n");
    put(".staging-r9/samples.csv", SMP_HDR);
    put("kernels.csv", KER_HDR "k.z,1,1,1,1,hot,9\n");  /* moved before the interruption */
    put(".commit", ".staging-r9\n");
    snprintf(p, sizeof p, "%s/.staging-r8", root);  /* failed before its journal */
    assert_int_equal(mkdir(p, 0777), 0);
    put(".staging-r8/kernels.csv", "half");
    struct fk_err e;
    assert_int_equal(fk_results_recover(root, &e), 0);
    assert_non_null(strstr(get("hypotheses.csv"), "H9,"));
    assert_string_equal(get("samples.csv"), SMP_HDR);
    assert_non_null(strstr(get("kernels.csv"), "k.z"));
    assert_null(get(".commit"));
    assert_int_not_equal(access(p, F_OK), 0);
    put(".commit", "../../etc\n");  /* a journal must name a staging folder */
    assert_int_equal(fk_results_recover(root, &e), -1);
    assert_non_null(strstr(e.msg, "not a staging folder"));
}

static void test_csv_rules(void **state)
{
    (void)state;
    put("bad.csv", "a,b\n1,2,3\n");
    struct fk_csv t;
    struct fk_err e;
    char p[512];
    snprintf(p, sizeof p, "%s/bad.csv", root);
    assert_int_equal(fk_csv_load(p, &t, &e), -1);
    assert_non_null(strstr(e.msg, "record 2 has 3 fields, the header 2"));
    put("ok.csv", "a,b\r\n\"x\"\"y\",\"line\nbreak\"\r\n\r\n3,\n");
    snprintf(p, sizeof p, "%s/ok.csv", root);
    assert_int_equal(fk_csv_load(p, &t, &e), 0);
    assert_int_equal(t.nrow, 2);
    assert_string_equal(t.row[0][0], "x\"y");
    assert_string_equal(t.row[0][1], "line\nbreak");
    assert_string_equal(t.row[1][1], "");
    assert_int_equal(fk_csv_col(&t, "b"), 1);
    fk_csv_free(&t);
    snprintf(p, sizeof p, "%s/absent.csv", root);
    assert_int_equal(fk_csv_load(p, &t, &e), 1);
}

static void test_preflight(void **state)
{
    (void)state;
    struct fk_err e;
    assert_int_equal(fk_results_preflight(root, 1 << 20, &e), 0);
    put("file", "x");
    char p[512];
    snprintf(p, sizeof p, "%s/file/sub", root);
    assert_int_equal(fk_results_preflight(p, 1 << 20, &e), -1);
    assert_non_null(strstr(e.msg, "file/sub"));
    assert_int_equal(fk_results_preflight(root, ~0ull >> 2, &e), -1);
    assert_non_null(strstr(e.msg, "MiB free"));
    char id[64];
    fk_run_id(id, sizeof id);
    assert_int_equal(strlen(id) > 17 && id[8] == 'T' && id[15] == 'Z' && id[16] == '-', 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_by_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_keeps_old_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_commit_rolls_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preflight, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
