/* Tests for harness/cpu.c: decoding from recorded register values (so every
 * OS-state rule is checked on any machine), names, and detection on this
 * machine against the kernel's own /proc/cpuinfo flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../cpu.h"

#define AVX_FAMILY (FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C)
#define AVX512_ALL (FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ | \
                    FK_CPU_AVX512VNNI | FK_CPU_AVX512BF16)
#define AMX_ALL (FK_CPU_AMX_TILE | FK_CPU_AMX_INT8 | FK_CPU_AMX_BF16)
#define X86_ALL (AVX_FAMILY | AVX512_ALL | AMX_ALL | FK_CPU_AVXVNNI)

/* Zen 4-like: CPUID.1:ECX with FMA, OSXSAVE, AVX, F16C (plus SSE bits);
 * leaf 7 EBX with AVX2, AVX512F/DQ/BW/VL; ECX AVX512_VNNI; (7,1) EAX
 * AVX512_BF16 (no AVX-VNNI); XCR0 = x87|SSE|YMM|opmask|ZMM_Hi256|Hi16_ZMM. */
static struct fk_x86_regs zen4(void)
{
    struct fk_x86_regs r = {
        .max_leaf = 0x10,
        .l1_ecx = 0x7ed8320b,
        .l1_edx = 0x178bfbff,
        .l7_ebx = 0xf1bf97a9,
        .l7_ecx = 0x00405fce,
        .l7_edx = 0x10000010,
        .l7s1_eax = 0x00000020,
        .xcr0 = 0xe7,
        .amx_permitted = 0,
    };
    return r;
}

/* Sapphire Rapids-like: as above plus AVX-VNNI, AMX-BF16/TILE/INT8 and
 * XCR0 with XTILECFG (17) and XTILEDATA (18). */
static struct fk_x86_regs spr(int permitted)
{
    struct fk_x86_regs r = zen4();
    r.max_leaf = 0x20;
    r.l7_edx |= (1u << 22) | (1u << 24) | (1u << 25);
    r.l7s1_eax |= 1u << 4;
    r.xcr0 = 0x602e7;
    r.amx_permitted = permitted;
    return r;
}

static void test_zen4_avx512(void **state)
{
    (void)state;
    struct fk_x86_regs r = zen4();
    uint64_t f = fk_cpu_decode_x86(&r);
    assert_true((f & AVX_FAMILY) == AVX_FAMILY);
    assert_true((f & AVX512_ALL) == AVX512_ALL);
    assert_false(f & AMX_ALL);
    assert_false(f & FK_CPU_AVXVNNI);
    assert_false(f >> 32); /* no arm bits from x86 registers */
}

static void test_os_without_avx512_state(void **state)
{
    (void)state;
    struct fk_x86_regs r = zen4();
    r.xcr0 = 0x7;
    uint64_t f = fk_cpu_decode_x86(&r);
    assert_true((f & AVX_FAMILY) == AVX_FAMILY);
    assert_false(f & AVX512_ALL);
    /* Only part of the AVX-512 state enabled is still not enough. */
    r.xcr0 = 0x67;
    assert_false(fk_cpu_decode_x86(&r) & AVX512_ALL);
}

static void test_no_osxsave_no_avx(void **state)
{
    (void)state;
    struct fk_x86_regs r = spr(1);
    r.l1_ecx &= ~(1u << 27);
    assert_int_equal(fk_cpu_decode_x86(&r) & X86_ALL, 0);
    /* OSXSAVE set but the OS did not enable YMM state: also nothing. */
    r = zen4();
    r.xcr0 = 0x3;
    assert_int_equal(fk_cpu_decode_x86(&r) & X86_ALL, 0);
}

static void test_amx_needs_state_and_permission(void **state)
{
    (void)state;
    struct fk_x86_regs r = spr(1);
    uint64_t f = fk_cpu_decode_x86(&r);
    assert_true((f & AMX_ALL) == AMX_ALL);
    assert_true(f & FK_CPU_AVXVNNI);
    assert_true((f & AVX512_ALL) == AVX512_ALL);

    r = spr(0);
    f = fk_cpu_decode_x86(&r);
    assert_false(f & AMX_ALL);
    assert_true((f & AVX512_ALL) == AVX512_ALL);

    r = spr(1);
    r.xcr0 = 0x202e7; /* XTILEDATA (18) missing */
    assert_false(fk_cpu_decode_x86(&r) & AMX_ALL);
}

