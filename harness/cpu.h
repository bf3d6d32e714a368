/* Run-time CPU feature detection.  x86: CPUID + XGETBV (the OS must enable
 * the AVX / AVX-512 / AMX register state) + the Linux AMX permission
 * request; aarch64: getauxval(AT_HWCAP/AT_HWCAP2).  Decoding is separated
 * from the instructions so it can be tested from recorded register values. */
#ifndef FK_CPU_H
#define FK_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/kernel.h"
#include "util.h"

/* Registers as read on an x86 CPU (recorded values in tests). */
struct fk_x86_regs {
    uint32_t max_leaf;        /* CPUID.0:EAX */
    uint32_t l1_ecx, l1_edx;  /* CPUID.1 */
    uint32_t l7_ebx, l7_ecx, l7_edx;  /* CPUID.(7,0) */
    uint32_t l7s1_eax;        /* CPUID.(7,1):EAX (AVX-VNNI bit 4, AVX512-BF16 bit 5) */
    uint64_t xcr0;            /* XGETBV(0); only meaningful if OSXSAVE */
    int amx_permitted;        /* Linux granted XTILEDATA (arch_prctl) */
};

uint64_t fk_cpu_decode_x86(const struct fk_x86_regs *r);
uint64_t fk_cpu_decode_arm64(unsigned long hwcap, unsigned long hwcap2);

/* Features of the running CPU (does the AMX permission request itself). */
uint64_t fk_cpu_detect(void);

/* Name of one FK_CPU_* bit ("avx2", "avx512vnni", "asimddp", ...). */
const char *fk_cpu_feature_name(uint64_t bit);
/* Space-separated names of all bits set; returns buf. */
char *fk_cpu_feature_list(uint64_t bits, char *buf, size_t n);

/* Every FK_CPU_* bit that has a name. */
uint64_t fk_cpu_named_bits(void);

/* FK_CPU_* bit of a feature name ("avx512vnni", "asimddp"); 0 if unknown. */
uint64_t fk_cpu_feature_bit(const char *name);

/* CPU-feature mask (--isa, FALSIFY_ISA): comma- or blank-separated ISA
 * levels (x86-64, x86-64-v2, x86-64-v3, x86-64-v4, armv8-a, armv8.2-a) and
 * feature names, united: "x86-64-v3", "x86-64-v3,avxvnni", "avx avx2 fma".
 * The run then behaves as a CPU with (detected & mask).  0, or -1 naming
 * the token and the valid ones. */
int fk_isa_mask_parse(const char *spec, uint64_t *mask, struct fk_err *e);

/* First value of "key<ws>: value" in /proc/cpuinfo, trimmed; 0 if found. */
int fk_cpuinfo_value(const char *key, char *buf, size_t n);

/* CPU model string ("AMD EPYC ..."), trimmed; "unknown" if unavailable. */
void fk_cpu_model(char *buf, size_t n);

#endif
