/* Run-time CPU feature detection.  Built for the baseline ISA with no
 * -m flags: the only special instructions are CPUID and XGETBV (inline asm,
 * executed only when CPUID reports OSXSAVE). */
#include "cpu.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

/* ---- x86 ---- */

/* CPUID.1:ECX */
#define X86_L1C_FMA     (1u << 12)
#define X86_L1C_OSXSAVE (1u << 27)
#define X86_L1C_AVX     (1u << 28)
#define X86_L1C_F16C    (1u << 29)
/* CPUID.(7,0):EBX */
#define X86_L7B_AVX2     (1u << 5)
#define X86_L7B_AVX512F  (1u << 16)
#define X86_L7B_AVX512DQ (1u << 17)
#define X86_L7B_AVX512BW (1u << 30)
#define X86_L7B_AVX512VL (1u << 31)
/* CPUID.(7,0):ECX */
#define X86_L7C_AVX512VNNI (1u << 11)
/* CPUID.(7,0):EDX */
#define X86_L7D_AMX_BF16 (1u << 22)
#define X86_L7D_AMX_TILE (1u << 24)
#define X86_L7D_AMX_INT8 (1u << 25)
/* CPUID.(7,1):EAX */
#define X86_L7S1A_AVXVNNI    (1u << 4)
#define X86_L7S1A_AVX512BF16 (1u << 5)
/* XCR0 state components the OS must enable (save on context switch). */
#define X86_XCR0_AVX    0x6ull              /* SSE (1) + YMM upper halves (2) */
#define X86_XCR0_AVX512 0xe0ull             /* opmask (5), ZMM0-15 upper (6), ZMM16-31 (7) */
#define X86_XCR0_AMX    (3ull << 17)        /* XTILECFG (17), XTILEDATA (18) */

#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA  18

uint64_t fk_cpu_decode_x86(const struct fk_x86_regs *r)
{
    /* Without OSXSAVE, XCR0 cannot be read and no extended state is usable. */
    uint64_t xcr0 = (r->l1_ecx & X86_L1C_OSXSAVE) ? r->xcr0 : 0;
    int os_avx = (xcr0 & X86_XCR0_AVX) == X86_XCR0_AVX;
    int os_avx512 = os_avx && (xcr0 & X86_XCR0_AVX512) == X86_XCR0_AVX512;
    int os_amx = (xcr0 & X86_XCR0_AMX) == X86_XCR0_AMX && r->amx_permitted;
    int leaf7 = r->max_leaf >= 7;
    uint32_t b7 = leaf7 ? r->l7_ebx : 0, c7 = leaf7 ? r->l7_ecx : 0;
    uint32_t d7 = leaf7 ? r->l7_edx : 0, a71 = leaf7 ? r->l7s1_eax : 0;
    uint64_t f = 0;

    /* Every VEX/EVEX feature presupposes AVX: CPU bit and OS YMM state. */
    if (os_avx && (r->l1_ecx & X86_L1C_AVX)) {
        f |= FK_CPU_AVX;
        if (r->l1_ecx & X86_L1C_FMA)
            f |= FK_CPU_FMA;
        if (r->l1_ecx & X86_L1C_F16C)
            f |= FK_CPU_F16C;
        if (b7 & X86_L7B_AVX2)
            f |= FK_CPU_AVX2;
        if (a71 & X86_L7S1A_AVXVNNI)
            f |= FK_CPU_AVXVNNI;
    }
    /* AVX-512 subsets are meaningless without the foundation. */
    if ((f & FK_CPU_AVX) && os_avx512 && (b7 & X86_L7B_AVX512F)) {
        f |= FK_CPU_AVX512F;
        if (b7 & X86_L7B_AVX512BW)
            f |= FK_CPU_AVX512BW;
        if (b7 & X86_L7B_AVX512VL)
            f |= FK_CPU_AVX512VL;
        if (b7 & X86_L7B_AVX512DQ)
            f |= FK_CPU_AVX512DQ;
        if (c7 & X86_L7C_AVX512VNNI)
            f |= FK_CPU_AVX512VNNI;
        if (a71 & X86_L7S1A_AVX512BF16)
            f |= FK_CPU_AVX512BF16;
    }
    /* AMX-INT8 / AMX-BF16 need the tile unit itself. */
    if (os_amx && (d7 & X86_L7D_AMX_TILE)) {
        f |= FK_CPU_AMX_TILE;
        if (d7 & X86_L7D_AMX_INT8)
            f |= FK_CPU_AMX_INT8;
        if (d7 & X86_L7D_AMX_BF16)
            f |= FK_CPU_AMX_BF16;
    }
    return f;
}

