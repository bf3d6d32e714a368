/* falsify: benchmarks and falsifies claims about CPU LLM-inference kernels.
 *
 *   falsify list    [--mutants]           plugins, runnable or skipped and why
 *   falsify check   [hypotheses/NAME.ini ...]    correctness, verdicts, results/<machine>/
 *   falsify mutants [hypotheses/NAME.ini ...]    every mutant must be caught
 */
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cpu.h"
#include "hypo.h"
#include "ident.h"
#include "machine.h"
#include "pool.h"
#include "registry.h"
#include "results.h"
#include "stats.h"
#include "compare.h"
#include "decode_run.h"
#include <math.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: falsify <command> [options] [hypothesis files...]\n"
            "commands:\n"
            "  list      list plugins: runnable, skipped (naming the missing CPU feature) or refused\n"
            "  check     check kernels against the oracle and judge hypotheses (default: hypotheses/*.ini);\n"
            "            writes results/<machine>/kernels.csv and hypotheses.csv\n"
            "  mutants   judge the error hypotheses on the mutant kernels; fails if any mutant escapes\n"
            "  bench     time kernels without hypotheses: --kernels GLOB --shapes RxC,... --threads 1,2\n"
            "            (peer libraries, flagged 'peer' in list, answer only to their exact names)\n"
            "            [--cold]; prints median, CI, GB/s, GOP/s and the fraction of the level's ceiling\n"
            "  machine   measure the machine's ceilings (read bandwidth per level, peak FMA and int8 dot)\n"
            "            for 1..N threads -> results/<machine>/machine.csv (--force re-measures)\n"
            "  compare DIR...  results/<machine> folders (or results/ for all) side by side: ceilings,\n"
            "            claim x machine verdicts, throughput, speedup ratios between machines\n"
            "  decode    a Llama-2 forward pass built from the plugins: tok/s, roofline fraction, per-op time\n"
            "            (--preset, --weights, --model FILE, --threads; 'falsify decode --help')\n"
            "options:\n"
            "  --plugins DIR   plugin directory (env FALSIFY_PLUGINS; default build/kernels)\n"
            "  --mutants-dir DIR  mutant plugins (env FALSIFY_MUTANTS; default build/mutants)\n"
            "  --oracle DIR    oracle vectors (default build/oracle)\n"
            "  --results DIR   results folder (default results/<machine>)\n"
            "  --machine NAME  machine name for results (env FALSIFY_MACHINE; default from the CPU model)\n"
            "  --python PATH   Python 3 with NumPy for the oracle (env FALSIFY_PYTHON; default /usr/bin/python3)\n"
            "  --seed N        oracle case seed (default 1)\n"
            "  --isa MASK      run as a lesser CPU: x86-64-v3, x86-64-v4, or features (avx,avx2,fma); plugins\n"
            "                  needing more are skipped as \"masked\" (env FALSIFY_ISA)\n"
            "  --plan          check: resolve roles and say what would be judged or UNTESTABLE and why;\n"
            "                  measure nothing, write nothing\n"
            "  --strict        check: exit 1 when a verdict is UNTESTABLE for a reason other than the\n"
            "                  capability its claim needs (CPU feature, cores) or emulation\n"
            "  --quiet         no progress lines\n"
            "  --kernels GLOB, --shapes RxC,..., --threads 1,2, --cold   (bench)\n"
            "exit status: 0 ok; 1 a guard hypothesis FALSIFIED, a kernel wrong or crashed, or a mutant escaped;\n"
            "             2 bad input (message names the file, line and rule);\n"
            "             3 tested nothing: no runnable plugin, a guard whose subject matches no kernel, or\n"
            "               bench --kernels matching nothing (the message says which)\n");
}

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