static void test_max_leaf_1_ignores_leaf7(void **state)
{
    (void)state;
    struct fk_x86_regs r = spr(1);
    r.max_leaf = 1;
    r.l7_ebx = r.l7_ecx = r.l7_edx = r.l7s1_eax = 0xffffffffu;
    uint64_t f = fk_cpu_decode_x86(&r);
    /* Leaf 1 features stay; nothing from leaf 7. */
    assert_true(f & FK_CPU_AVX);
    assert_true(f & FK_CPU_FMA);
    assert_true(f & FK_CPU_F16C);
    assert_false(f & FK_CPU_AVX2);
    assert_false(f & (AVX512_ALL | AMX_ALL | FK_CPU_AVXVNNI));
}

static void test_avx512_subsets_need_foundation(void **state)
{
    (void)state;
    struct fk_x86_regs r = zen4();
    r.l7_ebx &= ~(1u << 16);
    uint64_t f = fk_cpu_decode_x86(&r);
    assert_false(f & AVX512_ALL);
    assert_true(f & FK_CPU_AVX2);
}

static void test_arm64_hwcaps(void **state)
{
    (void)state;
    /* Cortex-A53: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid */
    unsigned long a53 = (1ul << 0) | (1ul << 1) | (1ul << 2) | (1ul << 3) | (1ul << 4) |
                        (1ul << 5) | (1ul << 6) | (1ul << 7) | (1ul << 11);
    uint64_t f = fk_cpu_decode_arm64(a53, 0);
    assert_true(f & FK_CPU_NEON);
    assert_false(f & (FK_CPU_DOTPROD | FK_CPU_I8MM | FK_CPU_SVE | FK_CPU_FP16));
    assert_false(f & 0xffffffffull); /* no x86 bits */

    /* Cortex-A76: adds atomics fphp asimdhp asimdrdm lrcpc dcpop asimddp. */
    unsigned long a76 = a53 | (1ul << 8) | (1ul << 9) | (1ul << 10) | (1ul << 12) |
                        (1ul << 15) | (1ul << 16) | (1ul << 20);
    f = fk_cpu_decode_arm64(a76, 0);
    assert_true(f & FK_CPU_NEON);
    assert_true(f & FK_CPU_DOTPROD);
    assert_true(f & FK_CPU_FP16);
    assert_false(f & (FK_CPU_I8MM | FK_CPU_SVE));

    /* fphp without asimdhp is not FP16 arithmetic on vectors. */
    assert_false(fk_cpu_decode_arm64(a53 | (1ul << 9), 0) & FK_CPU_FP16);

    /* Neoverse V1-like: sve (hwcap) and i8mm (hwcap2 bit 13). */
    f = fk_cpu_decode_arm64(a76 | (1ul << 22), 1ul << 13);
    assert_true(f & FK_CPU_SVE);
    assert_true(f & FK_CPU_I8MM);
}

static void test_feature_names_and_list(void **state)
{
    (void)state;
    assert_string_equal(fk_cpu_feature_name(FK_CPU_AVX2), "avx2");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_AVX512VNNI), "avx512vnni");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_AMX_TILE), "amx-tile");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_DOTPROD), "asimddp");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_NEON), "asimd");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_FP16), "fp16");
    assert_string_equal(fk_cpu_feature_name(FK_CPU_AVX | FK_CPU_AVX2), "?");
    assert_string_equal(fk_cpu_feature_name(0), "?");

    char buf[256];
    assert_string_equal(fk_cpu_feature_list(FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA, buf, sizeof buf),
                        "avx avx2 fma");
    assert_string_equal(fk_cpu_feature_list(FK_CPU_NEON | FK_CPU_DOTPROD | FK_CPU_I8MM, buf,
                                            sizeof buf),
                        "asimd asimddp i8mm");
    assert_string_equal(fk_cpu_feature_list(0, buf, sizeof buf), "");
    assert_string_equal(fk_cpu_feature_list(1ull << 40, buf, sizeof buf), "bit40");

    /* Every named bit appears once, in bit order. */
    uint64_t all = X86_ALL | FK_CPU_NEON | FK_CPU_DOTPROD | FK_CPU_I8MM | FK_CPU_SVE | FK_CPU_FP16;
    assert_string_equal(fk_cpu_feature_list(all, buf, sizeof buf),
                        "avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512vnni "
                        "avx512bf16 avxvnni amx-tile amx-int8 amx-bf16 asimd asimddp i8mm sve fp16");

    /* A short buffer truncates, stays terminated and is not overrun. */
    char small[8];
    memset(small, 'x', sizeof small);
    fk_cpu_feature_list(all, small, 6);
    assert_string_equal(small, "avx a");
    assert_int_equal(small[6], 'x');
}