/* ---- aarch64 (Linux hwcap bits, asm/hwcap.h) ---- */

#define ARM_HWCAP_FPHP    (1ul << 9)
#define ARM_HWCAP_ASIMDHP (1ul << 10)
#define ARM_HWCAP_ASIMD   (1ul << 1)
#define ARM_HWCAP_ASIMDDP (1ul << 20)
#define ARM_HWCAP_SVE     (1ul << 22)
#define ARM_HWCAP2_I8MM   (1ul << 13)

uint64_t fk_cpu_decode_arm64(unsigned long hwcap, unsigned long hwcap2)
{
    uint64_t f = 0;
    if (hwcap & ARM_HWCAP_ASIMD)
        f |= FK_CPU_NEON;
    if (hwcap & ARM_HWCAP_ASIMDDP)
        f |= FK_CPU_DOTPROD;
    if (hwcap & ARM_HWCAP_SVE)
        f |= FK_CPU_SVE;
    if ((hwcap & ARM_HWCAP_FPHP) && (hwcap & ARM_HWCAP_ASIMDHP))
        f |= FK_CPU_FP16;
    if (hwcap2 & ARM_HWCAP2_I8MM)
        f |= FK_CPU_I8MM;
    return f;
}

/* ---- detection on the running CPU ---- */

#if defined(__x86_64__) || defined(__i386__)
static uint64_t x86_xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

/* Linux (>= 5.16) grants AMX tile data per process on request; without it
 * the first tile instruction faults.  Idempotent, so safe to repeat. */
static int x86_request_amx(void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
#else
    return 0;
#endif
}
#endif

uint64_t fk_cpu_detect(void)
{
#if defined(__x86_64__) || defined(__i386__)
    struct fk_x86_regs r = {0};
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    r.max_leaf = a;
    if (r.max_leaf < 1)
        return 0;
    __cpuid(1, a, b, c, d);
    r.l1_ecx = c;
    r.l1_edx = d;
    if (r.max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        r.l7_ebx = b;
        r.l7_ecx = c;
        r.l7_edx = d;
        /* CPUID.(7,0):EAX = highest valid subleaf of leaf 7. */
        if (a >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            r.l7s1_eax = a;
        }
    }
    if (r.l1_ecx & X86_L1C_OSXSAVE)
        r.xcr0 = x86_xgetbv0();
    if ((r.l7_edx & X86_L7D_AMX_TILE) && (r.xcr0 & X86_XCR0_AMX) == X86_XCR0_AMX)
        r.amx_permitted = x86_request_amx();
    return fk_cpu_decode_x86(&r);
#elif defined(__aarch64__) && defined(__linux__)
    unsigned long hw2 = 0;
#ifdef AT_HWCAP2
    hw2 = getauxval(AT_HWCAP2);
#endif
    return fk_cpu_decode_arm64(getauxval(AT_HWCAP), hw2);
#else
    return 0;
#endif
}

/* ---- names ---- */

/* Indexed by bit position; NULL = unassigned. */
static const char *const fk_cpu_names[64] = {
    [0] = "avx",         [1] = "avx2",        [2] = "fma",         [3] = "f16c",
    [4] = "avx512f",     [5] = "avx512bw",    [6] = "avx512vl",    [7] = "avx512dq",
    [8] = "avx512vnni",  [9] = "avx512bf16",  [10] = "avxvnni",    [11] = "amx-tile",
    [12] = "amx-int8",   [13] = "amx-bf16",
    [32] = "asimd",      [33] = "asimddp",    [34] = "i8mm",       [35] = "sve",
    [36] = "fp16",
};

const char *fk_cpu_feature_name(uint64_t bit)
{
    if (bit == 0 || (bit & (bit - 1)) != 0)
        return "?";
    int i = __builtin_ctzll(bit);
    return fk_cpu_names[i] ? fk_cpu_names[i] : "?";
}

char *fk_cpu_feature_list(uint64_t bits, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < 64 && k < n; i++) {
        if (!(bits >> i & 1))
            continue;
        int w;
        if (fk_cpu_names[i])
            w = snprintf(buf + k, n - k, "%s%s", k ? " " : "", fk_cpu_names[i]);
        else
            w = snprintf(buf + k, n - k, "%sbit%d", k ? " " : "", i);
        k += w > 0 ? (size_t)w : 0;
    }
    return buf;
}

/* ---- model string ---- */

