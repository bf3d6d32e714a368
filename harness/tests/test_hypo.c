/* cmocka tests for harness/hypo.c: a valid file parses to the expected
 * hypotheses; every malformed case fails with a message naming the file,
 * the right line and the key, and leaves the caller's list untouched. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mkdtemp */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../hypo.h"

struct fixture {
    char dir[64];  /* mkdtemp directory holding the test's ini files */
    int nfiles;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/test_hypo.XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[128];
    for (int i = 0; i < f->nfiles; i++) {
        snprintf(path, sizeof path, "%s/h%d.ini", f->dir, i);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes text to a fresh file in the fixture dir; path into out. */
static void write_ini(struct fixture *f, const char *text, char *out, size_t n)
{
    snprintf(out, n, "%s/h%d.ini", f->dir, f->nfiles++);
    FILE *fp = fopen(out, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void assert_contains(const char *msg, const char *part)
{
    if (!strstr(msg, part)) {
        print_error("message \"%s\"\n  lacks \"%s\"\n", msg, part);
        fail();
    }
}

/* A complete valid section (lines 1-9), for error cases to build on. */
#define GOOD_H1                                  \
    "[H1]\n"                                     \
    "claim = c\n"                                \
    "source = s\n"                               \
    "kind = speedup\n"                           \
    "subject = gemv.f32.avx2\n"                  \
    "baseline = gemv.f32.scalar\n"               \
    "shapes = 64x64\n"                           \
    "threshold = 1.5\n"                          \
    "role = guard\n"

/* Parses text expecting failure at `line` mentioning `key` (and `extra` if
 * not NULL); checks the list is left exactly as it was. */
static void expect_error(void **state, const char *text, int line, const char *key,
                         const char *extra)
{
    struct fixture *f = *state;
    char path[128], where[160];
    write_ini(f, text, path, sizeof path);
    struct fk_hypo *list = NULL;
    int n = 0;
    struct fk_err e = {{0}};
    int rc = fk_hypo_parse_file(path, &list, &n, &e);
    if (rc == 0)
        print_error("parse unexpectedly succeeded for:\n%s\n", text);
    assert_int_equal(rc, -1);
    assert_null(list);
    assert_int_equal(n, 0);
    snprintf(where, sizeof where, "%s:%d:", path, line);
    assert_contains(e.msg, where);
    if (key)
        assert_contains(e.msg, key);
    if (extra)
        assert_contains(e.msg, extra);
}

static void test_valid(void **state)
{
    struct fixture *f = *state;
    char path[128];
    write_ini(f,
              "; hypotheses for the test\n"
              "# hash comment too\n"
              "\n"
              "[H1-simd-gemv]   ; header comment\n"
              "claim     = SIMD f32 GEMV is at least 1.5x faster than scalar\n"
              "source    = realizar SIMD spec, hypothesis H1 ; where it came from\n"
              "kind      = speedup        ; speedup | error | scaling | roofline | parity\n"
              "subject   = gemv.f32.*     ; glob\n"
              "baseline  = gemv.f32.scalar\n"
              "shapes    = 64x64 256x256 2048x2048x4   ; rows x cols [x batch]\n"
              "threads   = 1 2 4\n"
              "threshold = 1.5\n"
              "role      = guard\n"
              "cache     = cold\n"
              "budget_s  = 2.5\n"
              "tolerance = 0.1\n"
              "metric    = gauge_p99\n"
              "\n"
              "[H2-q4-error]\r\n"
              "claim = Q4_0 GEMV within gauge 4\r\n"
              "source = test\r\n"
              "kind = error\r\n"
              "subject = gemv.q4_0.avx?\r\n"
              "shapes = 32x32\r\n"
              "threshold = 4\r\n"
              "role = claim\r\n",
              path, sizeof path);
    struct fk_hypo *list = NULL;
    int n = 0;
    struct fk_err e = {{0}};
    int rc = fk_hypo_parse_file(path, &list, &n, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 2);

    const struct fk_hypo *h = &list[0];
    assert_string_equal(h->id, "H1-simd-gemv");
    assert_string_equal(h->file, path);
    assert_int_equal(h->line, 4);
    assert_string_equal(h->claim, "SIMD f32 GEMV is at least 1.5x faster than scalar");
    assert_string_equal(h->source, "realizar SIMD spec, hypothesis H1");
    assert_int_equal(h->kind, FK_KIND_SPEEDUP);
    assert_string_equal(h->subject, "gemv.f32.*");
    assert_string_equal(h->baseline, "gemv.f32.scalar");
    assert_int_equal(h->nshapes, 3);
    assert_true(h->shapes[0].rows == 64 && h->shapes[0].cols == 64 && h->shapes[0].batch == 1);
    assert_true(h->shapes[2].rows == 2048 && h->shapes[2].cols == 2048 && h->shapes[2].batch == 4);
    assert_int_equal(h->nthreads, 3);
    assert_true(h->threads[0] == 1 && h->threads[1] == 2 && h->threads[2] == 4);
    assert_true(h->threshold == 1.5);
    assert_int_equal(h->role, FK_ROLE_GUARD);
    assert_int_equal(h->cache, FK_CACHE_COLD);
    assert_true(h->budget_s == 2.5);
    assert_true(h->tolerance == 0.1);
    assert_string_equal(h->metric, "gauge_p99");

    h = &list[1];
    assert_string_equal(h->id, "H2-q4-error");
    assert_int_equal(h->line, 19);
    assert_int_equal(h->kind, FK_KIND_ERROR);
    assert_string_equal(h->subject, "gemv.q4_0.avx?");
    assert_string_equal(h->baseline, "");
    assert_int_equal(h->role, FK_ROLE_CLAIM);
    /* defaults */
    assert_int_equal(h->nthreads, 1);
    assert_int_equal(h->threads[0], 1);
    assert_string_equal(h->metric, "gauge_max");
    assert_int_equal(h->cache, FK_CACHE_HOT);
    assert_true(h->budget_s == 10.0);
    assert_true(h->tolerance == 0.05);
    assert_true(h->threshold == 4.0);

    /* a second file appends; reusing an id from the first is refused and
     * leaves the list as it was */
    char path2[128];
    write_ini(f, "[H3]\nclaim = c\nsource = s\nkind = roofline\nsubject = gemv.f32.avx2\n"
                 "shapes = 4096x4096\nthreshold = 0.8\nrole = claim\n",
              path2, sizeof path2);
    assert_int_equal(fk_hypo_parse_file(path2, &list, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[2].id, "H3");
    assert_string_equal(list[2].metric, "");

    char path3[128];
    write_ini(f, "[H4]\n" "claim = c\n" "\n" "[H1-simd-gemv]\n", path3, sizeof path3);
    struct fk_hypo *before = list;
    rc = fk_hypo_parse_file(path3, &list, &n, &e);
    assert_int_equal(rc, -1);
    assert_int_equal(n, 3);
    assert_ptr_equal(list, before);
    char where[160];
    snprintf(where, sizeof where, "%s:4:", path3);
    assert_contains(e.msg, where);
    assert_contains(e.msg, "duplicate id");
    assert_contains(e.msg, path);  /* where the first one is */
    free(list);
}

static void test_missing_key(void **state)
{
    /* kind missing: reported at the section header, line 3 */
    expect_error(state,
                 "; c\n\n[H1-simd]\nclaim = c\nsource = s\nsubject = a.b.c\nbaseline = x.y.z\n"
                 "shapes = 64x64\nthreshold = 2\nrole = guard\n",
                 3, "'kind'", "missing required key");
    /* a section with no keys at all is not silently dropped */
    expect_error(state, GOOD_H1 "[H2]\n", 10, "'claim'", "missing required key");
}

static void test_missing_baseline(void **state)
{
    expect_error(state,
                 "[H1]\nclaim = c\nsource = s\nkind = speedup\nsubject = a.b.c\n"
                 "shapes = 64x64\nthreshold = 2\nrole = guard\n",
                 1, "'baseline'", "speedup");
    expect_error(state,
                 "[P]\nclaim = c\nsource = s\nkind = parity\nsubject = a.b.c\n"
                 "shapes = 64x64\nthreshold = 2\nrole = claim\n",
                 1, "'baseline'", "parity");
}

static void test_unknown_kind(void **state)
{
    expect_error(state, "[H1]\nclaim = c\nkind = faster ; typo\n", 3, "'kind'",
                 "speedup, error, scaling, roofline, parity");
}

static void test_bad_shape(void **state)
{
    const char *bad[] = {"64y64", "0x64", "-3x4", "64x", "64", "1x2x3x4", "x64"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], quoted[64];
        snprintf(text, sizeof text, GOOD_H1 "[H2]\nclaim = c\n\nshapes = 32x32 %s\n", bad[i]);
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        expect_error(state, text, 13, "'shapes'", quoted);
        expect_error(state, text, 13, NULL, "RxC");
    }
    struct fk_shape s;
    assert_int_equal(fk_shape_parse("64x", &s), -1);
    assert_int_equal(fk_shape_parse("16x4096x8", &s), 0);
    assert_true(s.rows == 16 && s.cols == 4096 && s.batch == 8);
    char buf[64];
    fk_shape_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "16x4096x8");
    assert_int_equal(fk_shape_parse("7x9", &s), 0);
    fk_shape_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "7x9");
}

static void test_bad_threshold(void **state)
{
    const char *bad[] = {"abc", "-1", "inf", "0", "nan", "1.5x", "0x10", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], quoted[64];
        snprintf(text, sizeof text, "[H1]\nclaim = c\nthreshold = %s   ; comment\n", bad[i]);
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        expect_error(state, text, 3, "'threshold'", quoted);
        expect_error(state, text, 3, NULL, "finite number > 0");
    }
    expect_error(state, "[H1]\nclaim = c\n[H2]\nbudget_s = -5\n", 4, "'budget_s'", "'-5'");
    expect_error(state, "[H1]\ntolerance = 0\n", 2, "'tolerance'", "> 0");
}

static void test_unknown_key(void **state)
{
    expect_error(state, "[H1]\nclaim = c\ntreshold = 1.5\n", 3, "'treshold'", "unknown key");
}

static void test_unknown_role(void **state)
{
    expect_error(state, "[H1]\nclaim = c\nrole = maybe\n", 3, "'role'", "guard, claim");
    expect_error(state, "[H1]\ncache = warm\n", 2, "'cache'", "hot, cold");
    expect_error(state, "[H1]\nmetric = rel_err\n", 2, "'metric'", "gauge_max");
}

static void test_bad_role(void **state)
{
    expect_error(state, "[H1]\nclaim = c\nsubject = fastest:gemv.f32\n", 3, "'subject'", "unknown role 'fastest'");
    expect_error(state, "[H1]\nsubject = best:gemv.f32.avx2\n", 2, "'subject'", "op.format");
    expect_error(state, "[H1]\nsubject = best:gemv.*\n", 2, "'subject'", "op.format");
    expect_error(state, "[H1]\nsubject = same-isa:gemv.f32\n", 2, "'subject'", "relative to the subject");
    expect_error(state, "[H1]\nbaseline = best:gemv\n", 2, "'baseline'", "op.format");
}

static void test_duplicate(void **state)
{
    expect_error(state, GOOD_H1 "\n[H1]\nclaim = c\n", 11, "H1", "duplicate id");
    expect_error(state, "[H1]\nclaim = a\nclaim = b\n", 3, "'claim'", "twice");
}

static void test_bad_threads(void **state)
{
    const char *bad[] = {"0", "x", "1 0", "2 -4", "1.5", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[H1]\nclaim = c\n\nthreads = %s\n", bad[i]);
        expect_error(state, text, 4, "'threads'", NULL);
    }
    expect_error(state, "[H1]\nthreads = 1 2 3 4 5 6 7 8 9\n", 2, "'threads'", "more than 8");
    expect_error(state,
                 "[H1]\nshapes = 1x1 2x2 3x3 4x4 5x5 6x6 7x7 8x8 9x9 10x10 11x11 12x12 13x13 "
                 "14x14 15x15 16x16 17x17\n",
                 2, "'shapes'", "more than 16");
}

static void test_structure(void **state)
{
    expect_error(state, "claim = c\n[H1]\n", 1, "'claim'", "outside any section");
    expect_error(state, "[H1]\nclaim = c\nthis is not ini\n", 3, NULL, "syntax error");
    expect_error(state, "[H1\nclaim = c\n", 1, NULL, "syntax error");
    expect_error(state, "[H1]\nclaim = c\n  continued\n", 3, "'claim'", "multi-line");

    /* no sections at all */
    struct fixture *f = *state;
    char path[128];
    const char *empties[] = {"", "; only a comment\n\n"};
    for (size_t i = 0; i < 2; i++) {
        write_ini(f, empties[i], path, sizeof path);
        struct fk_hypo *list = NULL;
        int n = 0;
        struct fk_err e = {{0}};
        assert_int_equal(fk_hypo_parse_file(path, &list, &n, &e), -1);
        assert_contains(e.msg, path);
        assert_contains(e.msg, "no hypotheses");
        assert_null(list);
    }

    /* a line longer than inih's buffer is refused, not split in two */
    char text[600];
    snprintf(text, sizeof text, "[H1]\nclaim = %0400d\n", 7);
    expect_error(state, text, 2, NULL, "characters long");
}

static void test_not_found(void **state)
{
    struct fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/does-not-exist.ini", f->dir);
    struct fk_hypo *list = NULL;
    int n = 0;
    struct fk_err e = {{0}};
    assert_int_equal(fk_hypo_parse_file(path, &list, &n, &e), -1);
    assert_contains(e.msg, path);
    assert_contains(e.msg, "No such file");
    assert_null(list);
    assert_int_equal(n, 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(fk_kind_name(FK_KIND_SPEEDUP), "speedup");
    assert_string_equal(fk_kind_name(FK_KIND_PARITY), "parity");
    assert_string_equal(fk_role_name(FK_ROLE_GUARD), "guard");
    assert_string_equal(fk_role_name(FK_ROLE_CLAIM), "claim");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_threshold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