#if defined(__x86_64__)
/* Space-bounded word search in the "flags" line. */
static int has_flag(const char *flags, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = flags; (p = strstr(p, name)); p += n)
        if ((p == flags || p[-1] == ' ' || p[-1] == '\t') &&
            (p[n] == ' ' || p[n] == '\n' || p[n] == 0))
            return 1;
    return 0;
}
#endif

static void test_detect_matches_proc_cpuinfo(void **state)
{
    (void)state;
#if !defined(__x86_64__)
    skip();
#else
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        skip();
    char line[8192];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0) {
            found = 1;
            break;
        }
    fclose(f);
    if (!found)
        skip();

    /* FK name -> Linux flag name.  The kernel lists a flag only if the CPU
     * has it and the OS enabled its state, so the two must agree; AMX is
     * checked one way because the permission request can be refused. */
    static const struct {
        uint64_t bit;
        const char *flag;
        int both_ways;
    } map[] = {
        {FK_CPU_AVX, "avx", 1},           {FK_CPU_AVX2, "avx2", 1},
        {FK_CPU_FMA, "fma", 1},           {FK_CPU_F16C, "f16c", 1},
        {FK_CPU_AVX512F, "avx512f", 1},   {FK_CPU_AVX512BW, "avx512bw", 1},
        {FK_CPU_AVX512VL, "avx512vl", 1}, {FK_CPU_AVX512DQ, "avx512dq", 1},
        {FK_CPU_AVX512VNNI, "avx512_vnni", 1}, {FK_CPU_AVX512BF16, "avx512_bf16", 1},
        {FK_CPU_AVXVNNI, "avx_vnni", 1},  {FK_CPU_AMX_TILE, "amx_tile", 0},
        {FK_CPU_AMX_INT8, "amx_int8", 0}, {FK_CPU_AMX_BF16, "amx_bf16", 0},
    };
    uint64_t got = fk_cpu_detect();
    uint64_t mapped = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        int flag = has_flag(line, map[i].flag);
        int bit = (got & map[i].bit) != 0;
        mapped |= map[i].bit;
        if (bit && !flag)
            fail_msg("detected %s but /proc/cpuinfo lacks '%s'",
                     fk_cpu_feature_name(map[i].bit), map[i].flag);
        if (map[i].both_ways && flag && !bit)
            fail_msg("/proc/cpuinfo has '%s' but %s was not detected", map[i].flag,
                     fk_cpu_feature_name(map[i].bit));
    }
    assert_int_equal(got & ~mapped, 0); /* no stray bits */

    char list[512], model[128];
    fk_cpu_model(model, sizeof model);
    print_message("cpu: %s; features: %s\n", model, fk_cpu_feature_list(got, list, sizeof list));
    assert_true(model[0] != 0);
    assert_true(model[0] != ' ' && model[strlen(model) - 1] != ' ');
#endif
}

static void test_model_small_buffers(void **state)
{
    (void)state;
    char b[4] = {'x', 'x', 'x', 'x'};
    fk_cpu_model(b, 0);
    assert_int_equal(b[0], 'x');
    fk_cpu_model(b, 1);
    assert_int_equal(b[0], 0);
    fk_cpu_model(b, 3);
    assert_int_equal(strlen(b), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zen4_avx512),
        cmocka_unit_test(test_os_without_avx512_state),
        cmocka_unit_test(test_no_osxsave_no_avx),
        cmocka_unit_test(test_amx_needs_state_and_permission),
        cmocka_unit_test(test_max_leaf_1_ignores_leaf7),
        cmocka_unit_test(test_avx512_subsets_need_foundation),
        cmocka_unit_test(test_arm64_hwcaps),
        cmocka_unit_test(test_feature_names_and_list),
        cmocka_unit_test(test_detect_matches_proc_cpuinfo),
        cmocka_unit_test(test_model_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