/* Copies src[0..len) to buf without leading/trailing whitespace (and NULs). */
static void copy_trimmed(char *buf, size_t n, const char *src, size_t len)
{
    while (len && (src[len - 1] == ' ' || src[len - 1] == '\t' || src[len - 1] == '\n' ||
                   src[len - 1] == '\r' || src[len - 1] == 0))
        len--;
    while (len && (*src == ' ' || *src == '\t'))
        src++, len--;
    if (len >= n)
        len = n - 1;
    memcpy(buf, src, len);
    buf[len] = 0;
}

int fk_cpuinfo_value(const char *key, char *buf, size_t n)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return -1;
    char line[512];
    size_t klen = strlen(key);
    int rc = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0 || (line[klen] != ' ' && line[klen] != '\t' &&
                                              line[klen] != ':'))
            continue;
        char *colon = strchr(line + klen, ':');
        if (!colon)
            continue;
        copy_trimmed(buf, n, colon + 1, strlen(colon + 1));
        if (buf[0]) {
            rc = 0;
            break;
        }
    }
    fclose(f);
    return rc;
}

void fk_cpu_model(char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = 0;
#if defined(__x86_64__) || defined(__i386__)
    unsigned regs[12];
    __cpuid(0x80000000u, regs[0], regs[1], regs[2], regs[3]);
    if (regs[0] >= 0x80000004u) {
        for (unsigned i = 0; i < 3; i++)
            __cpuid(0x80000002u + i, regs[4 * i], regs[4 * i + 1], regs[4 * i + 2],
                    regs[4 * i + 3]);
        char brand[49];
        memcpy(brand, regs, 48);
        brand[48] = 0;
        copy_trimmed(buf, n, brand, strlen(brand));
        if (buf[0])
            return;
    }
#endif
    /* aarch64 kernels give no model name; "CPU part" is the core id (0xd0b = A76). */
    char v[256];
    if (fk_cpuinfo_value("model name", buf, n) == 0)
        return;
    if (fk_cpuinfo_value("CPU part", v, sizeof v) == 0) {
        snprintf(buf, n, "CPU part %s", v);
        return;
    }
    if (fk_cpuinfo_value("Hardware", buf, n) == 0)
        return;
    snprintf(buf, n, "unknown");
}

/* ---- feature names and ISA-level masks ---- */

uint64_t fk_cpu_named_bits(void)
{
    uint64_t b = 0;
    for (int i = 0; i < 64; i++)
        if (fk_cpu_names[i])
            b |= 1ull << i;
    return b;
}

uint64_t fk_cpu_feature_bit(const char *name)
{
    for (int i = 0; i < 64; i++)
        if (fk_cpu_names[i] && strcmp(fk_cpu_names[i], name) == 0)
            return 1ull << i;
    return 0;
}

#define FK_LEVEL_V3 (FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C)
#define FK_LEVEL_V4 (FK_LEVEL_V3 | FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ)

/* Only the features falsify tracks: x86-64-v2's SSE4.2/POPCNT and v3's
 * BMI/MOVBE are what the harness baseline and every plugin may assume. */
static const struct {
    const char *name;
    uint64_t bits;
} isa_levels[] = {
    {"x86-64", 0},           {"x86-64-v1", 0},           {"x86-64-v2", 0},
    {"x86-64-v3", FK_LEVEL_V3}, {"x86-64-v4", FK_LEVEL_V4},
    {"armv8-a", FK_CPU_NEON}, {"armv8.2-a", FK_CPU_NEON | FK_CPU_FP16},
};

int fk_isa_mask_parse(const char *spec, uint64_t *mask, struct fk_err *e)
{
    uint64_t m = 0;
    int n = 0;
    const char *p = spec;
    for (;;) {
        p += strspn(p, ", \t");
        if (!*p)
            break;
        size_t len = strcspn(p, ", \t");
        char tok[64];
        if (len >= sizeof tok)
            return fk_fail(e, "--isa '%s': token '%.20s...' is too long", spec, p);
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len;
        uint64_t b = fk_cpu_feature_bit(tok);
        int found = b != 0;
        for (size_t i = 0; !found && i < sizeof isa_levels / sizeof isa_levels[0]; i++)
            if (strcmp(tok, isa_levels[i].name) == 0) {
                b = isa_levels[i].bits;
                found = 1;
            }
        if (!found) {
            char names[512];
            fk_cpu_feature_list(fk_cpu_named_bits(), names, sizeof names);
            return fk_fail(e, "--isa '%s': unknown level or feature '%s' (levels: x86-64, x86-64-v2, x86-64-v3, "
                              "x86-64-v4, armv8-a, armv8.2-a; features: %s)", spec, tok, names);
        }
        m |= b;
        n++;
    }
    if (n == 0)
        return fk_fail(e, "--isa '%s': empty (expected e.g. x86-64-v3 or avx,avx2,fma)", spec);
    *mask = m;
    return 0;
}
