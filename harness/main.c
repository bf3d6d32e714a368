/* falsify: benchmarks and falsifies claims about CPU LLM-inference kernels.
 *
 *   falsify list    [--mutants]                 plugins, runnable or skipped and why
 *   falsify check   [hypotheses/NAME.ini ...]   correctness, verdicts, results/<machine>/
 *   falsify mutants [hypotheses/NAME.ini ...]   every mutant must be caught
 *   falsify bench   --kernels GLOB ...          timing, ranked per shape and thread count
 *   falsify machine                             the machine's ceilings
 *   falsify compare DIR...                      machines side by side
 *
 * The command line is parsed in cli.c (one option table per verb), output
 * formats are output.c, progress and colour progress.c.  Plugins, oracle and
 * hypotheses are found relative to the binary (find_layout), so an installed
 * or unpacked copy runs from any directory. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cli.h"
#include "compare.h"
#include "cpu.h"
#include "decode_run.h"
#include "hypo.h"
#include "ident.h"
#include "machine.h"
#include "output.h"
#include "pool.h"
#include "progress.h"
#include "registry.h"
#include "results.h"
#include "stats.h"
#include "timed.h"

#ifndef FK_VERSION
#define FK_VERSION "0.0.0"
#endif
#ifndef FK_GIT_COMMIT
#define FK_GIT_COMMIT "unknown"
#endif

/* Is this process running under a user-mode emulator (qemu-user)?  Its
 * times say nothing about any real CPU, so check.c then makes every speed,
 * scaling and roofline verdict UNTESTABLE; correctness verdicts stand.
 * Signs, first match wins (why gets the reason):
 *  1. FALSIFY_EMULATED: "0" = no (overrides 2-3), any other value = yes
 *     (make test-aarch64 sets it);
 *  2. /proc/self/status "Name:" starts with "qemu-": the kernel names the
 *     process after the host executable when qemu-aarch64 is run directly;
 *     qemu fakes /proc/self/{maps,stat,exe,cmdline,auxv}, not status;
 *  3. an aarch64 build reading an x86 /proc/cpuinfo ("vendor_id" line):
 *     qemu-user before 8.1 passes the host's cpuinfo through, also when
 *     started by binfmt_misc (where the process name is the guest's).
 * Not detected: binfmt_misc with qemu >= 8.1 (emulated cpuinfo) - set
 * FALSIFY_EMULATED=1 there.  AT_PLATFORM, uname and HWCAP are emulated too,
 * so they cannot tell. */
static int detect_emulation(char *why, size_t n)
{
    const char *env = getenv("FALSIFY_EMULATED");
    if (env && env[0]) {
        if (strcmp(env, "0") == 0)
            return 0;
        snprintf(why, n, "FALSIFY_EMULATED=%s", env);
        return 1;
    }
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        int hit = 0;
        while (!hit && fgets(line, sizeof line, f))
            if (strncmp(line, "Name:", 5) == 0) {
                const char *v = line + 5 + strspn(line + 5, " \t");
                hit = strncmp(v, "qemu-", 5) == 0;
                if (hit)
                    snprintf(why, n, "process is %.*s (qemu-user)", (int)strcspn(v, "\n"), v);
            }
        fclose(f);
        if (hit)
            return 1;
    }
#if defined(__aarch64__)
    f = fopen("/proc/cpuinfo", "r");
    if (f) {
        int hit = 0;
        while (!hit && fgets(line, sizeof line, f))
            hit = strncmp(line, "vendor_id", 9) == 0;
        fclose(f);
        if (hit) {
            snprintf(why, n, "aarch64 code on an x86 /proc/cpuinfo (qemu-user)");
            return 1;
        }
    }
#endif
    return 0;
}

#if defined(__aarch64__)
#define ARCH_NAME "aarch64"
#elif defined(__x86_64__)
#define ARCH_NAME "x86-64"
#else
#define ARCH_NAME "cpu"
#endif

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && v[0] ? v : fallback;
}

/* ------------------------------------------------------------ layout */

/* Where plugins, mutants, the oracle script and hypotheses live, found
 * from the binary's own path (/proc/self/exe):
 *   build tree:  D/falsify, D/kernels, D/mutants, D/oracle (vector cache);
 *                D/../oracle/gen.py, D/../hypotheses
 *   installed:   P/bin/falsify, P/lib/falsify/{kernels,mutants},
 *                P/share/falsify/{oracle/gen.py,hypotheses};
 *                vector cache $XDG_CACHE_HOME/falsify/oracle (~/.cache/...)
 *   otherwise:   the old relative defaults (build/kernels, hypotheses/, ...). */
struct layout {
    char plugins[PATH_MAX];
    char mutants[PATH_MAX];
    char oracle_cache[PATH_MAX];
    char data[PATH_MAX];        /* holds oracle/gen.py and hypotheses/ */
    const char *kind;
};

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void find_layout(struct layout *L)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    L->kind = "relative to the current directory";
    snprintf(L->plugins, sizeof L->plugins, "build/kernels");
    snprintf(L->mutants, sizeof L->mutants, "build/mutants");
    snprintf(L->oracle_cache, sizeof L->oracle_cache, "build/oracle");
    snprintf(L->data, sizeof L->data, ".");
    if (n <= 0)
        return;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = 0;
    const char *d = exe;
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/kernels", d);
    if (is_dir(p)) {
        L->kind = "build tree";
        snprintf(L->plugins, sizeof L->plugins, "%s/kernels", d);
        snprintf(L->mutants, sizeof L->mutants, "%s/mutants", d);
        snprintf(L->oracle_cache, sizeof L->oracle_cache, "%s/oracle", d);
        snprintf(L->data, sizeof L->data, "%s/..", d);
        return;
    }
    snprintf(p, sizeof p, "%s/../lib/falsify/kernels", d);
    if (is_dir(p)) {
        L->kind = "installed";
        snprintf(L->plugins, sizeof L->plugins, "%s/../lib/falsify/kernels", d);
        snprintf(L->mutants, sizeof L->mutants, "%s/../lib/falsify/mutants", d);
        snprintf(L->data, sizeof L->data, "%s/../share/falsify", d);
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && xdg[0] == '/')
            snprintf(L->oracle_cache, sizeof L->oracle_cache, "%s/falsify/oracle", xdg);
        else if (home && home[0])
            snprintf(L->oracle_cache, sizeof L->oracle_cache, "%s/.cache/falsify/oracle", home);
        else
            snprintf(L->oracle_cache, sizeof L->oracle_cache, "falsify-oracle");
    }
}

/* ----------------------------------------------------------- options */

struct opts {
    struct fk_cli cli;
    enum fk_out_format fmt;
    int gbench;                 /* bench --format gbench-json */
    enum fk_color_mode color_mode;
    int color;                  /* colour on stdout */
    int order_seed_given;
    struct layout L;
};

static int parse_uint(const char *verb, const char *opt, const char *s, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!s[0] || *end || errno || s[0] == '-' || v > max) {
        fprintf(stderr, "falsify %s: --%s '%s' is not an integer in 0..%llu\n", verb, opt, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Splits "a,b,c" (or blanks) into tokens; returns the count, or -1 when
 * there are more than max (never a silent cut). */
static int split_list(char *s, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(s, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (n == max)
            return -1;
        out[n++] = t;
    }
    return n;
}

static int load_hypotheses(const struct opts *o, char **files, int nfiles, struct fk_hypo **h, int *nh)
{
    glob_t g;
    memset(&g, 0, sizeof g);
    if (nfiles == 0) {
        char pat[PATH_MAX + 32];
        snprintf(pat, sizeof pat, "%s/hypotheses/*.ini", o->L.data);
        if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
            fprintf(stderr, "falsify: no hypothesis files given and none in %s (layout: %s)\n", pat, o->L.kind);
            globfree(&g);
            return -1;
        }
        /* hypotheses/decode*.ini: model-level claims, judged by
         * `falsify decode --hypotheses` (harness/decode_hypo.c) */
        size_t keep = 0;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *base = strrchr(g.gl_pathv[i], '/') ? strrchr(g.gl_pathv[i], '/') + 1 : g.gl_pathv[i];
            if (strncmp(base, "decode", 6) != 0 || strncmp(base, "decode_", 7) == 0) {
                char *t = g.gl_pathv[keep];   /* swap, so globfree still frees every path once */
                g.gl_pathv[keep++] = g.gl_pathv[i];
                g.gl_pathv[i] = t;
            }
        }
        files = g.gl_pathv;
        nfiles = (int)keep;
    }
    for (int i = 0; i < nfiles; i++) {
        struct fk_err e;
        if (fk_hypo_parse_file(files[i], h, nh, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            globfree(&g);
            return -1;
        }
    }
    globfree(&g);
    return 0;
}

static void iso_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Provenance every document carries. */
static void doc_provenance(struct fk_doc *d, const struct fk_ctx *c)
{
    char date[32];
    iso_now(date, sizeof date);
    fk_doc_meta(d, "machine", c->machine);
    fk_doc_meta(d, "cpu_model", c->cpu_model);
    fk_doc_meta_num(d, "cores_usable", c->ncpu);
    fk_doc_meta(d, "falsify_version", FK_VERSION);
    fk_doc_meta(d, "git_commit", FK_GIT_COMMIT);
#if defined(__clang__)
    fk_doc_meta(d, "compiler", "clang " __clang_version__);
#else
    fk_doc_meta(d, "compiler", "gcc " __VERSION__);
#endif
    fk_doc_meta(d, "date", date);
    fk_doc_meta(d, "emulated", c->emulated ? "yes" : "no");
    fk_doc_meta(d, "run_id", c->run_id);
    if (c->isa_mask[0])
        fk_doc_meta(d, "isa_mask", c->isa_mask);
    if (c->ident) {
        char fms[64];
        snprintf(fms, sizeof fms, "%u/%u/%u", c->ident->family, c->ident->model, c->ident->stepping);
        fk_doc_meta(d, "vendor", c->ident->vendor_id);
        fk_doc_meta(d, "family_model_stepping", fms);
        fk_doc_meta(d, "codename", c->ident->codename);
        fk_doc_meta(d, "isa_level", c->ident->isa_level);
        fk_doc_meta(d, "microcode", c->ident->microcode);
        fk_doc_meta(d, "hypervisor", c->ident->hypervisor);
    }
}

static void doc_seeds(struct fk_doc *d, const struct fk_ctx *c)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%u", c->seed);
    fk_doc_meta(d, "oracle_seed", buf);
    snprintf(buf, sizeof buf, "%llu", c->rng_seed);
    fk_doc_meta(d, "order_seed", buf);
}

/* -------------------------------------------------------------- list */

/* A runnable peer's library and version as it reports them (provenance
 * tail of kernel.h); 0 when en is not a runnable peer. */
static int peer_library(const struct fk_entry *en, char *lib, size_t n)
{
    const struct fk_kernel *k = en->k;
    if (!k || !(k->flags & FK_KERNEL_PEER) || en->status != FK_RUNNABLE)
        return 0;
    int (*prov)(const struct fk_shape *, char *, size_t) = fk_kernel_provenance(k);
    if (!prov || prov(NULL, lib, n) != 0)
        snprintf(lib, n, "(library did not report its version)");
    return 1;
}

