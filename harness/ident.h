/* Machine identity: who the CPU is (vendor, family/model/stepping, a
 * microarchitecture codename, ISA level, cores), the provenance recorded
 * with every result (microcode, features, caches, memory, kernel,
 * hypervisor, governor, boost), the results folder name two different CPUs
 * never share (intel-emeraldrapids-v4-2c, amd-zen4-v4-2c), and the check
 * that a run never writes into another CPU's folder. */
#ifndef FK_IDENT_H
#define FK_IDENT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FK_MACHINE_NAME_MAX 64

struct fk_ident {
    char arch[16];            /* x86-64, aarch64 */
    char vendor[16];          /* folder part: intel, amd, arm, apple, ... */
    char vendor_id[16];       /* GenuineIntel, AuthenticAMD; aarch64: implementer 0x41 */
    unsigned family, model, stepping;  /* x86: CPUID display values; aarch64: 8, part, variant */
    char codename[32];        /* zen4, emeraldrapids, neoverse-n1; else f25m11 (family, model hex) */
    char isa_level[64];       /* x86-64-v4 ... x86-64-v1; armv8-a+dotprod... (of the features in effect) */
    char level_tag[16];       /* v4, v3, v2, v1; neon, dotprod, sve */
    char model_name[128];     /* brand string */
    char microcode[32];       /* /proc/cpuinfo, "n/a" */
    char features[600];       /* FK_CPU_* names in effect (after --isa) */
    char caches[96];          /* "L1d 48K L2 2048K L3 105M" */
    unsigned long long mem_bytes;
    char os_kernel[160];      /* uname: sysname release machine */
    char hypervisor[32];      /* CPUID 0x40000000 vendor, "none", "n/a" */
    char governor[32];        /* cpufreq scaling_governor, "n/a" */
    char boost[16];           /* on, off, "n/a" */
    int ncpu;
    uint64_t cpu;             /* FK_CPU_* features in effect */
};

/* Display family/model/stepping from CPUID.1:EAX (extended fields folded
 * in as the SDM and APM say). */
void fk_ident_x86_fms(uint32_t eax1, unsigned *family, unsigned *model, unsigned *stepping);

/* Codename of an x86 CPU ("zen4", "sapphirerapids") into buf, or the
 * f<family>m<model hex> fallback ("f25m11"); returns buf. */
const char *fk_codename_x86(const char *vendor_id, unsigned family, unsigned model, unsigned stepping,
                            char *buf, size_t n);
/* Codename of an aarch64 core from MIDR implementer and part ("neoverse-n1",
 * else "i41p0d0c" style); returns buf. */
const char *fk_codename_arm(unsigned implementer, unsigned part, char *buf, size_t n);

/* Folder vendor of an aarch64 MIDR implementer ("arm", "apple", "ampere"). */
const char *fk_arm_vendor(unsigned implementer);

/* x86-64 ISA level of the features in effect: 4, 3, 2 (v2_base: the CPU has
 * SSE4.2, POPCNT, SSSE3, CX16) or 1. */
int fk_x86_level(uint64_t cpu, int v2_base);

/* Reads the identity and provenance of the running machine, judged with
 * the features cpu (after any --isa mask) and ncpu usable cores. */
void fk_ident_read(struct fk_ident *id, uint64_t cpu, int ncpu);

/* Default results folder name: vendor-codename-level-Nc. */
void fk_ident_folder(const struct fk_ident *id, char *buf, size_t n);

/* What must match for a results folder to be reused: vendor, family, model,
 * features in effect and cores (not stepping or microcode). */
void fk_ident_signature(const struct fk_ident *id, char *buf, size_t n);

/* --machine NAME: [A-Za-z0-9._-], 1..FK_MACHINE_NAME_MAX characters, not
 * starting with '.'.  0, or -1 naming the rule. */
int fk_machine_name_check(const char *name, struct fk_err *e);

/* May a run of this machine write into dir?  0 when dir is absent, empty,
 * or its machine.csv records this signature; -1 with the reason and the
 * way out when it records another CPU or, from before signatures were
 * recorded, none at all. */
int fk_ident_check_folder(const char *dir, const struct fk_ident *id, struct fk_err *e);

/* The identity as machine.csv rows ("cpu,<field>,1,0,<value>,,<machine>,
 * <cpu_model>,<key>,<date>" with LF): appended to buf (n bytes). */
void fk_ident_machine_rows(const struct fk_ident *id, const char *machine, const char *key, const char *date,
                           char *buf, size_t n);

#endif
