#include "check.h"

#include <errno.h>
#include <fnmatch.h>
#include <dirent.h>
#include <math.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpu.h"
#include "gate.h"
#include "sandbox.h"
#include "stats.h"
#include "timed.h"
#include "timing.h"

extern char **environ;

/* ---------------------------------------------------------------- oracle */

int fk_oracle_ensure(const struct fk_ctx *c, char **specs, int nspecs, struct fk_err *e)
{
    if (nspecs == 0)
        return 0;
    if (access(c->python, X_OK) != 0)
        return fk_fail(e, "oracle: interpreter '%s' not found: set FALSIFY_PYTHON to a Python 3 with NumPy "
                          "(Debian: apt-get install python3-numpy; 'make' picks one itself)", c->python);
    char **argv = calloc((size_t)nspecs + 6, sizeof *argv);
    if (!argv)
        return fk_fail(e, "oracle: out of memory");
    int a = 0;
    argv[a++] = (char *)c->python;
    argv[a++] = (char *)c->oracle_script;
    argv[a++] = "--out";
    argv[a++] = (char *)c->oracle_dir;
    if (c->quiet)   /* --quiet: no line per case written */
        argv[a++] = "--quiet";
    for (int i = 0; i < nspecs; i++)
        argv[a++] = specs[i];
    argv[a] = NULL;
    fflush(stdout);
    if (c->progress)   /* its "oracle: wrote" lines start on a clean line */
        fk_progress_hold(c->progress);
    pid_t pid;
    int rc = posix_spawn(&pid, c->python, NULL, NULL, argv, environ);
    free(argv);
    if (rc != 0)
        return fk_fail(e, "oracle: cannot start %s: %s", c->python, strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fk_fail(e, "oracle: %s %s failed (exit status %d); see its message above", c->python,
                       c->oracle_script, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

/* ---------------------------------------------------------- matching */

/* The baseline of hypothesis h for subject en: an exact name or a role
 * (same-isa relative to en); NULL with why when nothing answers it. */
static const struct fk_entry *base_of(const struct fk_ctx *c, const struct fk_hypo *h, const struct fk_entry *en,
                                      char *why, size_t n)
{
    if (!h->baseline[0]) {
        snprintf(why, n, "no baseline");
        return NULL;
    }
    return fk_registry_resolve(&c->reg, h->baseline, en, c->reg.cpu, why, n);
}

/* Does subject token tok (name, glob or role) name entry en? */
static int token_names(const struct fk_ctx *c, const char *tok, const struct fk_entry *en)
{
    char of[96], why[8];
    struct fk_err e;
    if (fk_role_parse(tok, of, sizeof of, &e) == FK_PICK_NONE)
        return fnmatch(tok, en->k->name, 0) == 0;
    return fk_registry_resolve(&c->reg, tok, NULL, c->reg.cpu, why, sizeof why) == en;
}

static int is_subject(const struct fk_ctx *c, const struct fk_hypo *h, const struct fk_entry *en)
{
    if (!en->k || en->status == FK_REFUSED)
        return 0;
    int mutant = (en->k->flags & FK_KERNEL_MUTANT) != 0;
    if (mutant != (c->mutants != 0))
        return 0;
    char why[8];
    if (h->baseline[0] && !c->mutants && base_of(c, h, en, why, sizeof why) == en)
        return 0;
    char buf[sizeof h->subject];
    snprintf(buf, sizeof buf, "%s", h->subject);
    /* a peer (another project's library) is judged only where it is named
     * exactly: never through a glob, so our claims about our kernels do not
     * silently take in a library */
    int peer = (en->k->flags & FK_KERNEL_PEER) != 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
        if (peer ? strcmp(tok, en->k->name) == 0 : token_names(c, tok, en))
            return 1;
    return 0;
}

/* Was en named by a glob of h's subject (every variant: a row per kernel,
 * each about that kernel's own capability)? */
static int by_glob(const struct fk_hypo *h, const struct fk_entry *en)
{
    char buf[sizeof h->subject];
    snprintf(buf, sizeof buf, "%s", h->subject);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
        if (strpbrk(tok, "*?[") && fnmatch(tok, en->k->name, 0) == 0)
            return 1;
    return 0;
}

/* Does h's subject name only peers whose library is not installed here (a
 * claim against that library: its capability, not a naming fault)? */
static int only_absent_peers(const struct fk_ctx *c, const struct fk_hypo *h)
{
    char buf[sizeof h->subject];
    snprintf(buf, sizeof buf, "%s", h->subject);
    char *save = NULL;
    int n = 0;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        if (strpbrk(tok, "*?["))
            continue;  /* a glob that matched nothing (e.g. mutants, outside `falsify mutants`) */
        if (!fk_peer_library(tok) || fk_registry_find(&c->reg, tok))
            return 0;
        n++;
    }
    return n > 0;
}

/* Why no kernel answers h's subject here (roles give their own reason). */
static void no_subject_why(const struct fk_ctx *c, const struct fk_hypo *h, char *why, size_t n)
{
    char buf[sizeof h->subject], of[96], r[400];
    snprintf(buf, sizeof buf, "%s", h->subject);
    snprintf(why, n, "no %skernel here matches '%s'", c->mutants ? "mutant " : "", h->subject);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        struct fk_err e;
        if (fk_role_parse(tok, of, sizeof of, &e) != FK_PICK_NONE &&
            !fk_registry_resolve(&c->reg, tok, NULL, c->reg.cpu, r, sizeof r)) {
            snprintf(why, n, "%s: %s", tok, r);
            return;
        }
        /* a peer whose library is not installed: a capability, said so */
        const char *lib = fk_peer_library(tok);
        if (lib && !fk_registry_find(&c->reg, tok)) {
            snprintf(why, n, "%s: peer library not installed: %s", tok, lib);
            return;
        }
    }
}

/* A peer named in h's subject whose library is not installed has no
 * registry entry, so no row would say it was not judged: one UNTESTABLE
 * row each (the hypothesis's other subjects are judged as usual). */
static void absent_peer_rows(const struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h);

static struct fk_krow *krow_get(struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s, int threads,
                                enum fk_cache cache, int create)
{
    for (int i = 0; i < run->nk; i++) {
        struct fk_krow *r = &run->k[i];
        if (r->en == en && r->shape.rows == s->rows && r->shape.cols == s->cols && r->shape.batch == s->batch &&
            r->threads == threads && r->cache == cache)
            return r;
    }
    if (!create)
        return NULL;
    struct fk_krow *nk = realloc(run->k, (size_t)(run->nk + 1) * sizeof *nk);
    if (!nk)
        return NULL;
    run->k = nk;
    struct fk_krow *r = &run->k[run->nk++];
    memset(r, 0, sizeof *r);
    r->en = en;
    r->shape = *s;
    r->threads = threads;
    r->cache = cache;
    return r;
}

/* Correctness is judged once per (kernel, shape): the row with threads 1, hot. */
static struct fk_krow *kcorrect(struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s)
{
    return krow_get(run, en, s, 1, FK_CACHE_HOT, 0);
}

static int krow_add_ns(struct fk_krow *r, double ns)
{
    if (r->nns == r->capns) {
        int cap = r->capns ? r->capns * 2 : 64;
        double *n = realloc(r->ns, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        r->ns = n;
        r->capns = cap;
    }
    r->ns[r->nns++] = ns;
    return 0;
}

static struct fk_hrow *hrow_new(struct fk_run *run, const struct fk_hypo *h, const char *kernel)
{
    struct fk_hrow *nh = realloc(run->h, (size_t)(run->nh + 1) * sizeof *nh);
    if (!nh)
        return NULL;
    run->h = nh;
    struct fk_hrow *r = &run->h[run->nh++];
    memset(r, 0, sizeof *r);
    r->h = h;
    snprintf(r->kernel, sizeof r->kernel, "%s", kernel);
    r->threads = h->nthreads ? h->threads[0] : 1;
    r->figure = r->lo = r->hi = NAN;
    r->median_a_ns = r->median_b_ns = NAN;
    r->between_share = r->timer_res_ns = r->overhead_ns = r->mhz_drift = NAN;
    return r;
}

static void absent_peer_rows(const struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h)
{
    char buf[sizeof h->subject];
    snprintf(buf, sizeof buf, "%s", h->subject);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        const char *lib = fk_peer_library(tok);
        if (!lib || fk_registry_find(&c->reg, tok))
            continue;
        struct fk_hrow *hr = hrow_new(run, h, tok);
        if (!hr)
            return;
        hr->aggregate = 1;
        snprintf(hr->shape, sizeof hr->shape, "all");
        hr->verdict = FK_UNTESTABLE;
        hr->cause = FK_UC_CAPABILITY;  /* a claim against that library, which is not here */
        snprintf(hr->reason, sizeof hr->reason, "peer library not installed: %s", lib);
    }
}

/* ------------------------------------------------------ correctness job */

const struct fk_cost *fk_run_cost(const struct fk_run *run, const struct fk_entry *en, const struct fk_shape *s)
{
    for (int i = 0; i < run->nk; i++) {
        const struct fk_krow *r = &run->k[i];
        if (r->has_cost && r->en == en && r->shape.rows == s->rows && r->shape.cols == s->cols &&
            r->shape.batch == s->batch)
            return &r->cost;
    }
    return NULL;
}

/* A kernel that hung is not run again this run: every further job would
 * only wait for its deadline. */
static const struct fk_krow *hung_before(const struct fk_run *run, const struct fk_entry *en)
{
    for (int i = 0; i < run->nk; i++)
        if (run->k[i].en == en && run->k[i].hung)
            return &run->k[i];
    return NULL;
}

/* Runs the correctness gate (gate.h) for row r in the sandbox, with a
 * deadline from the shape's expected work. */
static void run_correctness(struct fk_ctx *c, struct fk_run *run, struct fk_krow *r)
{
    struct fk_job_out out;
    struct fk_err e;
    char sh[64];
    fk_shape_format(&r->shape, sh, sizeof sh);
    r->checked = 1;
    r->bound = fk_gate_bound(r->en->k, &r->shape, NULL);
    const struct fk_krow *hung = hung_before(run, r->en);
    if (hung) {
        char hs[64];
        fk_shape_format(&hung->shape, hs, sizeof hs);
        r->broken = 1;
        snprintf(r->note, sizeof r->note, "not run: %s hung earlier on %s", r->en->k->name, hs);
        run->kernel_failures++;
        return;
    }
    if (c->progress) {
        char what[160];
        snprintf(what, sizeof what, "%s %s", r->en->k->name, sh);
        fk_progress_begin(c->progress, 0, what);
    }
    struct fk_gate_job j;
    memset(&j, 0, sizeof j);
    j.k = r->en->k;
    j.shape = r->shape;
    j.oracle_dir = c->oracle_dir;
    j.seed = c->seed;
    double deadline = fk_gate_deadline(r->en->k, &r->shape, c->emulated);
    int rc = fk_sandbox_deadline(fk_gate_child, &j, c->in_process, deadline, &out, &e);
    fk_gate_job_free(&j);  /* in-process: what the job left behind, even after a jump */
    if (rc != 0) {
        snprintf(r->note, sizeof r->note, "could not run: %s", e.msg);
        run->kernel_failures++;
        return;
    }
    int got = 0, failed = 0;
    for (int i = 0; i < out.n; i++) {
        const struct fk_msg *m = &out.m[i];
        if (m->type == FK_MSG_ERRSTATS && m->i[0] == 1) {
            r->es32 = m->es;
        } else if (m->type == FK_MSG_ERRSTATS) {
            r->es = m->es;
            got = 1;
        } else if (m->type == FK_MSG_COST) {
            r->cost = (struct fk_cost){m->v[0], m->v[1], m->v[2], m->v[3]};
            r->has_cost = 1;
        } else if (m->type == FK_MSG_FAIL && !failed) {
            snprintf(r->note, sizeof r->note, "%s", m->text);
            failed = 1;
            r->broken |= m->i[0] == FK_FAIL_WRONG;
        }
    }
    if (out.hung) {
        r->crashed = r->hung = r->broken = 1;
        snprintf(r->note, sizeof r->note, "hung: %s after %.0f s (deadline %.0f s from its expected work; %s)",
                 out.where, out.elapsed_s, deadline,
                 c->in_process ? "abandoned by the in-process watchdog" : "its process group killed");
        run->kernel_failures++;
    } else if (out.crashed && out.fault[0]) {
        r->crashed = r->broken = 1;
        snprintf(r->note, sizeof r->note, "out of bounds: %s: %s (%s)", out.where, out.fault,
                 out.signal ? strsignal(out.signal) : "fault");
        run->kernel_failures++;
    } else if (out.crashed) {
        r->crashed = 1;
        snprintf(r->note, sizeof r->note, "crashed: %s (%s)", out.where,
                 out.signal ? strsignal(out.signal) : "non-zero exit");
        run->kernel_failures++;
    } else if (!got) {
        if (!r->note[0])
            snprintf(r->note, sizeof r->note, "no result from correctness job");
        run->kernel_failures++;
    } else if (failed) {
        r->correct = 0;  /* ran, but broke a rule (note says which) */
        run->kernel_failures++;
    } else {
        r->correct = fk_gate_pass(r->en->k, &r->shape, &r->es);
        if (!r->correct) {
            const char *metric;
            double bound = fk_gate_bound(r->en->k, &r->shape, &metric);
            snprintf(r->note, sizeof r->note,
                     "wrong: %s %.4g exceeds the bound %.4g at shape %s seed %u index %lld (%lld non-finite)", metric,
                     strcmp(metric, "gauge_max") == 0 ? r->es.gauge_max : r->es.ulp_max, bound, sh, c->seed,
                     (long long)(strcmp(metric, "gauge_max") == 0 ? r->es.gauge_worst : r->es.ulp_worst),
                     (long long)r->es.nonfinite);
            run->kernel_failures++;
        }
    }
    if (c->progress)
        fk_progress_end(c->progress, r->correct ? "ok" : r->note);
    else if (!c->quiet && (!r->edge || !r->correct))
        fprintf(stderr, "  check %-28s %-12s %s\n", r->en->k->name, sh,
                r->correct ? "ok" : r->note);
    fk_job_out_free(&out);
}

/* The gate's edge and random shapes (gate.h) for every kernel checked so
 * far.  Passing shapes are only counted; a failing one is kept as a
 * kernels.csv row (edge = 1) and fails the kernel's error hypotheses. */
static int run_edge_checks(struct fk_ctx *c, struct fk_run *run, struct fk_err *e)
{
    int nk = run->nk;
    const struct fk_entry **ens = calloc((size_t)(nk ? nk : 1), sizeof *ens);
    struct fk_shape *shapes = calloc((size_t)(nk ? nk : 1) * FK_GATE_MAX_EDGE, sizeof *shapes);
    int *nsh = calloc((size_t)(nk ? nk : 1), sizeof *nsh);
    char **specs = NULL;
    int ne = 0, nspecs = 0, rc = 0;
    if (!ens || !shapes || !nsh) {
        rc = fk_fail(e, "edge shapes: out of memory");
        goto done;
    }
    for (int i = 0; i < nk; i++) {
        const struct fk_entry *en = run->k[i].en;
        int dup = 0;
        for (int q = 0; q < ne; q++)
            dup |= ens[q] == en;
        if (dup || !run->k[i].checked)
            continue;
        ens[ne] = en;
        nsh[ne] = fk_gate_edge_shapes(en->k, run->shape_seed, &shapes[ne * FK_GATE_MAX_EDGE], FK_GATE_MAX_EDGE);
        for (int s = 0; s < nsh[ne]; s++) {
            const struct fk_shape *sh = &shapes[ne * FK_GATE_MAX_EDGE + s];
            if (fk_case_present(c->oracle_dir, en->k->op, sh, c->seed, en->k->weights, en->k->acts))
                continue;
            char spec[160];
            fk_case_spec(en->k->op, sh, c->seed, en->k->weights, en->k->acts, spec, sizeof spec);
            int d = 0;
            for (int q = 0; q < nspecs && !d; q++)
                d = strcmp(specs[q], spec) == 0;
            if (d)
                continue;
            char **ns = realloc(specs, (size_t)(nspecs + 1) * sizeof *ns);
            if (!ns || !(ns[nspecs] = strdup(spec))) {
                specs = ns ? ns : specs;
                rc = fk_fail(e, "edge shapes: out of memory");
                goto done;
            }
            specs = ns;
            nspecs++;
        }
        ne++;
    }
    if (!c->quiet) {
        char msg[256];
        snprintf(msg, sizeof msg, "edge shapes of the gate (cols residues, row_block remainders, a large row index, "
                 "%d random from shape seed %llu): %d kernels", FK_GATE_RANDOM_SHAPES, run->shape_seed, ne);
        if (c->progress)
            fk_progress_note(c->progress, msg);   /* not torn by the live line */
        else
            fprintf(stderr, "%s\n", msg);
    }
    if (fk_oracle_ensure(c, specs, nspecs, e) != 0) {
        rc = -1;
        goto done;
    }
    for (int q = 0; q < ne; q++) {
        for (int s = 0; s < nsh[q]; s++) {
            struct fk_krow r;
            memset(&r, 0, sizeof r);
            r.en = ens[q];
            r.shape = shapes[q * FK_GATE_MAX_EDGE + s];
            r.threads = 1;
            r.edge = 1;
            if (krow_get(run, r.en, &r.shape, 1, FK_CACHE_HOT, 0))
                continue;  /* a hypothesis shape: already checked */
            run_correctness(c, run, &r);
            run->edge_checked++;
            if (r.correct)
                continue;
            struct fk_krow *kept = krow_get(run, r.en, &r.shape, 1, FK_CACHE_HOT, 1);
            if (!kept) {
                rc = fk_fail(e, "edge shapes: out of memory");
                goto done;
            }
            *kept = r;
            char note[sizeof r.note];
            snprintf(note, sizeof note, "%s", r.note);
            snprintf(kept->note, sizeof kept->note, "%s [gate edge shape, shape seed %llu]", note, run->shape_seed);
            if (r.hung)
                break;  /* no further shape of a hung kernel */
        }
    }
done:
    for (int q = 0; q < nspecs; q++)
        free(specs[q]);
    free(specs);
    free(ens);
    free(shapes);
    free(nsh);
    return rc;
}

/* The first gate row of en that failed on an edge shape, or NULL. */
static const struct fk_krow *edge_failure(const struct fk_run *run, const struct fk_entry *en)
{
    for (int i = 0; i < run->nk; i++)
        if (run->k[i].en == en && run->k[i].edge && run->k[i].checked && !run->k[i].correct)
            return &run->k[i];
    return NULL;
}

/* ----------------------------------------------------------- verdicts */

static void judge_error(const struct fk_hypo *h, const struct fk_krow *r, struct fk_hrow *hr, unsigned seed)
{
    if (strcmp(h->metric, "ulp_max") == 0) {
        hr->figure = r->es.ulp_max;
    } else if (strcmp(h->metric, "gauge_p99") == 0) {
        hr->figure = r->es.gauge_p99;
    } else {
        hr->figure = r->es.gauge_max;
    }
    /* deterministic on these inputs: the figure is exact for this case */
    hr->lo = hr->hi = hr->figure;
    hr->n = r->es.n;
    if (r->es.nonfinite || !(hr->figure <= h->threshold)) {
        hr->verdict = FK_FALSIFIED;
        int64_t idx = strcmp(h->metric, "ulp_max") == 0 ? r->es.ulp_worst : r->es.gauge_worst;
        snprintf(hr->reason, sizeof hr->reason, "%s %.4g > %.4g: counterexample seed %u output %lld%s", h->metric,
                 hr->figure, h->threshold, seed, (long long)idx, r->es.nonfinite ? " (non-finite output)" : "");
    } else {
        hr->verdict = FK_SUPPORTED;
    }
}

/* Aggregate of a hypothesis over shapes for one kernel: FALSIFIED if any
 * shape is; SUPPORTED only if all are; the figure is the worst shape's. */
static void aggregate(struct fk_run *run, int first, const struct fk_hypo *h, const char *kernel)
{
    int nf = 0, ns = 0, nu = 0, ni = 0, worst = -1;
    int lower_is_worse = h->kind != FK_KIND_ERROR && h->kind != FK_KIND_LATENCY;
    for (int i = first; i < run->nh; i++) {
        struct fk_hrow *r = &run->h[i];
        switch (r->verdict) {
        case FK_FALSIFIED: nf++; break;
        case FK_SUPPORTED: ns++; break;
        case FK_UNTESTABLE: nu++; break;
        default: ni++; break;
        }
        if (isnan(r->figure))
            continue;
        if (worst < 0 || (run->h[worst].verdict != FK_FALSIFIED && r->verdict == FK_FALSIFIED) ||
            ((run->h[worst].verdict == FK_FALSIFIED) == (r->verdict == FK_FALSIFIED) &&
             (lower_is_worse ? r->figure < run->h[worst].figure : r->figure > run->h[worst].figure)))
            worst = i;
    }
    int total = run->nh - first;
    struct fk_hrow *agg = hrow_new(run, h, kernel);
    if (!agg)
        return;
    agg->aggregate = 1;
    snprintf(agg->shape, sizeof agg->shape, "all");
    if (total > 0) {  /* a group shares its thread count and cache mode */
        agg->threads = run->h[first].threads;
        agg->cache = run->h[first].cache;
    }
    for (int i = first; i < run->nh - 1 && !agg->baseline[0]; i++)
        snprintf(agg->baseline, sizeof agg->baseline, "%s", run->h[i].baseline);
    if (worst >= 0) {
        const struct fk_hrow *w = &run->h[worst];
        agg->figure = w->figure;
        agg->lo = w->lo;
        agg->hi = w->hi;
        agg->n = w->n;
        agg->median_a_ns = w->median_a_ns;
        agg->median_b_ns = w->median_b_ns;
        agg->extra = w->extra;
        agg->replicates = w->replicates;
        agg->between_share = w->between_share;
        agg->timer_res_ns = w->timer_res_ns;
        agg->overhead_ns = w->overhead_ns;
        agg->mhz_drift = w->mhz_drift;
        agg->batch_calls = w->batch_calls;
        snprintf(agg->shape, sizeof agg->shape, "%s", w->shape);
        snprintf(agg->level, sizeof agg->level, "%s", w->level);
    }
    if (nf) {
        agg->verdict = FK_FALSIFIED;
    } else if (ns == total) {
        agg->verdict = FK_SUPPORTED;
    } else if (nu == total) {
        agg->verdict = FK_UNTESTABLE;
        for (int i = first; i < run->nh - 1; i++)  /* the worst cause */
            if (run->h[i].cause > agg->cause)
                agg->cause = run->h[i].cause;
    } else {
        agg->verdict = FK_INCONCLUSIVE;
    }
    /* reason: the worst shape's, else the first shape with the same verdict */
    if (worst >= 0 && run->h[worst].verdict == agg->verdict && run->h[worst].reason[0])
        snprintf(agg->reason, sizeof agg->reason, "%s", run->h[worst].reason);
    for (int i = first; i < run->nh - 1 && !agg->reason[0]; i++) {
        if (run->h[i].verdict == agg->verdict && run->h[i].reason[0]) {
            snprintf(agg->reason, sizeof agg->reason, "at %s: %s", run->h[i].shape, run->h[i].reason);
            break;
        }
    }
    if (!agg->reason[0] && agg->verdict == FK_INCONCLUSIVE)
        snprintf(agg->reason, sizeof agg->reason, "%d of %d shapes undecided or untestable", ni + nu, total);
}

/* ---------------------------------------------------------- timing */

static int is_barrier_name(const char *s) { return strncmp(s, "barrier.", 8) == 0; }

static int barrier_mode(const char *name, enum fk_barrier_mode *m)
{
    if (strcmp(name, "barrier.spin") == 0)
        *m = FK_BARRIER_SPIN;
    else if (strcmp(name, "barrier.pthread") == 0)
        *m = FK_BARRIER_PTHREAD;
    else
        return -1;
    return 0;
}

static void add_sample(struct fk_run *run, const struct fk_hypo *h, const struct fk_arm *arm, const char *shape,
                       int pair, int slot, double ns, long long reps, int replicate)
{
    if (run->ns == run->caps) {
        int cap = run->caps ? run->caps * 2 : 1024;
        struct fk_sample *n = realloc(run->s, (size_t)cap * sizeof *n);
        if (!n)
            return;
        run->s = n;
        run->caps = cap;
    }
    struct fk_sample *x = &run->s[run->ns++];
    snprintf(x->hypothesis, sizeof x->hypothesis, "%s", h->id);
    snprintf(x->arm, sizeof x->arm, "%s", arm->name);
    snprintf(x->shape, sizeof x->shape, "%s", shape);
    x->threads = arm->threads;
    x->cache = arm->cache;
    x->pair = pair;
    x->slot = slot;
    x->ns = ns;
    x->reps = reps;
    x->replicate = replicate;
}

static void kernel_arm(struct fk_arm *a, const struct fk_entry *en, int threads, enum fk_cache cache)
{
    memset(a, 0, sizeof *a);
    a->type = FK_ARM_KERNEL;
    a->en = en;
    a->threads = threads;
    a->cache = cache;
    snprintf(a->name, sizeof a->name, "%s", en->k->name);
}

/* The replicate (0-based, among the valid ones) that pair i belongs to. */
static int sample_rep(const struct fk_timed_out *out, int i)
{
    for (int r = 0; r < out->R; r++) {
        if (i < out->rep_n[r])
            return r;
        i -= out->rep_n[r];
    }
    return -1;
}

/* A timed comparison queued by the planning pass. */
struct fk_tjob {
    struct fk_timed t;
    struct fk_timed_out out;
    char what[300];
    char err[300];               /* a replicate could not be started */
    int same;                    /* >= 0: an identical measurement queued earlier; judged from its samples */
};

/* Two comparisons measure the same thing (same arms, shape, budget and
 * replicate design): one is run, both are judged, each by its own rule. */
static int same_measurement(const struct fk_timed *a, const struct fk_timed *b)
{
    if (a->narms != b->narms || memcmp(&a->shape, &b->shape, sizeof a->shape) != 0 || a->budget_s != b->budget_s ||
        a->min_time_s != b->min_time_s || a->replicates != b->replicates || a->llc_bytes != b->llc_bytes)
        return 0;
    for (int s = 0; s < a->narms; s++) {
        const struct fk_arm *x = &a->arm[s], *y = &b->arm[s];
        if (x->type != y->type || x->en != y->en || x->threads != y->threads || x->cache != y->cache ||
            x->barrier != y->barrier || x->read_bytes != y->read_bytes || strcmp(x->name, y->name) != 0)
            return 0;
    }
    return 1;
}

/* out = a copy of the raw measurement in src (samples and sanity), unjudged. */
static void copy_measurement(struct fk_timed_out *out, const struct fk_timed_out *src)
{
    *out = *src;
    for (int s = 0; s < 2; s++) {
        out->ns[s] = NULL;
        if (src->ns[s] && src->n > 0 && (out->ns[s] = malloc((size_t)src->n * sizeof(double))))
            memcpy(out->ns[s], src->ns[s], (size_t)src->n * sizeof(double));
    }
    if (src->n > 0 && (!out->ns[0] || !out->ns[1])) {  /* out of memory: nothing to judge */
        free(out->ns[0]);
        free(out->ns[1]);
        out->ns[0] = out->ns[1] = NULL;
        out->n = out->R = 0;
    }
    /* the time was spent once: not counted again */
    out->wall_s = 0;
    for (int p = 0; p < 3; p++)
        out->phase_s[p] = 0;
    out->runs = src->runs;
}

struct fk_tqueue {
    struct fk_tjob *job;
    int n, cap;
    int replay;                  /* second pass: rows take their results from job[next] */
    int next;
};

/* Replicate r of every queued comparison before replicate r+1 of any. */
static void run_replicates(const struct fk_ctx *c, struct fk_run *run, struct fk_tqueue *q)
{
    int maxr = 0, total = 0;
    for (int i = 0; i < q->n; i++) {
        if (q->job[i].same >= 0)
            continue;
        int R = fk_timed_replicates(&q->job[i].t);
        maxr = R > maxr ? R : maxr;
        total += R;
    }
    if (c->progress) {
        double guess = 0;   /* a replicate's expected seconds: its share of the budget, or bench's min-time */
        int measured = 0;
        for (int i = 0; i < q->n; i++, measured++) {
            if (q->job[i].same >= 0) {
                measured--;
                continue;
            }
            guess += q->job[i].t.min_time_s > 0 ? q->job[i].t.min_time_s + 0.1
                                                : q->job[i].t.budget_s / fk_timed_replicates(&q->job[i].t);
        }
        fk_progress_plan(c->progress, 0, total, measured ? guess / measured : 0);
    }
    for (int r = 0; r < maxr; r++) {
        for (int i = 0; i < q->n; i++) {
            struct fk_tjob *j = &q->job[i];
            int R = fk_timed_replicates(&j->t);
            if (r >= R || j->same >= 0)
                continue;
            char what[400];
            snprintf(what, sizeof what, "[%d/%d] %s", r + 1, R, j->what);
            if (j->err[0]) {
                if (c->progress)
                    fk_progress_skip(c->progress, 1);
                continue;
            }
            if (c->progress)
                fk_progress_begin(c->progress, 1, what);
            else if (!c->quiet)
                fprintf(stderr, "  time  %s\n", what);
            struct fk_err e;
            int rc = fk_timed_replicate(&j->t, r, &j->out, &e);
            if (rc != 0)
                snprintf(j->err, sizeof j->err, "%s", e.msg);
            if (c->progress)
                fk_progress_end(c->progress, rc != 0 ? "could not run" : j->out.crashed ? "crashed" : "done");
        }
    }
    for (int i = 0; i < q->n; i++)  /* before any judging: the copies are of raw samples */
        if (q->job[i].same >= 0) {
            copy_measurement(&q->job[i].out, &q->job[q->job[i].same].out);
            snprintf(q->job[i].err, sizeof q->job[i].err, "%s", q->job[q->job[i].same].err);
        }
    for (int i = 0; i < q->n; i++) {
        fk_timed_judge(&q->job[i].t, &q->job[i].out);
        if (q->job[i].same >= 0) {
            run->timed_shared++;
            continue;
        }
        run->timed_jobs++;
        run->timed_reps += q->job[i].out.runs;
        run->timed_wall_s += q->job[i].out.wall_s;
        for (int p = 0; p < 3; p++)
            run->timed_phase_s[p] += q->job[i].out.phase_s[p];
    }
}

/* A private folder for the packed weights of slow pack() calls, shared by
 * the replicates of this run only (fk_inst_init_cached). */
static void pack_cache_open(struct fk_ctx *c)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(c->pack_cache, sizeof c->pack_cache, "%s/falsify-pack-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->pack_cache))
        c->pack_cache[0] = 0;  /* no cache: every replicate packs */
}

static void pack_cache_close(struct fk_ctx *c)
{
    if (!c->pack_cache[0])
        return;
    DIR *d = opendir(c->pack_cache);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", c->pack_cache, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(c->pack_cache);
    c->pack_cache[0] = 0;
}

/* Planning pass: queues the timed comparison t of row hr.  Replay pass:
 * fills hr from its replicates, and keeps the raw samples (samples.csv)
 * and the kernel arms' times (kernels.csv). */
static void run_timed(struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h, struct fk_timed *t,
                      struct fk_hrow *hr)
{
    struct fk_tqueue *q = run->tq;
    if (c->plan) {  /* --plan: everything decided except the measurement */
        hr->verdict = FK_INCONCLUSIVE;
        snprintf(hr->reason, sizeof hr->reason, "plan: %s%s%s at %s would be timed", t->arm[0].name,
                 t->narms > 1 ? " vs " : "", t->narms > 1 ? t->arm[1].name : "", hr->shape);
        return;
    }
    if (!q->replay) {
        if (q->n == q->cap) {
            int cap = q->cap ? 2 * q->cap : 32;
            struct fk_tjob *nj = realloc(q->job, (size_t)cap * sizeof *nj);
            if (!nj) {
                hr->verdict = FK_UNTESTABLE;
                hr->cause = FK_UC_FAILED;
                snprintf(hr->reason, sizeof hr->reason, "out of memory");
                return;
            }
            q->job = nj;
            q->cap = cap;
        }
        struct fk_tjob *j = &q->job[q->n++];
        memset(j, 0, sizeof *j);
        j->t = *t;
        j->same = -1;
        for (int i = 0; i < q->n - 1 && j->same < 0; i++)
            if (q->job[i].same < 0 && same_measurement(&q->job[i].t, t))
                j->same = i;
        fk_timed_out_init(&j->out);
        snprintf(j->what, sizeof j->what, "%s: %s%s%s at %s, %d thread(s)%s", h->id, t->arm[0].name,
                 t->narms > 1 ? " vs " : "", t->narms > 1 ? t->arm[1].name : "", hr->shape, t->arm[0].threads,
                 t->arm[0].cache == FK_CACHE_COLD ? ", cold" : "");
        return;
    }
    if (q->next >= q->n) {  /* the two passes planned different rows: a harness bug, said plainly */
        hr->verdict = FK_UNTESTABLE;
        hr->cause = FK_UC_FAILED;
        snprintf(hr->reason, sizeof hr->reason, "internal: replay found no queued comparison");
        return;
    }
    struct fk_tjob *j = &q->job[q->next++];
    struct fk_timed_out out = j->out;
    if (j->err[0] && out.R == 0) {
        hr->verdict = FK_UNTESTABLE;
        hr->cause = FK_UC_FAILED;
        snprintf(hr->reason, sizeof hr->reason, "could not run: %s", j->err);
        return;
    }
    hr->replicates = out.R;
    hr->between_share = out.between_share;
    hr->timer_res_ns = out.timer_res_ns;
    hr->overhead_ns = out.overhead_ns;
    hr->mhz_drift = out.mhz_drift;
    hr->batch_calls = out.reps[0];
    hr->verdict = out.verdict;
    if (hr->verdict == FK_UNTESTABLE)  /* crashed, or no replicate could run */
        hr->cause = FK_UC_FAILED;
    hr->figure = out.fig;
    hr->lo = out.lo;
    hr->hi = out.hi;
    hr->n = out.n;
    hr->median_a_ns = out.median_ns[0];
    hr->median_b_ns = t->narms > 1 ? out.median_ns[1] : NAN;
    if (out.reason[0])
        snprintf(hr->reason, sizeof hr->reason, "%s", out.reason);
    if (out.crashed || out.wrong_arm >= 0)
        run->kernel_failures++;
    for (int s = 0; s < t->narms; s++) {
        struct fk_krow *kr = NULL;
        if (t->arm[s].type == FK_ARM_KERNEL)
            kr = krow_get(run, t->arm[s].en, &t->shape, t->arm[s].threads, t->arm[s].cache, 1);
        if (kr && s == out.wrong_arm) {  /* wrong where it was timed: kernels.csv says so */
            kr->broken = 1;
            snprintf(kr->note, sizeof kr->note, "%s", out.reason);
        }
        for (int i = 0; i < out.n; i++) {
            add_sample(run, h, &t->arm[s], hr->shape, i, s, out.ns[s][i], (long long)out.reps[s], sample_rep(&out, i));
            if (kr)
                krow_add_ns(kr, out.ns[s][i]);
        }
    }
    if (!out.crashed && out.n > 0) {
        switch (h->kind) {
        case FK_KIND_SCALING: {
            double sp = out.fig * t->arm[0].threads, T = t->arm[0].threads;
            hr->extra = (1.0 / sp - 1.0 / T) / (1.0 - 1.0 / T);  /* Karp-Flatt serial fraction */
            if (hr->verdict != FK_SUPPORTED)
                snprintf(hr->reason, sizeof hr->reason,
                         "efficiency %.3g [%.3g, %.3g] at %d threads (speedup %.3g, Karp-Flatt serial fraction %.3g)",
                         out.fig, out.lo, out.hi, t->arm[0].threads, sp, hr->extra);
            break;
        }
        case FK_KIND_ROOFLINE:
            hr->extra = t->arm[1].read_bytes / out.median_ns[1];  /* reference GB/s */
            if (out.lo > FK_MODEL_ERROR_FRACTION)
                snprintf(hr->reason, sizeof hr->reason,
                         "MODEL ERROR: fraction %.3g [%.3g, %.3g] > %.2f: the byte count or the ceiling is wrong, "
                         "not a win", out.fig, out.lo, out.hi, FK_MODEL_ERROR_FRACTION);
            else if (hr->verdict != FK_SUPPORTED)
                snprintf(hr->reason, sizeof hr->reason,
                         "fraction %.3g [%.3g, %.3g] of %s: kernel %.1f GB/s vs read %.1f GB/s over the same bytes",
                         out.fig, out.lo, out.hi, hr->level, t->arm[1].read_bytes / out.median_ns[0], hr->extra);
            break;
        default:
            if (hr->verdict == FK_INCONCLUSIVE && !hr->reason[0])
                snprintf(hr->reason, sizeof hr->reason,
                         "interval [%.3g, %.3g] over %d replicates (%d pairs, budget %.0f s) does not decide %s %.3g",
                         out.lo, out.hi, out.R, out.n, h->budget_s, h->kind == FK_KIND_PARITY ? "1 +-" : "threshold",
                         h->kind == FK_KIND_PARITY ? h->tolerance : h->threshold);
            break;
        }
    }
}

/* Fills t for hypothesis h, subject en (NULL for barrier subjects), shape
 * and thread count; returns 0, or -1 with the reason the pair cannot be
 * timed here (then UNTESTABLE). */
static int plan_timed(struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h, const struct fk_entry *en,
                      const struct fk_shape *sh, int T, struct fk_timed *t, struct fk_hrow *hr, char *why, size_t n)
{
    memset(t, 0, sizeof *t);
    t->c = c;
    t->judge.kind = h->kind;
    t->judge.threshold = h->threshold;
    t->judge.tolerance = h->tolerance;
    t->budget_s = h->budget_s;
    t->min_time_s = h->min_time_s;
    t->replicates = h->replicates;
    t->shape = *sh;
    t->llc_bytes = c->ceilings ? c->ceilings->caches.l3 : 32u << 20;
    hr->cause = FK_UC_NAMING;  /* unless a reason below says otherwise */
    if (c->emulated) {
        snprintf(why, n, "running under emulation: no speed, scaling or roofline verdicts");
        hr->cause = FK_UC_EMULATED;
        return -1;
    }
    if (T > c->ncpu) {
        snprintf(why, n, "needs %d threads on as many cores; %d usable here", T, c->ncpu);
        hr->cause = FK_UC_CORES;
        return -1;
    }
    if (!en) {  /* barrier subjects */
        enum fk_barrier_mode m;
        if (barrier_mode(h->subject, &m) != 0) {
            snprintf(why, n, "unknown harness subject '%s' (barrier.spin, barrier.pthread)", h->subject);
            return -1;
        }
        if (T < 2) {
            snprintf(why, n, "a barrier needs >= 2 threads");
            return -1;
        }
        t->arm[0] = (struct fk_arm){.type = FK_ARM_BARRIER, .threads = T, .barrier = m};
        snprintf(t->arm[0].name, sizeof t->arm[0].name, "%s", h->subject);
        t->narms = 1;
        if (h->kind == FK_KIND_SPEEDUP || h->kind == FK_KIND_PARITY) {
            enum fk_barrier_mode mb;
            if (barrier_mode(h->baseline, &mb) != 0) {
                snprintf(why, n, "baseline '%s' is not a barrier", h->baseline);
                return -1;
            }
            t->arm[1] = (struct fk_arm){.type = FK_ARM_BARRIER, .threads = T, .barrier = mb};
            snprintf(t->arm[1].name, sizeof t->arm[1].name, "%s", h->baseline);
            t->narms = 2;
        }
        return 0;
    }
    if (en->k->flags & FK_KERNEL_EMULATED) {
        snprintf(why, n, "%s runs through a software model: no speed verdict", en->k->name);
        hr->cause = FK_UC_EMULATED;
        return -1;
    }
    struct fk_krow *kr = kcorrect(run, en, sh);
    if (!kr || !kr->correct) {
        snprintf(why, n, "not timed: %s failed correctness at %s", en->k->name, hr->shape);
        hr->cause = FK_UC_FAILED;
        return -1;
    }
    kernel_arm(&t->arm[0], en, T, h->cache);
    t->narms = 2;
    switch (h->kind) {
    case FK_KIND_SPEEDUP:
    case FK_KIND_PARITY: {
        char bwhy[600];
        const struct fk_entry *base = base_of(c, h, en, bwhy, sizeof bwhy);
        if (!base || base->status != FK_RUNNABLE) {
            snprintf(why, n, "baseline %s: %s", h->baseline, base ? base->why : bwhy);
            if (base ? (base->missing & h->needs) || (base->k->flags & FK_KERNEL_PEER) : fk_peer_library(h->baseline) != NULL)
                hr->cause = FK_UC_CAPABILITY;  /* as above; an absent peer library likewise */
            return -1;
        }
        snprintf(hr->baseline, sizeof hr->baseline, "%s", base->k->name);
        struct fk_krow *kb = kcorrect(run, base, sh);
        if (!kb || !kb->correct) {
            snprintf(why, n, "not timed: %s failed correctness at %s", base->k->name, hr->shape);
            hr->cause = FK_UC_FAILED;
            return -1;
        }
        if (base->k->flags & FK_KERNEL_EMULATED) {
            snprintf(why, n, "%s runs through a software model: no speed verdict", base->k->name);
            hr->cause = FK_UC_EMULATED;
            return -1;
        }
        kernel_arm(&t->arm[1], base, T, h->cache);
        return 0;
    }
    case FK_KIND_SCALING:
        if (T < 2) {
            snprintf(why, n, "scaling needs threads >= 2");
            return -1;
        }
        kernel_arm(&t->arm[1], en, 1, h->cache);
        return 0;
    case FK_KIND_ROOFLINE: {
        if (!c->ceilings && !c->plan) {
            snprintf(why, n, "no machine ceilings (run 'falsify machine')");
            hr->cause = FK_UC_FAILED;
            return -1;
        }
        const struct fk_cost *pc = fk_run_cost(run, en, sh);
        static const struct fk_cost plan_cost; /* --plan: nothing ran, no cost() figures */
        if (!pc && c->plan)
            pc = &plan_cost;
        if (!pc) {
            snprintf(why, n, "no cost() figures from %s's correctness job", en->k->name);
            return -1;
        }
        struct fk_cost cost = *pc;
        double bytes = cost.weight_bytes + cost.act_bytes + cost.out_bytes;
        t->arm[1] = (struct fk_arm){.type = FK_ARM_READ, .threads = T, .cache = h->cache, .read_bytes = bytes};
        snprintf(t->arm[1].name, sizeof t->arm[1].name, "read");
        /* round the probe's bytes as the read arm will, so the ratio compares equal bytes */
        t->arm[1].read_bytes = (double)fk_read_round(bytes, T);
        t->ops = cost.ops;
        int q8 = en->k->acts == FK_FMT_Q8_0 || en->k->acts == FK_FMT_Q8_K || en->k->acts == FK_FMT_U8_ASYM;
        if (c->ceilings) {
            t->peak = q8 ? c->ceilings->peak_int8[T] : c->ceilings->peak_f32[T];
            int level = fk_level_of(c->ceilings, bytes, T, h->cache == FK_CACHE_COLD);
            snprintf(hr->level, sizeof hr->level, "%s", fk_level_name(level));
        }
        return 0;
    }
    case FK_KIND_LATENCY:
        t->narms = 1;
        return 0;
    default:
        snprintf(why, n, "kind %s is not timed", fk_kind_name(h->kind));
        return -1;
    }
}

#define FK_AA_MARGIN 0.01

/* The A/A self-check: a kernel against itself through the same machinery.
 * Its ratio's interval should contain 1; if not, the run is biased (order,
 * warm-up or drift effects) and says so. */
static void self_check(struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h, int nh)
{
    for (int i = 0; i < nh; i++) {
        if (h[i].kind != FK_KIND_SPEEDUP || is_barrier_name(h[i].subject))
            continue;
        const struct fk_entry *base = NULL;
        char bwhy[8];
        for (int k = 0; k < c->reg.n && !base; k++)
            if (is_subject(c, &h[i], &c->reg.e[k]) && c->reg.e[k].status == FK_RUNNABLE)
                base = base_of(c, &h[i], &c->reg.e[k], bwhy, sizeof bwhy);
        if (!base || base->status != FK_RUNNABLE || !kcorrect(run, base, &h[i].shapes[0]) ||
            !kcorrect(run, base, &h[i].shapes[0])->correct)
            continue;
        struct fk_hypo *aa = &run->aa;
        memset(aa, 0, sizeof *aa);
        snprintf(aa->id, sizeof aa->id, "AA-self-check");
        snprintf(aa->file, sizeof aa->file, "(built in)");
        snprintf(aa->claim, sizeof aa->claim, "a kernel timed against itself shows ratio 1 (no order or drift bias)");
        snprintf(aa->source, sizeof aa->source, "falsify self-check of its own speed verdicts");
        aa->kind = FK_KIND_PARITY;
        snprintf(aa->subject, sizeof aa->subject, "%s", base->k->name);
        snprintf(aa->baseline, sizeof aa->baseline, "%s", base->k->name);
        aa->shapes[0] = h[i].shapes[0];
        aa->nshapes = 1;
        aa->threads[0] = 1;
        aa->nthreads = 1;
        aa->threshold = 1;
        aa->tolerance = 0.05;
        aa->role = FK_ROLE_CLAIM;
        aa->budget_s = 10;
        struct fk_hrow *hr = hrow_new(run, aa, base->k->name);
        if (!hr)
            return;
        hr->aggregate = 1;
        fk_shape_format(&aa->shapes[0], hr->shape, sizeof hr->shape);
        struct fk_timed t;
        char why[300];
        if (plan_timed(c, run, aa, base, &aa->shapes[0], 1, &t, hr, why, sizeof why) != 0) {
            hr->verdict = FK_UNTESTABLE;
            snprintf(hr->reason, sizeof hr->reason, "%s", why);
            return;
        }
        hr->cause = FK_UC_NONE;
        run_timed(c, run, aa, &t, hr);
        hr = &run->h[run->nh - 1];
        /* biased: the interval excludes ratio 1 by more than FK_AA_MARGIN, an
         * effect that could move a parity (5%) or threshold verdict */
        if (!isnan(hr->lo) && (hr->lo > 1.0 + FK_AA_MARGIN || hr->hi < 1.0 - FK_AA_MARGIN)) {
            run->aa_biased = 1;
            snprintf(hr->reason, sizeof hr->reason,
                     "BIASED: a kernel against itself gives %.4g [%.4g, %.4g], beyond 1 +- %.0f%%: speed verdicts "
                     "of this run carry an order or drift effect of about that size", hr->figure, hr->lo, hr->hi,
                     100 * FK_AA_MARGIN);
        }
        return;
    }
}

/* ---------------------------------------------------------- the driver */

/* Whether every name in a subject list is a variant of the other
 * architecture (x86 ISAs on aarch64, NEON/SVE on x86-64): such a subject
 * matching nothing here is not a run that tested nothing. */
static int subject_for_other_arch(const char *subject)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", subject);
    int n = 0, other = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        const char *v = strrchr(tok, '.');
        v = v ? v + 1 : tok;
        n++;
#if defined(__aarch64__)
        other += strncmp(v, "avx", 3) == 0 || strncmp(v, "amx", 3) == 0 || strncmp(v, "sse", 3) == 0;
#else
        other += strstr(v, "neon") != NULL || strncmp(v, "sve", 3) == 0;
#endif
    }
    return n > 0 && other == n;
}

