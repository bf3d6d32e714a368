/* Run-time CPU feature detection.  x86: CPUID + XGETBV (the OS must enable
 * the AVX / AVX-512 / AMX register state) + the Linux AMX permission
 * request; aarch64: getauxval(AT_HWCAP/AT_HWCAP2).  Decoding is separated
 * from the instructions so it can be tested from recorded register values. */
#ifndef FK_CPU_H
#define FK_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/kernel.h"

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

/* CPU model string ("AMD EPYC ..."), trimmed; "unknown" if unavailable. */
void fk_cpu_model(char *buf, size_t n);

#endif
