/* Machine identity and provenance (ident.h).  Built for the baseline ISA:
 * the only special instruction is CPUID. */
#include "ident.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cpu.h"
#include "machine.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* ---------------------------------------------------------- x86 */

void fk_ident_x86_fms(uint32_t eax1, unsigned *family, unsigned *model, unsigned *stepping)
{
    unsigned base_family = (eax1 >> 8) & 0xf, base_model = (eax1 >> 4) & 0xf;
    unsigned ext_family = (eax1 >> 20) & 0xff, ext_model = (eax1 >> 16) & 0xf;
    *stepping = eax1 & 0xf;
    *family = base_family == 0xf ? base_family + ext_family : base_family;
    *model = (base_family == 0x6 || base_family == 0xf) ? (ext_model << 4) + base_model : base_model;
}

/* Microarchitecture by family and model range (AMD) or model (Intel). */
struct uarch {
    const char *vendor_id;
    unsigned family, model_lo, model_hi;
    const char *name;
};

static const struct uarch uarchs[] = {
    /* AMD: family 17h Zen/Zen+/Zen 2, 19h Zen 3/Zen 4, 1Ah Zen 5 (model ranges per the PPRs) */
    {"AuthenticAMD", 0x17, 0x08, 0x08, "zenplus"},     {"AuthenticAMD", 0x17, 0x18, 0x18, "zenplus"},
    {"AuthenticAMD", 0x17, 0x00, 0x2f, "zen"},         {"AuthenticAMD", 0x17, 0x30, 0xff, "zen2"},
    {"AuthenticAMD", 0x19, 0x00, 0x0f, "zen3"},        {"AuthenticAMD", 0x19, 0x10, 0x1f, "zen4"},
    {"AuthenticAMD", 0x19, 0x20, 0x5f, "zen3"},        {"AuthenticAMD", 0x19, 0x60, 0xaf, "zen4"},
    {"AuthenticAMD", 0x1a, 0x00, 0xff, "zen5"},
    /* Intel family 6, by model */
    {"GenuineIntel", 6, 0x3c, 0x3c, "haswell"},        {"GenuineIntel", 6, 0x3f, 0x3f, "haswellx"},
    {"GenuineIntel", 6, 0x45, 0x46, "haswell"},        {"GenuineIntel", 6, 0x3d, 0x3d, "broadwell"},
    {"GenuineIntel", 6, 0x47, 0x47, "broadwell"},      {"GenuineIntel", 6, 0x4f, 0x4f, "broadwellx"},
    {"GenuineIntel", 6, 0x56, 0x56, "broadwellx"},     {"GenuineIntel", 6, 0x4e, 0x4e, "skylake"},
    {"GenuineIntel", 6, 0x5e, 0x5e, "skylake"},        {"GenuineIntel", 6, 0x55, 0x55, "skylakex"},
    {"GenuineIntel", 6, 0x8e, 0x8e, "kabylake"},       {"GenuineIntel", 6, 0x9e, 0x9e, "coffeelake"},
    {"GenuineIntel", 6, 0xa5, 0xa6, "cometlake"},      {"GenuineIntel", 6, 0x6a, 0x6a, "icelakex"},
    {"GenuineIntel", 6, 0x6c, 0x6c, "icelakex"},       {"GenuineIntel", 6, 0x7d, 0x7e, "icelake"},
    {"GenuineIntel", 6, 0x8c, 0x8d, "tigerlake"},      {"GenuineIntel", 6, 0xa7, 0xa7, "rocketlake"},
    {"GenuineIntel", 6, 0x97, 0x97, "alderlake"},      {"GenuineIntel", 6, 0x9a, 0x9a, "alderlake"},
    {"GenuineIntel", 6, 0xb7, 0xb7, "raptorlake"},     {"GenuineIntel", 6, 0xba, 0xba, "raptorlake"},
    {"GenuineIntel", 6, 0xbf, 0xbf, "raptorlake"},     {"GenuineIntel", 6, 0xaa, 0xac, "meteorlake"},
    {"GenuineIntel", 6, 0xbd, 0xbd, "lunarlake"},      {"GenuineIntel", 6, 0xc5, 0xc6, "arrowlake"},
    {"GenuineIntel", 6, 0x8f, 0x8f, "sapphirerapids"}, {"GenuineIntel", 6, 0xcf, 0xcf, "emeraldrapids"},
    {"GenuineIntel", 6, 0xad, 0xae, "graniterapids"},  {"GenuineIntel", 6, 0xaf, 0xaf, "sierraforest"},
    {"GenuineIntel", 6, 0xdd, 0xdd, "clearwaterforest"},
};