static void list_rows(struct fk_doc *d, const struct fk_registry *reg, int mutants, int human)
{
    for (int i = 0; i < reg->n; i++) {
        const struct fk_entry *en = &reg->e[i];
        int is_mut = en->k && (en->k->flags & FK_KERNEL_MUTANT);
        if (human && is_mut != mutants)
            continue;
        const struct fk_kernel *k = en->k;
        const char *status = en->status == FK_RUNNABLE ? "runnable" : en->status == FK_SKIPPED ? "skipped" : "refused";
        if (human) {
            char fm[48], st[600];
            if (k)
                snprintf(fm, sizeof fm, "%s x %s", fk_format_name(k->weights), fk_format_name(k->acts));
            else
                snprintf(fm, sizeof fm, "-");
            if (en->status == FK_RUNNABLE)
                snprintf(st, sizeof st, "runnable");
            else
                snprintf(st, sizeof st, "%s: %s", status, en->why);
            fk_doc_str(d, k ? k->name : en->path);
            fk_doc_str(d, k ? k->isa : "-");
            fk_doc_str(d, k ? fk_op_name(k->op) : "-");
            fk_doc_str(d, fm);
            fk_doc_str(d, st);
            fk_doc_row_end(d);
            if (k && (k->flags & FK_KERNEL_EMULATED))
                fk_doc_row_note(d, "(emulated: correctness only, no speed verdicts)");
            char lib[512];
            if (peer_library(en, lib, sizeof lib)) {
                char note[600];
                snprintf(note, sizeof note, "peer: %s", lib);
                fk_doc_row_note(d, note);
            }
        } else {
            char lib[512] = "";
            int peer = k && (k->flags & FK_KERNEL_PEER);
            peer_library(en, lib, sizeof lib);
            fk_doc_str(d, k ? k->name : "");
            fk_doc_str(d, k ? k->isa : "");
            fk_doc_str(d, k ? fk_op_name(k->op) : "");
            fk_doc_str(d, k ? fk_format_name(k->weights) : "");
            fk_doc_str(d, k ? fk_format_name(k->acts) : "");
            fk_doc_str(d, status);
            fk_doc_str(d, en->status == FK_RUNNABLE ? "" : en->why);
            fk_doc_str(d, is_mut ? "yes" : "no");
            fk_doc_str(d, k && (k->flags & FK_KERNEL_EMULATED) ? "yes" : "no");
            fk_doc_str(d, peer ? "yes" : "no");
            fk_doc_str(d, lib);
            fk_doc_str(d, en->path);
            fk_doc_str(d, en->build);
            fk_doc_row_end(d);
        }
    }
}

static int cmd_list(struct fk_ctx *c, const struct opts *o, const char *emulated_why)
{
    struct fk_registry m;
    memset(&m, 0, sizeof m);
    int with_mutants = o->cli.val[FK_OPT_MUTANTS] != NULL;
    if (with_mutants) {
        struct fk_err e;
        const char *dir = o->cli.val[FK_OPT_MUTANTS_DIR] ? o->cli.val[FK_OPT_MUTANTS_DIR]
                                                          : env_or("FALSIFY_MUTANTS", o->L.mutants);
        if (fk_registry_scan(&m, dir, c->cpu, &e) != 0) {
            fprintf(stderr, "falsify list: %s\n", e.msg);
            return FK_EXIT_BAD_INPUT;
        }
    }
    int human = o->fmt == FK_OUT_TABLE || o->fmt == FK_OUT_MD;
    struct fk_doc *d = fk_doc_new(stdout, o->fmt, "falsify.list/1", o->color);
    char feats[512];
    if (human) {
        char cpu[200];
        snprintf(cpu, sizeof cpu, "%s (%d usable cores)", c->cpu_model, c->ncpu);
        fk_doc_meta(d, "cpu", cpu);
        fk_doc_meta(d, "features", fk_cpu_feature_list(c->cpu, feats, sizeof feats));
        if (c->emulated) {
            char em[300];
            snprintf(em, sizeof em, "%s: correctness only, speed verdicts UNTESTABLE", emulated_why);
            fk_doc_meta(d, "emulated", em);
        }
        if (c->isa_mask[0]) {
            char mk[200];
            snprintf(mk, sizeof mk, "--isa %s: plugins needing more are skipped", c->isa_mask);
            fk_doc_meta(d, "masked", mk);
        }
        if (c->ident) {
            char id[600];
            snprintf(id, sizeof id, "%s (%s family %u model %u stepping %u, %s, %s, microcode %s, hypervisor %s)",
                     c->machine, c->ident->vendor_id, c->ident->family, c->ident->model, c->ident->stepping,
                     c->ident->codename, c->ident->isa_level, c->ident->microcode, c->ident->hypervisor);
            fk_doc_meta(d, "machine", id);
        }
    } else {
        doc_provenance(d, c);
        fk_doc_meta(d, "features", fk_cpu_feature_list(c->cpu, feats, sizeof feats));
        if (c->emulated)
            fk_doc_meta(d, "emulated_why", emulated_why);
        fk_doc_meta(d, "isa_mask", c->isa_mask);
    }
    int runnable = 0, skipped = 0, refused = 0;
    for (int i = 0; i < c->reg.n; i++) {
        const struct fk_entry *en = &c->reg.e[i];
        if (en->k && (en->k->flags & FK_KERNEL_MUTANT))
            continue;
        runnable += en->status == FK_RUNNABLE;
        skipped += en->status == FK_SKIPPED;
        refused += en->status == FK_REFUSED;
    }
    char counts[128];
    snprintf(counts, sizeof counts, "%d runnable, %d skipped, %d refused", runnable, skipped, refused);
    if (human) {
        static const struct fk_col cols[] = {{"kernel", FK_COL_STR, NULL, 0}, {"isa", FK_COL_STR, NULL, 0},
                                             {"op", FK_COL_STR, NULL, 0}, {"formats", FK_COL_STR, NULL, 0},
                                             {"status", FK_COL_STR, NULL, 0}};
        fk_doc_section(d, "plugins", "plugins:", cols, 5);
        list_rows(d, &c->reg, 0, 1);
        fk_doc_footer(d, counts);
        if (with_mutants) {
            fk_doc_section(d, "mutants", "mutants (deliberately wrong; never in normal runs):", cols, 5);
            list_rows(d, &m, 1, 1);
        }
    } else {
        static const struct fk_col cols[] = {
            {"kernel", FK_COL_STR, NULL, 0}, {"isa", FK_COL_STR, NULL, 0},     {"op", FK_COL_STR, NULL, 0},
            {"weights", FK_COL_STR, NULL, 0}, {"acts", FK_COL_STR, NULL, 0},   {"status", FK_COL_STR, NULL, 0},
            {"reason", FK_COL_STR, NULL, 0},  {"mutant", FK_COL_STR, NULL, 0}, {"emulated", FK_COL_STR, NULL, 0},
            {"peer", FK_COL_STR, NULL, 0},    {"library", FK_COL_STR, NULL, 0},
            {"plugin", FK_COL_STR, NULL, 0},  {"build", FK_COL_STR, NULL, 0}};
        fk_doc_section(d, "plugins", "", cols, (int)(sizeof cols / sizeof cols[0]));
        list_rows(d, &c->reg, 0, 0);
        if (with_mutants)
            list_rows(d, &m, 1, 0);
    }
    int rc = fk_doc_end(d) == 0 ? FK_EXIT_OK : FK_EXIT_BAD_INPUT;
    fk_registry_free(&m);
    return rc;
}

/* ----------------------------------------------------------- machine */

/* Loads results/<machine>/machine.csv if its key matches, else measures. */
static int ensure_machine(struct fk_ctx *c, struct fk_machine *m, int force)
{
    char key[512], path[700];
    struct fk_err e;
    fk_machine_key(c->cpu, c->cpu_model, c->ncpu, key, sizeof key);
    snprintf(path, sizeof path, "%s/machine.csv", c->results_dir);
    int rc = force ? 1 : fk_machine_load(m, path, key, &e);
    if (rc == 0 && strcmp(m->sanity, "ok") != 0)
        fprintf(stderr, "falsify: WARNING: the cached ceilings in %s failed their sanity rules (%s); "
                        "re-measure on a quiet machine: falsify machine --force\n", path,
                m->sanity[0] ? m->sanity : "not checked");
    if (rc < 0) {
        fprintf(stderr, "falsify: %s (delete it or run 'falsify machine --force')\n", e.msg);
        return -1;
    }
    if (rc == 0)
        return 0;
    if (c->progress)
        fk_progress_note(c->progress, "measuring machine ceilings (cached until the machine or build changes)...");
    else if (!c->quiet)
        fprintf(stderr, "measuring machine ceilings (cached in %s until the machine or build changes)...\n", path);
    char rows[16384] = "";   /* the machine's identity rows (ident.h) beside the ceilings */
    if (fk_machine_measure(m, c->cpu, key, c->ncpu, !c->quiet, &e) == 0 && c->ident) {
        fk_ident_machine_rows(c->ident, c->machine, key, m->date, rows, sizeof rows);
        m->extra_rows = rows;
    }
    if (!m->date[0] || fk_mkdirs(c->results_dir, &e) != 0 ||
        fk_machine_write(m, path, c->machine, c->cpu_model, &e) != 0) {
        m->extra_rows = NULL;
        fprintf(stderr, "falsify: %s\n", e.msg);
        return -1;
    }
    m->extra_rows = NULL;
    return 0;
}

/* A folder's machine.csv records its CPU signature even when no ceilings
 * were measured (emulated runs): the rows are the identity only, under a
 * key no measurement matches, so a later `falsify machine` still measures. */
static int ensure_signature(const struct fk_ctx *c, struct fk_err *e)
{
    char path[700];
    snprintf(path, sizeof path, "%s/machine.csv", c->results_dir);
    if (access(path, F_OK) == 0 || !c->ident)
        return 0;
    struct fk_machine *m = calloc(1, sizeof *m);
    char *rows = calloc(1, 16384);
    int rc = -1;
    if (m && rows) {
        fk_ident_machine_rows(c->ident, c->machine, "(identity only: no ceilings measured)", "", rows, 16384);
        m->extra_rows = rows;
        rc = fk_machine_write(m, path, c->machine, c->cpu_model, e);
    } else {
        fk_fail(e, "out of memory");
    }
    free(rows);
    free(m);
    return rc;
}

static int cmd_machine(struct fk_ctx *c, const struct opts *o)
{
    struct fk_machine *m = calloc(1, sizeof *m);
    if (!m || ensure_machine(c, m, o->cli.val[FK_OPT_FORCE] != NULL) != 0) {
        free(m);
        return FK_EXIT_BAD_INPUT;
    }
    int human = o->fmt == FK_OUT_TABLE || o->fmt == FK_OUT_MD;
    struct fk_doc *d = fk_doc_new(stdout, o->fmt, "falsify.machine/1", o->color);
    char buf[300];
    if (human) {
        snprintf(buf, sizeof buf, "L1d %zu KiB, L2 %zu KiB (shared by %d), L3 %zu MiB (shared by %d); measured %s",
                 m->caches.l1d >> 10, m->caches.l2 >> 10, m->caches.l2_shared, m->caches.l3 >> 20,
                 m->caches.l3_shared, m->date);
        fk_doc_meta(d, c->machine, buf);
        snprintf(buf, sizeof buf, "%s (f32), %s (int8)", m->f32_isa, m->int8_isa);
        fk_doc_meta(d, "peak probes", buf);
        fk_doc_meta(d, "sanity", m->sanity[0] ? m->sanity : "unchecked");
    } else {
        doc_provenance(d, c);
        fk_doc_meta(d, "measured", m->date);
        fk_doc_meta_num(d, "l1d_bytes", (double)m->caches.l1d);
        fk_doc_meta_num(d, "l2_bytes", (double)m->caches.l2);
        fk_doc_meta_num(d, "l3_bytes", (double)m->caches.l3);
        fk_doc_meta(d, "f32_probe", m->f32_isa);
        fk_doc_meta(d, "int8_probe", m->int8_isa);
        fk_doc_meta(d, "sanity", m->sanity[0] ? m->sanity : "unchecked");
    }
    static const struct fk_col cols[] = {
        {"threads", FK_COL_INT, NULL, 0},          {"l1_gbytes_per_s", FK_COL_FIX1, "L1 GB/s", 0},
        {"l2_gbytes_per_s", FK_COL_FIX1, "L2 GB/s", 0}, {"l3_gbytes_per_s", FK_COL_FIX1, "L3 GB/s", 0},
        {"dram_gbytes_per_s", FK_COL_FIX1, "DRAM GB/s", 0}, {"f32_gflops_per_s", FK_COL_FIX1, "f32 GFLOP/s", 0},
        {"int8_gops_per_s", FK_COL_FIX1, "int8 GOP/s", 0}, {"l1_read_pattern", FK_COL_STR, "L1 read", 0},
        {"l2_read_pattern", FK_COL_STR, "L2 read", 0}, {"l3_read_pattern", FK_COL_STR, "L3 read", 0},
        {"dram_read_pattern", FK_COL_STR, "DRAM read", 0}};
    fk_doc_section(d, "ceilings", "", cols, (int)(sizeof cols / sizeof cols[0]));
    for (int t = 1; t <= m->ncpu && t <= FK_MAX_THREADS; t++) {
        fk_doc_int(d, t);
        for (int l = 0; l < FK_LEVELS; l++)
            fk_doc_num(d, m->level_gbs[l][t]);
        fk_doc_num(d, m->peak_f32[t] * 1e-9);
        fk_doc_num(d, m->peak_int8[t] * 1e-9);
        for (int l = 0; l < FK_LEVELS; l++) {  /* the read that won the ceiling: ISA and concurrent streams */
            char pat[64];
            snprintf(pat, sizeof pat, "%s x%d", m->level_pat[l][t].isa, m->level_pat[l][t].streams);
            fk_doc_str(d, pat);
        }
        fk_doc_row_end(d);
    }
    int rc = fk_doc_end(d) == 0 ? FK_EXIT_OK : FK_EXIT_BAD_INPUT;
    free(m);
    return rc;
}