int fk_check_validate(const struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_err *e)
{
    /* 1. validate every hypothesis against the kernels it names, before running anything */
    for (int i = 0; i < nh; i++) {
        if (is_barrier_name(h[i].subject)) {
            enum fk_barrier_mode m;
            if (barrier_mode(h[i].subject, &m) != 0 ||
                (h[i].baseline[0] && barrier_mode(h[i].baseline, &m) != 0))
                return fk_fail(e, "%s:%d: [%s] harness subjects are barrier.spin and barrier.pthread", h[i].file,
                               h[i].line, h[i].id);
            if (h[i].kind != FK_KIND_LATENCY && h[i].kind != FK_KIND_SPEEDUP && h[i].kind != FK_KIND_PARITY)
                return fk_fail(e, "%s:%d: [%s] a barrier subject takes kind latency, speedup or parity", h[i].file,
                               h[i].line, h[i].id);
            continue;
        }
        for (int k = 0; k < c->reg.n; k++) {
            const struct fk_entry *sub = &c->reg.e[k];
            if (!is_subject(c, &h[i], sub))
                continue;
            char bwhy[8];
            const struct fk_entry *pair[2] = {sub, c->mutants ? NULL : base_of(c, &h[i], sub, bwhy, sizeof bwhy)};
            for (int p = 0; p < 2; p++) {
                const struct fk_entry *en = pair[p];
                for (int s = 0; en && s < h[i].nshapes; s++) {
                    struct fk_err why;
                    if (fk_shape_ok(en->k, &h[i].shapes[s], &why) != 0) {
                        char sh[64];
                        fk_shape_format(&h[i].shapes[s], sh, sizeof sh);
                        return fk_fail(e, "%s:%d: [%s] shape %s invalid for %s: %s", h[i].file, h[i].line, h[i].id,
                                       sh, en->k->name, why.msg);
                    }
                }
            }
        }
    }
    return 0;
}