const char *fk_codename_x86(const char *vendor_id, unsigned family, unsigned model, unsigned stepping,
                            char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof uarchs / sizeof uarchs[0]; i++) {
        const struct uarch *u = &uarchs[i];
        if (strcmp(vendor_id, u->vendor_id) != 0 || family != u->family || model < u->model_lo ||
            model > u->model_hi)
            continue;
        /* model 0x55 is three generations, told apart by stepping */
        if (strcmp(u->name, "skylakex") == 0 && stepping >= 5)
            snprintf(buf, n, "%s", stepping >= 10 ? "cooperlake" : "cascadelake");
        else
            snprintf(buf, n, "%s", u->name);
        return buf;
    }
    snprintf(buf, n, "f%um%02x", family, model);
    return buf;
}

int fk_x86_level(uint64_t cpu, int v2_base)
{
    const uint64_t v3 = FK_CPU_AVX | FK_CPU_AVX2 | FK_CPU_FMA | FK_CPU_F16C;
    const uint64_t v4 = v3 | FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VL | FK_CPU_AVX512DQ;
    if (!v2_base)
        return 1;
    if ((cpu & v4) == v4)
        return 4;
    if ((cpu & v3) == v3)
        return 3;
    return 2;
}

/* ---------------------------------------------------------- aarch64 */

static const struct {
    unsigned implementer, part;
    const char *name;
} arm_parts[] = {
    {0x41, 0xd03, "cortex-a53"}, {0x41, 0xd04, "cortex-a35"},  {0x41, 0xd05, "cortex-a55"},
    {0x41, 0xd07, "cortex-a57"}, {0x41, 0xd08, "cortex-a72"},  {0x41, 0xd09, "cortex-a73"},
    {0x41, 0xd0a, "cortex-a75"}, {0x41, 0xd0b, "cortex-a76"},  {0x41, 0xd0c, "neoverse-n1"},
    {0x41, 0xd0d, "cortex-a77"}, {0x41, 0xd40, "neoverse-v1"}, {0x41, 0xd41, "cortex-a78"},
    {0x41, 0xd44, "cortex-x1"},  {0x41, 0xd46, "cortex-a510"}, {0x41, 0xd47, "cortex-a710"},
    {0x41, 0xd48, "cortex-x2"},  {0x41, 0xd49, "neoverse-n2"}, {0x41, 0xd4f, "neoverse-v2"},
    {0x41, 0xd80, "cortex-a520"}, {0x41, 0xd81, "cortex-a720"}, {0x41, 0xd82, "cortex-x4"},
    {0x41, 0xd84, "neoverse-v3"}, {0x41, 0xd8e, "neoverse-n3"}, {0xc0, 0xac3, "ampereone"},
};

const char *fk_arm_vendor(unsigned implementer)
{
    switch (implementer) {
    case 0x41: return "arm";
    case 0x42: return "broadcom";
    case 0x46: return "fujitsu";
    case 0x48: return "hisilicon";
    case 0x4e: return "nvidia";
    case 0x51: return "qualcomm";
    case 0x61: return "apple";
    case 0xc0: return "ampere";
    default:   return "arm64";
    }
}

const char *fk_codename_arm(unsigned implementer, unsigned part, char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof arm_parts / sizeof arm_parts[0]; i++)
        if (arm_parts[i].implementer == implementer && arm_parts[i].part == part) {
            snprintf(buf, n, "%s", arm_parts[i].name);
            return buf;
        }
    snprintf(buf, n, "i%02xp%03x", implementer, part);
    return buf;
}

/* ---------------------------------------------------------- provenance */

