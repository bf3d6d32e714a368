/* cmocka tests for the command line (cli.c) and the output formats
 * (output.c): --opt=value and --opt value, options that do not apply to a
 * verb, stray arguments, help; JSON escaping and structure, CSV quoting,
 * human time units. */
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
#include "../cli.h"
#include "../output.h"
#include "../progress.h"

/* Parses a NULL-terminated argument list (copied: getopt permutes argv). */
static int parse(struct fk_cli *cli, char *err, size_t n, char **store, ...)
{
    va_list ap;
    int argc = 0;
    store[argc++] = "falsify";
    va_start(ap, store);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        store[argc++] = a;
    va_end(ap);
    store[argc] = NULL;
    err[0] = 0;
    return fk_cli_parse(argc, store, cli, err, n);
}

static void test_opt_equals_and_space(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "bench", "--kernels=gemv.f32.*", "--shapes", "64x64,128x128",
                           "--threads=1,2", "--cold", "--min-time", "0.25", NULL), 0);
    assert_int_equal(cli.action, FK_ACT_RUN);
    assert_string_equal(cli.verb->name, "bench");
    assert_string_equal(cli.val[FK_OPT_KERNELS], "gemv.f32.*");
    assert_string_equal(cli.val[FK_OPT_SHAPES], "64x64,128x128");
    assert_string_equal(cli.val[FK_OPT_THREADS], "1,2");
    assert_string_equal(cli.val[FK_OPT_MIN_TIME], "0.25");
    assert_non_null(cli.val[FK_OPT_COLD]);
    assert_null(cli.val[FK_OPT_FORCE]);
    assert_int_equal(cli.nargs, 0);
}

static void test_check_files_and_options_mixed(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "check", "a.ini", "--quiet", "b.ini", "--format=json",
                           "--seed", "7", NULL), 0);
    assert_int_equal(cli.nargs, 2);
    assert_string_equal(cli.args[0], "a.ini");
    assert_string_equal(cli.args[1], "b.ini");
    assert_string_equal(cli.val[FK_OPT_FORMAT], "json");
    assert_string_equal(cli.val[FK_OPT_SEED], "7");
    assert_non_null(cli.val[FK_OPT_QUIET]);
}

static void test_decode_options(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "decode", "--preset=tiny", "--weights", "f32,w4a8", "--no-write",
                           "--threads", "1,2", NULL), 0);
    assert_string_equal(cli.val[FK_OPT_PRESET], "tiny");
    assert_string_equal(cli.val[FK_OPT_WEIGHTS], "f32,w4a8");
    assert_non_null(cli.val[FK_OPT_NO_WRITE]);
    assert_int_equal(parse(&cli, err, sizeof err, av, "decode", "--cold", NULL), -1);
    assert_non_null(strstr(err, "does not apply to decode"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "bench", "--preset", "tiny", NULL), -1);
    assert_non_null(strstr(err, "does not apply to bench"));
}

static void test_inapplicable_option_names_verb(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "list", "--cold", NULL), -1);
    assert_non_null(strstr(err, "'--cold' does not apply to list"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "check", "--kernels", "x", NULL), -1);
    assert_non_null(strstr(err, "does not apply to check"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "machine", "--kernels=x", NULL), -1);
    assert_non_null(strstr(err, "machine"));
}

static void test_stray_arguments_and_unknowns(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "list", "extra", NULL), -1);
    assert_non_null(strstr(err, "takes no arguments, got 'extra'"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "machine", "x", NULL), -1);
    assert_int_equal(parse(&cli, err, sizeof err, av, "compare", NULL), -1);
    assert_non_null(strstr(err, "DIR..."));
    assert_int_equal(parse(&cli, err, sizeof err, av, "compare", "a", "b", "c", NULL), 0);
    assert_int_equal(cli.nargs, 3);
    assert_int_equal(parse(&cli, err, sizeof err, av, "list", "--no-such-option", NULL), -1);
    assert_non_null(strstr(err, "unknown"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "frobnicate", NULL), -1);
    assert_non_null(strstr(err, "unknown verb 'frobnicate'"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "bench", "--kernels", NULL), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(parse(&cli, err, sizeof err, av, "bench", "--cold=yes", NULL), -1);
    assert_non_null(strstr(err, "takes no value"));
}

