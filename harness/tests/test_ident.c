/* Machine identity: CPUID family/model/stepping, the codename table, the
 * folder name, --machine rules, and the refusal to write into another
 * CPU's (or an unsigned legacy) results folder. */
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

#include "../../kernels/kernel.h"
#include "../ident.h"

static void test_fms(void **state)
{
    (void)state;
    unsigned f, m, s;
    fk_ident_x86_fms(0x00a10f11, &f, &m, &s);  /* AMD EPYC 9xx4 (Genoa) */
    assert_int_equal(f, 25);
    assert_int_equal(m, 0x11);
    assert_int_equal(s, 1);
    fk_ident_x86_fms(0x00a00f11, &f, &m, &s);  /* AMD EPYC 7xx3 (Milan) */
    assert_int_equal(f, 25);
    assert_int_equal(m, 1);
    fk_ident_x86_fms(0x000c06f2, &f, &m, &s);  /* Xeon 5th gen (Emerald Rapids) */
    assert_int_equal(f, 6);
    assert_int_equal(m, 207);
    assert_int_equal(s, 2);
    fk_ident_x86_fms(0x00000f41, &f, &m, &s);  /* family 15: extended family 0 added */
    assert_int_equal(f, 15);
    assert_int_equal(m, 4);
}

static void test_codenames(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(fk_codename_x86("AuthenticAMD", 25, 0x11, 1, b, sizeof b), "zen4");
    assert_string_equal(fk_codename_x86("AuthenticAMD", 25, 0x01, 1, b, sizeof b), "zen3");
    assert_string_equal(fk_codename_x86("AuthenticAMD", 25, 0x21, 0, b, sizeof b), "zen3");
    assert_string_equal(fk_codename_x86("AuthenticAMD", 25, 0x61, 2, b, sizeof b), "zen4");
    assert_string_equal(fk_codename_x86("AuthenticAMD", 23, 0x31, 0, b, sizeof b), "zen2");
    assert_string_equal(fk_codename_x86("AuthenticAMD", 26, 0x02, 0, b, sizeof b), "zen5");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0x8f, 8, b, sizeof b), "sapphirerapids");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0xcf, 2, b, sizeof b), "emeraldrapids");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0xad, 1, b, sizeof b), "graniterapids");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0x55, 4, b, sizeof b), "skylakex");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0x55, 7, b, sizeof b), "cascadelake");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0x6a, 6, b, sizeof b), "icelakex");
    /* unknown: family (decimal) and model (hex), never another CPU's name */
    assert_string_equal(fk_codename_x86("AuthenticAMD", 25, 0xb0, 0, b, sizeof b), "f25mb0");
    assert_string_equal(fk_codename_x86("GenuineIntel", 6, 0x8f, 0, b, sizeof b), "sapphirerapids");
    assert_string_equal(fk_codename_x86("CentaurHauls", 6, 0x0f, 0, b, sizeof b), "f6m0f");
    assert_string_equal(fk_codename_arm(0x41, 0xd0c, b, sizeof b), "neoverse-n1");
    assert_string_equal(fk_codename_arm(0x61, 0x022, b, sizeof b), "i61p022");
    assert_string_equal(fk_arm_vendor(0x61), "apple");
}

static void test_level_and_folder(void **state)
{
    (void)state;
    const uint64_t v3 = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C;
    const uint64_t v4 = v3 | FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ;
    assert_int_equal(fk_x86_level(v4 | FK_CPU_AVX512VNNI, 1), 4);
    assert_int_equal(fk_x86_level(v3, 1), 3);
    assert_int_equal(fk_x86_level(v4 & ~FK_CPU_AVX512BW, 1), 3);
    assert_int_equal(fk_x86_level(0, 1), 2);
    assert_int_equal(fk_x86_level(v4, 0), 1);
    struct fk_ident id;
    memset(&id, 0, sizeof id);
    snprintf(id.vendor, sizeof id.vendor, "amd");
    snprintf(id.codename, sizeof id.codename, "zen3");
    snprintf(id.level_tag, sizeof id.level_tag, "v3");
    id.ncpu = 2;
    char name[64];
    fk_ident_folder(&id, name, sizeof name);
    assert_string_equal(name, "amd-zen3-v3-2c");
    struct fk_err e;
    assert_int_equal(fk_machine_name_check(name, &e), 0);
}