static int load_hypotheses(char **files, int nfiles, struct fk_hypo **h, int *nh)
{
    glob_t g;
    memset(&g, 0, sizeof g);
    if (nfiles == 0) {
        if (glob("hypotheses/*.ini", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
            fprintf(stderr, "falsify: no hypothesis files given and none in hypotheses/*.ini (run from the project root)\n");
            globfree(&g);
            return -1;
        }
        /* hypotheses/decode*.ini: model-level claims, judged by
         * `falsify decode --hypotheses` (harness/decode_hypo.c) */
        size_t keep = 0;
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (strncmp(g.gl_pathv[i], "hypotheses/decode", 17) != 0 ||
                strncmp(g.gl_pathv[i], "hypotheses/decode_", 18) == 0)
            {  /* swap, so globfree still frees every path once */
                char *t = g.gl_pathv[keep];
                g.gl_pathv[keep++] = g.gl_pathv[i];
                g.gl_pathv[i] = t;
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

static void print_entry(const struct fk_entry *en)
{
    if (en->status == FK_REFUSED) {
        printf("  %-30s %-10s refused: %s\n", en->k ? en->k->name : "?", "", en->why);
        return;
    }
    const struct fk_kernel *k = en->k;
    char fm[48];
    snprintf(fm, sizeof fm, "%s x %s", fk_format_name(k->weights), fk_format_name(k->acts));
    printf("  %-30s %-10s %-12s %-11s %s%s\n", k->name, k->isa, fk_op_name(k->op), fm,
           en->status == FK_RUNNABLE ? "runnable" : "skipped: ", en->status == FK_RUNNABLE ? "" : en->why);
    if (k->flags & FK_KERNEL_EMULATED)
        printf("  %-30s (emulated: correctness only, no speed verdicts)\n", "");
    int (*prov)(const struct fk_shape *, char *, size_t) = fk_kernel_provenance(k);
    if ((k->flags & FK_KERNEL_PEER) && prov && en->status == FK_RUNNABLE) {
        char lib[512];
        if (prov(NULL, lib, sizeof lib) != 0)
            snprintf(lib, sizeof lib, "(library did not report its version)");
        printf("  %-30s peer: %s\n", "", lib);
    }
}

static int cmd_list(struct fk_ctx *c, int with_mutants, const char *mutants_dir, const char *emulated_why)
{
    char feats[512];
    printf("cpu: %s (%d usable cores)\nfeatures: %s\n", c->cpu_model, c->ncpu,
           fk_cpu_feature_list(c->cpu, feats, sizeof feats));
    if (c->emulated)
        printf("emulated: %s: correctness only, speed verdicts UNTESTABLE\n", emulated_why);
    if (c->isa_mask[0])
        printf("masked: --isa %s: plugins needing more are skipped\n", c->isa_mask);
    if (c->ident)
        printf("machine: %s (%s family %u model %u stepping %u, %s, %s, microcode %s, hypervisor %s)\n", c->machine,
               c->ident->vendor_id, c->ident->family, c->ident->model, c->ident->stepping, c->ident->codename,
               c->ident->isa_level, c->ident->microcode, c->ident->hypervisor);
    int runnable = 0, skipped = 0, refused = 0;
    printf("plugins:\n");
    for (int i = 0; i < c->reg.n; i++) {
        const struct fk_entry *en = &c->reg.e[i];
        if (en->k && (en->k->flags & FK_KERNEL_MUTANT))
            continue;
        print_entry(en);
        runnable += en->status == FK_RUNNABLE;
        skipped += en->status == FK_SKIPPED;
        refused += en->status == FK_REFUSED;
    }
    printf("%d runnable, %d skipped, %d refused\n", runnable, skipped, refused);
    if (with_mutants) {
        struct fk_registry m;
        memset(&m, 0, sizeof m);
        struct fk_err e;
        if (fk_registry_scan(&m, mutants_dir, c->cpu, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            return 2;
        }
        printf("mutants (deliberately wrong; never in normal runs):\n");
        for (int i = 0; i < m.n; i++)
            print_entry(&m.e[i]);
        fk_registry_free(&m);
    }
    return 0;
}

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
    fprintf(stderr, "measuring machine ceilings (cached in %s until the machine or build changes)...\n", path);
    char rows[16384] = "";
    if (fk_machine_measure(m, c->cpu, key, c->ncpu, !c->quiet, &e) == 0 && c->ident) {
        fk_ident_machine_rows(c->ident, c->machine, key, m->date, rows, sizeof rows);
        m->extra_rows = rows;
    }
    if (!m->date[0] || fk_mkdirs(c->results_dir, &e) != 0 || fk_machine_write(m, path, c->machine, c->cpu_model, &e) != 0) {
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

static int cmd_machine(struct fk_ctx *c, int force)
{
    struct fk_machine m;
    if (ensure_machine(c, &m, force) != 0)
        return 2;
    printf("machine %s: L1d %zu KiB, L2 %zu KiB (shared by %d), L3 %zu MiB (shared by %d); measured %s\n", c->machine,
           m.caches.l1d >> 10, m.caches.l2 >> 10, m.caches.l2_shared, m.caches.l3 >> 20, m.caches.l3_shared, m.date);
    printf("%-8s", "threads");
    for (int l = 0; l < FK_LEVELS; l++)
        printf(" %10s GB/s", fk_level_name(l));
    printf(" %12s %12s\n", "f32 GFLOP/s", "int8 GOP/s");
    for (int t = 1; t <= m.ncpu; t++) {
        printf("%-8d", t);
        for (int l = 0; l < FK_LEVELS; l++)
            printf(" %15.1f", m.level_gbs[l][t]);
        printf(" %12.1f %12.1f\n", m.peak_f32[t] * 1e-9, m.peak_int8[t] * 1e-9);
    }
    printf("peaks from the %s (f32) and %s (int8) probes\n", m.f32_isa, m.int8_isa);
    for (int t = 1; t <= m.ncpu; t++) {
        printf("read pattern, %d thread(s):", t);
        for (int l = 0; l < FK_LEVELS; l++)
            printf("  %s %s x%d", fk_level_name(l), m.level_pat[l][t].isa, m.level_pat[l][t].streams);
        printf("\n");
    }
    printf("sanity: %s\n", m.sanity[0] ? m.sanity : "unchecked");
    return 0;
}

/* Splits "a,b,c" (or blanks) into tokens; returns the count, or -1 (with
 * a message naming option and limit) when there are more than max: a list
 * is never silently cut. */
static int split_list(char *s, char **out, int max, const char *option)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(s, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (n == max) {
            fprintf(stderr, "falsify: %s: more than %d entries (the limit); split the run\n", option, max);
            return -1;
        }
        out[n++] = t;
    }
    return n;
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

#define FK_EXIT_TESTED_NOTHING 3

/* Runnable kernels whose name matches one of the blank-separated globs. */
static int bench_matches(const struct fk_ctx *c, const char *globs)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", globs);
    int n = 0;
    for (int i = 0; i < c->reg.n; i++) {
        const struct fk_entry *en = &c->reg.e[i];
        if (!en->k || en->status != FK_RUNNABLE || (en->k->flags & FK_KERNEL_MUTANT))
            continue;
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", buf);
        char *save = NULL;
        for (char *t = strtok_r(tmp, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
            if (fnmatch(t, en->k->name, 0) == 0) {
                n++;
                break;
            }
    }
    return n;
}

/* Runnable, non-mutant kernels in the registry. */
static int runnable_kernels(const struct fk_ctx *c)
{
    int n = 0;
    for (int i = 0; i < c->reg.n; i++)
        n += c->reg.e[i].k && c->reg.e[i].status == FK_RUNNABLE && !(c->reg.e[i].k->flags & FK_KERNEL_MUTANT);
    return n;
}

/* Counts of the aggregate verdicts, and why a run tested nothing (0 if it
 * did test something). */
static int summarize(const struct fk_run *run, FILE *f)
{
    int count[8] = {0}, guards_untestable = 0;
    for (int i = 0; i < run->nh; i++) {
        if (run->h[i].aggregate && (int)run->h[i].verdict >= 0 && (int)run->h[i].verdict < 8)
            count[run->h[i].verdict]++;
        guards_untestable += run->h[i].aggregate && run->h[i].verdict == FK_UNTESTABLE &&
                             run->h[i].h->role == FK_ROLE_GUARD;
    }
    fprintf(f, "summary: %d SUPPORTED, %d FALSIFIED, %d INCONCLUSIVE, %d UNTESTABLE (%d of them guards); gate: %d "
               "edge/random shapes (shape seed %llu)\n", count[FK_SUPPORTED], count[FK_FALSIFIED],
            count[FK_INCONCLUSIVE], count[FK_UNTESTABLE], guards_untestable, run->edge_checked, run->shape_seed);
    if (run->guard_unmatched) {
        fprintf(f, "TESTED NOTHING: %d guard hypothesis subject(s) match no kernel here (see 'no kernel here matches')\n",
                run->guard_unmatched);
        return 1;
    }
    return 0;
}

static int cmd_check(struct fk_ctx *c, char **files, int nfiles, int strict)
{
    struct fk_hypo *h = NULL;
    int nh = 0;
    if (load_hypotheses(files, nfiles, &h, &nh) != 0)
        return 2;
    struct fk_run run;
    struct fk_err e;
    if (fk_check_validate(c, h, nh, &e) != 0) {  /* bad input fails before any measuring */
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return 2;
    }
    if (runnable_kernels(c) == 0) {
        fprintf(stderr, "falsify: no runnable kernel plugin was loaded (--plugins / FALSIFY_PLUGINS): tested "
                        "nothing; results left as they were\n");
        free(h);
        return FK_EXIT_TESTED_NOTHING;
    }
    /* nothing is measured unless its results can be kept */
    if (!c->plan && (fk_results_recover(c->results_dir, &e) != 0 ||
                     fk_results_preflight(c->results_dir, 64ull << 20, &e) != 0 || ensure_signature(c, &e) != 0)) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return 2;
    }
    struct fk_machine *m = calloc(1, sizeof *m);
    /* emulated: no timing at all, so no ceilings to measure; plan: nothing measured */
    if (!m || (!c->emulated && !c->plan && ensure_machine(c, m, 0) != 0)) {
        free(m);
        free(h);
        return 2;
    }
    c->ceilings = c->emulated || c->plan ? NULL : m;
    if (fk_check_run(c, h, nh, &run, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(m);
        free(h);
        return 2;
    }
    fk_print_table(&run, stdout);
    int rc = 0;
    int ucount[FK_UC_COUNT];
    int unfit = fk_untestable_counts(&run, ucount);
    printf("\nUNTESTABLE by cause:");
    for (int u = 1; u < FK_UC_COUNT; u++)
        printf(" %s %d%s", fk_ucause_name((enum fk_ucause)u), ucount[u], u + 1 < FK_UC_COUNT ? "," : "\n");
    if (unfit)
        printf("%s: %d row(s) UNTESTABLE for naming or a failure, not for a capability the claim needs "
               "(see untestable_cause)\n", strict ? "FAIL" : "note", unfit);
    if (c->plan) {
        printf("plan only: nothing measured or written\n");
        rc = strict && unfit ? 1 : 0;
        fk_run_free(&run);
        free(m);
        free(h);
        return rc;
    }
    if (strict && unfit)
        rc = 1;
    if (fk_write_results(c, &run, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        rc = 2;
    }
    if (run.kernel_failures)
        printf("FAIL: %d kernel case(s) wrong or crashed (see kernels.csv 'note')\n", run.kernel_failures);
    if (run.guard_falsified)
        printf("FAIL: %d guard hypothesis verdict(s) FALSIFIED\n", run.guard_falsified);
    int nothing = summarize(&run, stdout);
    if (!rc && (run.kernel_failures || run.guard_falsified))
        rc = 1;
    else if (!rc && nothing)
        rc = FK_EXIT_TESTED_NOTHING;
    if (run.aa_biased)
        printf("WARNING: the A/A self-check is biased: see AA-self-check above\n");
    fk_run_free(&run);
    free(m);
    c->ceilings = NULL;
    free(h);
    return rc;
}

/* bench: a latency "hypothesis" with no threshold to meet, so every kernel
 * goes through the same correctness gate and timing as a verdict would. */
static int cmd_bench(struct fk_ctx *c, const char *kernels, char *shapes, char *threads, int cold)
{
    struct fk_hypo h;
    memset(&h, 0, sizeof h);
    snprintf(h.id, sizeof h.id, "bench");
    snprintf(h.file, sizeof h.file, "(command line)");
    snprintf(h.claim, sizeof h.claim, "timing only");
    snprintf(h.source, sizeof h.source, "falsify bench");
    snprintf(h.subject, sizeof h.subject, "%s", kernels);
    h.kind = FK_KIND_LATENCY;
    h.threshold = 1e300;
    h.role = FK_ROLE_CLAIM;
    h.cache = cold ? FK_CACHE_COLD : FK_CACHE_HOT;
    h.budget_s = 3;
    char *tok[FK_HYPO_MAX_SHAPES];
    if (!arg_fits("--kernels", kernels, sizeof h.subject))
        return 2;
    int n = split_list(shapes, tok, FK_HYPO_MAX_SHAPES, "--shapes");
    if (n < 0)
        return 2;
    for (int i = 0; i < n; i++)
        if (fk_shape_parse(tok[i], &h.shapes[h.nshapes++]) != 0) {
            fprintf(stderr, "falsify: --shapes: '%s' is not RxC or RxCxB with positive integers\n", tok[i]);
            return 2;
        }
    n = split_list(threads, tok, FK_HYPO_MAX_THREADS, "--threads");
    if (n < 0)
        return 2;
    for (int i = 0; i < n; i++) {
        char *end;
        long t = strtol(tok[i], &end, 10);
        if (*end || t < 1 || t > FK_MAX_THREADS) {
            fprintf(stderr, "falsify: --threads: '%s' is not an integer in 1..%d\n", tok[i], FK_MAX_THREADS);
            return 2;
        }
        h.threads[h.nthreads++] = (int)t;
    }
    if (h.nshapes == 0 || h.nthreads == 0) {
        fprintf(stderr, "falsify: bench needs --shapes and --threads\n");
        return 2;
    }
    if (bench_matches(c, kernels) == 0) {
        fprintf(stderr, "falsify: bench: --kernels '%s' matches no runnable kernel here (see 'falsify list'): "
                        "tested nothing\n", kernels);
        return FK_EXIT_TESTED_NOTHING;
    }
    struct fk_machine *m = calloc(1, sizeof *m);
    if (!m || ensure_machine(c, m, 0) != 0) {
        free(m);
        return 2;
    }
    c->ceilings = m;
    struct fk_run run;
    struct fk_err e;
    if (fk_check_run(c, &h, 1, &run, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(m);
        return 2;
    }
    printf("\n%-26s %-12s %3s %-5s %12s %23s %9s %9s %6s %9s\n", "kernel", "shape", "T", "cache", "median us",
           "95% CI us", "GB/s", "GOP/s", "level", "fraction");
    int rc = 0;
    for (int i = 0; i < run.nk; i++) {
        const struct fk_krow *r = &run.k[i];
        char sh[64];
        fk_shape_format(&r->shape, sh, sizeof sh);
        if (r->nns == 0) {
            if (r->checked && !r->correct) {
                printf("%-26s %-12s %s\n", r->en->k->name, sh, r->note);
                rc = 1;
            }
            continue;
        }
        const struct fk_cost *pc = fk_run_cost(&run, r->en, &r->shape);
        struct fk_cost cost = pc ? *pc : (struct fk_cost){NAN, NAN, NAN, NAN};
        double bytes = cost.weight_bytes + cost.act_bytes + cost.out_bytes;
        double med = fk_median(r->ns, (size_t)r->nns), lo, hi;
        if (fk_quantile_ci(r->ns, (size_t)r->nns, 0.5, 0.05, &lo, &hi) != 0)
            lo = hi = NAN;
        int level = fk_level_of(m, bytes, r->threads, r->cache == FK_CACHE_COLD);
        double ceil_gbs = m->level_gbs[level][r->threads < FK_MAX_THREADS ? r->threads : FK_MAX_THREADS];
        char ci[64];
        snprintf(ci, sizeof ci, "[%.4g, %.4g]", lo * 1e-3, hi * 1e-3);
        printf("%-26s %-12s %3d %-5s %12.4g %23s %9.1f %9.1f %6s %9.3f\n", r->en->k->name, sh, r->threads,
               r->cache == FK_CACHE_COLD ? "cold" : "hot", med * 1e-3, ci, bytes / med, cost.ops / med,
               fk_level_name(level), ceil_gbs > 0 ? bytes / med / ceil_gbs : NAN);
    }
    printf("fraction = GB/s over the cached %s ceiling of that level (machine.csv); roofline hypotheses\n"
           "re-measure the reference interleaved with the kernel instead\n", c->machine);
    fk_run_free(&run);
    free(m);
    c->ceilings = NULL;
    return rc;
}

/* Every mutant must be FALSIFIED by at least one error hypothesis. */
static int cmd_mutants(struct fk_ctx *c, char **files, int nfiles)
{
    struct fk_hypo *h = NULL;
    int nh = 0;
    if (load_hypotheses(files, nfiles, &h, &nh) != 0)
        return 2;
    int ne = 0;
    for (int i = 0; i < nh; i++)
        if (h[i].kind == FK_KIND_ERROR)
            h[ne++] = h[i];
    if (ne == 0) {
        fprintf(stderr, "falsify: no error hypotheses to judge mutants with\n");
        free(h);
        return 2;
    }
    int nmut = 0;
    for (int i = 0; i < c->reg.n; i++)
        nmut += c->reg.e[i].k && (c->reg.e[i].k->flags & FK_KERNEL_MUTANT) && c->reg.e[i].status == FK_RUNNABLE;
    if (nmut == 0) {
        fprintf(stderr, "falsify: no runnable mutant plugins found (build them with 'make')\n");
        free(h);
        return 2;
    }
    c->mutants = 1;
    struct fk_run run;
    struct fk_err e;
    if (fk_check_run(c, h, ne, &run, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(h);
        return 2;
    }
    int escaped = 0, caught = 0;
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
            printf("%-32s %-8s %s: %s\n", en->k->name, "caught", by, why);
        } else {
            escaped++;
            printf("%-32s %-8s %s\n", en->k->name, "ESCAPED", judged ? "no error hypothesis falsified it" :
                                                                     "no error hypothesis covers it");
        }
    }
    printf("%d passed, %d failed\n", caught, escaped);
    fk_run_free(&run);
    free(h);
    return escaped ? 1 : 0;
}

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

/* decode: its own options (decode_run.c) arrive in files[] in order. */
static int cmd_decode(struct fk_ctx *c, const char *plugins, const char *mutants_dir, char *threads, char **args, int nargs)
{
    struct fk_registry mut;
    memset(&mut, 0, sizeof mut);
    struct fk_err e;
    int th[FK_HYPO_MAX_THREADS], nth = 0;
    char *tok[FK_HYPO_MAX_THREADS];
    int n = split_list(threads, tok, FK_HYPO_MAX_THREADS, "--threads");
    if (n < 0)
        return 2;
    for (int i = 0; i < n; i++) {
        char *end;
        long t = strtol(tok[i], &end, 10);
        if (*end || t < 1 || t > FK_MAX_THREADS) {
            fprintf(stderr, "falsify: --threads: '%s' is not an integer in 1..%d\n", tok[i], FK_MAX_THREADS);
            return 2;
        }
        th[nth++] = (int)t;
    }
    for (int i = 0; i < nargs; i++)
        if (!strcmp(args[i], "--help") || !strcmp(args[i], "-h"))
            return fk_decode_cmd(NULL, args + i, 1);
    if (fk_registry_scan(&c->reg, plugins, c->cpu, &e) != 0 ||
        fk_registry_scan(&mut, mutants_dir, c->cpu, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        fk_registry_free(&c->reg);
        return 2;
    }
    struct decode_ceil dc = {c, calloc(1, sizeof(struct fk_machine)), 0};
    struct fk_decode_env env = {&c->reg, &mut, decode_ceilings, &dc, c->results_dir, c->machine,
                                c->cpu_model, c->ncpu, c->emulated, c->quiet, c->seed, th, nth};
    int rc = fk_decode_cmd(&env, args, nargs);
    free(dc.m);
    fk_registry_free(&mut);
    fk_registry_free(&c->reg);
    return rc;
}

/* Scans plugins against the detected CPU, then applies the --isa mask, so a
 * masked plugin says "masked" and one the CPU lacks says so. */
static int scan(struct fk_ctx *c, const char *dir, uint64_t detected, uint64_t mask, struct fk_err *e)
{
    if (fk_registry_scan(&c->reg, dir, detected, e) != 0)
        return -1;
    if (c->isa_mask[0])
        fk_registry_mask(&c->reg, mask, c->isa_mask);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "compare") == 0) {
        if (argc < 3) {
            fprintf(stderr, "usage: falsify compare DIR... (results/<machine> folders, or results/ for all)\n");
            return 2;
        }
        return fk_compare(argc - 2, argv + 2, stdout, stderr);
    }
    struct fk_ctx c;
    memset(&c, 0, sizeof c);
    const char *plugins = env_or("FALSIFY_PLUGINS", "build/kernels");
    const char *mutants_dir = env_or("FALSIFY_MUTANTS", "build/mutants");
    const char *oracle = "build/oracle";
    const char *results = NULL;
    const char *machine = getenv("FALSIFY_MACHINE");
    const char *python = env_or("FALSIFY_PYTHON", "/usr/bin/python3");
    c.seed = 1;
    int with_mutants = 0, force = 0, cold = 0, strict = 0;
    const char *isa = getenv("FALSIFY_ISA");
    const char *bench_kernels = "gemv.f32.*";
    char *bench_shapes = NULL, *bench_threads = NULL;
    char default_shapes[] = "2048x2048", default_threads[] = "1";
    char **files = calloc((size_t)argc, sizeof *files);
    int nfiles = 0;
    const int is_decode = strcmp(cmd, "decode") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--plugins") == 0 && has_val)
            plugins = argv[++i];
        else if (strcmp(a, "--mutants-dir") == 0 && has_val)
            mutants_dir = argv[++i];
        else if (strcmp(a, "--oracle") == 0 && has_val)
            oracle = argv[++i];
        else if (strcmp(a, "--results") == 0 && has_val)
            results = argv[++i];
        else if (strcmp(a, "--machine") == 0 && has_val)
            machine = argv[++i];
        else if (strcmp(a, "--python") == 0 && has_val)
            python = argv[++i];
        else if (strcmp(a, "--seed") == 0 && has_val) {
            char *end;
            unsigned long v = strtoul(argv[++i], &end, 10);
            if (*end || v > 0xffffffffu) {
                fprintf(stderr, "falsify: --seed '%s' is not a non-negative integer\n", argv[i]);
                free(files);
                return 2;
            }
            c.seed = (unsigned)v;
        } else if (strcmp(a, "--kernels") == 0 && has_val)
            bench_kernels = argv[++i];
        else if (strcmp(a, "--shapes") == 0 && has_val)
            bench_shapes = argv[++i];
        else if (strcmp(a, "--threads") == 0 && has_val)
            bench_threads = argv[++i];
        else if (strcmp(a, "--cold") == 0)
            cold = 1;
        else if (strcmp(a, "--force") == 0)
            force = 1;
        else if (strcmp(a, "--mutants") == 0)
            with_mutants = 1;
        else if (strcmp(a, "--quiet") == 0)
            c.quiet = 1;
        else if (strcmp(a, "--plan") == 0)
            c.plan = 1;
        else if (strcmp(a, "--strict") == 0)
            strict = 1;
        else if (strcmp(a, "--isa") == 0 && has_val)
            isa = argv[++i];
        else if (a[0] == '-' && !is_decode) {
            fprintf(stderr, "falsify: unknown option '%s' (or missing value)\n", a);
            usage(stderr);
            free(files);
            return 2;
        } else
            files[nfiles++] = argv[i];
    }
    if (!arg_fits("--python / FALSIFY_PYTHON", python, sizeof c.python) ||
        !arg_fits("--oracle", oracle, sizeof c.oracle_dir) ||
        !arg_fits("FALSIFY_ORACLE", env_or("FALSIFY_ORACLE", "oracle/gen.py"), sizeof c.oracle_script)) {
        free(files);
        return 2;
    }
    snprintf(c.python, sizeof c.python, "%s", python);
    c.cpu = fk_cpu_detect();
    uint64_t detected = c.cpu, mask = ~0ull;
    c.cpu_detected = detected;
    if (isa && isa[0]) {
        struct fk_err e;
        if (strlen(isa) >= sizeof c.isa_mask || fk_isa_mask_parse(isa, &mask, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", strlen(isa) >= sizeof c.isa_mask ? "--isa: value too long" : e.msg);
            free(files);
            return 2;
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
    if (!bench_shapes)
        bench_shapes = default_shapes;
    if (!bench_threads)
        bench_threads = default_threads;
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
            fprintf(stderr, "falsify: %s\n", e.msg);
            free(files);
            return 2;
        }
        snprintf(c.machine, sizeof c.machine, "%s", machine);
    } else {
        fk_ident_folder(&ident, c.machine, sizeof c.machine);
    }
    snprintf(c.oracle_dir, sizeof c.oracle_dir, "%s", oracle);
    snprintf(c.oracle_script, sizeof c.oracle_script, "%s", env_or("FALSIFY_ORACLE", "oracle/gen.py"));
    if (results && strlen(results) + 64 >= sizeof c.results_dir) {  /* room for runs/<id>/samples.csv */
        fprintf(stderr, "falsify: --results '%.40s...': path of %zu characters, at most %zu\n", results,
                strlen(results), sizeof c.results_dir - 65);
        free(files);
        return 2;
    }
    if (results)
        snprintf(c.results_dir, sizeof c.results_dir, "%s", results);
    else
        snprintf(c.results_dir, sizeof c.results_dir, "results/%s", c.machine);
    /* commands that write there: never into another CPU's folder */
    if (strcmp(cmd, "machine") == 0 || strcmp(cmd, "bench") == 0 || strcmp(cmd, "decode") == 0 ||
        (strcmp(cmd, "check") == 0 && !c.plan)) {
        struct fk_err e;
        if (fk_ident_check_folder(c.results_dir, &ident, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            free(files);
            return 2;
        }
    }
    c.rng_seed = (unsigned long long)time(NULL);
    fk_run_id(c.run_id, sizeof c.run_id);

    if (strcmp(cmd, "bench") == 0) {
        struct fk_err e;
        if (scan(&c, plugins, detected, mask, &e) != 0) {
            fprintf(stderr, "falsify: %s\n", e.msg);
            free(files);
            return 2;
        }
        int rc = cmd_bench(&c, bench_kernels, bench_shapes, bench_threads, cold);
        fk_registry_free(&c.reg);
        free(files);
        return rc;
    }
    if (strcmp(cmd, "machine") == 0) {
        free(files);
        return cmd_machine(&c, force);
    }
    if (is_decode) {
        int rc = cmd_decode(&c, plugins, mutants_dir, bench_threads, files, nfiles);
        free(files);
        return rc;
    }
    int is_mut = strcmp(cmd, "mutants") == 0;
    if (strcmp(cmd, "list") != 0 && strcmp(cmd, "check") != 0 && !is_mut) {
        fprintf(stderr, "falsify: unknown command '%s'\n", cmd);
        usage(stderr);
        free(files);
        return 2;
    }
    struct fk_err e;
    if (scan(&c, is_mut ? mutants_dir : plugins, detected, mask, &e) != 0) {
        fprintf(stderr, "falsify: %s\n", e.msg);
        free(files);
        return 2;
    }
    for (int i = 0; i < c.reg.n; i++)
        if (c.reg.e[i].status == FK_REFUSED)
            fprintf(stderr, "falsify: refused %s\n", c.reg.e[i].why);
    int rc;
    if (strcmp(cmd, "list") == 0)
        rc = cmd_list(&c, with_mutants, mutants_dir, emulated_why);
    else if (is_mut)
        rc = cmd_mutants(&c, files, nfiles);
    else
        rc = cmd_check(&c, files, nfiles, strict);
    fk_registry_free(&c.reg);
    free(files);
    return rc;
}