static void test_help_and_version(void **state)
{
    (void)state;
    struct fk_cli cli;
    char err[512], *av[16];
    assert_int_equal(parse(&cli, err, sizeof err, av, "list", "--help", NULL), 0);
    assert_int_equal(cli.action, FK_ACT_HELP);
    assert_string_equal(cli.verb->name, "list");
    /* --help wins over an otherwise wrong argument count */
    assert_int_equal(parse(&cli, err, sizeof err, av, "compare", "--help", NULL), 0);
    assert_int_equal(cli.action, FK_ACT_HELP);
    assert_int_equal(parse(&cli, err, sizeof err, av, "help", "bench", NULL), 0);
    assert_int_equal(cli.action, FK_ACT_HELP);
    assert_string_equal(cli.verb->name, "bench");
    assert_int_equal(parse(&cli, err, sizeof err, av, "help", NULL), 0);
    assert_null(cli.verb);
    assert_int_equal(parse(&cli, err, sizeof err, av, "help", "nope", NULL), -1);
    assert_int_equal(parse(&cli, err, sizeof err, av, "--version", NULL), 0);
    assert_int_equal(cli.action, FK_ACT_VERSION);
    /* the usage text of every verb states the exit codes */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fk_cli_usage(f, fk_cli_verb("bench"));
    fclose(f);
    assert_non_null(strstr(buf, "--repetitions=N"));
    assert_non_null(strstr(buf, "3  tested nothing"));
    free(buf);
}

/* ---- output formats ---- */

static char *render(enum fk_out_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct fk_doc *d = fk_doc_new(f, fmt, "falsify.test/1", 0);
    fk_doc_meta(d, "machine", "m\"1\"");
    static const struct fk_col cols[] = {{"kernel", FK_COL_STR, NULL, 0}, {"median_ns", FK_COL_NS, "median", 0},
                                         {"n", FK_COL_INT, NULL, 0}};
    fk_doc_section(d, "rows", "title", cols, 3);
    fk_doc_str(d, "a,b \"q\"\n\\");
    fk_doc_num(d, 20812.5);
    fk_doc_int(d, 10);
    fk_doc_row_end(d);
    fk_doc_str(d, "nan-row");
    fk_doc_num(d, NAN);
    fk_doc_int(d, 0);
    fk_doc_row_end(d);
    assert_int_equal(fk_doc_end(d), 0);
    fclose(f);
    return buf;
}

static void test_json_structure(void **state)
{
    (void)state;
    char *j = render(FK_OUT_JSON);
    assert_non_null(strstr(j, "\"schema\": \"falsify.test/1\""));
    assert_non_null(strstr(j, "\"machine\": \"m\\\"1\\\"\""));
    assert_non_null(strstr(j, "\"kernel\": \"a,b \\\"q\\\"\\n\\\\\""));
    assert_non_null(strstr(j, "\"median_ns\": 20812.5"));   /* raw ns, not "20.8 us" */
    assert_non_null(strstr(j, "\"median_ns\": null"));      /* NaN is not JSON */
    assert_null(strstr(j, "nan,"));
    assert_null(strstr(j, "\r"));
    free(j);
}

static void test_csv_quoting_lf(void **state)
{
    (void)state;
    char *c = render(FK_OUT_CSV);
    assert_string_equal(c, "kernel,median_ns,n\n\"a,b \"\"q\"\"\n\\\",20812.5,10\nnan-row,,0\n");
    free(c);
}