static void test_name_rules(void **state)
{
    (void)state;
    struct fk_err e;
    assert_int_equal(fk_machine_name_check("amd-zen4-v4-2c", &e), 0);
    assert_int_equal(fk_machine_name_check("my_box.2", &e), 0);
    assert_int_equal(fk_machine_name_check("a/b", &e), -1);
    assert_non_null(strstr(e.msg, "'/'"));
    assert_non_null(strstr(e.msg, "A-Z a-z 0-9 . _ -"));
    assert_int_equal(fk_machine_name_check("..", &e), -1);
    assert_non_null(strstr(e.msg, "must not start with '.'"));
    assert_int_equal(fk_machine_name_check("", &e), -1);
    assert_int_equal(fk_machine_name_check("a b", &e), -1);
    assert_int_equal(fk_machine_name_check("x\"y", &e), -1);
    assert_int_equal(fk_machine_name_check("x$(id)", &e), -1);
    char long_name[FK_MACHINE_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_int_equal(fk_machine_name_check(long_name, &e), -1);
    assert_non_null(strstr(e.msg, "at most"));
    long_name[FK_MACHINE_NAME_MAX] = 0;
    assert_int_equal(fk_machine_name_check(long_name, &e), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_folder_guard(void **state)
{
    (void)state;
    char dir[] = "/tmp/falsify-ident-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct fk_ident a;
    memset(&a, 0, sizeof a);
    snprintf(a.arch, sizeof a.arch, "x86-64");
    snprintf(a.vendor_id, sizeof a.vendor_id, "AuthenticAMD");
    a.family = 25;
    a.model = 0x11;
    snprintf(a.features, sizeof a.features, "avx avx2 fma avx512f");
    snprintf(a.model_name, sizeof a.model_name, "AMD EPYC \"quoted\"");
    a.ncpu = 2;
    struct fk_ident b = a;
    b.model = 0x01;  /* Zen 3: same brand string, another CPU */
    snprintf(b.features, sizeof b.features, "avx avx2 fma");
    struct fk_err e;

    /* absent or empty folder: fine */
    char sub[128];
    snprintf(sub, sizeof sub, "%s/new", dir);
    assert_int_equal(fk_ident_check_folder(sub, &a, &e), 0);
    assert_int_equal(fk_ident_check_folder(dir, &a, &e), 0);

    /* a legacy folder (results, no signature): refused, never overwritten */
    char path[256];
    snprintf(path, sizeof path, "%s/hypotheses.csv", dir);
    write_file(path, "id,verdict\r\nH1,SUPPORTED\r\n");
    assert_int_equal(fk_ident_check_folder(dir, &a, &e), -1);
    assert_non_null(strstr(e.msg, "no recorded CPU signature"));
    assert_non_null(strstr(e.msg, "--machine NEWNAME"));

    /* a signed folder: the same CPU may write, another may not */
    char rows[8192] = "";
    fk_ident_machine_rows(&a, "amd-zen4-v4-2c", "key", "2026-12-02T00:00:00Z", rows, sizeof rows);
    snprintf(path, sizeof path, "%s/machine.csv", dir);
    char text[9000];
    snprintf(text, sizeof text, "kind,name,threads,bytes,value,unit,machine,cpu_model,key,date\n%s", rows);
    write_file(path, text);
    assert_int_equal(fk_ident_check_folder(dir, &a, &e), 0);
    assert_int_equal(fk_ident_check_folder(dir, &b, &e), -1);
    assert_non_null(strstr(e.msg, "another CPU"));
    assert_non_null(strstr(e.msg, "model 17"));
    assert_non_null(strstr(e.msg, "model 1;"));
    assert_non_null(strstr(rows, "cpu,family,1,0,\"25\""));
    assert_non_null(strstr(rows, "\"AMD EPYC \"\"quoted\"\"\""));

    unlink(path);
    snprintf(path, sizeof path, "%s/hypotheses.csv", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fms),
        cmocka_unit_test(test_codenames),
        cmocka_unit_test(test_level_and_folder),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_folder_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