/* First line of a sysfs file, or fallback. */
static void sysfs(const char *path, char *buf, size_t n, const char *fallback)
{
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f) {
        if (!fgets(buf, (int)n, f))
            buf[0] = 0;
        fclose(f);
    }
    buf[strcspn(buf, "\r\n")] = 0;
    if (!buf[0])
        snprintf(buf, n, "%s", fallback);
}

static void size_text(char *buf, size_t n, size_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, n, "%zuM", bytes >> 20);
    else
        snprintf(buf, n, "%zuK", bytes >> 10);
}

void fk_ident_read(struct fk_ident *id, uint64_t cpu, int ncpu)
{
    memset(id, 0, sizeof *id);
    id->cpu = cpu;
    id->ncpu = ncpu;
    fk_cpu_model(id->model_name, sizeof id->model_name);
    fk_cpu_feature_list(cpu, id->features, sizeof id->features);
    if (!id->features[0])
        snprintf(id->features, sizeof id->features, "baseline");
    snprintf(id->hypervisor, sizeof id->hypervisor, "n/a");
#if defined(__x86_64__) || defined(__i386__)
    snprintf(id->arch, sizeof id->arch, "x86-64");
    unsigned a, b, c, d;
    __cpuid(0, a, b, c, d);
    memcpy(id->vendor_id, &b, 4);
    memcpy(id->vendor_id + 4, &d, 4);
    memcpy(id->vendor_id + 8, &c, 4);
    id->vendor_id[12] = 0;
    __cpuid(1, a, b, c, d);
    fk_ident_x86_fms(a, &id->family, &id->model, &id->stepping);
    /* x86-64-v2: SSE3 (0), SSSE3 (9), CX16 (13), SSE4.1 (19), SSE4.2 (20), POPCNT (23) */
    const unsigned v2_ecx = (1u << 0) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23);
    int level = fk_x86_level(cpu, (c & v2_ecx) == v2_ecx);
    snprintf(id->isa_level, sizeof id->isa_level, "x86-64-v%d", level);
    snprintf(id->level_tag, sizeof id->level_tag, "v%d", level);
    if (c & (1u << 31)) {  /* hypervisor present: its vendor at leaf 0x40000000 */
        unsigned hv[4];
        __cpuid(0x40000000u, hv[0], hv[1], hv[2], hv[3]);
        char name[13];
        memcpy(name, &hv[1], 4);
        memcpy(name + 4, &hv[2], 4);
        memcpy(name + 8, &hv[3], 4);
        name[12] = 0;
        for (int i = 0; i < 12; i++)
            if (name[i] && !isprint((unsigned char)name[i]))
                name[i] = '?';
        snprintf(id->hypervisor, sizeof id->hypervisor, "%s", name[0] ? name : "unnamed");
    } else {
        snprintf(id->hypervisor, sizeof id->hypervisor, "none");
    }
    if (strcmp(id->vendor_id, "GenuineIntel") == 0)
        snprintf(id->vendor, sizeof id->vendor, "intel");
    else if (strcmp(id->vendor_id, "AuthenticAMD") == 0)
        snprintf(id->vendor, sizeof id->vendor, "amd");
    else if (strcmp(id->vendor_id, "HygonGenuine") == 0)
        snprintf(id->vendor, sizeof id->vendor, "hygon");
    else
        snprintf(id->vendor, sizeof id->vendor, "x86");
    fk_codename_x86(id->vendor_id, id->family, id->model, id->stepping, id->codename, sizeof id->codename);
