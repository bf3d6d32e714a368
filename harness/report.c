/* Verdict table and the CSV results (RFC 4180, written atomically). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "results.h"
#include "cpu.h"
#include "stats.h"

#ifndef FK_GIT_COMMIT
#define FK_GIT_COMMIT "unknown"
#endif

static void fmt_num(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (isinf(v))
        snprintf(buf, n, "inf");
    else
        snprintf(buf, n, "%.3g", v);
}

void fk_print_table(const struct fk_run *run, FILE *f)
{
    fprintf(f, "\n%-30s %-6s %-26s %-12s %-10s %-21s %6s  %s\n", "hypothesis", "role", "kernel", "verdict", "figure",
            "CI", "n", "worst shape / reason");
    for (int i = 0; i < run->nh; i++) {
        const struct fk_hrow *r = &run->h[i];
        if (!r->aggregate)
            continue;
        char fig[32], lo[32], hi[32], ci[80];
        fmt_num(fig, sizeof fig, r->figure);
        fmt_num(lo, sizeof lo, r->lo);
        fmt_num(hi, sizeof hi, r->hi);
        if (isnan(r->lo))
            snprintf(ci, sizeof ci, "-");
        else
            snprintf(ci, sizeof ci, "[%s, %s]", lo, hi);
        const char *unit = (r->h->kind == FK_KIND_SPEEDUP || r->h->kind == FK_KIND_PARITY) ? "x"
                           : r->h->kind == FK_KIND_LATENCY ? "ns" : "";
        char figu[40];
        snprintf(figu, sizeof figu, "%s%s", fig, isnan(r->figure) ? "" : unit);
        fprintf(f, "%-30s %-6s %-26s %-12s %-10s %-21s %6lld  %s", r->h->id, fk_role_name(r->h->role), r->kernel,
                fk_verdict_name(r->verdict), figu, ci, (long long)r->n, r->shape);
        if (r->threads != 1)
            fprintf(f, " T=%d", r->threads);
        if (r->cache == FK_CACHE_COLD)
            fprintf(f, " cold");
        if (r->level[0])
            fprintf(f, " %s", r->level);
        if ((r->h->kind == FK_KIND_SPEEDUP || r->h->kind == FK_KIND_PARITY) && !isnan(r->median_a_ns))
            fprintf(f, " (%.4g vs %.4g us)", r->median_a_ns * 1e-3, r->median_b_ns * 1e-3);
        if (r->verdict != FK_SUPPORTED && r->reason[0])
            fprintf(f, "\n%-30s   %s%s%s%s", "", r->verdict == FK_UNTESTABLE ? "(" : "",
                    r->verdict == FK_UNTESTABLE ? fk_ucause_name(r->cause) : "", r->verdict == FK_UNTESTABLE ? ") " : "",
                    r->reason);
        fputc('\n', f);
    }
}

static void csv_field(FILE *f, const char *s, int last)
{
    fk_csv_field(f, s, last);
}

static void csv_num(FILE *f, double v, int last)
{
    char buf[64];
    if (isnan(v))
        buf[0] = 0;
    else if (isinf(v))
        snprintf(buf, sizeof buf, "inf");
    else
        snprintf(buf, sizeof buf, "%.9g", v);
    csv_field(f, buf, last);
}

static void csv_int(FILE *f, long long v, int last)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    csv_field(f, buf, last);
}

/* Provenance columns every kernels.csv and hypotheses.csv row carries (the
 * machine's identity, ident.h), written before the last column. */
#define PROVENANCE_COLS "run_id", "cpu_vendor", "cpu_family", "cpu_model_number", "cpu_stepping", "codename", \
    "isa_level", "isa_mask", "microcode", "cpu_features", "caches", "memory_bytes", "os_kernel", "hypervisor", \
    "governor", "boost"

static void csv_provenance(FILE *f, const struct fk_ctx *c)
{
    const struct fk_ident *id = c->ident;
    csv_field(f, c->run_id, 0);
    if (!id) {
        for (int i = 0; i < 15; i++)
            csv_field(f, "", 0);
        return;
    }
    csv_field(f, id->vendor_id, 0);
    csv_int(f, id->family, 0);
    csv_int(f, id->model, 0);
    csv_int(f, id->stepping, 0);
    csv_field(f, id->codename, 0);
    csv_field(f, id->isa_level, 0);
    csv_field(f, c->isa_mask, 0);
    csv_field(f, id->microcode, 0);
    csv_field(f, id->features, 0);
    csv_field(f, id->caches, 0);
    csv_int(f, (long long)id->mem_bytes, 0);
    csv_field(f, id->os_kernel, 0);
    csv_field(f, id->hypervisor, 0);
    csv_field(f, id->governor, 0);
    csv_field(f, id->boost, 0);
}

