/* Tests for harness/npy.c: round trips, a file NumPy wrote, and one test per
 * rejection rule (each message must name the file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../npy.h"

struct fixture {
    char dir[256];
    char path[512]; /* dir/a.npy */
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_npy.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof fx->path, "%s/a.npy", fx->dir);
    *state = fx;
    return 0;
}

/* Removes every file in the temp dir, then the dir (which must be empty:
 * rmdir failing means a test left something behind it did not expect). */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[800];
            snprintf(p, sizeof p, "%s/%s", fx->dir, de->d_name);
            if (remove(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    int rc = rmdir(fx->dir);
    free(fx);
    return rc;
}

static void write_raw(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Size of path in bytes, -1 if absent. */
static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Number of directory entries other than . and .. */
static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Builds "\x93NUMPY\1\0" + len + header (padded to 64 with '\n') + data. */
static size_t make_v1(unsigned char *buf, const char *dict, const void *data, size_t data_bytes)
{
    size_t n = strlen(dict);
    size_t hlen = (10 + n + 1 + 63) / 64 * 64 - 10;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    memcpy(buf + 10, dict, n);
    memset(buf + 10 + n, ' ', hlen - n - 1);
    buf[10 + hlen - 1] = '\n';
    if (data_bytes)
        memcpy(buf + 10 + hlen, data, data_bytes);
    return 10 + hlen + data_bytes;
}

/* Reads path expecting failure; the message must name path and contain rule. */
static void expect_reject(const char *path, const char *rule)
{
    struct fk_npy a;
    struct fk_err e = {{0}};
    assert_int_not_equal(fk_npy_read(path, &a, &e), 0);
    assert_null(a.data);
    if (!strstr(e.msg, path) || !strstr(e.msg, rule))
        fail_msg("message \"%s\" should name %s and \"%s\"", e.msg, path, rule);
    struct fk_err em = {{0}};  /* the mapping reader applies the same rules */
    assert_int_not_equal(fk_npy_map(path, &a, &em), 0);
    assert_null(a.data);
    assert_null(a.map);
    if (!strstr(em.msg, path) || !strstr(em.msg, rule))
        fail_msg("fk_npy_map: message \"%s\" should name %s and \"%s\"", em.msg, path, rule);
}

static void expect_reject_bytes(struct fixture *fx, const void *bytes, size_t n, const char *rule)
{
    write_raw(fx->path, bytes, n);
    expect_reject(fx->path, rule);
}

/* ---- round trips ---- */

static void test_round_trip_all_dtypes_ndim0_to_4(void **state)
{
    struct fixture *fx = *state;
    static const char *const dtypes[] = {"<f4", "<f8", "|u1", "|i1", "<i4", "<i8"};
    static const size_t sizes[] = {4, 8, 1, 1, 4, 8};
    static const int64_t shapes[][4] = {{0}, {5}, {2, 3}, {2, 3, 4}, {3, 1, 2, 2}};
    for (size_t t = 0; t < 6; t++) {
        for (int ndim = 0; ndim <= 4; ndim++) {
            int64_t count = 1;
            for (int i = 0; i < ndim; i++)
                count *= shapes[ndim][i];
            size_t bytes = (size_t)count * sizes[t];
            unsigned char *data = malloc(bytes);
            assert_non_null(data);
            for (size_t i = 0; i < bytes; i++)
                data[i] = (unsigned char)(i * 37 + t * 11 + 1);

            struct fk_err e = {{0}};
            if (fk_npy_write(fx->path, dtypes[t], ndim, shapes[ndim], data, &e))
                fail_msg("%s ndim %d: %s", dtypes[t], ndim, e.msg);

            /* Data starts on a 64-byte boundary; the header ends with '\n'. */
            unsigned char pre[10];
            FILE *f = fopen(fx->path, "rb");
            assert_non_null(f);
            assert_int_equal(fread(pre, 1, 10, f), 10);
            size_t hlen = pre[8] | (size_t)pre[9] << 8;
            assert_int_equal((10 + hlen) % 64, 0);
            assert_int_equal(fseek(f, (long)(10 + hlen - 1), SEEK_SET), 0);
            assert_int_equal(fgetc(f), '\n');
            fclose(f);
            assert_int_equal(file_size(fx->path), (long)(10 + hlen + bytes));

            struct fk_npy a;
            if (fk_npy_read(fx->path, &a, &e))
                fail_msg("%s ndim %d: %s", dtypes[t], ndim, e.msg);
            assert_string_equal(a.descr, dtypes[t]);
            assert_int_equal(a.elem_bytes, sizes[t]);
            assert_int_equal(a.ndim, ndim);
            for (int i = 0; i < ndim; i++)
                assert_int_equal(a.shape[i], shapes[ndim][i]);
            assert_int_equal(a.count, count);
            assert_true((uintptr_t)a.data % 64 == 0);
            assert_memory_equal(a.data, data, bytes);
            fk_npy_free(&a);
            assert_null(a.data);
            free(data);
        }
    }
    assert_int_equal(dir_entries(fx->dir), 1); /* no temp files left */
}

static void test_round_trip_zero_size(void **state)
{
    struct fixture *fx = *state;
    const int64_t shape[2] = {0, 7};
    struct fk_err e = {{0}};
    assert_int_equal(fk_npy_write(fx->path, "<f4", 2, shape, NULL, &e), 0);
    struct fk_npy a;
    assert_int_equal(fk_npy_read(fx->path, &a, &e), 0);
    assert_int_equal(a.count, 0);
    assert_int_equal(a.shape[0], 0);
    assert_int_equal(a.shape[1], 7);
    assert_non_null(a.data);
    fk_npy_free(&a);
}

/* fk_npy_map: the same array, in the file's own pages, read-only. */
static void test_map_round_trip_read_only(void **state)
{
    struct fixture *fx = *state;
    const int64_t shape[2] = {37, 29};
    float v[37 * 29];
    for (int i = 0; i < 37 * 29; i++)
        v[i] = (float)i * 0.25f - 3.0f;
    struct fk_err e = {{0}};
    assert_int_equal(fk_npy_write(fx->path, "<f4", 2, shape, v, &e), 0);
    struct fk_npy a;
    if (fk_npy_map(fx->path, &a, &e))
        fail_msg("%s", e.msg);
    assert_non_null(a.map);
    assert_true((uintptr_t)a.data % 64 == 0);
    assert_int_equal(a.count, 37 * 29);
    assert_memory_equal(a.data, v, sizeof v);
    /* qemu-user retries a guest write to a read-only file page forever
     * instead of delivering SIGSEGV: the fault is checked natively only */
    const char *emu = getenv("FALSIFY_EMULATED");
    if (emu && *emu && strcmp(emu, "0") != 0) {
        fk_npy_free(&a);
        return;
    }
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {  /* a write to a mapped array must fault, never reach the file */
        signal(SIGSEGV, SIG_DFL);  /* not cmocka's handler */
        ((volatile float *)a.data)[5] = 1.0f;
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGSEGV);
    fk_npy_free(&a);
    assert_null(a.map);
    struct fk_npy b;
    assert_int_equal(fk_npy_read(fx->path, &b, &e), 0);  /* the file is unchanged */
    assert_memory_equal(b.data, v, sizeof v);
    fk_npy_free(&b);
}

/* ---- files written elsewhere ---- */

/* np.save(f, np.arange(6, dtype='<f4').reshape(2, 3) * 1.5 - 2), numpy 1.24. */
static const char numpy_f4_2x3[] =
    "\x93NUMPY\x01\x00v\x00"
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    "                                                          \n"
    "\x00\x00\x00\xc0\x00\x00\x00\xbf\x00\x00\x80\x3f\x00\x00\x20\x40\x00\x00\x80\x40\x00\x00\xb0\x40";
/* np.save(f, np.array(-7, dtype='<i8')) */
static const char numpy_i8_scalar[] =
    "\x93NUMPY\x01\x00v\x00"
    "{'descr': '<i8', 'fortran_order': False, 'shape': (), }"
    "                                                              \n"
    "\xf9\xff\xff\xff\xff\xff\xff\xff";

static void test_reads_numpy_file(void **state)
{
    struct fixture *fx = *state;
    write_raw(fx->path, numpy_f4_2x3, sizeof numpy_f4_2x3 - 1);
    assert_int_equal(file_size(fx->path), 152);
    struct fk_npy a;
    struct fk_err e = {{0}};
    if (fk_npy_read(fx->path, &a, &e))
        fail_msg("%s", e.msg);
    assert_string_equal(a.descr, "<f4");
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    const float want[6] = {-2.0f, -0.5f, 1.0f, 2.5f, 4.0f, 5.5f};
    assert_memory_equal(a.data, want, sizeof want);
    const int64_t shp[2] = {2, -1};
    assert_int_equal(fk_npy_expect(&a, fx->path, "<f4", 2, shp, &e), 0);
    fk_npy_free(&a);

    write_raw(fx->path, numpy_i8_scalar, sizeof numpy_i8_scalar - 1);
    if (fk_npy_read(fx->path, &a, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(*(int64_t *)a.data, -7);
    fk_npy_free(&a);
}

/* Keys in any order, odd whitespace, double quotes, no trailing comma,
 * Python 2 long suffix, version 2.0 preamble. */
static void test_header_variants(void **state)
{
    struct fixture *fx = *state;
    unsigned char buf[512];
    const int32_t d[6] = {1, -2, 3, -4, 5, -6};
    size_t n = make_v1(buf, "{ \"shape\" :( 3 ,2L ) ,'fortran_order':False,\t'descr':'<i4'}",
                       d, sizeof d);
    write_raw(fx->path, buf, n);
    struct fk_npy a;
    struct fk_err e = {{0}};
    if (fk_npy_read(fx->path, &a, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 3);
    assert_int_equal(a.shape[1], 2);
    assert_memory_equal(a.data, d, sizeof d);
    fk_npy_free(&a);

    /* v2.0: 4-byte header length. */
    const char *dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }";
    size_t hl = strlen(dict);
    size_t hlen = (12 + hl + 1 + 63) / 64 * 64 - 12;
    memcpy(buf, "\x93NUMPY\x02\x00", 8);
    buf[8] = (unsigned char)hlen;
    buf[9] = (unsigned char)(hlen >> 8);
    buf[10] = buf[11] = 0;
    memcpy(buf + 12, dict, hl);
    memset(buf + 12 + hl, ' ', hlen - hl - 1);
    buf[12 + hlen - 1] = '\n';
    memcpy(buf + 12 + hlen, "\x01\x02\x03\xff", 4);
    write_raw(fx->path, buf, 12 + hlen + 4);
    if (fk_npy_read(fx->path, &a, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(a.ndim, 1);
    assert_int_equal(a.shape[0], 4);
    assert_memory_equal(a.data, "\x01\x02\x03\xff", 4);
    fk_npy_free(&a);
}

/* ---- rejections ---- */

static void test_rejects_bad_magic(void **state)
{
    unsigned char buf[256];
    size_t n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                       "\0\0\0\0", 4);
    buf[1] = 'X';
    expect_reject_bytes(*state, buf, n, "bad magic");
    expect_reject_bytes(*state, "", 0, "bad magic");
}

static void test_rejects_unknown_version(void **state)
{
    unsigned char buf[256];
    size_t n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
                       "\0\0\0\0", 4);
    buf[6] = 4;
    expect_reject_bytes(*state, buf, n, "version 4.0");
}

static void test_rejects_truncated_header(void **state)
{
    unsigned char buf[256];
    make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", NULL, 0);
    expect_reject_bytes(*state, buf, 40, "truncated header");
    expect_reject_bytes(*state, buf, 9, "truncated header");
}

static void test_rejects_truncated_data(void **state)
{
    unsigned char buf[256];
    const float d[3] = {1, 2, 3};
    size_t n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d,
                       sizeof d);
    expect_reject_bytes(*state, buf, n - 1, "truncated data");
    expect_reject_bytes(*state, buf, n - sizeof d, "truncated data");
}

static void test_rejects_trailing_bytes(void **state)
{
    unsigned char buf[256];
    const float d[4] = {1, 2, 3, 4};
    size_t n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", d,
                       sizeof d);
    expect_reject_bytes(*state, buf, n, "trailing bytes");
}

static void test_rejects_fortran_order(void **state)
{
    unsigned char buf[256];
    const float d[4] = {1, 2, 3, 4};
    size_t n = make_v1(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", d,
                       sizeof d);
    expect_reject_bytes(*state, buf, n, "fortran_order True");
}

static void test_rejects_big_endian(void **state)
{
    unsigned char buf[256];
    const float d[2] = {1, 2};
    size_t n = make_v1(buf, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", d,
                       sizeof d);
    expect_reject_bytes(*state, buf, n, "unsupported dtype '>f4' (big-endian)");
}

static void test_rejects_unsupported_dtype(void **state)
{
    unsigned char buf[256];
    const uint16_t d[2] = {1, 2};
    size_t n = make_v1(buf, "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", d,
                       sizeof d);
    expect_reject_bytes(*state, buf, n, "unsupported dtype '<f2'");
    n = make_v1(buf, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", d,
                4);
    expect_reject_bytes(*state, buf, n, "unsupported dtype");
}

static void test_rejects_ndim_too_large(void **state)
{
    unsigned char buf[256];
    size_t n = make_v1(buf,
                       "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }",
                       "\x07", 1);
    expect_reject_bytes(*state, buf, n, "ndim > 4");
}

static void test_rejects_negative_dim(void **state)
{
    unsigned char buf[256];
    size_t n = make_v1(buf, "{'descr': '|u1', 'fortran_order': False, 'shape': (-1,), }",
                       NULL, 0);
    expect_reject_bytes(*state, buf, n, "negative dimension");
}

static void test_rejects_malformed_dict(void **state)
{
    unsigned char buf[256];
    size_t n = make_v1(buf, "['descr', '<f4']", NULL, 0);
    expect_reject_bytes(*state, buf, n, "not a dict");
    n = make_v1(buf, "{'descr': '<f4', 'shape': (1,), }", "\0\0\0\0", 4);
    expect_reject_bytes(*state, buf, n, "missing key 'fortran_order'");
    n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                "\0\0\0\0", 4);
    expect_reject_bytes(*state, buf, n, "unexpected or repeated key 'x'");
    n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1 2), }", NULL, 0);
    expect_reject_bytes(*state, buf, n, "'shape' tuple malformed");
    n = make_v1(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
                NULL, 0);
    expect_reject_bytes(*state, buf, n, "'shape' entry 0");
}