#else
    snprintf(id->arch, sizeof id->arch, "aarch64");
    char v[64];
    unsigned impl = 0, part = 0, variant = 0, rev = 0;
    if (fk_cpuinfo_value("CPU implementer", v, sizeof v) == 0)
        impl = (unsigned)strtoul(v, NULL, 0);
    if (fk_cpuinfo_value("CPU part", v, sizeof v) == 0)
        part = (unsigned)strtoul(v, NULL, 0);
    if (fk_cpuinfo_value("CPU variant", v, sizeof v) == 0)
        variant = (unsigned)strtoul(v, NULL, 0);
    if (fk_cpuinfo_value("CPU revision", v, sizeof v) == 0)
        rev = (unsigned)strtoul(v, NULL, 0);
    snprintf(id->vendor_id, sizeof id->vendor_id, "0x%02x", impl);
    snprintf(id->vendor, sizeof id->vendor, "%s", fk_arm_vendor(impl));
    id->family = 8;
    id->model = part;
    id->stepping = variant << 4 | rev;
    fk_codename_arm(impl, part, id->codename, sizeof id->codename);
    const char *tag = (cpu & FK_CPU_SVE) ? "sve" : (cpu & FK_CPU_DOTPROD) ? "dotprod" : (cpu & FK_CPU_NEON) ? "neon"
                                                                                                        : "base";
    snprintf(id->level_tag, sizeof id->level_tag, "%s", tag);
    snprintf(id->isa_level, sizeof id->isa_level, "armv8-a%s%s%s", (cpu & FK_CPU_DOTPROD) ? "+dotprod" : "",
             (cpu & FK_CPU_I8MM) ? "+i8mm" : "", (cpu & FK_CPU_SVE) ? "+sve" : "");
#endif
    if (fk_cpuinfo_value("microcode", id->microcode, sizeof id->microcode) != 0)
        snprintf(id->microcode, sizeof id->microcode, "n/a");
    struct fk_caches cs;
    memset(&cs, 0, sizeof cs);
    fk_caches_read(&cs);
    char l1[16], l2[16], l3[16];
    size_text(l1, sizeof l1, cs.l1d);
    size_text(l2, sizeof l2, cs.l2);
    size_text(l3, sizeof l3, cs.l3);
    snprintf(id->caches, sizeof id->caches, "L1d %s L2 %s L3 %s", l1, l2, l3);
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    id->mem_bytes = pages > 0 && psize > 0 ? (unsigned long long)pages * (unsigned long long)psize : 0;
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(id->os_kernel, sizeof id->os_kernel, "%s %s %s", u.sysname, u.release, u.machine);
    else
        snprintf(id->os_kernel, sizeof id->os_kernel, "n/a");
    sysfs("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", id->governor, sizeof id->governor, "n/a");
    char boost[16];
    sysfs("/sys/devices/system/cpu/cpufreq/boost", boost, sizeof boost, "");
    if (boost[0]) {
        snprintf(id->boost, sizeof id->boost, "%s", strcmp(boost, "0") == 0 ? "off" : "on");
    } else {
        sysfs("/sys/devices/system/cpu/intel_pstate/no_turbo", boost, sizeof boost, "");
        snprintf(id->boost, sizeof id->boost, "%s", !boost[0] ? "n/a" : strcmp(boost, "1") == 0 ? "off" : "on");
    }
}

void fk_ident_folder(const struct fk_ident *id, char *buf, size_t n)
{
    snprintf(buf, n, "%s-%s-%s-%dc", id->vendor, id->codename, id->level_tag, id->ncpu);
}

void fk_ident_signature(const struct fk_ident *id, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s family %u model %u; features %s; cores %d%s", id->arch, id->vendor_id, id->family,
             id->model, id->features, id->ncpu, strcmp(id->vendor, "emulated") == 0 ? "; emulated" : "");
}

int fk_machine_name_check(const char *name, struct fk_err *e)
{
    size_t n = strlen(name);
    if (n == 0)
        return fk_fail(e, "--machine '': empty (expected a folder name such as amd-zen4-v4-2c)");
    if (n > FK_MACHINE_NAME_MAX)
        return fk_fail(e, "--machine '%.20s...': %zu characters, at most %d", name, n, FK_MACHINE_NAME_MAX);
    if (name[0] == '.')
        return fk_fail(e, "--machine '%s': must not start with '.' (no hidden folders, no '..')", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
            return fk_fail(e, "--machine '%s': character %zu ('%c', 0x%02x) is not allowed: use only "
                              "A-Z a-z 0-9 . _ - (no path separators, spaces or quotes)", name, i + 1,
                           isprint(ch) ? ch : '?', ch);
    }
    return 0;
}