static void iso_date(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_kernels(const struct fk_ctx *c, const struct fk_run *run, const char *dir, const char *date,
                         struct fk_err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/kernels.csv", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    FILE *f = a.f;
    static const char *const cols[] = {
        "kernel", "op", "weights", "acts", "isa", "rows", "cols", "batch", "threads", "cache", "status",
        "gauge_max", "gauge_p99", "gauge_worst_index", "ulp_max", "ulp_worst_index", "gate_bound",
        "quant_gauge_max", "quant_gauge_p99", "quant_ulp_max", "seed", "order_seed",
        "samples", "median_ns", "min_ns", "ci_lo_ns", "ci_hi_ns", "gbytes_per_s", "gops_per_s", "note",
        "machine", "cpu_model", "cores_used", "build", "plugin", "git_commit", "date", PROVENANCE_COLS, "emulated", "peer_provenance"};
    int ncols = (int)(sizeof cols / sizeof cols[0]);
    for (int i = 0; i < ncols; i++)
        csv_field(f, cols[i], i == ncols - 1);
    for (int i = 0; i < run->nk; i++) {
        const struct fk_krow *r = &run->k[i];
        const struct fk_kernel *k = r->en->k;
        const char *status = r->crashed ? "crashed" : r->broken ? "wrong" : !r->checked ? "timed" : r->correct ? "ok" : "wrong";
        if (r->checked && !r->correct && !r->crashed && r->es.n == 0)
            status = "error";
        csv_field(f, k->name, 0);
        csv_field(f, fk_op_name(k->op), 0);
        csv_field(f, fk_format_name(k->weights), 0);
        csv_field(f, fk_format_name(k->acts), 0);
        csv_field(f, k->isa, 0);
        csv_int(f, r->shape.rows, 0);
        csv_int(f, r->shape.cols, 0);
        csv_int(f, r->shape.batch, 0);
        csv_int(f, r->threads, 0);
        csv_field(f, r->cache == FK_CACHE_COLD ? "cold" : "hot", 0);
        csv_field(f, status, 0);
        int has_err = r->checked && r->es.n > 0;
        csv_num(f, has_err && r->es.gauge_worst >= 0 ? r->es.gauge_max : NAN, 0);
        csv_num(f, has_err && r->es.gauge_worst >= 0 ? r->es.gauge_p99 : NAN, 0);
        csv_num(f, has_err && r->es.gauge_worst >= 0 ? (double)r->es.gauge_worst : NAN, 0);
        csv_num(f, has_err ? r->es.ulp_max : NAN, 0);
        csv_num(f, has_err ? (double)r->es.ulp_worst : NAN, 0);
        csv_num(f, r->checked ? r->bound : NAN, 0);
        int has32 = has_err && r->es32.n > 0;
        csv_num(f, has32 && r->es32.gauge_worst >= 0 ? r->es32.gauge_max : NAN, 0);
        csv_num(f, has32 && r->es32.gauge_worst >= 0 ? r->es32.gauge_p99 : NAN, 0);
        csv_num(f, has32 ? r->es32.ulp_max : NAN, 0);
        csv_int(f, c->seed, 0);
        csv_int(f, (long long)c->rng_seed, 0);
        csv_int(f, r->nns, 0);
        double med = NAN, mn = NAN, lo = NAN, hi = NAN;
        if (r->nns > 0) {
            med = fk_median(r->ns, (size_t)r->nns);
            mn = fk_quantile(r->ns, (size_t)r->nns, 0.0);
            if (fk_quantile_ci(r->ns, (size_t)r->nns, 0.5, 0.05, &lo, &hi) != 0)
                lo = hi = NAN;
        }
        /* cost() as the sandboxed gate job reported it: never called out here */
        const struct fk_cost *pc = fk_run_cost(run, r->en, &r->shape);
        struct fk_cost cost = pc ? *pc : (struct fk_cost){NAN, NAN, NAN, NAN};
        double bytes = cost.weight_bytes + cost.act_bytes + cost.out_bytes;
        csv_num(f, med, 0);
        csv_num(f, mn, 0);
        csv_num(f, lo, 0);
        csv_num(f, hi, 0);
        csv_num(f, r->nns ? bytes / med : NAN, 0);
        csv_num(f, r->nns ? cost.ops / med : NAN, 0);
        csv_field(f, r->note, 0);
        csv_field(f, c->machine, 0);
        csv_field(f, c->cpu_model, 0);
        csv_int(f, r->threads, 0);
        csv_field(f, r->en->build, 0);
        csv_field(f, r->en->path, 0);
        csv_field(f, FK_GIT_COMMIT, 0);
        csv_field(f, date, 0);
        csv_provenance(f, c);
        csv_field(f, ((k->flags & FK_KERNEL_EMULATED) || c->emulated) ? "yes" : "no", 0);  /* model or emulator */
        /* peers: library, version and the code path it chose for this shape */
        char prov[512] = "";
        int (*pf)(const struct fk_shape *, char *, size_t) = fk_kernel_provenance(k);
        if ((k->flags & FK_KERNEL_PEER) && pf && pf(&r->shape, prov, sizeof prov) != 0)
            snprintf(prov, sizeof prov, "(library did not report its version)");
        csv_field(f, prov, 1);
    }
    if (fk_atomic_commit(&a, e) != 0)
        return -1;
    return 0;
}

static int write_hypotheses(const struct fk_ctx *c, const struct fk_run *run, const char *dir, const char *date,
                         struct fk_err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/hypotheses.csv", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    FILE *f = a.f;
    static const char *const cols[] = {"id", "kind", "role", "kernel", "baseline", "shape", "aggregate", "threads",
                                       "cache", "level", "verdict", "figure", "ci_lo", "ci_hi", "n", "threshold",
                                       "metric", "subject_median_ns", "baseline_median_ns", "extra", "reason", "untestable_cause",
                                       "claim", "source", "file", "machine", "cpu_model", "cores_used", "isa",
                                       "build", "git_commit", "date", PROVENANCE_COLS, "emulated", "replicates", "between_share",
                                       "timer_res_ns", "batch_calls", "overhead_ns", "cpu_mhz_drift", "seed", "order_seed"};
    int ncols = (int)(sizeof cols / sizeof cols[0]);
    for (int i = 0; i < ncols; i++)
        csv_field(f, cols[i], i == ncols - 1);
    for (int i = 0; i < run->nh; i++) {
        const struct fk_hrow *r = &run->h[i];
        const struct fk_hypo *h = r->h;
        char loc[300];
        snprintf(loc, sizeof loc, "%s:%d", h->file, h->line);
        csv_field(f, h->id, 0);
        csv_field(f, fk_kind_name(h->kind), 0);
        csv_field(f, fk_role_name(h->role), 0);
        csv_field(f, r->kernel, 0);
        csv_field(f, r->baseline[0] ? r->baseline : h->baseline, 0);
        csv_field(f, r->shape, 0);
        csv_field(f, r->aggregate ? "yes" : "no", 0);
        csv_int(f, r->threads, 0);
        csv_field(f, r->cache == FK_CACHE_COLD ? "cold" : "hot", 0);
        csv_field(f, r->level, 0);
        csv_field(f, fk_verdict_name(r->verdict), 0);
        csv_num(f, r->figure, 0);
        csv_num(f, r->lo, 0);
        csv_num(f, r->hi, 0);
        csv_int(f, r->n, 0);
        csv_num(f, h->threshold, 0);
        csv_field(f, h->kind == FK_KIND_ERROR ? h->metric : h->kind == FK_KIND_SCALING ? "efficiency"
                     : h->kind == FK_KIND_ROOFLINE ? "fraction" : h->kind == FK_KIND_LATENCY ? "ns" : "ratio", 0);
        csv_num(f, r->median_a_ns, 0);
        csv_num(f, r->median_b_ns, 0);
        csv_num(f, h->kind == FK_KIND_SCALING || h->kind == FK_KIND_ROOFLINE ? r->extra : NAN, 0);
        csv_field(f, r->reason, 0);
        csv_field(f, r->verdict == FK_UNTESTABLE ? fk_ucause_name(r->cause) : "", 0);
        csv_field(f, h->claim, 0);
        csv_field(f, h->source, 0);
        csv_field(f, loc, 0);
        csv_field(f, c->machine, 0);
        csv_field(f, c->cpu_model, 0);
        csv_int(f, r->threads, 0);
        const struct fk_entry *en = fk_registry_find(&c->reg, r->kernel);
        csv_field(f, en ? en->k->isa : strncmp(r->kernel, "barrier.", 8) == 0 ? "harness" : "", 0);
        csv_field(f, en ? en->build : "", 0);
        csv_field(f, FK_GIT_COMMIT, 0);
        csv_field(f, date, 0);
        csv_provenance(f, c);
        csv_field(f, c->emulated || (en && (en->k->flags & FK_KERNEL_EMULATED)) ? "yes" : "no", 0);
        /* replication and clock sanity of timed rows (empty for untimed ones) */
        int timed = r->replicates > 0;
        char reps[32] = "", batch[32] = "";
        if (timed) {
            snprintf(reps, sizeof reps, "%d", r->replicates);
            snprintf(batch, sizeof batch, "%lld", (long long)r->batch_calls);
        }
        csv_field(f, reps, 0);
        csv_num(f, timed ? r->between_share : NAN, 0);
        csv_num(f, timed ? r->timer_res_ns : NAN, 0);
        csv_field(f, batch, 0);
        csv_num(f, timed ? r->overhead_ns : NAN, 0);
        if (timed && isnan(r->mhz_drift))
            csv_field(f, "unreadable", 0);
        else
            csv_num(f, timed ? r->mhz_drift : NAN, 0);
        csv_int(f, c->seed, 0);
        csv_int(f, (long long)c->rng_seed, 1);
    }
    return fk_atomic_commit(&a, e);
}

static int write_samples(const struct fk_ctx *c, const struct fk_run *run, const char *dir, const char *date,
                         struct fk_err *e)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, path, e) != 0)
        return -1;
    FILE *f = a.f;
    fputs("hypothesis,arm,shape,threads,cache,pair,slot,ns_per_call,calls,machine,git_commit,date,replicate,run_id,order_seed\n", f);
    for (int i = 0; i < run->ns; i++) {
        const struct fk_sample *s = &run->s[i];
        csv_field(f, s->hypothesis, 0);
        csv_field(f, s->arm, 0);
        csv_field(f, s->shape, 0);
        csv_int(f, s->threads, 0);
        csv_field(f, s->cache == FK_CACHE_COLD ? "cold" : "hot", 0);
        csv_int(f, s->pair, 0);
        csv_int(f, s->slot, 0);
        csv_num(f, s->ns, 0);
        csv_int(f, s->reps, 0);
        csv_field(f, c->machine, 0);
        csv_field(f, FK_GIT_COMMIT, 0);
        csv_field(f, date, 0);
        csv_int(f, s->replicate, 0);
        csv_field(f, c->run_id, 0);
        csv_int(f, (long long)c->rng_seed, 1);
    }
    return fk_atomic_commit(&a, e);
}