/* Whether a string option fits its buffer; else says so (never cut). */
static int arg_fits(const char *option, const char *value, size_t cap)
{
    if (value && strlen(value) >= cap) {
        fprintf(stderr, "falsify: %s is %zu characters; the limit is %zu\n", option, strlen(value), cap - 1);
        return 0;
    }
    return 1;
}

/* Runnable, non-mutant kernels in the registry. */
static int runnable_kernels(const struct fk_ctx *c)
{
    int n = 0;
    for (int i = 0; i < c->reg.n; i++)
        n += c->reg.e[i].k && c->reg.e[i].status == FK_RUNNABLE && !(c->reg.e[i].k->flags & FK_KERNEL_MUTANT);
    return n;
}

/* ------------------------------------------------------------- check */

static const char *figure_unit(const struct fk_hypo *h)
{
    switch (h->kind) {
    case FK_KIND_SPEEDUP:
    case FK_KIND_PARITY: return "ratio";
    case FK_KIND_LATENCY: return "ns";
    case FK_KIND_SCALING: return "efficiency";
    case FK_KIND_ROOFLINE: return "fraction";
    default: return h->metric[0] ? h->metric : "gauge_max";
    }
}

/* The verdict table (table/md: one row per hypothesis and kernel, the
 * worst shape's figure, both absolute medians named) or every verdict row
 * and kernel row (csv/json). */
static void emit_check(struct fk_doc *d, const struct fk_run *run, int human)
{
    if (human) {
        static const struct fk_col cols[] = {
            {"hypothesis", FK_COL_STR, NULL, 0}, {"role", FK_COL_STR, NULL, 0},
            {"kernel", FK_COL_STR, NULL, 0},     {"verdict", FK_COL_STR, NULL, 0},
            {"figure", FK_COL_STR, NULL, 0},     {"CI", FK_COL_STR, "95% CI", 0},
            {"n", FK_COL_INT, NULL, 0},          {"subject_median_ns", FK_COL_NS, "subject median", 0},
            {"baseline_median_ns", FK_COL_NS, "baseline median", 0},
            {"shape", FK_COL_STR, "worst shape", 0}};
        fk_doc_section(d, "verdicts", "", cols, 10);
        for (int i = 0; i < run->nh; i++) {
            const struct fk_hrow *r = &run->h[i];
            if (!r->aggregate)
                continue;
            const struct fk_hypo *h = r->h;
            char fig[48], ci[80], where[160];
            int ratio = h->kind == FK_KIND_SPEEDUP || h->kind == FK_KIND_PARITY;
            if (isnan(r->figure))
                snprintf(fig, sizeof fig, "-");
            else if (h->kind == FK_KIND_LATENCY)
                fk_fmt_ns(fig, sizeof fig, r->figure);
            else
                snprintf(fig, sizeof fig, "%.3g%s", r->figure, ratio ? "x" : "");
            if (isnan(r->lo))
                snprintf(ci, sizeof ci, "-");
            else if (h->kind == FK_KIND_LATENCY) {
                char a[24], b[24];
                fk_fmt_ns(a, sizeof a, r->lo);
                fk_fmt_ns(b, sizeof b, r->hi);
                snprintf(ci, sizeof ci, "[%s, %s]", a, b);
            } else
                snprintf(ci, sizeof ci, "[%.3g, %.3g]", r->lo, r->hi);
            if (r->threads != 1)
                snprintf(where, sizeof where, "%s T=%d%s%s%s", r->shape, r->threads,
                         r->cache == FK_CACHE_COLD ? " cold" : "", r->level[0] ? " " : "", r->level);
            else
                snprintf(where, sizeof where, "%s%s%s%s", r->shape, r->cache == FK_CACHE_COLD ? " cold" : "",
                         r->level[0] ? " " : "", r->level);
            fk_doc_str(d, h->id);
            fk_doc_str(d, fk_role_name(h->role));
            fk_doc_str(d, r->kernel);
            fk_doc_str(d, fk_verdict_name(r->verdict));
            fk_doc_str(d, fig);
            fk_doc_str(d, ci);
            fk_doc_int(d, (long long)r->n);
            /* absolute medians only where the figure is a time or a ratio of two times */
            fk_doc_num(d, ratio || h->kind == FK_KIND_SCALING || h->kind == FK_KIND_ROOFLINE ? r->median_a_ns : NAN);
            fk_doc_num(d, ratio ? r->median_b_ns : NAN);
            fk_doc_str(d, where);
            fk_doc_row_end(d);
            if (r->verdict != FK_SUPPORTED && r->reason[0])
                fk_doc_row_note(d, r->reason);
        }
        fk_doc_footer(d, "\nfigure: speedup/parity = median over interleaved pairs of t(baseline)/t(subject), not the "
                         "ratio of the two medians shown;\n"
                         "        scaling = efficiency; roofline = fraction of the paired read of the same bytes; "
                         "error = the metric (gauge or ULP).\n"
                         "subject median / baseline median: median time per call of each arm over the same pairs "
                         "(subject = the kernel in the row).\n"
                         "95% CI: distribution-free rank interval of the median, alpha split over the sequential "
                         "looks; n = pairs, or outputs for error.");
        return;
    }
    static const struct fk_col vcols[] = {
        {"id", FK_COL_STR, NULL, 0},        {"kind", FK_COL_STR, NULL, 0},       {"role", FK_COL_STR, NULL, 0},
        {"kernel", FK_COL_STR, NULL, 0},    {"baseline", FK_COL_STR, NULL, 0},   {"shape", FK_COL_STR, NULL, 0},
        {"aggregate", FK_COL_STR, NULL, 0}, {"threads", FK_COL_INT, NULL, 0},    {"cache", FK_COL_STR, NULL, 0},
        {"level", FK_COL_STR, NULL, 0},     {"verdict", FK_COL_STR, NULL, 0},    {"figure", FK_COL_NUM, NULL, 0},
        {"figure_unit", FK_COL_STR, NULL, 0}, {"ci_lo", FK_COL_NUM, NULL, 0},    {"ci_hi", FK_COL_NUM, NULL, 0},
        {"n", FK_COL_INT, NULL, 0},         {"threshold", FK_COL_NUM, NULL, 0},
        {"subject_median_ns", FK_COL_NUM, NULL, 0}, {"baseline_median_ns", FK_COL_NUM, NULL, 0},
        {"reason", FK_COL_STR, NULL, 0},    {"claim", FK_COL_STR, NULL, 0},      {"source", FK_COL_STR, NULL, 0}};
    fk_doc_section(d, "verdicts", "", vcols, (int)(sizeof vcols / sizeof vcols[0]));
    for (int i = 0; i < run->nh; i++) {
        const struct fk_hrow *r = &run->h[i];
        const struct fk_hypo *h = r->h;
        fk_doc_str(d, h->id);
        fk_doc_str(d, fk_kind_name(h->kind));
        fk_doc_str(d, fk_role_name(h->role));
        fk_doc_str(d, r->kernel);
        fk_doc_str(d, h->baseline);
        fk_doc_str(d, r->shape);
        fk_doc_str(d, r->aggregate ? "yes" : "no");
        fk_doc_int(d, r->threads);
        fk_doc_str(d, r->cache == FK_CACHE_COLD ? "cold" : "hot");
        fk_doc_str(d, r->level);
        fk_doc_str(d, fk_verdict_name(r->verdict));
        fk_doc_num(d, r->figure);
        fk_doc_str(d, figure_unit(h));
        fk_doc_num(d, r->lo);
        fk_doc_num(d, r->hi);
        fk_doc_int(d, (long long)r->n);
        fk_doc_num(d, h->threshold);
        fk_doc_num(d, r->median_a_ns);
        fk_doc_num(d, r->median_b_ns);
        fk_doc_str(d, r->reason);
        fk_doc_str(d, h->claim);
        fk_doc_str(d, h->source);
        fk_doc_row_end(d);
    }
    static const struct fk_col kcols[] = {
        {"kernel", FK_COL_STR, NULL, 0},  {"shape", FK_COL_STR, NULL, 0},      {"threads", FK_COL_INT, NULL, 0},
        {"cache", FK_COL_STR, NULL, 0},   {"status", FK_COL_STR, NULL, 0},     {"gauge_max", FK_COL_NUM, NULL, 0},
        {"ulp_max", FK_COL_NUM, NULL, 0}, {"gate_bound", FK_COL_NUM, NULL, 0}, {"samples", FK_COL_INT, NULL, 0},
        {"median_ns", FK_COL_NUM, NULL, 0}, {"note", FK_COL_STR, NULL, 0}};
    fk_doc_section(d, "kernels", "", kcols, (int)(sizeof kcols / sizeof kcols[0]));
    for (int i = 0; i < run->nk; i++) {
        const struct fk_krow *r = &run->k[i];
        char sh[64];
        fk_shape_format(&r->shape, sh, sizeof sh);
        const char *status = r->crashed ? "crashed" : !r->checked ? "timed" : r->correct ? "ok" : "wrong";
        fk_doc_str(d, r->en->k->name);
        fk_doc_str(d, sh);
        fk_doc_int(d, r->threads);
        fk_doc_str(d, r->cache == FK_CACHE_COLD ? "cold" : "hot");
        fk_doc_str(d, status);
        int has = r->checked && r->es.n > 0;
        fk_doc_num(d, has ? r->es.gauge_max : NAN);
        fk_doc_num(d, has ? r->es.ulp_max : NAN);
        fk_doc_num(d, r->checked ? r->bound : NAN);
        fk_doc_int(d, r->nns);
        fk_doc_num(d, r->nns ? fk_median(r->ns, (size_t)r->nns) : NAN);
        fk_doc_str(d, r->note);
        fk_doc_row_end(d);
    }
}