/* "cpu" rows of machine.csv: field name -> value (the value column, 5th). */
static int recorded_field(const char *path, const char *field, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    int rc = -1;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cpu,%s,", field);
    while (rc != 0 && fgets(line, sizeof line, f)) {
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            continue;
        /* cpu,field,threads,bytes,"value",... : skip two more fields */
        char *p = line + strlen(prefix);
        for (int k = 0; k < 2 && p; k++) {
            p = strchr(p, ',');
            p = p ? p + 1 : NULL;
        }
        if (!p)
            continue;
        size_t o = 0;
        if (*p == '"') {
            for (p++; *p && o + 1 < n; p++) {
                if (*p == '"' && p[1] == '"')
                    buf[o++] = *p++;
                else if (*p == '"')
                    break;
                else
                    buf[o++] = *p;
            }
        } else {
            for (; *p && *p != ',' && *p != '\r' && *p != '\n' && o + 1 < n; p++)
                buf[o++] = *p;
        }
        buf[o] = 0;
        rc = 0;
    }
    fclose(f);
    return rc;
}

int fk_ident_check_folder(const char *dir, const struct fk_ident *id, struct fk_err *e)
{
    char path[1100], sig[1024], rec[1024];
    fk_ident_signature(id, sig, sizeof sig);
    snprintf(path, sizeof path, "%s/machine.csv", dir);
    if (recorded_field(path, "signature", rec, sizeof rec) == 0) {
        if (strcmp(rec, sig) == 0)
            return 0;
        return fk_fail(e, "%s was written by another CPU: it records '%s', this run is '%s'; refusing to "
                          "write into it (use --machine NEWNAME or --results DIR for this machine's own folder)",
                       dir, rec, sig);
    }
    /* no signature: a new folder, or results from before signatures */
    static const char *const files[] = {"machine.csv", "kernels.csv", "hypotheses.csv", "samples.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (access(path, F_OK) == 0)
            return fk_fail(e, "%s holds results (%s) with no recorded CPU signature (written before falsify "
                              "recorded one): they may be another CPU's, so this run does not write there; use "
                              "--machine NEWNAME (or move the folder away)", dir, files[i]);
    }
    return 0;
}

/* src with '"' doubled (RFC 4180), into q. */
static void csv_quote(char *q, size_t n, const char *src)
{
    size_t o = 0;
    for (; *src && o + 3 < n; src++) {
        if (*src == '"')
            q[o++] = '"';
        q[o++] = *src;
    }
    q[o] = 0;
}

/* One machine.csv row: kind cpu, the value quoted. */
static void row(char *buf, size_t n, const char *field, const char *value, const char *machine,
                const char *model, const char *key, const char *date)
{
    size_t k = strlen(buf);
    if (k + 1 >= n)
        return;
    char q[1400], qm[300];
    csv_quote(q, sizeof q, value);
    csv_quote(qm, sizeof qm, model);
    snprintf(buf + k, n - k, "cpu,%s,1,0,\"%s\",,%s,\"%s\",\"%s\",%s\n", field, q, machine, qm, key, date);
}

void fk_ident_machine_rows(const struct fk_ident *id, const char *machine, const char *key, const char *date,
                           char *buf, size_t n)
{
    char sig[1024], fam[16], mod[16], step[16], mem[32], cores[16];
    fk_ident_signature(id, sig, sizeof sig);
    snprintf(fam, sizeof fam, "%u", id->family);
    snprintf(mod, sizeof mod, "%u", id->model);
    snprintf(step, sizeof step, "%u", id->stepping);
    snprintf(mem, sizeof mem, "%llu", id->mem_bytes);
    snprintf(cores, sizeof cores, "%d", id->ncpu);
    const char *const fields[][2] = {
        {"signature", sig},          {"arch", id->arch},         {"vendor", id->vendor_id},
        {"family", fam},             {"model", mod},             {"stepping", step},
        {"codename", id->codename},  {"isa_level", id->isa_level}, {"microcode", id->microcode},
        {"features", id->features},  {"caches", id->caches},     {"memory_bytes", mem},
        {"os_kernel", id->os_kernel}, {"hypervisor", id->hypervisor}, {"governor", id->governor},
        {"boost", id->boost},        {"cores", cores},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        row(buf, n, fields[i][0], fields[i][1], machine, id->model_name, key, date);
}