/* Every hypothesis row (see fk_check_run, step 3). */
static void judge_all(struct fk_ctx *c, struct fk_run *run, const struct fk_hypo *h, int nh)
{
    if (!c->mutants)
        self_check(c, run, h, nh);
    for (int i = 0; i < nh; i++) {
        const struct fk_hypo *hy = &h[i];
        if (hy->needs & ~c->reg.cpu) {  /* the capability the claim is about is absent (or masked) */
            struct fk_hrow *hr = hrow_new(run, hy, "-");
            if (hr) {
                char lack[256];
                hr->aggregate = 1;
                snprintf(hr->shape, sizeof hr->shape, "all");
                hr->verdict = FK_UNTESTABLE;
                hr->cause = FK_UC_CAPABILITY;
                uint64_t lacking = hy->needs & ~c->reg.cpu;
                int masked = c->cpu_detected && (lacking & c->cpu_detected) == lacking;
                snprintf(hr->reason, sizeof hr->reason, "the claim is about %s; %s %s", hy->needs_text,
                         masked ? "--isa masks" : "this CPU lacks", fk_cpu_feature_list(lacking, lack, sizeof lack));
            }
            continue;
        }
        if (is_barrier_name(hy->subject)) {
            for (int ti = 0; ti < hy->nthreads; ti++) {
                int first = run->nh;
                struct fk_hrow *hr = hrow_new(run, hy, hy->subject);
                if (!hr)
                    break;
                hr->threads = hy->threads[ti];
                snprintf(hr->shape, sizeof hr->shape, "-");
                struct fk_timed t;
                char why[300];
                if (plan_timed(c, run, hy, NULL, &hy->shapes[0], hy->threads[ti], &t, hr, why, sizeof why) != 0) {
                    hr->verdict = FK_UNTESTABLE;
                    snprintf(hr->reason, sizeof hr->reason, "%s", why);
                } else {
                    hr->cause = FK_UC_NONE;
                    run_timed(c, run, hy, &t, hr);
                }
                aggregate(run, first, hy, hy->subject);
            }
            continue;
        }
        int matched = 0;
        for (int k = 0; k < c->reg.n; k++) {
            const struct fk_entry *en = &c->reg.e[k];
            if (!is_subject(c, hy, en))
                continue;
            matched++;
            int nt = hy->kind == FK_KIND_ERROR ? 1 : hy->nthreads;
            for (int ti = 0; ti < nt; ti++) {
                int T = hy->threads[ti];
                int first = run->nh;
                for (int s = 0; s < hy->nshapes; s++) {
                    const struct fk_shape *sh = &hy->shapes[s];
                    struct fk_hrow *hr = hrow_new(run, hy, en->k->name);
                    if (!hr)
                        break;
                    hr->threads = T;
                    hr->cache = hy->cache;
                    fk_shape_format(sh, hr->shape, sizeof hr->shape);
                    if (en->status != FK_RUNNABLE) {
                        hr->verdict = FK_UNTESTABLE;
                        /* a peer is always named exactly (roles never pick one): what it
                         * needs is what a claim against it needs */
                        hr->cause = (en->missing & hy->needs) || by_glob(hy, en) || (en->k->flags & FK_KERNEL_PEER)
                                        ? FK_UC_CAPABILITY : FK_UC_NAMING;
                        snprintf(hr->reason, sizeof hr->reason, "%s: %s", en->k->name, en->why);
                        continue;
                    }
                    if (hy->kind == FK_KIND_ERROR) {
                        struct fk_krow *kr = kcorrect(run, en, sh);
                        if (c->plan) {
                            hr->verdict = FK_INCONCLUSIVE;
                            snprintf(hr->reason, sizeof hr->reason, "plan: %s would be checked", en->k->name);
                            continue;
                        }
                        const struct fk_krow *ef = edge_failure(run, en);
                        if (kr && kr->checked && kr->broken && !kr->crashed) {
                            /* outputs that broke a gate rule (bounds, inputs, determinism,
                             * rows) are no evidence for an error claim */
                            hr->verdict = FK_FALSIFIED;
                            snprintf(hr->reason, sizeof hr->reason, "%s", kr->note);
                        } else if (!kr || !kr->checked || kr->crashed || (!kr->correct && kr->es.n == 0)) {
                            hr->cause = FK_UC_FAILED;
                            hr->verdict = c->mutants ? FK_FALSIFIED : FK_UNTESTABLE;
                            snprintf(hr->reason, sizeof hr->reason, "%s", kr ? kr->note : "not checked");
                        } else {
                            judge_error(hy, kr, hr, c->seed);
                            if (!kr->correct && hr->verdict == FK_FALSIFIED)  /* the gate caught it first */
                                snprintf(hr->reason, sizeof hr->reason, "correctness gate: %s", kr->note);
                        }
                        if (ef && hr->verdict != FK_FALSIFIED) {  /* a counterexample at a gate edge shape */
                            char es[64];
                            fk_shape_format(&ef->shape, es, sizeof es);
                            hr->verdict = FK_FALSIFIED;
                            snprintf(hr->reason, sizeof hr->reason, "at gate edge shape %s: %s", es, ef->note);
                        }
                        continue;
                    }
                    struct fk_timed t;
                    char why[300];
                    if (plan_timed(c, run, hy, en, sh, T, &t, hr, why, sizeof why) != 0) {
                        hr->verdict = FK_UNTESTABLE;
                        snprintf(hr->reason, sizeof hr->reason, "%s", why);
                        continue;
                    }
                    hr->cause = FK_UC_NONE;
                    run_timed(c, run, hy, &t, hr);
                }
                aggregate(run, first, hy, en->k->name);
            }
        }
        if (!matched) {
            struct fk_hrow *hr = hrow_new(run, hy, "-");
            int elsewhere = subject_for_other_arch(hy->subject);
            if (hr) {
                hr->aggregate = 1;
                snprintf(hr->shape, sizeof hr->shape, "all");
                hr->verdict = FK_UNTESTABLE;
                hr->cause = c->emulated && hy->kind != FK_KIND_ERROR ? FK_UC_EMULATED
                            : only_absent_peers(c, hy)                     ? FK_UC_CAPABILITY
                                                                           : FK_UC_NAMING;
                no_subject_why(c, hy, hr->reason, sizeof hr->reason);
                if (elsewhere) {
                    size_t l = strlen(hr->reason);
                    snprintf(hr->reason + l, sizeof hr->reason - l, " (kernels of another architecture)");
                }
            }
            if (!c->mutants && hy->role == FK_ROLE_GUARD && !elsewhere)
                run->guard_unmatched++;
        } else if (!c->mutants) {
            absent_peer_rows(c, run, hy);
        }
    }
}