static void test_rejects_missing_file(void **state)
{
    struct fixture *fx = *state;
    char p[600];
    snprintf(p, sizeof p, "%s/absent.npy", fx->dir);
    expect_reject(p, "cannot open");
    expect_reject(fx->dir, "is a directory");
}

/* ---- failed writes ---- */

static void test_failed_write_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    char p[600];
    snprintf(p, sizeof p, "%s/no/such/dir/x.npy", fx->dir);
    const float d[2] = {1, 2};
    const int64_t shape[1] = {2};
    struct fk_err e = {{0}};
    assert_int_not_equal(fk_npy_write(p, "<f4", 1, shape, d, &e), 0);
    assert_non_null(strstr(e.msg, p));
    assert_int_equal(dir_entries(fx->dir), 0);
}

/* The temp file cannot be created (a directory sits at its name), so the
 * write fails and the existing file keeps its bytes.  Works even as root,
 * where a read-only directory would not stop the write. */
static void test_failed_write_keeps_existing_file(void **state)
{
    struct fixture *fx = *state;
    const float old[3] = {7, 8, 9};
    const int64_t shape3[1] = {3};
    struct fk_err e = {{0}};
    assert_int_equal(fk_npy_write(fx->path, "<f4", 1, shape3, old, &e), 0);
    long size = file_size(fx->path);

    char blocker[700];
    snprintf(blocker, sizeof blocker, "%s.tmp.%ld", fx->path, (long)getpid());
    assert_int_equal(mkdir(blocker, 0700), 0);
    const double d[2] = {1, 2};
    const int64_t shape2[1] = {2};
    assert_int_not_equal(fk_npy_write(fx->path, "<f8", 1, shape2, d, &e), 0);
    assert_non_null(strstr(e.msg, fx->path));
    assert_int_equal(rmdir(blocker), 0);

    /* Rejected arguments never reach the file either. */
    assert_int_not_equal(fk_npy_write(fx->path, ">f4", 1, shape3, old, &e), 0);
    assert_non_null(strstr(e.msg, "big-endian"));
    const int64_t shape5[5] = {1, 1, 1, 1, 3};
    assert_int_not_equal(fk_npy_write(fx->path, "<f4", 5, shape5, old, &e), 0);

    assert_int_equal(file_size(fx->path), size);
    struct fk_npy a;
    assert_int_equal(fk_npy_read(fx->path, &a, &e), 0);
    assert_string_equal(a.descr, "<f4");
    assert_memory_equal(a.data, old, sizeof old);
    fk_npy_free(&a);
    assert_int_equal(dir_entries(fx->dir), 1);
}