static int cmd_check(struct fk_ctx *c, const struct opts *o)
{
    struct fk_hypo *h = NULL;
    int nh = 0;
    if (load_hypotheses(o, o->cli.args, o->cli.nargs, &h, &nh) != 0)
        return FK_EXIT_BAD_INPUT;
    struct fk_run run;
    struct fk_err e;
    if (fk_check_validate(c, h, nh, &e) != 0) {  /* bad input fails before any measuring */
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    if (runnable_kernels(c) == 0) {
        fprintf(stderr, "falsify: no runnable kernel plugin was loaded (--plugins / FALSIFY_PLUGINS): tested "
                        "nothing; results left as they were\n");
        free(h);
        return FK_EXIT_NOTHING;
    }
    /* nothing is measured unless its results can be kept */
    if (!c->plan && (fk_results_recover(c->results_dir, &e) != 0 ||
                     fk_results_preflight(c->results_dir, 64ull << 20, &e) != 0 || ensure_signature(c, &e) != 0)) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    struct fk_machine *m = calloc(1, sizeof *m);
    /* emulated: no timing at all, so no ceilings to measure; plan: nothing measured */
    if (!m || (!c->emulated && !c->plan && ensure_machine(c, m, 0) != 0)) {
        free(m);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    c->ceilings = c->emulated || c->plan ? NULL : m;
    if (fk_check_run(c, h, nh, &run, &e) != 0) {
        if (c->progress)
            fk_progress_finish(c->progress);
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(m);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    if (c->progress)
        fk_progress_finish(c->progress);
    int human = o->fmt == FK_OUT_TABLE || o->fmt == FK_OUT_MD;
    FILE *info = o->fmt == FK_OUT_TABLE ? stdout : stderr;   /* a csv/json/md document alone on stdout */
    struct fk_doc *d = fk_doc_new(stdout, o->fmt, "falsify.check/1", o->color);
    if (!human) {
        doc_provenance(d, c);
        doc_seeds(d, c);
    }
    emit_check(d, &run, human);
    int rc = fk_doc_end(d) == 0 ? FK_EXIT_OK : FK_EXIT_BAD_INPUT;
    int ucount[FK_UC_COUNT];
    int unfit = fk_untestable_counts(&run, ucount);
    fprintf(info, "\nUNTESTABLE by cause:");
    for (int u = 1; u < FK_UC_COUNT; u++)
        fprintf(info, " %s %d%s", fk_ucause_name((enum fk_ucause)u), ucount[u], u + 1 < FK_UC_COUNT ? "," : "\n");
    if (unfit)
        fprintf(info, "%s: %d row(s) UNTESTABLE for naming or a failure, not for a capability the claim needs "
                      "(see untestable_cause)\n", o->cli.val[FK_OPT_STRICT] ? "FAIL" : "note", unfit);
    if (c->plan) {
        fprintf(info, "plan only: nothing measured or written\n");
        rc = o->cli.val[FK_OPT_STRICT] && unfit ? FK_EXIT_FAIL : rc;
        fk_run_free(&run);
        free(m);
        free(h);
        return rc;
    }
    if (o->cli.val[FK_OPT_STRICT] && unfit && !rc)
        rc = FK_EXIT_FAIL;
    if (fk_write_results(c, &run, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        rc = FK_EXIT_BAD_INPUT;
    }
    fprintf(info, "seeds: oracle cases %u, sample order %llu (repeat with --seed %u --order-seed %llu)\n", c->seed,
            c->rng_seed, c->seed, c->rng_seed);
    fk_summary_print(info, &run, c->progress ? fk_progress_elapsed_s(c->progress) : 0,
                     info == stdout ? o->color : fk_color_wanted(o->color_mode, 2));
    if (run.kernel_failures)
        fprintf(info, "FAIL: %d kernel case(s) wrong or crashed (see kernels.csv 'note')\n", run.kernel_failures);
    if (run.guard_falsified)
        fprintf(info, "FAIL: %d guard hypothesis verdict(s) FALSIFIED\n", run.guard_falsified);
    if (!rc && (run.kernel_failures || run.guard_falsified))
        rc = FK_EXIT_FAIL;
    else if (!rc && run.guard_unmatched) {
        fprintf(info, "TESTED NOTHING: %d guard hypothesis subject(s) match no kernel here (see 'no kernel here "
                      "matches')\n", run.guard_unmatched);
        rc = FK_EXIT_NOTHING;
    }
    if (run.aa_biased)
        fprintf(info, "WARNING: the A/A self-check is biased: see AA-self-check above\n");
    fk_run_free(&run);
    free(m);
    c->ceilings = NULL;
    free(h);
    return rc;
}

/* ----------------------------------------------------------- mutants */

/* Every mutant must be FALSIFIED by at least one error hypothesis. */
static int cmd_mutants(struct fk_ctx *c, const struct opts *o)
{
    struct fk_hypo *h = NULL;
    int nh = 0;
    if (load_hypotheses(o, o->cli.args, o->cli.nargs, &h, &nh) != 0)
        return FK_EXIT_BAD_INPUT;
    int ne = 0;
    for (int i = 0; i < nh; i++)
        if (h[i].kind == FK_KIND_ERROR)
            h[ne++] = h[i];
    if (ne == 0) {
        fprintf(stderr, "falsify mutants: no error hypotheses to judge mutants with\n");
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    int nmut = 0;
    for (int i = 0; i < c->reg.n; i++)
        nmut += c->reg.e[i].k && (c->reg.e[i].k->flags & FK_KERNEL_MUTANT) && c->reg.e[i].status == FK_RUNNABLE;
    if (nmut == 0) {
        fprintf(stderr, "falsify mutants: no runnable mutant plugins found (build them with 'make')\n");
        free(h);
        return FK_EXIT_NOTHING;
    }
    c->mutants = 1;
    struct fk_run run;
    struct fk_err e;
    int rcrun = fk_check_run(c, h, ne, &run, &e);
    if (c->progress)
        fk_progress_finish(c->progress);
    if (rcrun != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    int escaped = 0, caught = 0;
    const char *green = o->color ? "\033[32m" : "", *red = o->color ? "\033[1;31m" : "", *off = o->color ? "\033[0m" : "";
    printf("\n%-32s %-8s %s\n", "mutant", "result", "caught by");
    for (int i = 0; i < c->reg.n; i++) {
        const struct fk_entry *en = &c->reg.e[i];
        if (!en->k || !(en->k->flags & FK_KERNEL_MUTANT) || en->status != FK_RUNNABLE)
            continue;
        const char *by = NULL, *why = "";
        int judged = 0;
        for (int r = 0; r < run.nh; r++) {
            if (!run.h[r].aggregate || strcmp(run.h[r].kernel, en->k->name) != 0)
                continue;
            judged = 1;
            if (run.h[r].verdict == FK_FALSIFIED && !by) {
                by = run.h[r].h->id;
                why = run.h[r].reason;
            }
        }
        if (by) {
            caught++;
            printf("%-32s %s%-8s%s %s: %s\n", en->k->name, green, "caught", off, by, why);
        } else {
            escaped++;
            printf("%-32s %s%-8s%s %s\n", en->k->name, red, "ESCAPED", off,
                   judged ? "no error hypothesis falsified it" : "no error hypothesis covers it");
        }
    }
    printf("%d passed, %d failed\n", caught, escaped);
    fk_run_free(&run);
    free(h);
    return escaped ? FK_EXIT_FAIL : FK_EXIT_OK;
}

/* ------------------------------------------------------------- bench */

#define BENCH_MAX_REPS FK_MAX_REPLICATES

struct bench_row {
    const struct fk_krow *k;
    char shape[64];
    int group;                  /* index of its (shape, threads, cache) group */
    int timed;
    double med, lo, hi, mn;     /* ns per call: geometric mean of the repetitions' medians, its 95% t-interval */
    double between_share;       /* between-repetition share of the variance */
    int nrep;
    double rep_med[BENCH_MAX_REPS];
    long long rep_iters[BENCH_MAX_REPS];
    int rep_n[BENCH_MAX_REPS];
    int rank;                   /* 1 = fastest; 0: not timed */
    double ratio, rlo, rhi;     /* t / t(fastest), paired by repetition, and its interval */
    int decided;                /* rlo > 1: slower than the fastest beyond noise */
    double bytes, ops, gbs, gops, ceil_gbs, frac, frac_hi;
    int level, model_error;
    const char *status;         /* ok, wrong, crashed */
};

struct bench {
    struct bench_row *r;
    int n;
    int ngroups;
    const struct fk_machine *m;
};

static int same_group(const struct fk_krow *a, const struct fk_krow *b)
{
    return a->shape.rows == b->shape.rows && a->shape.cols == b->shape.cols && a->shape.batch == b->shape.batch &&
           a->threads == b->threads && a->cache == b->cache;
}

static int cmp_row(const void *pa, const void *pb)
{
    const struct bench_row *a = pa, *b = pb;
    if (a->group != b->group)
        return a->group - b->group;
    if (a->timed != b->timed)
        return b->timed - a->timed;
    return a->med < b->med ? -1 : a->med > b->med;
}

/* The samples of kernel row k, repetition after repetition (valid
 * replicates of the "bench" comparison, samples.csv 'replicate'), into r. */
static void bench_reps(struct bench_row *r, const struct fk_run *run, double *v)
{
    const struct fk_krow *k = r->k;
    int nv = 0;
    for (int rep = 0; rep < BENCH_MAX_REPS; rep++) {
        int first = nv;
        long long calls = 0;
        for (int s = 0; s < run->ns; s++) {
            const struct fk_sample *x = &run->s[s];
            if (x->replicate == rep && !strcmp(x->arm, k->en->k->name) && !strcmp(x->shape, r->shape) &&
                x->threads == k->threads && x->cache == k->cache) {
                v[nv++] = x->ns;
                calls += x->reps;
            }
        }
        if (nv == first)
            break;
        r->rep_med[r->nrep] = fk_median(v + first, (size_t)(nv - first));
        r->rep_iters[r->nrep] = calls;
        r->rep_n[r->nrep] = nv - first;
        r->nrep++;
    }
}

/* Ratio of row r to the fastest f, paired by repetition (repetition q of
 * every kernel ran in the same round, close in time): the geometric mean of
 * the per-repetition ratios of medians with a Student t-interval at
 * confidence 1 - alpha. */
static void bench_ratio(struct bench_row *r, const struct bench_row *f, double alpha)
{
    int m = r->nrep < f->nrep ? r->nrep : f->nrep;
    double lr[BENCH_MAX_REPS], mean = 0, var = 0;
    for (int q = 0; q < m; q++) {
        lr[q] = log(r->rep_med[q] / f->rep_med[q]);
        mean += lr[q] / m;
    }
    r->ratio = m > 0 ? exp(mean) : r->med / f->med;
    r->rlo = r->rhi = NAN;
    if (m < 2)
        return;
    for (int q = 0; q < m; q++)
        var += (lr[q] - mean) * (lr[q] - mean) / (m - 1);
    double half = fk_t_quantile(1 - alpha / 2, m - 1) * sqrt(var / m);
    r->rlo = exp(mean - half);
    r->rhi = exp(mean + half);
    r->decided = r->rlo > 1;
}

/* Builds the ranked rows from the run of the "bench" comparison. */
static int bench_build(struct bench *b, const struct fk_run *run)
{
    b->r = calloc((size_t)run->nk + 1, sizeof *b->r);
    double *v = malloc(((size_t)run->ns + 1) * sizeof *v);
    if (!b->r || !v) {
        free(v);
        return -1;
    }
    b->n = 0;
    b->ngroups = 0;
    const struct fk_krow *gkey[1024];
    for (int i = 0; i < run->nk; i++) {
        const struct fk_krow *k = &run->k[i];
        int wrong = k->checked && !k->correct;
        if (k->nns == 0 && !wrong)
            continue;
        struct bench_row *r = &b->r[b->n++];
        r->k = k;
        fk_shape_format(&k->shape, r->shape, sizeof r->shape);
        int g = 0;
        while (g < b->ngroups && !same_group(gkey[g], k))
            g++;
        if (g == b->ngroups && b->ngroups < 1024)
            gkey[b->ngroups++] = k;
        r->group = g;
        r->timed = k->nns > 0;
        r->status = k->crashed ? "crashed" : wrong ? "wrong" : "ok";
        r->med = r->lo = r->hi = r->mn = r->ratio = r->rlo = r->rhi = r->frac = r->frac_hi = NAN;
        r->gbs = r->gops = r->ceil_gbs = r->between_share = NAN;
        /* cost() ran in the gate job's sandbox (check.c); never call plugin code here */
        const struct fk_cost *pc = fk_run_cost(run, k->en, &k->shape);
        struct fk_cost cost = pc ? *pc : (struct fk_cost){NAN, NAN, NAN, NAN};
        r->bytes = cost.weight_bytes + cost.act_bytes + cost.out_bytes;
        r->ops = cost.ops;
        r->level = -1;
        if (!r->timed)
            continue;
        bench_reps(r, run, v);
        struct fk_rep_summary sum;
        if (r->nrep >= 2 && fk_replicate_ci(v, r->rep_n, r->nrep, FK_ALPHA, &sum) == 0) {
            r->med = sum.fig;
            r->lo = sum.lo;
            r->hi = sum.hi;
            r->between_share = sum.between_share;
        } else {
            r->med = fk_median(k->ns, (size_t)k->nns);   /* one repetition: no interval across runs */
        }
        r->mn = fk_quantile(k->ns, (size_t)k->nns, 0.0);
        r->gbs = r->bytes / r->med;
        r->gops = r->ops / r->med;
        if (b->m) {
            r->level = fk_level_of(b->m, r->bytes, k->threads, k->cache == FK_CACHE_COLD);
            r->ceil_gbs = b->m->level_gbs[r->level][k->threads < FK_MAX_THREADS ? k->threads : FK_MAX_THREADS];
        }
        if (r->ceil_gbs > 0) {
            r->frac = r->gbs / r->ceil_gbs;
            /* the fraction's lower end: the slowest time the interval allows */
            r->frac_hi = r->bytes / (isnan(r->hi) ? r->med : r->hi) / r->ceil_gbs;
            r->model_error = r->frac_hi > FK_MODEL_ERROR_FRACTION;
        }
    }
    free(v);
    qsort(b->r, (size_t)b->n, sizeof *b->r, cmp_row);
    /* each group: ranks, and every kernel's ratio to the fastest with
     * alpha split over the group's comparisons (Bonferroni) */
    for (int i = 0; i < b->n;) {
        int j = i, ntimed = 0;
        while (j < b->n && b->r[j].group == b->r[i].group)
            ntimed += b->r[j++].timed;
        const struct bench_row *f = &b->r[i];
        for (int q = i; q < j; q++) {
            struct bench_row *r = &b->r[q];
            if (!r->timed)
                continue;
            r->rank = q - i + 1;
            if (q == i) {
                r->ratio = r->rlo = r->rhi = 1;
                continue;
            }
            bench_ratio(r, f, FK_ALPHA / (ntimed > 1 ? ntimed - 1 : 1));
        }
        i = j;
    }
    return 0;
}

static void bench_emit(struct fk_doc *d, const struct fk_ctx *c, const struct bench *b, int human)
{
    char date[32];
    iso_now(date, sizeof date);
    if (human) {
        static const struct fk_col cols[] = {
            {"rank", FK_COL_STR, "#", 0},         {"kernel", FK_COL_STR, NULL, 0},
            {"median_ns", FK_COL_NS, "median", 0}, {"ci", FK_COL_STR, "95% CI", 0},
            {"ratio", FK_COL_STR, "x fastest", 0}, {"ratio_ci", FK_COL_STR, "interval", 0},
            {"gap", FK_COL_STR, "gap", 0},        {"gbytes_per_s", FK_COL_FIX1, "GB/s", 0},
            {"gops_per_s", FK_COL_FIX1, "GOP/s", 0}, {"level", FK_COL_STR, NULL, 0},
            {"fraction", FK_COL_STR, "of ceiling", 0}, {"n", FK_COL_INT, NULL, 0}};
        for (int i = 0; i < b->n;) {
            const struct bench_row *g = &b->r[i];
            char title[200];
            snprintf(title, sizeof title, "%s, %d thread%s, %s cache:", g->shape, g->k->threads,
                     g->k->threads == 1 ? "" : "s", g->k->cache == FK_CACHE_COLD ? "cold" : "hot");
            fk_doc_section(d, "results", title, cols, (int)(sizeof cols / sizeof cols[0]));
            int j = i;
            for (; j < b->n && b->r[j].group == g->group; j++) {
                const struct bench_row *r = &b->r[j];
                char rank[16], ci[64], ratio[32], rci[64], frac[48];
                if (!r->timed) {
                    fk_doc_str(d, "-");
                    fk_doc_str(d, r->k->en->k->name);
                    fk_doc_num(d, NAN);
                    fk_doc_str(d, "-");
                    fk_doc_str(d, "-");
                    fk_doc_str(d, "-");
                    fk_doc_str(d, r->status);
                    fk_doc_num(d, NAN);
                    fk_doc_num(d, NAN);
                    fk_doc_str(d, "-");
                    fk_doc_str(d, "-");
                    fk_doc_int(d, 0);
                    fk_doc_row_end(d);
                    fk_doc_row_note(d, r->k->note);
                    continue;
                }
                snprintf(rank, sizeof rank, "%d", r->rank);
                if (isnan(r->lo)) {
                    snprintf(ci, sizeof ci, "- (1 repetition)");
                } else {
                    char a[24], z[24];
                    fk_fmt_ns(a, sizeof a, r->lo);
                    fk_fmt_ns(z, sizeof z, r->hi);
                    snprintf(ci, sizeof ci, "[%s, %s]", a, z);
                }
                snprintf(ratio, sizeof ratio, "%.3fx", r->ratio);
                if (r->rank == 1 || isnan(r->rlo))
                    snprintf(rci, sizeof rci, "-");
                else
                    snprintf(rci, sizeof rci, "[%.3f, %.3f]", r->rlo, r->rhi);
                if (isnan(r->frac))
                    snprintf(frac, sizeof frac, "-");
                else if (r->model_error)
                    snprintf(frac, sizeof frac, "MODEL ERROR %.2f", r->frac);
                else
                    snprintf(frac, sizeof frac, "%.2f", r->frac);
                fk_doc_str(d, rank);
                fk_doc_str(d, r->k->en->k->name);
                fk_doc_num(d, r->med);
                fk_doc_str(d, ci);
                fk_doc_str(d, ratio);
                fk_doc_str(d, rci);
                fk_doc_str(d, r->rank == 1 ? "fastest" : r->decided ? "decided" : "undecided");
                fk_doc_num(d, r->gbs);
                fk_doc_num(d, r->gops);
                fk_doc_str(d, r->level >= 0 ? fk_level_name(r->level) : "-");
                fk_doc_str(d, frac);
                fk_doc_int(d, r->k->nns);
                fk_doc_row_end(d);
                if (r->model_error) {
                    char note[300];
                    snprintf(note, sizeof note,
                             "MODEL ERROR: %.3g of the %s ceiling even at the slow end of the interval (> %.2f): "
                             "the byte count or the ceiling is wrong, not a win", r->frac_hi,
                             fk_level_name(r->level), FK_MODEL_ERROR_FRACTION);
                    fk_doc_row_note(d, note);
                }
                if (r->nrep > 1) {
                    double lo = r->rep_med[0], hi = r->rep_med[0];
                    for (int q = 1; q < r->nrep; q++) {
                        lo = r->rep_med[q] < lo ? r->rep_med[q] : lo;
                        hi = r->rep_med[q] > hi ? r->rep_med[q] : hi;
                    }
                    char a[24], z[24], note[160];
                    fk_fmt_ns(a, sizeof a, lo);
                    fk_fmt_ns(z, sizeof z, hi);
                    snprintf(note, sizeof note, "%d repetitions: medians %s .. %s", r->nrep, a, z);
                    fk_doc_row_note(d, note);
                }
            }
            i = j;
        }
        if (b->n == 0)
            fk_doc_section(d, "results", "nothing timed", cols, (int)(sizeof cols / sizeof cols[0]));
        char foot[600];
        snprintf(foot, sizeof foot,
                 "\nmedian: geometric mean of the repetitions' medians (each repetition a fresh process), with its "
                 "95%% t-interval over\nthe repetitions; x fastest: geometric mean over repetitions of the ratio to "
                 "the fastest in the same round,\nits t-interval with 95%% split over the group's comparisons; gap "
                 "decided = that interval excludes 1.\nof ceiling = GB/s over the cached %s ceiling of that level "
                 "(machine.csv); above %.2f even at the slow end\nof the interval is flagged MODEL ERROR.",
                 c->machine, FK_MODEL_ERROR_FRACTION);
        fk_doc_footer(d, foot);
        return;
    }
    static const struct fk_col cols[] = {
        {"kernel", FK_COL_STR, NULL, 0},  {"isa", FK_COL_STR, NULL, 0},     {"op", FK_COL_STR, NULL, 0},
        {"weights", FK_COL_STR, NULL, 0}, {"acts", FK_COL_STR, NULL, 0},    {"shape", FK_COL_STR, NULL, 0},
        {"rows", FK_COL_INT, NULL, 0},    {"cols", FK_COL_INT, NULL, 0},    {"batch", FK_COL_INT, NULL, 0},
        {"threads", FK_COL_INT, NULL, 0}, {"cache", FK_COL_STR, NULL, 0},   {"status", FK_COL_STR, NULL, 0},
        {"rank", FK_COL_INT, NULL, 0},    {"repetitions", FK_COL_INT, NULL, 0}, {"samples", FK_COL_INT, NULL, 0},
        {"median_ns", FK_COL_NUM, NULL, 0}, {"ci_lo_ns", FK_COL_NUM, NULL, 0}, {"ci_hi_ns", FK_COL_NUM, NULL, 0},
        {"between_share", FK_COL_NUM, NULL, 0}, {"min_ns", FK_COL_NUM, NULL, 0},  {"ratio_to_fastest", FK_COL_NUM, NULL, 0},
        {"ratio_ci_lo", FK_COL_NUM, NULL, 0}, {"ratio_ci_hi", FK_COL_NUM, NULL, 0},
        {"gap_decided", FK_COL_STR, NULL, 0}, {"bytes", FK_COL_NUM, NULL, 0}, {"ops", FK_COL_NUM, NULL, 0},
        {"gbytes_per_s", FK_COL_NUM, NULL, 0}, {"gops_per_s", FK_COL_NUM, NULL, 0}, {"level", FK_COL_STR, NULL, 0},
        {"ceiling_gbytes_per_s", FK_COL_NUM, NULL, 0}, {"ceiling_fraction", FK_COL_NUM, NULL, 0},
        {"model_error", FK_COL_STR, NULL, 0}, {"note", FK_COL_STR, NULL, 0}, {"machine", FK_COL_STR, NULL, 0},
        {"cpu_model", FK_COL_STR, NULL, 0}, {"plugin", FK_COL_STR, NULL, 0}, {"build", FK_COL_STR, NULL, 0},
        {"git_commit", FK_COL_STR, NULL, 0}, {"date", FK_COL_STR, NULL, 0}, {"oracle_seed", FK_COL_INT, NULL, 0},
        {"order_seed", FK_COL_STR, NULL, 0}, {"emulated", FK_COL_STR, NULL, 0}};
    fk_doc_section(d, "results", "", cols, (int)(sizeof cols / sizeof cols[0]));
    char oseed[32];
    snprintf(oseed, sizeof oseed, "%llu", c->rng_seed);
    for (int i = 0; i < b->n; i++) {
        const struct bench_row *r = &b->r[i];
        const struct fk_kernel *k = r->k->en->k;
        fk_doc_str(d, k->name);
        fk_doc_str(d, k->isa);
        fk_doc_str(d, fk_op_name(k->op));
        fk_doc_str(d, fk_format_name(k->weights));
        fk_doc_str(d, fk_format_name(k->acts));
        fk_doc_str(d, r->shape);
        fk_doc_int(d, r->k->shape.rows);
        fk_doc_int(d, r->k->shape.cols);
        fk_doc_int(d, r->k->shape.batch);
        fk_doc_int(d, r->k->threads);
        fk_doc_str(d, r->k->cache == FK_CACHE_COLD ? "cold" : "hot");
        fk_doc_str(d, r->status);
        fk_doc_num(d, r->timed ? r->rank : NAN);
        fk_doc_int(d, r->nrep);
        fk_doc_int(d, r->k->nns);
        fk_doc_num(d, r->med);
        fk_doc_num(d, r->lo);
        fk_doc_num(d, r->hi);
        fk_doc_num(d, r->between_share);
        fk_doc_num(d, r->mn);
        fk_doc_num(d, r->ratio);
        fk_doc_num(d, r->rlo);
        fk_doc_num(d, r->rhi);
        fk_doc_str(d, !r->timed ? "" : r->rank == 1 ? "fastest" : r->decided ? "yes" : "no");
        fk_doc_num(d, r->bytes);
        fk_doc_num(d, r->ops);
        fk_doc_num(d, r->gbs);
        fk_doc_num(d, r->gops);
        fk_doc_str(d, r->level >= 0 ? fk_level_name(r->level) : "");
        fk_doc_num(d, r->ceil_gbs);
        fk_doc_num(d, r->frac);
        fk_doc_str(d, r->model_error ? "yes" : "no");
        fk_doc_str(d, r->k->note);
        fk_doc_str(d, c->machine);
        fk_doc_str(d, c->cpu_model);
        fk_doc_str(d, r->k->en->path);
        fk_doc_str(d, r->k->en->build);
        fk_doc_str(d, FK_GIT_COMMIT);
        fk_doc_str(d, date);
        fk_doc_int(d, c->seed);
        fk_doc_str(d, oseed);
        fk_doc_str(d, ((k->flags & FK_KERNEL_EMULATED) || c->emulated) ? "yes" : "no");
        fk_doc_row_end(d);
    }
    static const struct fk_col rcols[] = {
        {"kernel", FK_COL_STR, NULL, 0}, {"shape", FK_COL_STR, NULL, 0},       {"threads", FK_COL_INT, NULL, 0},
        {"cache", FK_COL_STR, NULL, 0},  {"repetition", FK_COL_INT, NULL, 0},  {"samples", FK_COL_INT, NULL, 0},
        {"calls", FK_COL_INT, NULL, 0},  {"median_ns", FK_COL_NUM, NULL, 0}};
    fk_doc_section(d, "repetitions", "", rcols, 8);
    for (int i = 0; i < b->n; i++) {
        const struct bench_row *r = &b->r[i];
        for (int q = 0; q < r->nrep; q++) {
            fk_doc_str(d, r->k->en->k->name);
            fk_doc_str(d, r->shape);
            fk_doc_int(d, r->k->threads);
            fk_doc_str(d, r->k->cache == FK_CACHE_COLD ? "cold" : "hot");
            fk_doc_int(d, q + 1);
            fk_doc_int(d, r->rep_n[q]);
            fk_doc_int(d, r->rep_iters[q]);
            fk_doc_num(d, r->rep_med[q]);
            fk_doc_row_end(d);
        }
    }
}

/* Google Benchmark's JSON (tools/compare.py reads name, run_type,
 * aggregate_name, real_time, cpu_time, time_unit): one "iteration" entry
 * per repetition (its median ns per call; iterations = calls timed), and
 * with >= 2 repetitions the mean, median and stddev aggregates.  falsify
 * times wall clock only: cpu_time repeats real_time. */
static void gbench_entry(FILE *f, int *first, const char *name, int family, int instance, const char *run_type,
                         int reps, int rep_index, int threads, long long iters, double ns, const char *agg,
                         double bytes, double ops)
{
    fputs(*first ? "\n    {" : ",\n    {", f);
    *first = 0;
    char full[300];
    snprintf(full, sizeof full, "%s%s%s", name, agg ? "_" : "", agg ? agg : "");
    fputs("\"name\": ", f);
    fk_json_string(f, full);
    fprintf(f, ", \"family_index\": %d, \"per_family_instance_index\": %d, \"run_name\": ", family, instance);
    fk_json_string(f, name);
    fprintf(f, ", \"run_type\": \"%s\", \"repetitions\": %d, ", run_type, reps);
    if (!agg)
        fprintf(f, "\"repetition_index\": %d, ", rep_index);
    fprintf(f, "\"threads\": %d, ", threads);
    if (agg)
        fprintf(f, "\"aggregate_name\": \"%s\", \"aggregate_unit\": \"time\", ", agg);
    fprintf(f, "\"iterations\": %lld, \"real_time\": %.9g, \"cpu_time\": %.9g, \"time_unit\": \"ns\"", iters,
            ns, ns);
    if (!agg || strcmp(agg, "stddev") != 0)
        fprintf(f, ", \"bytes_per_second\": %.9g, \"items_per_second\": %.9g", ns > 0 ? bytes / ns * 1e9 : 0.0,
                ns > 0 ? ops / ns * 1e9 : 0.0);
    fputc('}', f);
}

static int bench_gbench(FILE *f, const struct fk_ctx *c, const struct bench *b)
{
    char date[32], host[256] = "";
    iso_now(date, sizeof date);
    gethostname(host, sizeof host - 1);
    fputs("{\n  \"context\": {\n    \"date\": ", f);
    fk_json_string(f, date);
    fputs(",\n    \"host_name\": ", f);
    fk_json_string(f, host);
    fputs(",\n    \"executable\": \"falsify bench\"", f);
    fprintf(f, ",\n    \"num_cpus\": %d,\n    \"mhz_per_cpu\": 0,\n    \"cpu_scaling_enabled\": false", c->ncpu);
    if (b->m) {
        fprintf(f, ",\n    \"caches\": [\n      {\"type\": \"Data\", \"level\": 1, \"size\": %zu, \"num_sharing\": 1},"
                   "\n      {\"type\": \"Unified\", \"level\": 2, \"size\": %zu, \"num_sharing\": %d},"
                   "\n      {\"type\": \"Unified\", \"level\": 3, \"size\": %zu, \"num_sharing\": %d}\n    ]",
                b->m->caches.l1d, b->m->caches.l2, b->m->caches.l2_shared, b->m->caches.l3, b->m->caches.l3_shared);
    }
    fputs(",\n    \"library_build_type\": \"release\",\n    \"falsify_machine\": ", f);
    fk_json_string(f, c->machine);
    fputs(",\n    \"falsify_cpu_model\": ", f);
    fk_json_string(f, c->cpu_model);
    fputs(",\n    \"falsify_git_commit\": ", f);
    fk_json_string(f, FK_GIT_COMMIT);
    fprintf(f, ",\n    \"falsify_oracle_seed\": %u,\n    \"falsify_order_seed\": \"%llu\"", c->seed, c->rng_seed);
    fputs("\n  },\n  \"benchmarks\": [", f);
    int first = 1, family = 0;
    for (int i = 0; i < b->n; i++) {
        const struct bench_row *r = &b->r[i];
        if (!r->timed || r->nrep == 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s/%s/threads:%d%s", r->k->en->k->name, r->shape, r->k->threads,
                 r->k->cache == FK_CACHE_COLD ? "/cold" : "");
        for (int q = 0; q < r->nrep; q++)
            gbench_entry(f, &first, name, family, 0, "iteration", r->nrep, q, r->k->threads, r->rep_iters[q],
                         r->rep_med[q], NULL, r->bytes, r->ops);
        if (r->nrep >= 2) {
            double mean = 0, var = 0;
            for (int q = 0; q < r->nrep; q++)
                mean += r->rep_med[q] / r->nrep;
            for (int q = 0; q < r->nrep; q++)
                var += (r->rep_med[q] - mean) * (r->rep_med[q] - mean) / (r->nrep - 1);
            double med = fk_median(r->rep_med, (size_t)r->nrep);
            gbench_entry(f, &first, name, family, 0, "aggregate", r->nrep, 0, r->k->threads, r->nrep, mean, "mean",
                         r->bytes, r->ops);
            gbench_entry(f, &first, name, family, 0, "aggregate", r->nrep, 0, r->k->threads, r->nrep, med, "median",
                         r->bytes, r->ops);
            gbench_entry(f, &first, name, family, 0, "aggregate", r->nrep, 0, r->k->threads, r->nrep, sqrt(var),
                         "stddev", r->bytes, r->ops);
        }
        family++;
    }
    fputs(first ? "]\n}\n" : "\n  ]\n}\n", f);
    return fflush(f) != 0 || ferror(f) ? -1 : 0;
}

/* results/<machine>/bench.csv and bench.json, each written atomically. */
static int bench_write(const struct fk_ctx *c, const struct bench *b, struct fk_err *e)
{
    if (fk_mkdirs(c->results_dir, e) != 0)
        return -1;
    static const enum fk_out_format fmts[2] = {FK_OUT_CSV, FK_OUT_JSON};
    static const char *const names[2] = {"bench.csv", "bench.json"};
    for (int i = 0; i < 2; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", c->results_dir, names[i]);
        struct fk_atomic a;
        if (fk_atomic_open(&a, path, e) != 0)
            return -1;
        struct fk_doc *d = fk_doc_new(a.f, fmts[i], "falsify.bench/1", 0);
        if (!d) {
            fk_atomic_abort(&a);
            return fk_fail(e, "%s: out of memory", path);
        }
        doc_provenance(d, c);
        doc_seeds(d, c);
        bench_emit(d, c, b, 0);
        if (fk_doc_end(d) != 0) {
            fk_atomic_abort(&a);
            return fk_fail(e, "%s: write failed", path);
        }
        if (fk_atomic_commit(&a, e) != 0)
            return -1;
    }
    return 0;
}

/* Which kernels the globs name: 0 with at least one runnable (skipped
 * ones noted on stderr), FK_EXIT_BAD_INPUT for a name or glob that matches
 * nothing, FK_EXIT_NOTHING when a kernel named exactly cannot run here or
 * nothing matched can. */
static int bench_select(const struct fk_ctx *c, const char *kernels)
{
    char buf[sizeof ((struct fk_hypo *)0)->subject];
    if (strlen(kernels) >= sizeof buf) {   /* the list becomes the timing run's subject: never cut it */
        fprintf(stderr, "falsify bench: --kernels is %zu characters (max %zu): use globs or roles\n", strlen(kernels),
                sizeof buf - 1);
        return FK_EXIT_BAD_INPUT;
    }
    snprintf(buf, sizeof buf, "%s", kernels);
    char *tok[64];
    int nt = split_list(buf, tok, 64);
    if (nt <= 0) {
        fprintf(stderr, "falsify bench: --kernels '%s': %s\n", kernels, nt < 0 ? "more than 64 names" : "empty");
        return FK_EXIT_BAD_INPUT;
    }
    int runnable = 0, rc = 0;
    for (int t = 0; t < nt; t++) {
        char of[96], why[600];
        struct fk_err e;
        int role = fk_role_parse(tok[t], of, sizeof of, &e);
        if (role < 0) {
            fprintf(stderr, "falsify bench: --kernels '%s': %s\n", tok[t], e.msg);
            return FK_EXIT_BAD_INPUT;
        }
        if (role != FK_PICK_NONE) {   /* best:OP.FMT, scalar:OP.FMT */
            const struct fk_entry *en = fk_registry_resolve(&c->reg, tok[t], NULL, c->reg.cpu, why, sizeof why);
            if (!en || en->status != FK_RUNNABLE) {
                fprintf(stderr, "falsify bench: %s: %s\n", tok[t], en ? en->why : why);
                int known = 0;   /* an op.format no plugin has is a wrong name, not a missing capability */
                size_t ol = strlen(of);
                for (int i = 0; i < c->reg.n && !known; i++)
                    known = c->reg.e[i].k && !strncmp(c->reg.e[i].k->name, of, ol) && c->reg.e[i].k->name[ol] == '.';
                if (!known)
                    return FK_EXIT_BAD_INPUT;
                rc = FK_EXIT_NOTHING;
            } else {
                runnable++;
            }
            continue;
        }
        int any = 0, exact = strpbrk(tok[t], "*?[") == NULL;
        for (int i = 0; i < c->reg.n; i++) {
            const struct fk_entry *en = &c->reg.e[i];
            if (!en->k || (en->k->flags & FK_KERNEL_MUTANT) || en->status == FK_REFUSED ||
                fnmatch(tok[t], en->k->name, 0) != 0)
                continue;
            if ((en->k->flags & FK_KERNEL_PEER) && !exact)
                continue;   /* peer libraries answer only to their exact names, as in hypotheses */
            any = 1;
            if (en->status == FK_RUNNABLE && !(en->k->flags & FK_KERNEL_EMULATED)) {
                runnable++;
                continue;
            }
            const char *why = en->status == FK_RUNNABLE ? "runs through a software model: no timing" : en->why;
            fprintf(stderr, "falsify bench: %s%s: %s\n", exact ? "" : "not timing ", en->k->name, why);
            if (exact)
                rc = FK_EXIT_NOTHING;
        }
        if (!any && exact) {   /* a name no plugin has: a typo, bad input */
            fprintf(stderr, "falsify bench: no kernel named '%s' (see 'falsify list')\n", tok[t]);
            return FK_EXIT_BAD_INPUT;
        }
        if (!any) {            /* a pattern that matches nothing: nothing would be tested */
            fprintf(stderr, "falsify bench: '%s' matches no kernel here (see 'falsify list')\n", tok[t]);
            rc = FK_EXIT_NOTHING;
        }
    }
    if (rc)
        return rc;
    if (runnable == 0) {
        fprintf(stderr, "falsify bench: none of '%s' can run here (reasons above): tested nothing\n", kernels);
        return FK_EXIT_NOTHING;
    }
    return 0;
}

/* bench: one "latency hypothesis" with no threshold, so every kernel
 * passes the same correctness gate and timing path as a verdict; each of
 * its --repetitions replicates is a fresh child process sampling for
 * --min-time, and replicate r of every kernel runs before replicate r+1 of
 * any (check.c), so repetitions are spread in time and paired by round. */
static int cmd_bench(struct fk_ctx *c, const struct opts *o)
{
    const struct fk_cli *cl = &o->cli;
    const char *kernels = cl->val[FK_OPT_KERNELS] ? cl->val[FK_OPT_KERNELS] : "gemv.f32.*";
    unsigned long long reps = FK_REPLICATES;
    double min_time = 0.2;
    if (cl->val[FK_OPT_REPETITIONS] &&
        (parse_uint("bench", "repetitions", cl->val[FK_OPT_REPETITIONS], BENCH_MAX_REPS, &reps) != 0 || reps < 1)) {
        if (reps < 1)
            fprintf(stderr, "falsify bench: --repetitions must be >= 1\n");
        return FK_EXIT_BAD_INPUT;
    }
    if (cl->val[FK_OPT_MIN_TIME]) {
        char *end;
        min_time = strtod(cl->val[FK_OPT_MIN_TIME], &end);
        if (*end || !(min_time > 0 && min_time <= 60)) {
            fprintf(stderr, "falsify bench: --min-time '%s' is not a number of seconds in (0, 60]\n",
                    cl->val[FK_OPT_MIN_TIME]);
            return FK_EXIT_BAD_INPUT;
        }
    }
    int sel = bench_select(c, kernels);
    if (sel)
        return sel;
    struct fk_hypo *h = calloc(1, sizeof *h);
    if (!h)
        return FK_EXIT_BAD_INPUT;
    char shapes[1024], threads[256];
    snprintf(shapes, sizeof shapes, "%s", cl->val[FK_OPT_SHAPES] ? cl->val[FK_OPT_SHAPES] : "2048x2048");
    snprintf(threads, sizeof threads, "%s", cl->val[FK_OPT_THREADS] ? cl->val[FK_OPT_THREADS] : "1");
    struct fk_hypo *h0 = &h[0];
    snprintf(h0->file, sizeof h0->file, "(command line)");
    snprintf(h0->claim, sizeof h0->claim, "timing only");
    snprintf(h0->source, sizeof h0->source, "falsify bench");
    snprintf(h0->subject, sizeof h0->subject, "%s", kernels);
    for (char *p = h0->subject; *p; p++)
        if (*p == ',')
            *p = ' ';   /* the subject takes blank-separated globs */
    h0->kind = FK_KIND_LATENCY;
    h0->threshold = INFINITY;   /* no claim: min_time_s decides how long to sample */
    h0->role = FK_ROLE_CLAIM;
    h0->cache = cl->val[FK_OPT_COLD] ? FK_CACHE_COLD : FK_CACHE_HOT;
    h0->min_time_s = min_time;
    h0->replicates = (int)reps;
    h0->budget_s = min_time * (double)reps;
    snprintf(h0->id, sizeof h0->id, "bench");
    char *tok[FK_HYPO_MAX_SHAPES + 1];
    int n = split_list(shapes, tok, FK_HYPO_MAX_SHAPES);
    if (n < 0) {
        fprintf(stderr, "falsify bench: --shapes: more than %d shapes\n", FK_HYPO_MAX_SHAPES);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    for (int i = 0; i < n; i++)
        if (fk_shape_parse(tok[i], &h0->shapes[h0->nshapes++]) != 0) {
            fprintf(stderr, "falsify bench: --shapes: '%s' is not RxC or RxCxB with positive integers\n", tok[i]);
            free(h);
            return FK_EXIT_BAD_INPUT;
        }
    n = split_list(threads, tok, FK_HYPO_MAX_THREADS);
    if (n < 0) {
        fprintf(stderr, "falsify bench: --threads: more than %d thread counts\n", FK_HYPO_MAX_THREADS);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    for (int i = 0; i < n; i++) {
        char *end;
        long t = strtol(tok[i], &end, 10);
        if (*end || t < 1 || t > FK_MAX_THREADS) {
            fprintf(stderr, "falsify bench: --threads: '%s' is not an integer in 1..%d\n", tok[i], FK_MAX_THREADS);
            free(h);
            return FK_EXIT_BAD_INPUT;
        }
        h0->threads[h0->nthreads++] = (int)t;
    }
    if (h0->nshapes == 0 || h0->nthreads == 0) {
        fprintf(stderr, "falsify bench: --shapes and --threads must not be empty\n");
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    struct fk_err e;
    if (fk_check_validate(c, h, 1, &e) != 0) {
        fprintf(stderr, "falsify bench: %s\n", e.msg);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    struct fk_machine *m = calloc(1, sizeof *m);
    if (!m || ensure_machine(c, m, 0) != 0) {
        free(m);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    c->ceilings = m;
    struct fk_run run;
    int rcrun = fk_check_run(c, h, 1, &run, &e);
    if (c->progress)
        fk_progress_finish(c->progress);
    if (rcrun != 0) {
        fprintf(stderr, "falsify bench: %s\n", e.msg);
        free(m);
        free(h);
        return FK_EXIT_BAD_INPUT;
    }
    struct bench b = {.m = m};
    int rc = FK_EXIT_OK;
    if (bench_build(&b, &run) != 0) {
        fprintf(stderr, "falsify bench: out of memory\n");
        rc = FK_EXIT_BAD_INPUT;
    }
    int timed = 0;
    for (int i = 0; i < b.n; i++) {
        timed += b.r[i].timed;
        if (strcmp(b.r[i].status, "ok") != 0)
            rc = FK_EXIT_FAIL;
    }
    /* kernels that could not be timed at a shape or thread count, and why */
    for (int i = 0; i < run.nh; i++)
        if (!run.h[i].aggregate && run.h[i].verdict == FK_UNTESTABLE && run.h[i].reason[0] &&
            !strcmp(run.h[i].h->id, "bench"))
            fprintf(stderr, "falsify bench: not timed: %s at %s, %d thread(s): %s\n", run.h[i].kernel,
                    run.h[i].shape, run.h[i].threads, run.h[i].reason);
    if (rc == FK_EXIT_OK || rc == FK_EXIT_FAIL) {
        if (o->gbench) {
            if (bench_gbench(stdout, c, &b) != 0)
                rc = FK_EXIT_BAD_INPUT;
        } else {
            int human = o->fmt == FK_OUT_TABLE || o->fmt == FK_OUT_MD;
            struct fk_doc *d = fk_doc_new(stdout, o->fmt, "falsify.bench/1", o->color);
            if (!human) {
                doc_provenance(d, c);
                doc_seeds(d, c);
            }
            bench_emit(d, c, &b, human);
            if (fk_doc_end(d) != 0)
                rc = FK_EXIT_BAD_INPUT;
        }
        FILE *info = o->fmt == FK_OUT_TABLE && !o->gbench ? stdout : stderr;
        if (bench_write(c, &b, &e) != 0) {
            fprintf(stderr, "falsify bench: %s\n", e.msg);
            rc = FK_EXIT_BAD_INPUT;
        } else {
            fprintf(info, "results: %s/bench.csv, %s/bench.json; seeds: oracle cases %u, sample order %llu\n",
                    c->results_dir, c->results_dir, c->seed, c->rng_seed);
        }
    }
    if (rc == FK_EXIT_OK && timed == 0) {
        fprintf(stderr, "falsify bench: nothing was timed (reasons above): tested nothing\n");
        rc = FK_EXIT_NOTHING;
    }
    free(b.r);
    fk_run_free(&run);
    free(m);
    c->ceilings = NULL;
    free(h);
    return rc;
}

/* ------------------------------------------------------------ decode */

struct decode_ceil {
    struct fk_ctx *c;
    struct fk_machine *m;
    int state;  /* 0 not asked, 1 loaded, -1 none */
};

static const struct fk_machine *decode_ceilings(void *ctx)
{
    struct decode_ceil *d = ctx;
    if (d->state == 0)
        d->state = !d->c->emulated && d->m && ensure_machine(d->c, d->m, 0) == 0 ? 1 : -1;
    return d->state == 1 ? d->m : NULL;
}

/* decode: the options cli.c parsed for it, handed on in order to
 * decode_run.c's parser, which checks their values. */
static int cmd_decode(struct fk_ctx *c, const struct opts *o, const char *mutants_dir)
{
    static const enum fk_opt pass[] = {FK_OPT_PRESET, FK_OPT_WEIGHTS, FK_OPT_MODEL, FK_OPT_ACTS, FK_OPT_EXPORT_GGUF,
                                       FK_OPT_GEMV, FK_OPT_GEMM, FK_OPT_ATTENTION, FK_OPT_RMSNORM, FK_OPT_ROPE,
                                       FK_OPT_SWIGLU, FK_OPT_HYPOTHESES, FK_OPT_PROMPT_LEN, FK_OPT_STEPS, FK_OPT_REPS,
                                       FK_OPT_NO_GEMM, FK_OPT_NO_WRITE};
    const int np = (int)(sizeof pass / sizeof pass[0]);
    char *args[2 * (sizeof pass / sizeof pass[0])], names[sizeof pass / sizeof pass[0]][40];
    int nargs = 0;
    for (int i = 0; i < np; i++) {
        const char *v = o->cli.val[pass[i]];
        if (!v)
            continue;
        snprintf(names[i], sizeof names[i], "--%s", fk_optdefs[pass[i]].name);
        args[nargs++] = names[i];
        if (fk_optdefs[pass[i]].arg)
            args[nargs++] = (char *)v;
    }
    int th[FK_HYPO_MAX_THREADS], nth = 0;
    char threads[256], *tok[FK_HYPO_MAX_THREADS];
    snprintf(threads, sizeof threads, "%s", o->cli.val[FK_OPT_THREADS] ? o->cli.val[FK_OPT_THREADS] : "1");
    int n = split_list(threads, tok, FK_HYPO_MAX_THREADS);
    if (n <= 0) {
        fprintf(stderr, "falsify decode: --threads: 1 to %d thread counts\n", FK_HYPO_MAX_THREADS);
        return FK_EXIT_BAD_INPUT;
    }
    for (int i = 0; i < n; i++) {
        char *end;
        long t = strtol(tok[i], &end, 10);
        if (*end || t < 1 || t > FK_MAX_THREADS) {
            fprintf(stderr, "falsify decode: --threads: '%s' is not an integer in 1..%d\n", tok[i], FK_MAX_THREADS);
            return FK_EXIT_BAD_INPUT;
        }
        th[nth++] = (int)t;
    }
    struct fk_registry mut;
    memset(&mut, 0, sizeof mut);
    struct fk_err e;
    if (fk_registry_scan(&mut, mutants_dir, c->cpu, &e) != 0) {
        fprintf(stderr, "falsify decode: %s\n", e.msg);
        return FK_EXIT_BAD_INPUT;
    }
    struct decode_ceil dc = {c, calloc(1, sizeof(struct fk_machine)), 0};
    struct fk_decode_env env = {&c->reg, &mut, decode_ceilings, &dc, c->results_dir, c->machine,
                                c->cpu_model, c->ncpu, c->emulated, c->quiet, c->seed, th, nth,
                                c->python, c->oracle_script};
    int rc = fk_decode_cmd(&env, args, nargs);
    free(dc.m);
    fk_registry_free(&mut);
    return rc;
}

/* ------------------------------------------------------------- main */

static void print_version(void)
{
    printf("falsify %s (git %s), built with %s for %s\n", FK_VERSION, FK_GIT_COMMIT,
#if defined(__clang__)
           "clang " __clang_version__,
#elif defined(__GNUC__)
           "gcc " __VERSION__,
#else
           "an unknown compiler",
#endif
           ARCH_NAME);
}

/* A seed for the sample order when none is given: time and pid mixed
 * (splitmix64), printed and recorded so the run can be repeated. */
static unsigned long long draw_seed(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long z = (unsigned long long)ts.tv_sec * 1000000007ull ^ (unsigned long long)ts.tv_nsec ^
                           ((unsigned long long)getpid() << 32);
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) >> 11;   /* 53 bits: exact in a JSON number or a spreadsheet */
}

int main(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    char err[512];
    if (fk_cli_parse(argc, argv, &o.cli, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        if (argc < 2)
            fk_cli_usage(stderr, NULL);
        return FK_EXIT_BAD_INPUT;
    }
    const struct fk_cli *cl = &o.cli;
    if (cl->action == FK_ACT_VERSION) {
        print_version();
        return FK_EXIT_OK;
    }
    if (cl->action == FK_ACT_HELP) {
        fk_cli_usage(stdout, cl->verb);
        if (cl->verb && !strcmp(cl->verb->name, "decode")) {
            char *h[] = {"--help"};
            fputc('\n', stdout);
            fk_decode_cmd(NULL, h, 1);   /* decode's own usage: value ranges and defaults */
        }
        return FK_EXIT_OK;
    }
    const char *verb = cl->verb->name;
    if (cl->val[FK_OPT_COLOR] && fk_color_parse(cl->val[FK_OPT_COLOR], &o.color_mode) != 0) {
        fprintf(stderr, "falsify %s: --color '%s': use auto, always or never\n", verb, cl->val[FK_OPT_COLOR]);
        return FK_EXIT_BAD_INPUT;
    }
    o.color = fk_color_wanted(o.color_mode, 1);
    if (cl->val[FK_OPT_FORMAT]) {
        const char *f = cl->val[FK_OPT_FORMAT];
        if (!strcmp(verb, "bench") && !strcmp(f, "gbench-json")) {
            o.gbench = 1;
            o.fmt = FK_OUT_JSON;
        } else if (fk_out_format_parse(f, &o.fmt) != 0) {
            fprintf(stderr, "falsify %s: --format '%s': use table, csv, json or md%s\n", verb, f,
                    strcmp(verb, "bench") ? "" : " (or gbench-json)");
            return FK_EXIT_BAD_INPUT;
        }
    }
    if (!strcmp(verb, "compare"))
        return fk_compare_format(cl->nargs, cl->args, o.fmt, stdout, stderr);
    find_layout(&o.L);

    struct fk_ctx c;
    memset(&c, 0, sizeof c);
    const char *plugins = cl->val[FK_OPT_PLUGINS] ? cl->val[FK_OPT_PLUGINS] : env_or("FALSIFY_PLUGINS", o.L.plugins);
    const char *mutants_dir = cl->val[FK_OPT_MUTANTS_DIR] ? cl->val[FK_OPT_MUTANTS_DIR]
                                                           : env_or("FALSIFY_MUTANTS", o.L.mutants);
    const char *machine = cl->val[FK_OPT_MACHINE] ? cl->val[FK_OPT_MACHINE] : getenv("FALSIFY_MACHINE");
    const char *python = cl->val[FK_OPT_PYTHON] ? cl->val[FK_OPT_PYTHON] : env_or("FALSIFY_PYTHON", "/usr/bin/python3");
    if (!arg_fits("--python / FALSIFY_PYTHON", python, sizeof c.python))
        return FK_EXIT_BAD_INPUT;
    snprintf(c.python, sizeof c.python, "%s", python);
    c.seed = 1;
    unsigned long long v;
    if (cl->val[FK_OPT_SEED]) {
        if (parse_uint(verb, "seed", cl->val[FK_OPT_SEED], 0xffffffffull, &v) != 0)
            return FK_EXIT_BAD_INPUT;
        c.seed = (unsigned)v;
    }
    if (cl->val[FK_OPT_ORDER_SEED]) {
        /* 2^53 - 1: exact in JSON numbers and spreadsheets */
        if (parse_uint(verb, "order-seed", cl->val[FK_OPT_ORDER_SEED], (1ull << 53) - 1, &v) != 0)
            return FK_EXIT_BAD_INPUT;
        c.rng_seed = v;
    } else {
        c.rng_seed = draw_seed();
    }
    c.quiet = cl->val[FK_OPT_QUIET] != NULL;
    c.plan = cl->val[FK_OPT_PLAN] != NULL;
    c.cpu = fk_cpu_detect();
    /* --isa: run as a lesser CPU; plugins needing more are skipped as "masked" */
    uint64_t detected = c.cpu, mask = ~0ull;
    c.cpu_detected = detected;
    const char *isa = cl->val[FK_OPT_ISA] ? cl->val[FK_OPT_ISA]
                      : (cl->verb->opts & (1ull << FK_OPT_ISA)) ? getenv("FALSIFY_ISA") : NULL;
    if (isa && isa[0]) {
        struct fk_err e;
        if (strlen(isa) >= sizeof c.isa_mask) {
            fprintf(stderr, "falsify %s: --isa: %zu characters, at most %zu\n", verb, strlen(isa), sizeof c.isa_mask - 1);
            return FK_EXIT_BAD_INPUT;
        }
        if (fk_isa_mask_parse(isa, &mask, &e) != 0) {
            fprintf(stderr, "falsify %s: %s\n", verb, e.msg);
            return FK_EXIT_BAD_INPUT;
        }
        snprintf(c.isa_mask, sizeof c.isa_mask, "%s", isa);
        c.cpu &= mask;
    }
    fk_cpu_model(c.cpu_model, sizeof c.cpu_model);
    char emulated_why[160] = "";
    c.emulated = detect_emulation(emulated_why, sizeof emulated_why);
    /* qemu-user 7.2 hangs in the child of every fork on recent host
     * kernels: emulated correctness jobs run in-process (sandbox.h) */
    c.in_process = c.emulated || (getenv("FALSIFY_NO_FORK") && strcmp(getenv("FALSIFY_NO_FORK"), "0") != 0);
    if (c.emulated) {  /* the model string is the host's under qemu-user */
        char host[sizeof c.cpu_model];
        snprintf(host, sizeof host, "%s", c.cpu_model);
        snprintf(c.cpu_model, sizeof c.cpu_model, "emulated %s on %s", ARCH_NAME, host);
    }
    c.ncpu = fk_usable_cores();
    struct fk_ident ident;
    fk_ident_read(&ident, c.cpu, c.ncpu);
    if (c.emulated) {  /* the CPUID / cpuinfo seen are the host's */
        snprintf(ident.vendor, sizeof ident.vendor, "emulated");
        snprintf(ident.codename, sizeof ident.codename, "%s", ident.arch);
    }
    c.ident = &ident;
    if (machine) {
        struct fk_err e;
        if (fk_machine_name_check(machine, &e) != 0) {
            fprintf(stderr, "falsify %s: %s\n", verb, e.msg);
            return FK_EXIT_BAD_INPUT;
        }
        snprintf(c.machine, sizeof c.machine, "%s", machine);
    } else {
        fk_ident_folder(&ident, c.machine, sizeof c.machine);
    }
    const char *oracle_dir = cl->val[FK_OPT_ORACLE] ? cl->val[FK_OPT_ORACLE] : o.L.oracle_cache;
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/oracle/gen.py", o.L.data);
    if (!arg_fits("--oracle", oracle_dir, sizeof c.oracle_dir) ||
        !arg_fits("FALSIFY_ORACLE (or the oracle path beside the binary)", env_or("FALSIFY_ORACLE", script),
                  sizeof c.oracle_script))
        return FK_EXIT_BAD_INPUT;
    snprintf(c.oracle_dir, sizeof c.oracle_dir, "%s", oracle_dir);
    snprintf(c.oracle_script, sizeof c.oracle_script, "%s", env_or("FALSIFY_ORACLE", script));
    const char *results = cl->val[FK_OPT_RESULTS];
    if (results && strlen(results) + 64 >= sizeof c.results_dir) {  /* room for runs/<id>/samples.csv */
        fprintf(stderr, "falsify %s: --results '%.40s...': path of %zu characters, at most %zu\n", verb, results,
                strlen(results), sizeof c.results_dir - 65);
        return FK_EXIT_BAD_INPUT;
    }
    if (results)
        snprintf(c.results_dir, sizeof c.results_dir, "%s", results);
    else
        snprintf(c.results_dir, sizeof c.results_dir, "results/%s", c.machine);
    /* verbs that write there: never into another CPU's folder */
    if (!strcmp(verb, "machine") || !strcmp(verb, "bench") || !strcmp(verb, "decode") ||
        (!strcmp(verb, "check") && !c.plan)) {
        struct fk_err e;
        if (fk_ident_check_folder(c.results_dir, &ident, &e) != 0) {
            fprintf(stderr, "falsify %s: %s\n", verb, e.msg);
            return FK_EXIT_BAD_INPUT;
        }
    }
    fk_run_id(c.run_id, sizeof c.run_id);
    struct fk_progress progress;
    fk_progress_init(&progress, c.quiet);
    c.progress = &progress;

    if (!strcmp(verb, "machine"))
        return cmd_machine(&c, &o);
    int is_mut = !strcmp(verb, "mutants");
    struct fk_err e;
    /* scanned against the detected CPU, then masked, so a masked plugin says
     * "masked" and one the CPU lacks says so */
    if (fk_registry_scan(&c.reg, is_mut ? mutants_dir : plugins, detected, &e) != 0) {
        fprintf(stderr, "falsify %s: %s\n", verb, e.msg);
        return FK_EXIT_BAD_INPUT;
    }
    if (c.isa_mask[0])
        fk_registry_mask(&c.reg, mask, c.isa_mask);
    for (int i = 0; i < c.reg.n; i++)
        if (c.reg.e[i].status == FK_REFUSED)
            fprintf(stderr, "falsify: refused %s\n", c.reg.e[i].why);
    int rc;
    if (!strcmp(verb, "list"))
        rc = cmd_list(&c, &o, emulated_why);
    else if (is_mut)
        rc = cmd_mutants(&c, &o);
    else if (!strcmp(verb, "bench"))
        rc = cmd_bench(&c, &o);
    else if (!strcmp(verb, "decode"))
        rc = cmd_decode(&c, &o, mutants_dir);
    else
        rc = cmd_check(&c, &o);
    fk_registry_free(&c.reg);
    return rc;
}