int fk_check_run(struct fk_ctx *c, const struct fk_hypo *h, int nh, struct fk_run *run, struct fk_err *e)
{
    memset(run, 0, sizeof *run);
    if (fk_check_validate(c, h, nh, e) != 0)
        return -1;
    /* 2. correctness rows for every runnable kernel named, oracle vectors first */
    char **specs = NULL;
    int nspecs = 0;
    for (int i = 0; i < nh; i++) {
        for (int k = 0; k < 2 * c->reg.n; k++) {
            /* each subject, then its baseline */
            const struct fk_entry *en = &c->reg.e[k / 2];
            if (!is_subject(c, &h[i], en))
                continue;
            char bwhy[8];
            if (k % 2 == 1 && (c->mutants || !(en = base_of(c, &h[i], en, bwhy, sizeof bwhy))))
                continue;
            if (en->status != FK_RUNNABLE)
                continue;
            for (int s = 0; s < h[i].nshapes; s++) {
                struct fk_krow *r = krow_get(run, en, &h[i].shapes[s], 1, FK_CACHE_HOT, 1);
                if (!r || r->bound > 0)
                    continue;
                r->bound = -1;  /* marks "queued" */
                if (fk_case_present(c->oracle_dir, en->k->op, &r->shape, c->seed, en->k->weights, en->k->acts))
                    continue;
                char spec[160];
                fk_case_spec(en->k->op, &r->shape, c->seed, en->k->weights, en->k->acts, spec, sizeof spec);
                int dup = 0;
                for (int q = 0; q < nspecs; q++)
                    dup |= strcmp(specs[q], spec) == 0;
                if (dup)
                    continue;
                char **ns = realloc(specs, (size_t)(nspecs + 1) * sizeof *ns);
                if (!ns)
                    break;
                specs = ns;
                specs[nspecs++] = strdup(spec);
            }
        }
    }
    int orc = c->plan ? 0 : fk_oracle_ensure(c, specs, nspecs, e);
    for (int q = 0; q < nspecs; q++)
        free(specs[q]);
    free(specs);
    if (orc != 0) {
        fk_run_free(run);  /* nothing judged: nothing kept */
        return -1;
    }
    int nk = run->nk;
    if (c->progress)
        fk_progress_plan(c->progress, c->plan ? 0 : nk, 0, 0);
    else if (!c->quiet && !c->plan)
        fprintf(stderr, "correctness against the oracle (seed %u):\n", c->seed);
    for (int i = 0; i < nk; i++) {
        if (c->plan)
            run->k[i].correct = 1;  /* --plan: assumed, not checked */
        else
            run_correctness(c, run, &run->k[i]);
    }
    run->shape_seed = c->rng_seed;
    if (!c->plan && run_edge_checks(c, run, e) != 0) {
        fk_run_free(run);
        return -1;
    }

    /* 3. hypotheses: a first pass plans every row and queues the timed
     * comparisons; their replicates run interleaved (replicate r of every
     * comparison before replicate r+1 of any), spreading each comparison's
     * replicates over the whole run; a second pass builds the rows again,
     * the timed ones from their replicates. */
    struct fk_tqueue q;
    memset(&q, 0, sizeof q);
    run->tq = &q;
    judge_all(c, run, h, nh);
    pack_cache_open(c);
    run_replicates(c, run, &q);
    pack_cache_close(c);
    run->nh = 0;
    run->guard_unmatched = 0;  /* counted again by the second pass */
    q.replay = 1;
    judge_all(c, run, h, nh);
    run->tq = NULL;
    for (int i = 0; i < q.n; i++)
        fk_timed_out_free(&q.job[i].out);
    free(q.job);
    for (int i = 0; i < run->nh; i++) {
        if (run->h[i].aggregate && run->h[i].verdict == FK_FALSIFIED && run->h[i].h->role == FK_ROLE_GUARD)
            run->guard_falsified++;
        if (run->h[i].aggregate && run->h[i].verdict == FK_UNTESTABLE)
            run->untestable++;
    }
    return 0;
}