static void test_table_human_units(void **state)
{
    (void)state;
    char *t = render(FK_OUT_TABLE);
    assert_non_null(strstr(t, "20.8 us"));
    assert_null(strstr(t, "e+0"));
    assert_non_null(strstr(t, "machine: m\"1\""));
    free(t);
    char *m = render(FK_OUT_MD);
    assert_non_null(strstr(m, "| kernel | median | n |"));
    assert_non_null(strstr(m, "| --- | ---: | ---: |"));
    free(m);
    char b[32];
    fk_fmt_ns(b, sizeof b, 812);
    assert_string_equal(b, "812 ns");
    fk_fmt_ns(b, sizeof b, 8.46);
    assert_string_equal(b, "8.5 ns");
    fk_fmt_ns(b, sizeof b, 20810);
    assert_string_equal(b, "20.8 us");
    fk_fmt_ns(b, sizeof b, 1.534e6);
    assert_string_equal(b, "1.53 ms");
    fk_fmt_ns(b, sizeof b, 999.9e3);
    assert_string_equal(b, "1.00 ms");
    fk_fmt_ns(b, sizeof b, 2.1e9);
    assert_string_equal(b, "2.10 s");
}

/* ---- closing summary and durations ---- */

static void test_summary_groups_untestable(void **state)
{
    (void)state;
    struct fk_hypo hy;
    memset(&hy, 0, sizeof hy);
    snprintf(hy.id, sizeof hy.id, "H");
    hy.kind = FK_KIND_SPEEDUP;
    hy.role = FK_ROLE_GUARD;
    struct fk_hrow rows[5];
    memset(rows, 0, sizeof rows);
    static const enum fk_verdict v[5] = {FK_SUPPORTED, FK_FALSIFIED, FK_UNTESTABLE, FK_UNTESTABLE, FK_UNTESTABLE};
    static const char *const why[5] = {"", "", "at 64x64: gemm.w4a8.amx: CPU lacks amx-tile amx-int8",
                                       "gemm.q8_0.amx: CPU lacks amx-tile amx-int8",
                                       "needs 4 threads on as many cores; 2 usable here"};
    static const char *const kern[5] = {"a", "b", "gemm.w4a8.amx", "gemm.q8_0.amx", "c"};
    for (int i = 0; i < 5; i++) {
        rows[i].h = &hy;
        rows[i].aggregate = 1;
        rows[i].verdict = v[i];
        snprintf(rows[i].kernel, sizeof rows[i].kernel, "%s", kern[i]);
        snprintf(rows[i].reason, sizeof rows[i].reason, "%s", why[i]);
    }
    struct fk_run run;
    memset(&run, 0, sizeof run);
    run.h = rows;
    run.nh = 5;
    run.guard_falsified = 1;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fk_summary_print(f, &run, 65, 0);
    fclose(f);
    assert_non_null(strstr(buf, "5 verdicts: 1 SUPPORTED, 1 FALSIFIED, 0 INCONCLUSIVE, 3 UNTESTABLE"));
    assert_non_null(strstr(buf, "guards FALSIFIED: 1"));
    assert_non_null(strstr(buf, "wall time 1:05"));
    assert_non_null(strstr(buf, "  2  CPU lacks amx-tile amx-int8\n"));
    assert_non_null(strstr(buf, "  1  needs 4 threads on as many cores\n"));
    assert_null(strstr(buf, "\033["));   /* no colour asked */
    free(buf);
    char d[32];
    fk_fmt_duration(d, sizeof d, 3723);
    assert_string_equal(d, "1:02:03");
    fk_fmt_duration(d, sizeof d, 59.6);
    assert_string_equal(d, "1:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opt_equals_and_space),
        cmocka_unit_test(test_check_files_and_options_mixed),
        cmocka_unit_test(test_inapplicable_option_names_verb),
        cmocka_unit_test(test_decode_options),
        cmocka_unit_test(test_stray_arguments_and_unknowns),
        cmocka_unit_test(test_help_and_version),
        cmocka_unit_test(test_json_structure),
        cmocka_unit_test(test_csv_quoting_lf),
        cmocka_unit_test(test_table_human_units),
        cmocka_unit_test(test_summary_groups_untestable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