static void test_expect_messages(void **state)
{
    struct fixture *fx = *state;
    const float d[6] = {0};
    const int64_t shape[2] = {2, 3};
    struct fk_err e = {{0}};
    assert_int_equal(fk_npy_write(fx->path, "<f4", 2, shape, d, &e), 0);
    struct fk_npy a;
    assert_int_equal(fk_npy_read(fx->path, &a, &e), 0);
    const int64_t want[2] = {2, 4};
    assert_int_not_equal(fk_npy_expect(&a, fx->path, "<f4", 2, want, &e), 0);
    assert_non_null(strstr(e.msg, fx->path));
    assert_non_null(strstr(e.msg, "(2, 4)"));
    assert_non_null(strstr(e.msg, "(2, 3)"));
    assert_int_not_equal(fk_npy_expect(&a, fx->path, "<f8", 2, shape, &e), 0);
    assert_non_null(strstr(e.msg, "<f8"));
    const int64_t any1[1] = {-1};
    assert_int_not_equal(fk_npy_expect(&a, fx->path, "<f4", 1, any1, &e), 0);
    assert_int_equal(fk_npy_expect(&a, fx->path, "<f4", 2, NULL, &e), 0);
    fk_npy_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_all_dtypes_ndim0_to_4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_zero_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_round_trip_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_numpy_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_unknown_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_truncated_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_truncated_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_trailing_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_fortran_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_big_endian, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_unsupported_dtype, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_ndim_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_negative_dim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_malformed_dict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_keeps_existing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expect_messages, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