static const char *const ucause_names[] = {[FK_UC_NONE] = "", [FK_UC_EMULATED] = "emulated",
                                           [FK_UC_CORES] = "cores", [FK_UC_CAPABILITY] = "capability",
                                           [FK_UC_FAILED] = "failed", [FK_UC_NAMING] = "naming"};

const char *fk_ucause_name(enum fk_ucause u)
{
    return u >= FK_UC_NONE && u <= FK_UC_NAMING ? ucause_names[u] : "?";
}

int fk_untestable_counts(const struct fk_run *run, int counts[FK_UC_COUNT])
{
    int bad = 0;
    for (int u = 0; u < FK_UC_COUNT; u++)
        counts[u] = 0;
    for (int i = 0; i < run->nh; i++) {
        const struct fk_hrow *r = &run->h[i];
        if (r->verdict != FK_UNTESTABLE)
            continue;
        if (r->aggregate)
            counts[r->cause]++;
        bad += r->cause == FK_UC_NAMING || r->cause == FK_UC_FAILED || r->cause == FK_UC_NONE;
    }
    return bad;
}

void fk_run_free(struct fk_run *run)
{
    for (int i = 0; i < run->nk; i++)
        free(run->k[i].ns);
    free(run->k);
    free(run->s);
    free(run->h);
    memset(run, 0, sizeof *run);
}