int fk_write_results(const struct fk_ctx *c, const struct fk_run *run, struct fk_err *e)
{
    char date[32], raw[800];
    iso_date(date, sizeof date);
    /* this run's raw rows, kept; then the merged view, committed as one unit */
    snprintf(raw, sizeof raw, "%s/runs/%s", c->results_dir, c->run_id[0] ? c->run_id : "unnamed");
    if (fk_mkdirs(raw, e) != 0)
        return -1;
    if (write_kernels(c, run, raw, date, e) != 0 || write_samples(c, run, raw, date, e) != 0 ||
        write_hypotheses(c, run, raw, date, e) != 0)
        return -1;
    struct fk_merge_stats st[FK_RESULT_FILES];
    if (fk_results_merge_run(c->results_dir, c->run_id[0] ? c->run_id : "unnamed", st, e) != 0)
        return -1;
    printf("\nrun %s: raw rows in %s/\n", c->run_id, raw);
    for (int i = 0; i < FK_RESULT_FILES; i++) {
        printf("  %s/%-15s %5d rows from this run, %5d of earlier runs kept, %5d replaced", c->results_dir,
               fk_result_files[i], st[i].new_rows, st[i].kept, st[i].replaced);
        if (st[i].replaced && i == 1)
            printf(" (%s)", st[i].replaced_ids);
        printf("\n");
    }
    return 0;
}
