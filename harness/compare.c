/* falsify compare DIR...: N machines' results side by side.
 *
 * Each DIR is one results/<machine> folder (machine.csv, hypotheses.csv,
 * kernels.csv; any of them may be missing, not all) or a folder of such
 * folders (results/ itself; per-run sub-folders named runs/ are not
 * machines).  Columns are found by name, so rows may carry any extra
 * (provenance) columns; line ends may be LF or CRLF; quoting is RFC 4180.
 *
 * Printed, in order:
 *   1. the machines (M1..Mn), their CPU and run;
 *   2. measured ceilings (read bandwidth per level, peaks) side by side;
 *   3. the claim x machine verdict matrix: one row per hypothesis id, one
 *      column per machine, every aggregate row of that id counted (a claim
 *      judged on several kernels or thread counts has several);
 *   4. each timed kernel's throughput, GOP/s with its 95% interval, per
 *      machine (key: kernel, shape, threads, cache);
 *   5. each speedup claim's figure and interval per machine, and the ratio
 *      of its figure on each machine to the first machine that has it, with
 *      an interval: did the claim's strength change between machines?
 *
 * The ratio's interval.  Each speedup figure S is a median of paired
 * log-ratios with a distribution-free rank interval [lo, hi] whose coverage
 * is at least 1 - alpha (alpha = 0.05, split across the sequential looks).
 * The two machines' samples are independent (different processes, different
 * hardware), and nothing pairs a sample on one with a sample on the other,
 * so there is no paired statistic to take.  If S_a lies in [lo_a, hi_a] and
 * S_b in [lo_b, hi_b], then S_b / S_a lies in [lo_b / hi_a, hi_b / lo_a]
 * (all positive); by Bonferroni both hold with probability at least
 * 1 - 2 alpha, so that interval covers the true ratio with probability
 * >= 90%, with no assumption on the distributions.  It is conservative (wider
 * than a two-sample interval from the raw samples would be), but it needs
 * only what hypotheses.csv records: samples.csv may be trimmed or absent.
 * The strength changed if the interval excludes 1; otherwise the figures
 * agree within their intervals. */
#include "compare.h"
#include "output.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- CSV */

struct csv {
    char path[4096];
    int ncol, nrow;
    char **hdr;   /* ncol column names */
    char ***rows; /* nrow records of ncol fields */
    int *line;    /* line where each record starts (header = line 1) */
};

struct reader {
    FILE *f;
    const char *path;
    int line; /* current line, 1-based */
    FILE *err;
};

static void free_fields(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void csv_free(struct csv *t)
{
    for (int r = 0; r < t->nrow; r++)
        free_fields(t->rows[r], t->ncol);
    free(t->rows);
    free(t->line);
    free_fields(t->hdr, t->ncol);
    t->rows = NULL;
    t->line = NULL;
    t->hdr = NULL;
    t->nrow = t->ncol = 0;
}

struct buf {
    char *s;
    size_t len, cap;
};

static int buf_put(struct buf *b, char c)
{
    if (b->len + 2 > b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        char *s = realloc(b->s, cap);
        if (!s)
            return -1;
        b->s = s;
        b->cap = cap;
    }
    b->s[b->len++] = c;
    b->s[b->len] = 0;
    return 0;
}

/* Appends a copy of b's text to the field list. */
static int push_field(char ***v, int *n, int *cap, struct buf *b)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 16;
        char **nv = realloc(*v, (size_t)c * sizeof **v);
        if (!nv)
            return -1;
        *v = nv;
        *cap = c;
    }
    char *s = strdup(b->s ? b->s : "");
    if (!s)
        return -1;
    (*v)[(*n)++] = s;
    b->len = 0;
    if (b->s)
        b->s[0] = 0;
    return 0;
}

/* One record.  Returns its field count with *out set (the caller frees), 0 at
 * end of file, -1 on malformed input or no memory (message on r->err).
 * *start: the line the record starts on. */
static int read_record(struct reader *r, char ***out, int *start)
{
    char **v = NULL;
    int n = 0, cap = 0, quoted = 0, after_quote = 0, c;
    struct buf b = {0};
    *start = r->line;
    c = fgetc(r->f);
    if (c == EOF)
        return 0;
    for (;; c = fgetc(r->f)) {
        if (quoted) {
            if (c == EOF) {
                fprintf(r->err, "falsify compare: %s:%d: malformed CSV: quoted field never closed (rule: RFC 4180)\n",
                        r->path, *start);
                goto fail;
            }
            if (c == '"') {
                int d = fgetc(r->f);
                if (d != '"') {
                    quoted = 0;
                    after_quote = 1;
                    if (d != EOF)
                        ungetc(d, r->f);
                    continue;
                }
            }
            if (c == '\n')
                r->line++;
            if (buf_put(&b, (char)c))
                goto oom;
            continue;
        }
        if (c == '\r') {
            int d = fgetc(r->f);
            if (d == '\n')
                c = '\n';
            else if (d != EOF)
                ungetc(d, r->f);
        }
        if (c == ',' || c == '\n' || c == EOF) {
            if (push_field(&v, &n, &cap, &b))
                goto oom;
            after_quote = 0;
            if (c == ',')
                continue;
            if (c == '\n')
                r->line++;
            break;
        }
        if (after_quote) {
            fprintf(r->err, "falsify compare: %s:%d: malformed CSV: '%c' after a closing quote (rule: RFC 4180)\n",
                    r->path, r->line, c);
            goto fail;
        }
        if (c == '"' && b.len == 0) {
            quoted = 1;
            continue;
        }
        if (buf_put(&b, (char)c))
            goto oom;
    }
    free(b.s);
    *out = v;
    return n;
oom:
    fprintf(r->err, "falsify compare: %s:%d: out of memory\n", r->path, *start);
fail:
    free(b.s);
    free_fields(v, n);
    return -1;
}

/* Loads dir/file.  Returns 0, 1 when the file does not exist, -1 on error
 * (message on err; nothing stays allocated). */
static int csv_load(struct csv *t, const char *dir, const char *file, const char *const *need, FILE *err)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s/%s", dir, file);
    FILE *f = fopen(t->path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        fprintf(err, "falsify compare: cannot read %s: %s\n", t->path, strerror(errno));
        return -1;
    }
    struct reader r = {f, t->path, 1, err};
    int start, n, cap = 0;
    n = read_record(&r, &t->hdr, &start);
    if (n <= 0) {
        if (n == 0)
            fprintf(err, "falsify compare: %s:1: empty file (a results CSV starts with its header)\n", t->path);
        goto fail;
    }
    t->ncol = n;
    for (const char *const *k = need; *k; k++) {
        int ok = 0;
        for (int i = 0; i < t->ncol && !ok; i++)
            ok = strcmp(t->hdr[i], *k) == 0;
        if (!ok) {
            fprintf(err, "falsify compare: %s:1: malformed header: no column '%s'\n", t->path, *k);
            goto fail;
        }
    }
    char **fl;
    while ((n = read_record(&r, &fl, &start)) > 0) {
        if (n == 1 && !fl[0][0]) { /* blank line */
            free_fields(fl, n);
            continue;
        }
        if (n != t->ncol) {
            fprintf(err, "falsify compare: %s:%d: malformed CSV: %d fields, the header (line 1) has %d\n", t->path,
                    start, n, t->ncol);
            free_fields(fl, n);
            goto fail;
        }
        if (t->nrow == cap) {
            int c = cap ? 2 * cap : 64;
            char ***rows = realloc(t->rows, (size_t)c * sizeof *rows);
            int *line = rows ? realloc(t->line, (size_t)c * sizeof *line) : NULL;
            if (rows)
                t->rows = rows;
            if (!rows || !line) {
                fprintf(err, "falsify compare: %s:%d: out of memory\n", t->path, start);
                free_fields(fl, n);
                goto fail;
            }
            t->line = line;
            cap = c;
        }
        t->rows[t->nrow] = fl;
        t->line[t->nrow] = start;
        t->nrow++;
    }
    if (n < 0)
        goto fail;
    fclose(f);
    return 0;
fail:
    fclose(f);
    csv_free(t);
    return -1;
}

static int cidx(const struct csv *t, const char *name)
{
    for (int i = 0; i < t->ncol; i++)
        if (strcmp(t->hdr[i], name) == 0)
            return i;
    return -1;
}

static const char *cell(const struct csv *t, int r, const char *name)
{
    int i = cidx(t, name);
    return i < 0 ? "" : t->rows[r][i];
}

/* 1 and *v when s is a finite number, 0 when empty or "-". */
static int num(const char *s, double *v)
{
    char *e;
    if (!*s || !strcmp(s, "-"))
        return 0;
    *v = strtod(s, &e);
    return !*e && isfinite(*v);
}

/* Every named column holds a number or nothing: a word there is an error. */
static int check_numbers(const struct csv *t, const char *const *cols, FILE *err)
{
    for (const char *const *c = cols; *c; c++) {
        int i = cidx(t, *c);
        if (i < 0)
            continue;
        int kind = cidx(t, "kind");
        for (int r = 0; r < t->nrow; r++) {
            const char *s = t->rows[r][i];
            double v;
            /* machine.csv's identity (cpu) and sanity rows hold text in 'value' */
            if (kind >= 0 && (!strcmp(t->rows[r][kind], "cpu") || !strcmp(t->rows[r][kind], "sanity")))
                continue;
            if (*s && strcmp(s, "-") && strcmp(s, "nan") && strcmp(s, "NaN") && !num(s, &v)) {
                fprintf(err, "falsify compare: %s:%d: column '%s' is '%s', not a number\n", t->path, t->line[r], *c,
                        s);
                return -1;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- machines */

struct machine {
    char dir[4096];
    char name[256];
    struct csv m, h, k;
};

static int has_results(const char *dir)
{
    static const char *const files[] = {"machine.csv", "hypotheses.csv", "kernels.csv"};
    char p[4200];
    struct stat st;
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return 1;
    }
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends dir, or its machine sub-folders (sorted; runs/ and hidden ones
 * skipped) when dir holds no results itself. */
static int add_dirs(const char *dir, char ***list, int *n, FILE *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(err, "falsify compare: %s: %s (expected a results/<machine> folder)\n", dir,
                stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
        return -1;
    }
    char **sub = NULL;
    int ns = 0;
    if (has_results(dir)) {
        sub = malloc(sizeof *sub);
        if (!sub || !(sub[0] = strdup(dir))) {
            free(sub);
            fprintf(err, "falsify compare: out of memory\n");
            return -1;
        }
        ns = 1;
    } else {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char p[4200];
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "runs"))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode) || !has_results(p))
                continue;
            char **ns2 = realloc(sub, (size_t)(ns + 1) * sizeof *sub);
            char *s = ns2 ? strdup(p) : NULL;
            if (ns2)
                sub = ns2;
            if (!s) {
                fprintf(err, "falsify compare: out of memory\n");
                free_fields(sub, ns);
                closedir(d);
                return -1;
            }
            sub[ns++] = s;
        }
        if (d)
            closedir(d);
        if (!ns) {
            fprintf(err,
                    "falsify compare: %s: no machine.csv, hypotheses.csv or kernels.csv, and no machine folder "
                    "holding them (run `make falsify` first)\n",
                    dir);
            free(sub);
            return -1;
        }
        if (ns > 1)
            qsort(sub, (size_t)ns, sizeof *sub, by_name);
    }
    char **nl = realloc(*list, (size_t)(*n + ns) * sizeof **list);
    if (!nl) {
        fprintf(err, "falsify compare: out of memory\n");
        free_fields(sub, ns);
        return -1;
    }
    *list = nl;
    memcpy(nl + *n, sub, (size_t)ns * sizeof *sub);
    *n += ns;
    free(sub);
    return 0;
}

static void basename_of(const char *dir, char *out, size_t n)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    const char *s = dir + len;
    while (s > dir && s[-1] != '/')
        s--;
    snprintf(out, n, "%.*s", (int)(dir + len - s), s);
}

static void machine_free(struct machine *m)
{
    csv_free(&m->m);
    csv_free(&m->h);
    csv_free(&m->k);
}

static int machine_load(struct machine *m, const char *dir, FILE *err)
{
    static const char *const mneed[] = {"kind", "name", "threads", "value", NULL};
    static const char *const hneed[] = {"id", "kind", "kernel", "aggregate", "threads", "verdict",
                                        "figure", "ci_lo", "ci_hi", NULL};
    static const char *const kneed[] = {"kernel", "rows", "cols", "threads", "median_ns", "ci_lo_ns",
                                        "ci_hi_ns", "gops_per_s", NULL};
    static const char *const mnum[] = {"threads", "value", NULL};
    static const char *const hnum[] = {"threads", "figure", "ci_lo", "ci_hi", "threshold", NULL};
    static const char *const knum[] = {"rows", "cols", "batch", "threads", "median_ns", "ci_lo_ns", "ci_hi_ns",
                                       "gops_per_s", NULL};
    memset(m, 0, sizeof *m);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    basename_of(dir, m->name, sizeof m->name);
    if (csv_load(&m->m, dir, "machine.csv", mneed, err) < 0 || check_numbers(&m->m, mnum, err) ||
        csv_load(&m->h, dir, "hypotheses.csv", hneed, err) < 0 || check_numbers(&m->h, hnum, err) ||
        csv_load(&m->k, dir, "kernels.csv", kneed, err) < 0 || check_numbers(&m->k, knum, err)) {
        machine_free(m);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- printing */

/* A number in 3 significant digits, "-" when absent. */
static const char *g3(double v, char *b, size_t n)
{
    if (isnan(v))
        snprintf(b, n, "-");
    else
        snprintf(b, n, "%.3g", v);
    return b;
}

/* "fig [lo, hi]" */
static const char *with_ci(double f, double lo, double hi, char *b, size_t n)
{
    char x[3][32];
    if (isnan(f))
        snprintf(b, n, "-");
    else if (isnan(lo) || isnan(hi))
        snprintf(b, n, "%s", g3(f, x[0], 32));
    else
        snprintf(b, n, "%s [%s, %s]", g3(f, x[0], 32), g3(lo, x[1], 32), g3(hi, x[2], 32));
    return b;
}

static double numv(const struct csv *t, int r, const char *col)
{
    double v;
    return num(cell(t, r, col), &v) ? v : NAN;
}

static int is_agg(const struct csv *t, int r) { return !strcmp(cell(t, r, "aggregate"), "yes"); }

static const char *const IDENT[] = {"vendor", "family", "model", "stepping", "microarch", "microcode", NULL};

/* A machine's provenance: each field from the first of its files that has
 * it (the run's date before the ceilings'). */
struct minfo {
    const char *cpu, *date, *git;
    const char *ident[6];
    char id[512];   /* " vendor=... family=..." */
};

static void machine_info(const struct machine *m, struct minfo *in)
{
    const struct csv *src[] = {&m->h, &m->k, &m->m};
    memset(in, 0, sizeof *in);
    in->cpu = in->date = in->git = "";
    for (int s = 0; s < 3; s++) {
        if (!src[s]->nrow)
            continue;
        if (!*in->cpu)
            in->cpu = cell(src[s], 0, "cpu_model");
        /* the latest run's date and commit: a merged folder keeps rows of
         * earlier runs that no later run replaced (ISO dates sort as text) */
        for (int r = 0; r < src[s]->nrow; r++)
            if (strcmp(cell(src[s], r, "date"), in->date) > 0) {
                in->date = cell(src[s], r, "date");
                in->git = cell(src[s], r, "git_commit");
            }
    }
    for (int k = 0; IDENT[k]; k++) {
        in->ident[k] = "";
        for (int s = 0; s < 3; s++)
            if (src[s]->nrow && *cell(src[s], 0, IDENT[k])) {
                in->ident[k] = cell(src[s], 0, IDENT[k]);
                if (strlen(in->id) + 64 < sizeof in->id)
                    snprintf(in->id + strlen(in->id), sizeof in->id - strlen(in->id), " %s=%.40s", IDENT[k],
                             in->ident[k]);
                break;
            }
    }
}

static void print_machines(const struct machine *ms, int n, FILE *out)
{
    fprintf(out, "falsify compare: %d machine%s; ratios are against the first machine that has the row\n", n,
            n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        const struct machine *m = &ms[i];
        struct minfo in;
        machine_info(m, &in);
        fprintf(out, "  M%-2d %-32s %s%s%s  run %s  commit %s  (%s%s%s)\n", i + 1, m->name, *in.cpu ? in.cpu : "?",
                *in.id ? ";" : "", in.id, *in.date ? in.date : "?", *in.git ? in.git : "?",
                m->m.nrow ? "machine.csv " : "", m->h.nrow ? "hypotheses.csv " : "", m->k.nrow ? "kernels.csv" : "");
    }
}

/* Rows of one table, matched across machines by key columns. */
struct keyed {
    char key[512];
    int *row; /* per machine, -1 when absent */
    double sort[3];
};

static int keyed_find(struct keyed *ks, int nk, const char *key)
{
    for (int i = 0; i < nk; i++)
        if (!strcmp(ks[i].key, key))
            return i;
    return -1;
}

/* Adds (or finds) key; returns its index or -1 when out of memory. */
static int keyed_add(struct keyed **ks, int *nk, int *cap, int nm, const char *key)
{
    int i = keyed_find(*ks, *nk, key);
    if (i >= 0)
        return i;
    if (*nk == *cap) {
        int c = *cap ? 2 * *cap : 64;
        struct keyed *n = realloc(*ks, (size_t)c * sizeof *n);
        if (!n)
            return -1;
        *ks = n;
        *cap = c;
    }
    struct keyed *k = &(*ks)[*nk];
    memset(k, 0, sizeof *k);
    snprintf(k->key, sizeof k->key, "%s", key);
    k->row = malloc((size_t)nm * sizeof *k->row);
    if (!k->row)
        return -1;
    for (int j = 0; j < nm; j++)
        k->row[j] = -1;
    return (*nk)++;
}

static void keyed_free(struct keyed *ks, int nk)
{
    for (int i = 0; i < nk; i++)
        free(ks[i].row);
    free(ks);
}

static int by_sort(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->sort[i] != y->sort[i])
            return x->sort[i] < y->sort[i] ? -1 : 1;
    return strcmp(x->key, y->key);
}

enum table { T_MACHINE, T_HYPS, T_KERNELS };

static const struct csv *table_of(const struct machine *m, enum table w)
{
    return w == T_MACHINE ? &m->m : w == T_HYPS ? &m->h : &m->k;
}

/* Writes the key of row r of t; returns 0 to leave the row out. */
typedef int (*key_fn)(const struct csv *t, int r, const void *ctx, char *key, size_t n);

/* Every row of table w of each machine under its key: row[j] = the first
 * matching row of machine j (count = 0) or the number of them (count = 1).
 * Returns 0, or -1 when out of memory (*ks freed). */
static int collect(const struct machine *ms, int n, enum table w, key_fn key, const void *ctx, int count,
                   struct keyed **ks, int *nk)
{
    int cap = 0;
    *ks = NULL;
    *nk = 0;
    for (int j = 0; j < n; j++) {
        const struct csv *t = table_of(&ms[j], w);
        for (int r = 0; r < t->nrow; r++) {
            char k[512];
            if (!key(t, r, ctx, k, sizeof k))
                continue;
            int i = keyed_add(ks, nk, &cap, n, k);
            if (i < 0) {
                keyed_free(*ks, *nk);
                *ks = NULL;
                *nk = 0;
                return -1;
            }
            if (count)
                ks[0][i].row[j] = ks[0][i].row[j] < 0 ? 1 : ks[0][i].row[j] + 1;
            else if (ks[0][i].row[j] < 0)
                ks[0][i].row[j] = r;
        }
    }
    return 0;
}

static void print_header_cols(FILE *out, int n, int w)
{
    for (int j = 0; j < n; j++) {
        char h[16];
        snprintf(h, sizeof h, "M%d", j + 1);
        fprintf(out, " %-*s", w, h);
    }
    fputc('\n', out);
}

static int ceiling_key(const struct csv *t, int r, const void *ctx, char *key, size_t n)
{
    const char *k = cell(t, r, "kind");
    snprintf(key, n, "%-12s %-12s %3s", k, cell(t, r, "name"), cell(t, r, "threads"));
    return !strcmp(k, "read_ceiling") || !strncmp(k, "peak_", 5);
}

/* The ceiling rows of every machine, keyed and in print order. */
static int sorted_ceilings(const struct machine *ms, int n, struct keyed **out, int *nout)
{
    struct keyed *ks;
    int nk;
    if (collect(ms, n, T_MACHINE, ceiling_key, NULL, 0, &ks, &nk))
        return -1;
    /* grouped by (kind, name) in order of first appearance, then by threads */
    for (int i = 0; i < nk; i++) {
        int first = i;
        for (int k = 0; k < i; k++)
            if (!strncmp(ks[k].key, ks[i].key, 25)) {
                first = k;
                break;
            }
        ks[i].sort[0] = first == i ? i : ks[first].sort[0];
        ks[i].sort[1] = atof(ks[i].key + 26);
    }
    if (nk > 1)  /* qsort(NULL, 0, ...) is undefined: no ceilings at all (found by fuzz_compare) */
        qsort(ks, (size_t)nk, sizeof *ks, by_sort);
    *out = ks;
    *nout = nk;
    return 0;
}

static int print_ceilings(const struct machine *ms, int n, FILE *out)
{
    struct keyed *ks;
    int nk;
    if (sorted_ceilings(ms, n, &ks, &nk))
        return -1;
    fprintf(out, "\n== measured ceilings (machine.csv: read GB/s per level, peak GFLOP/s or GOP/s)\n");
    fprintf(out, "%-12s %-12s %3s", "kind", "name", "T");
    print_header_cols(out, n, 10);
    for (int i = 0; i < nk; i++) {
        fprintf(out, "%s", ks[i].key);
        for (int j = 0; j < n; j++) {
            char b[32];
            fprintf(out, " %-10s", g3(ks[i].row[j] < 0 ? NAN : numv(&ms[j].m, ks[i].row[j], "value"), b, sizeof b));
        }
        fputc('\n', out);
    }
    if (!nk)
        fprintf(out, "(no machine.csv ceilings)\n");
    keyed_free(ks, nk);
    return 0;
}

static const char *const VERDICTS[] = {"SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE"};

/* The verdicts of every aggregate row of one hypothesis id on one machine:
 * "SUPPORTED" (one row), "SUPPORTED x3" (all alike), "2S 1F" (mixed), "-". */
static unsigned cell_verdicts(const struct csv *t, const char *id, char *b, size_t n, int count[5])
{
    int total = 0;
    for (int i = 0; i < 5; i++)
        count[i] = 0;
    unsigned set = 0;
    for (int r = 0; r < t->nrow; r++) {
        if (!is_agg(t, r) || strcmp(cell(t, r, "id"), id))
            continue;
        int v = 4;
        for (int i = 0; i < 4; i++)
            if (!strcmp(cell(t, r, "verdict"), VERDICTS[i]))
                v = i;
        count[v]++;
        total++;
        set |= 1u << v;
    }
    int kinds = 0;
    for (int i = 0; i < 5; i++)
        kinds += count[i] > 0;
    if (!total)
        snprintf(b, n, "-");
    else if (kinds == 1) {
        int v = 0;
        while (!(set & (1u << v)))
            v++;
        if (total == 1)
            snprintf(b, n, "%s", v == 4 ? "other" : VERDICTS[v]);
        else
            snprintf(b, n, "%s x%d", v == 4 ? "other" : VERDICTS[v], total);
    }
    else {
        b[0] = 0;
        for (int i = 0; i < 5; i++)
            if (count[i])
                snprintf(b + strlen(b), n - strlen(b), "%s%d%c", b[0] ? " " : "", count[i], "SFIU?"[i]);
    }
    return set;
}

static int id_key(const struct csv *t, int r, const void *ctx, char *key, size_t n)
{
    snprintf(key, n, "%s", cell(t, r, "id"));
    return is_agg(t, r);
}

static int print_matrix(const struct machine *ms, int n, FILE *out)
{
    struct keyed *ks;
    int nk, ndiff = 0;
    if (collect(ms, n, T_HYPS, id_key, NULL, 0, &ks, &nk))
        return -1;
    fprintf(out, "\n== verdicts: claim x machine (aggregate rows of hypotheses.csv; a claim judged on several\n"
                 "   kernels or thread counts counts each: S supported, F falsified, I inconclusive, U untestable)\n");
    fprintf(out, "%-32s %-5s", "hypothesis", "role");
    print_header_cols(out, n, 16);
    for (int i = 0; i < nk; i++) {
        unsigned first = 0, differs = 0;
        int seen = 0;
        const char *role = "";
        for (int j = 0; j < n && !*role; j++)
            if (ks[i].row[j] >= 0)
                role = cell(&ms[j].h, ks[i].row[j], "role");
        fprintf(out, "%-32s %-5s", ks[i].key, role);
        for (int j = 0; j < n; j++) {
            char b[64];
            int count[5];
            unsigned s = cell_verdicts(&ms[j].h, ks[i].key, b, sizeof b, count);
            fprintf(out, " %-16s", b);
            if (s && seen && s != first)
                differs = 1;
            if (s && !seen) {
                first = s;
                seen = 1;
            }
        }
        if (differs)
            ndiff++;
        fprintf(out, "%s\n", differs ? "  differs" : "");
    }
    if (!nk)
        fprintf(out, "(no hypotheses.csv rows)\n");
    else
        fprintf(out, "%d hypotheses, %d with different verdicts between machines\n", nk, ndiff);
    keyed_free(ks, nk);
    return 0;
}

static int timed(const struct csv *t, int r)
{
    const char *st = cell(t, r, "status");
    double med = numv(t, r, "median_ns"), g = numv(t, r, "gops_per_s");
    /* a kernel that failed the oracle or crashed carries its failure, not a time */
    return strcmp(st, "wrong") && strcmp(st, "crashed") && strcmp(st, "error") && strcmp(st, "failed") && med > 0 &&
           g > 0;
}

static void shape_of(const struct csv *t, int r, char *b, size_t n)
{
    const char *bt = cell(t, r, "batch");
    if (*bt && strcmp(bt, "1"))
        snprintf(b, n, "%sx%sx%s", cell(t, r, "rows"), cell(t, r, "cols"), bt);
    else
        snprintf(b, n, "%sx%s", cell(t, r, "rows"), cell(t, r, "cols"));
}

static int kernel_key(const struct csv *t, int r, const void *ctx, char *key, size_t n)
{
    char shape[96];
    shape_of(t, r, shape, sizeof shape);
    snprintf(key, n, "%-26s %-16s %3s %-4s", cell(t, r, "kernel"), shape, cell(t, r, "threads"),
             *cell(t, r, "cache") ? cell(t, r, "cache") : "-");
    return timed(t, r);
}

/* The timed kernel rows of every machine, keyed and in print order. */
static int sorted_kernels(const struct machine *ms, int n, struct keyed **out, int *nout)
{
    struct keyed *ks;
    int nk;
    if (collect(ms, n, T_KERNELS, kernel_key, NULL, 0, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++) {
        int j = 0;
        while (ks[i].row[j] < 0)
            j++;
        const struct csv *t = &ms[j].k;
        int r = ks[i].row[j];
        double b = numv(t, r, "batch");
        ks[i].sort[0] = numv(t, r, "rows") * numv(t, r, "cols") * (b > 0 ? b : 1);
        ks[i].sort[1] = numv(t, r, "threads");
        ks[i].sort[2] = !strcmp(cell(t, r, "cache"), "cold");
    }
    /* by kernel name, then size, threads, cache */
    for (int i = 0; i < nk; i++)
        for (int k = i + 1; k < nk; k++) {
            int c = strncmp(ks[i].key, ks[k].key, 26);
            if (c > 0 || (c == 0 && by_sort(&ks[i], &ks[k]) > 0)) {
                struct keyed x = ks[i];
                ks[i] = ks[k];
                ks[k] = x;
            }
        }
    *out = ks;
    *nout = nk;
    return 0;
}

/* GOP/s of kernels.csv row r with its interval: ops per call = g * med, so
 * the interval of the time maps to GOP/s reversed. */
static void kernel_gops(const struct csv *t, int r, double *g, double *lo, double *hi)
{
    double med = numv(t, r, "median_ns"), tl = numv(t, r, "ci_lo_ns"), th = numv(t, r, "ci_hi_ns");
    *g = numv(t, r, "gops_per_s");
    *lo = th > 0 ? *g * med / th : NAN;
    *hi = tl > 0 ? *g * med / tl : NAN;
}

static int print_throughput(const struct machine *ms, int n, FILE *out)
{
    struct keyed *ks;
    int nk;
    if (sorted_kernels(ms, n, &ks, &nk))
        return -1;
    fprintf(out, "\n== throughput per kernel (kernels.csv: GOP/s at the median time [95%% interval])\n");
    fprintf(out, "%-26s %-16s %3s %-4s", "kernel", "shape", "T", "mode");
    print_header_cols(out, n, 22);
    for (int i = 0; i < nk; i++) {
        fprintf(out, "%s", ks[i].key);
        for (int j = 0; j < n; j++) {
            char b[96] = "-";
            int r = ks[i].row[j];
            if (r >= 0) {
                double g, lo, hi;
                kernel_gops(&ms[j].k, r, &g, &lo, &hi);
                with_ci(g, lo, hi, b, sizeof b);
            }
            fprintf(out, " %-22s", b);
        }
        fputc('\n', out);
    }
    if (!nk)
        fprintf(out, "(no timed kernels.csv rows)\n");
    keyed_free(ks, nk);
    return 0;
}

static int group_key(const struct csv *t, int r, const void *ctx, char *key, size_t n)
{
    snprintf(key, n, "%s T%s %s", cell(t, r, "id"), cell(t, r, "threads"), cell(t, r, "cache"));
    return is_agg(t, r) && !strcmp(cell(t, r, "kind"), "speedup");
}

struct groups {
    const struct keyed *g;
    int n, nm;
};

/* group|kernel, or group| when no machine has more than one row in the group
 * (a claim whose subject is chosen by role may name another kernel per machine) */
static int block_key(const struct csv *t, int r, const void *ctx, char *key, size_t n)
{
    const struct groups *gs = ctx;
    char g[512];
    if (!group_key(t, r, NULL, g, sizeof g))
        return 0;
    int i = keyed_find((struct keyed *)gs->g, gs->n, g), single = 1;
    for (int j = 0; j < gs->nm; j++)
        single &= gs->g[i].row[j] <= 1;
    snprintf(key, n, "%s|%s", g, single ? "" : cell(t, r, "kernel"));
    return 1;
}

/* The speedup rows, one block per claim group (id, threads, cache) and,
 * where a machine has several rows in the group, per kernel. */
static int speedup_blocks(const struct machine *ms, int n, struct keyed **bs, int *nb)
{
    struct keyed *gs;
    int ng;
    if (collect(ms, n, T_HYPS, group_key, NULL, 1, &gs, &ng))
        return -1;
    struct groups ctx = {gs, ng, n};
    int rc = collect(ms, n, T_HYPS, block_key, &ctx, 0, bs, nb);
    keyed_free(gs, ng);
    return rc;
}

/* The first machine with a row in block b: the reference of its ratios. */
static int block_ref(const struct keyed *b, int n)
{
    for (int j = 0; j < n; j++)
        if (b->row[j] >= 0)
            return j;
    return -1;
}

enum cmp_state { CMP_REF, CMP_NOFIG, CMP_NOREF, CMP_NOCI, CMP_DONE };

/* Machine j's speedup figure in block b and its ratio to machine ref's. */
struct cmp {
    double f, lo, hi, ratio, rl, rh;
    enum cmp_state st;
};

static struct cmp speedup_cmp(const struct machine *ms, const struct keyed *b, int j, int ref)
{
    struct cmp c;
    const struct csv *t = &ms[j].h;
    int r = b->row[j];
    c.f = numv(t, r, "figure");
    c.lo = numv(t, r, "ci_lo");
    c.hi = numv(t, r, "ci_hi");
    c.ratio = c.rl = c.rh = NAN;
    c.st = CMP_REF;
    if (j == ref)
        return c;
    const struct csv *a = &ms[ref].h;
    int ra = b->row[ref];
    double fa = numv(a, ra, "figure"), la = numv(a, ra, "ci_lo"), ha = numv(a, ra, "ci_hi");
    if (!(c.f > 0)) {
        c.st = CMP_NOFIG; /* nothing to compare: the verdict says why */
        return c;
    }
    if (!(fa > 0)) {
        c.st = CMP_NOREF;
        return c;
    }
    c.ratio = c.f / fa;
    if (!(c.lo > 0 && c.hi > 0 && la > 0 && ha > 0)) {
        c.st = CMP_NOCI;
        return c;
    }
    c.rl = c.lo / ha;
    c.rh = c.hi / la;
    c.st = CMP_DONE;
    return c;
}

/* "stronger", "weaker" or "same": the ratio's interval against 1. */
static const char *strength(const struct cmp *c)
{
    return c->rl > 1 ? "stronger" : c->rh < 1 ? "weaker" : "same";
}

static int print_speedups(const struct machine *ms, int n, FILE *out)
{
    struct keyed *bs;
    int nb;
    if (speedup_blocks(ms, n, &bs, &nb))
        return -1;
    fprintf(out, "\n== speedup claims: figure [interval] per machine; ratio to the first machine with the row,\n"
                 "   interval [lo_b/hi_a, hi_b/lo_a] (>= 90%% coverage from the two 95%% intervals, Bonferroni)\n");
    int nchanged = 0, ncompared = 0;
    for (int i = 0; i < nb; i++) {
        int ref = block_ref(&bs[i], n);
        const char *thr = cell(&ms[ref].h, bs[i].row[ref], "threshold");
        char gkey[512];
        snprintf(gkey, sizeof gkey, "%s", bs[i].key);
        *strchr(gkey, '|') = 0;
        fprintf(out, "%s (threshold %sx)\n", gkey, *thr ? thr : "?");
        for (int j = 0; j < n; j++) {
            int r = bs[i].row[j];
            if (r < 0) {
                fprintf(out, "  M%-2d -\n", j + 1);
                continue;
            }
            const struct csv *t = &ms[j].h;
            struct cmp c = speedup_cmp(ms, &bs[i], j, ref);
            char b[96], x[3][32];
            char kb[160];
            snprintf(kb, sizeof kb, "%s vs %s", cell(t, r, "kernel"), *cell(t, r, "baseline") ? cell(t, r, "baseline") : "?");
            fprintf(out, "  M%-2d %-46s %-12s %-24s", j + 1, kb, cell(t, r, "verdict"),
                    with_ci(c.f, c.lo, c.hi, b, sizeof b));
            if (c.st == CMP_NOREF)
                fprintf(out, " M%d/M%d: no figure on M%d", j + 1, ref + 1, ref + 1);
            else if (c.st == CMP_NOCI)
                fprintf(out, " M%d/M%d %s: no interval on one side", j + 1, ref + 1, g3(c.ratio, x[0], 32));
            else if (c.st == CMP_DONE) {
                ncompared++;
                nchanged += c.rl > 1 || c.rh < 1;
                const char *sg = strength(&c);
                fprintf(out, " M%d/M%d %s [%s, %s] %s", j + 1, ref + 1, g3(c.ratio, x[0], 32), g3(c.rl, x[1], 32),
                        g3(c.rh, x[2], 32), strcmp(sg, "same") ? sg : "same within the intervals");
            }
            fputc('\n', out);
        }
    }
    if (!nb)
        fprintf(out, "(no speedup rows in hypotheses.csv)\n");
    else
        fprintf(out, "%d machine pairs compared: %d changed strength, %d the same within the intervals\n",
                ncompared, nchanged, ncompared - nchanged);
    keyed_free(bs, nb);
    return 0;
}

/* ---------------------------------------------------------------- csv/json/md */

/* One row of the long ("tidy") table of --format csv/json: one machine's
 * value of one ceiling, claim, kernel or speedup; absent fields NULL/NaN. */
enum tcol {
    TC_TABLE, TC_MACHINE, TC_MNAME, TC_HYP, TC_ROLE, TC_KIND, TC_NAME, TC_KERNEL, TC_BASELINE, TC_SHAPE, TC_THREADS,
    TC_CACHE, TC_VERDICT, TC_SUP, TC_FAL, TC_INC, TC_UNT, TC_OTHER, TC_DIFFERS, TC_GBS, TC_GFLOPS, TC_GOPS,
    TC_GOPS_LO, TC_GOPS_HI, TC_MED, TC_MED_LO, TC_MED_HI, TC_SPEEDUP, TC_SP_LO, TC_SP_HI, TC_THRESHOLD, TC_REF,
    TC_RATIO, TC_RATIO_LO, TC_RATIO_HI, TC_STRENGTH, TC_NOTE, TC_COUNT
};

static const struct fk_col TIDY[TC_COUNT] = {
    [TC_TABLE] = {"table", FK_COL_STR, NULL, 0},
    [TC_MACHINE] = {"machine", FK_COL_STR, NULL, 0},
    [TC_MNAME] = {"machine_name", FK_COL_STR, NULL, 0},
    [TC_HYP] = {"hypothesis", FK_COL_STR, NULL, 0},
    [TC_ROLE] = {"role", FK_COL_STR, NULL, 0},
    [TC_KIND] = {"kind", FK_COL_STR, NULL, 0},
    [TC_NAME] = {"name", FK_COL_STR, NULL, 0},
    [TC_KERNEL] = {"kernel", FK_COL_STR, NULL, 0},
    [TC_BASELINE] = {"baseline", FK_COL_STR, NULL, 0},
    [TC_SHAPE] = {"shape", FK_COL_STR, NULL, 0},
    [TC_THREADS] = {"threads", FK_COL_INT, NULL, 0},
    [TC_CACHE] = {"cache", FK_COL_STR, NULL, 0},
    [TC_VERDICT] = {"verdict", FK_COL_STR, NULL, 0},
    [TC_SUP] = {"supported", FK_COL_INT, NULL, 0},
    [TC_FAL] = {"falsified", FK_COL_INT, NULL, 0},
    [TC_INC] = {"inconclusive", FK_COL_INT, NULL, 0},
    [TC_UNT] = {"untestable", FK_COL_INT, NULL, 0},
    [TC_OTHER] = {"other", FK_COL_INT, NULL, 0},
    [TC_DIFFERS] = {"differs", FK_COL_STR, NULL, 0},
    [TC_GBS] = {"gbytes_per_s", FK_COL_NUM, NULL, 0},
    [TC_GFLOPS] = {"gflops_per_s", FK_COL_NUM, NULL, 0},
    [TC_GOPS] = {"gops_per_s", FK_COL_NUM, NULL, 0},
    [TC_GOPS_LO] = {"gops_per_s_ci_lo", FK_COL_NUM, NULL, 0},
    [TC_GOPS_HI] = {"gops_per_s_ci_hi", FK_COL_NUM, NULL, 0},
    [TC_MED] = {"median_ns", FK_COL_NS, NULL, 0},
    [TC_MED_LO] = {"ci_lo_ns", FK_COL_NS, NULL, 0},
    [TC_MED_HI] = {"ci_hi_ns", FK_COL_NS, NULL, 0},
    [TC_SPEEDUP] = {"speedup", FK_COL_NUM, NULL, 0},
    [TC_SP_LO] = {"speedup_ci_lo", FK_COL_NUM, NULL, 0},
    [TC_SP_HI] = {"speedup_ci_hi", FK_COL_NUM, NULL, 0},
    [TC_THRESHOLD] = {"threshold", FK_COL_NUM, NULL, 0},
    [TC_REF] = {"reference", FK_COL_STR, NULL, 0},
    [TC_RATIO] = {"ratio_to_reference", FK_COL_NUM, NULL, 0},
    [TC_RATIO_LO] = {"ratio_ci_lo", FK_COL_NUM, NULL, 0},
    [TC_RATIO_HI] = {"ratio_ci_hi", FK_COL_NUM, NULL, 0},
    [TC_STRENGTH] = {"strength", FK_COL_STR, NULL, 0},
    [TC_NOTE] = {"note", FK_COL_STR, NULL, 0},
};

struct trow {
    const char *s[TC_COUNT];
    double v[TC_COUNT];
};

static void trow_init(struct trow *t, const char *table, int j, const struct machine *ms, char mbuf[16])
{
    for (int c = 0; c < TC_COUNT; c++) {
        t->s[c] = NULL;
        t->v[c] = NAN;
    }
    snprintf(mbuf, 16, "M%d", j + 1);
    t->s[TC_TABLE] = table;
    t->s[TC_MACHINE] = mbuf;
    t->s[TC_MNAME] = ms[j].name;
}

static void trow_put(struct fk_doc *d, const struct trow *t)
{
    for (int c = 0; c < TC_COUNT; c++) {
        if (TIDY[c].type == FK_COL_STR)
            fk_doc_str(d, t->s[c] ? t->s[c] : "");
        else
            fk_doc_num(d, t->v[c]);
    }
    fk_doc_row_end(d);
}

/* A ceiling's value goes to the field of its unit (machine.csv 'unit';
 * by kind when absent). */
static enum tcol ceiling_col(const struct csv *t, int r)
{
    const char *u = cell(t, r, "unit"), *k = cell(t, r, "kind");
    if (!strcmp(u, "GFLOP/s") || (!*u && !strcmp(k, "peak_f32")))
        return TC_GFLOPS;
    if (!strcmp(u, "GOP/s") || (!*u && !strncmp(k, "peak_", 5)))
        return TC_GOPS;
    return TC_GBS;
}

/* Whether the verdicts of hypothesis id differ between machines. */
static int verdicts_differ(const struct machine *ms, int n, const char *id)
{
    unsigned first = 0;
    int seen = 0;
    for (int j = 0; j < n; j++) {
        char b[64];
        int count[5];
        unsigned s = cell_verdicts(&ms[j].h, id, b, sizeof b, count);
        if (s && seen && s != first)
            return 1;
        if (s && !seen) {
            first = s;
            seen = 1;
        }
    }
    return 0;
}

static void speedup_group(const struct keyed *b, char *g, size_t n)
{
    snprintf(g, n, "%s", b->key);
    *strchr(g, '|') = 0;
}

/* csv/json: the long table (csv: it alone) and the machines. */
static int emit_tidy(struct fk_doc *d, const struct machine *ms, int n)
{
    struct keyed *ks;
    int nk;
    char mb[16];
    struct trow t;
    fk_doc_section(d, "rows", "", TIDY, TC_COUNT);
    if (sorted_ceilings(ms, n, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++)
        for (int j = 0; j < n; j++) {
            int r = ks[i].row[j];
            if (r < 0)
                continue;
            const struct csv *c = &ms[j].m;
            trow_init(&t, "ceiling", j, ms, mb);
            t.s[TC_KIND] = cell(c, r, "kind");
            t.s[TC_NAME] = cell(c, r, "name");
            t.v[TC_THREADS] = numv(c, r, "threads");
            t.v[ceiling_col(c, r)] = numv(c, r, "value");
            trow_put(d, &t);
        }
    keyed_free(ks, nk);
    if (collect(ms, n, T_HYPS, id_key, NULL, 0, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++) {
        int differs = verdicts_differ(ms, n, ks[i].key);
        for (int j = 0; j < n; j++) {
            int r = ks[i].row[j];
            if (r < 0)
                continue;
            char b[64];
            int count[5];
            cell_verdicts(&ms[j].h, ks[i].key, b, sizeof b, count);
            trow_init(&t, "verdicts", j, ms, mb);
            t.s[TC_HYP] = ks[i].key;
            t.s[TC_ROLE] = cell(&ms[j].h, r, "role");
            t.s[TC_KIND] = cell(&ms[j].h, r, "kind");
            t.s[TC_VERDICT] = b;
            for (int v = 0; v < 5; v++)
                t.v[TC_SUP + v] = count[v];
            t.s[TC_DIFFERS] = differs ? "yes" : "no";
            trow_put(d, &t);
        }
    }
    keyed_free(ks, nk);
    if (sorted_kernels(ms, n, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++)
        for (int j = 0; j < n; j++) {
            int r = ks[i].row[j];
            if (r < 0)
                continue;
            const struct csv *k = &ms[j].k;
            char shape[96];
            shape_of(k, r, shape, sizeof shape);
            trow_init(&t, "throughput", j, ms, mb);
            t.s[TC_KERNEL] = cell(k, r, "kernel");
            t.s[TC_SHAPE] = shape;
            t.v[TC_THREADS] = numv(k, r, "threads");
            t.s[TC_CACHE] = cell(k, r, "cache");
            kernel_gops(k, r, &t.v[TC_GOPS], &t.v[TC_GOPS_LO], &t.v[TC_GOPS_HI]);
            t.v[TC_MED] = numv(k, r, "median_ns");
            t.v[TC_MED_LO] = numv(k, r, "ci_lo_ns");
            t.v[TC_MED_HI] = numv(k, r, "ci_hi_ns");
            trow_put(d, &t);
        }
    keyed_free(ks, nk);
    if (speedup_blocks(ms, n, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++) {
        int ref = block_ref(&ks[i], n);
        char rb[16];
        snprintf(rb, sizeof rb, "M%d", ref + 1);
        for (int j = 0; j < n; j++) {
            int r = ks[i].row[j];
            if (r < 0)
                continue;
            const struct csv *h = &ms[j].h;
            struct cmp c = speedup_cmp(ms, &ks[i], j, ref);
            trow_init(&t, "speedup", j, ms, mb);
            t.s[TC_HYP] = cell(h, r, "id");
            t.s[TC_ROLE] = cell(h, r, "role");
            t.s[TC_KIND] = cell(h, r, "kind");
            t.s[TC_KERNEL] = cell(h, r, "kernel");
            t.s[TC_BASELINE] = cell(h, r, "baseline");
            t.v[TC_THREADS] = numv(h, r, "threads");
            t.s[TC_CACHE] = cell(h, r, "cache");
            t.s[TC_VERDICT] = cell(h, r, "verdict");
            t.v[TC_SPEEDUP] = c.f;
            t.v[TC_SP_LO] = c.lo;
            t.v[TC_SP_HI] = c.hi;
            t.v[TC_THRESHOLD] = numv(h, r, "threshold");
            t.s[TC_REF] = rb;
            t.v[TC_RATIO] = c.ratio;
            t.v[TC_RATIO_LO] = c.rl;
            t.v[TC_RATIO_HI] = c.rh;
            t.s[TC_STRENGTH] = c.st == CMP_DONE ? strength(&c) : "";
            t.s[TC_NOTE] = c.st == CMP_REF ? "reference" : c.st == CMP_NOFIG ? "no figure" :
                           c.st == CMP_NOREF ? "no figure on the reference" :
                           c.st == CMP_NOCI ? "no interval on one side" : "";
            trow_put(d, &t);
        }
    }
    keyed_free(ks, nk);
    static const struct fk_col mcols[] = {
        {"machine", FK_COL_STR, NULL, 0},    {"machine_name", FK_COL_STR, NULL, 0}, {"dir", FK_COL_STR, NULL, 0},
        {"cpu_model", FK_COL_STR, NULL, 0},  {"vendor", FK_COL_STR, NULL, 0},       {"family", FK_COL_STR, NULL, 0},
        {"model", FK_COL_STR, NULL, 0},      {"stepping", FK_COL_STR, NULL, 0},     {"microarch", FK_COL_STR, NULL, 0},
        {"microcode", FK_COL_STR, NULL, 0},  {"date", FK_COL_STR, NULL, 0},         {"git_commit", FK_COL_STR, NULL, 0},
        {"machine_csv", FK_COL_STR, NULL, 0}, {"hypotheses_csv", FK_COL_STR, NULL, 0},
        {"kernels_csv", FK_COL_STR, NULL, 0}};
    fk_doc_section(d, "machines", "", mcols, (int)(sizeof mcols / sizeof mcols[0]));
    for (int j = 0; j < n; j++) {
        struct minfo in;
        machine_info(&ms[j], &in);
        snprintf(mb, sizeof mb, "M%d", j + 1);
        fk_doc_str(d, mb);
        fk_doc_str(d, ms[j].name);
        fk_doc_str(d, ms[j].dir);
        fk_doc_str(d, in.cpu);
        for (int k = 0; IDENT[k]; k++)
            fk_doc_str(d, in.ident[k]);
        fk_doc_str(d, in.date);
        fk_doc_str(d, in.git);
        fk_doc_str(d, ms[j].m.nrow ? "yes" : "no");
        fk_doc_str(d, ms[j].h.nrow ? "yes" : "no");
        fk_doc_str(d, ms[j].k.nrow ? "yes" : "no");
        fk_doc_row_end(d);
    }
    return 0;
}

#define MD_MAX_MACHINES 56   /* output.c's 64 columns, less the widest section's key columns */

/* Columns: the key columns, then M1..Mn (titles in mt, alive until the doc ends). */
static int wide_cols(struct fk_col *cols, const struct fk_col *key, int nkey, int n, char (*mt)[8])
{
    for (int c = 0; c < nkey; c++)
        cols[c] = key[c];
    for (int j = 0; j < n; j++) {
        snprintf(mt[j], 8, "M%d", j + 1);
        cols[nkey + j] = (struct fk_col){mt[j], FK_COL_STR, NULL, 0};
    }
    return nkey + n;
}

/* md: the sections of the table format, as pipe tables. */
static int emit_wide(struct fk_doc *d, const struct machine *ms, int n, char (*mt)[8])
{
    struct fk_col cols[64];
    struct keyed *ks;
    int nk;
    char b[128], line[160];
    static const struct fk_col mkey[] = {
        {"machine", FK_COL_STR, NULL, 0}, {"name", FK_COL_STR, NULL, 0},  {"cpu", FK_COL_STR, NULL, 0},
        {"identity", FK_COL_STR, NULL, 0}, {"run", FK_COL_STR, NULL, 0}, {"commit", FK_COL_STR, NULL, 0},
        {"files", FK_COL_STR, NULL, 0}};
    snprintf(line, sizeof line, "machines (%d; ratios are against the first machine that has the row)", n);
    fk_doc_section(d, "machines", line, mkey, 7);
    for (int j = 0; j < n; j++) {
        struct minfo in;
        machine_info(&ms[j], &in);
        char files[64];
        snprintf(files, sizeof files, "%s%s%s", ms[j].m.nrow ? "machine.csv " : "", ms[j].h.nrow ? "hypotheses.csv " : "",
                 ms[j].k.nrow ? "kernels.csv" : "");
        if (files[0] && files[strlen(files) - 1] == ' ')
            files[strlen(files) - 1] = 0;
        snprintf(b, sizeof b, "M%d", j + 1);
        fk_doc_str(d, b);
        fk_doc_str(d, ms[j].name);
        fk_doc_str(d, *in.cpu ? in.cpu : "?");
        fk_doc_str(d, in.id[0] ? in.id + 1 : "");
        fk_doc_str(d, *in.date ? in.date : "?");
        fk_doc_str(d, *in.git ? in.git : "?");
        fk_doc_str(d, files);
        fk_doc_row_end(d);
    }

    static const struct fk_col ckey[] = {
        {"kind", FK_COL_STR, NULL, 0}, {"name", FK_COL_STR, NULL, 0}, {"threads", FK_COL_INT, "T", 0}};
    fk_doc_section(d, "ceilings", "measured ceilings (machine.csv: read GB/s per level, peak GFLOP/s or GOP/s)", cols,
                   wide_cols(cols, ckey, 3, n, mt));
    if (sorted_ceilings(ms, n, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++) {
        int r0 = block_ref(&ks[i], n);
        const struct csv *c0 = &ms[r0].m;
        fk_doc_str(d, cell(c0, ks[i].row[r0], "kind"));
        fk_doc_str(d, cell(c0, ks[i].row[r0], "name"));
        fk_doc_num(d, numv(c0, ks[i].row[r0], "threads"));
        for (int j = 0; j < n; j++)
            fk_doc_str(d, g3(ks[i].row[j] < 0 ? NAN : numv(&ms[j].m, ks[i].row[j], "value"), b, sizeof b));
        fk_doc_row_end(d);
    }
    if (!nk)
        fk_doc_footer(d, "(no machine.csv ceilings)");
    keyed_free(ks, nk);

    static const struct fk_col vkey[] = {{"hypothesis", FK_COL_STR, NULL, 0}, {"role", FK_COL_STR, NULL, 0}};
    int nc = wide_cols(cols, vkey, 2, n, mt);
    cols[nc++] = (struct fk_col){"differs", FK_COL_STR, NULL, 0};
    fk_doc_section(d, "verdicts",
                   "verdicts: claim x machine (aggregate rows of hypotheses.csv; a claim judged on several kernels or "
                   "thread counts counts each: S supported, F falsified, I inconclusive, U untestable)",
                   cols, nc);
    if (collect(ms, n, T_HYPS, id_key, NULL, 0, &ks, &nk))
        return -1;
    int ndiff = 0;
    for (int i = 0; i < nk; i++) {
        int r0 = block_ref(&ks[i], n);
        fk_doc_str(d, ks[i].key);
        fk_doc_str(d, cell(&ms[r0].h, ks[i].row[r0], "role"));
        for (int j = 0; j < n; j++) {
            int count[5];
            cell_verdicts(&ms[j].h, ks[i].key, b, sizeof b, count);
            fk_doc_str(d, b);
        }
        int differs = verdicts_differ(ms, n, ks[i].key);
        ndiff += differs;
        fk_doc_str(d, differs ? "differs" : "");
        fk_doc_row_end(d);
    }
    if (!nk)
        fk_doc_footer(d, "(no hypotheses.csv rows)");
    else {
        snprintf(line, sizeof line, "%d hypotheses, %d with different verdicts between machines", nk, ndiff);
        fk_doc_footer(d, line);
    }
    keyed_free(ks, nk);

    static const struct fk_col kkey[] = {{"kernel", FK_COL_STR, NULL, 0}, {"shape", FK_COL_STR, NULL, 0},
                                         {"threads", FK_COL_INT, "T", 0}, {"cache", FK_COL_STR, "mode", 0}};
    fk_doc_section(d, "throughput", "throughput per kernel (kernels.csv: GOP/s at the median time [95% interval])",
                   cols, wide_cols(cols, kkey, 4, n, mt));
    if (sorted_kernels(ms, n, &ks, &nk))
        return -1;
    for (int i = 0; i < nk; i++) {
        int r0 = block_ref(&ks[i], n);
        const struct csv *k0 = &ms[r0].k;
        int r = ks[i].row[r0];
        shape_of(k0, r, b, sizeof b);
        fk_doc_str(d, cell(k0, r, "kernel"));
        fk_doc_str(d, b);
        fk_doc_num(d, numv(k0, r, "threads"));
        fk_doc_str(d, *cell(k0, r, "cache") ? cell(k0, r, "cache") : "-");
        for (int j = 0; j < n; j++) {
            double g = NAN, lo = NAN, hi = NAN;
            if (ks[i].row[j] >= 0)
                kernel_gops(&ms[j].k, ks[i].row[j], &g, &lo, &hi);
            fk_doc_str(d, with_ci(g, lo, hi, b, sizeof b));
        }
        fk_doc_row_end(d);
    }
    if (!nk)
        fk_doc_footer(d, "(no timed kernels.csv rows)");
    keyed_free(ks, nk);

    static const struct fk_col skey[] = {
        {"claim", FK_COL_STR, NULL, 0},   {"threshold", FK_COL_STR, NULL, 0}, {"machine", FK_COL_STR, NULL, 0},
        {"kernel vs baseline", FK_COL_STR, NULL, 0}, {"verdict", FK_COL_STR, NULL, 0},
        {"speedup", FK_COL_STR, "speedup [95% CI]", 0}, {"ratio", FK_COL_STR, "ratio to reference [interval]", 0},
        {"strength", FK_COL_STR, NULL, 0}};
    fk_doc_section(d, "speedups",
                   "speedup claims: figure [interval] per machine; ratio to the first machine with the row, interval "
                   "[lo_b/hi_a, hi_b/lo_a] (>= 90% coverage from the two 95% intervals, Bonferroni)",
                   skey, 8);
    if (speedup_blocks(ms, n, &ks, &nk))
        return -1;
    int nchanged = 0, ncompared = 0;
    for (int i = 0; i < nk; i++) {
        int ref = block_ref(&ks[i], n);
        char g[512];
        speedup_group(&ks[i], g, sizeof g);
        const char *thr = cell(&ms[ref].h, ks[i].row[ref], "threshold");
        for (int j = 0; j < n; j++) {
            int r = ks[i].row[j];
            if (r < 0)
                continue;
            const struct csv *h = &ms[j].h;
            struct cmp c = speedup_cmp(ms, &ks[i], j, ref);
            char kb[160], x[3][32], rt[128];
            fk_doc_str(d, g);
            snprintf(kb, sizeof kb, "%sx", *thr ? thr : "?");
            fk_doc_str(d, kb);
            snprintf(kb, sizeof kb, "M%d", j + 1);
            fk_doc_str(d, kb);
            snprintf(kb, sizeof kb, "%s vs %s", cell(h, r, "kernel"), *cell(h, r, "baseline") ? cell(h, r, "baseline") : "?");
            fk_doc_str(d, kb);
            fk_doc_str(d, cell(h, r, "verdict"));
            fk_doc_str(d, with_ci(c.f, c.lo, c.hi, b, sizeof b));
            rt[0] = 0;
            if (c.st == CMP_NOREF)
                snprintf(rt, sizeof rt, "M%d/M%d: no figure on M%d", j + 1, ref + 1, ref + 1);
            else if (c.st == CMP_NOCI)
                snprintf(rt, sizeof rt, "M%d/M%d %s: no interval on one side", j + 1, ref + 1, g3(c.ratio, x[0], 32));
            else if (c.st == CMP_DONE) {
                ncompared++;
                nchanged += c.rl > 1 || c.rh < 1;
                snprintf(rt, sizeof rt, "M%d/M%d %s [%s, %s]", j + 1, ref + 1, g3(c.ratio, x[0], 32),
                         g3(c.rl, x[1], 32), g3(c.rh, x[2], 32));
            }
            fk_doc_str(d, rt);
            fk_doc_str(d, c.st == CMP_DONE ? strength(&c) : c.st == CMP_REF ? "reference" : "");
            fk_doc_row_end(d);
        }
    }
    if (!nk)
        fk_doc_footer(d, "(no speedup rows in hypotheses.csv)");
    else {
        snprintf(line, sizeof line, "%d machine pairs compared: %d changed strength, %d the same within the intervals",
                 ncompared, nchanged, ncompared - nchanged);
        fk_doc_footer(d, line);
    }
    keyed_free(ks, nk);
    return 0;
}

int fk_compare(int n, char *const *dirs, FILE *out, FILE *err)
{
    return fk_compare_format(n, dirs, FK_OUT_TABLE, out, err);
}

int fk_compare_format(int n, char *const *dirs, enum fk_out_format fmt, FILE *out, FILE *err)
{
    char **list = NULL;
    int nl = 0, rc = 2, loaded = 0;
    struct machine *ms = NULL;
    if (n < 1) {
        fprintf(err, "falsify compare: no folder given (usage: falsify compare DIR...)\n");
        return 2;
    }
    for (int i = 0; i < n; i++)
        if (add_dirs(dirs[i], &list, &nl, err))
            goto done;
    ms = calloc((size_t)nl, sizeof *ms);
    if (!ms) {
        fprintf(err, "falsify compare: out of memory\n");
        goto done;
    }
    for (; loaded < nl; loaded++)
        if (machine_load(&ms[loaded], list[loaded], err))
            goto done;
    if (fmt != FK_OUT_TABLE) {
        if (fmt == FK_OUT_MD && nl > MD_MAX_MACHINES) {
            fprintf(err, "falsify compare: --format md puts each machine in a column: at most %d machines, got %d "
                         "(csv and json have no limit)\n", MD_MAX_MACHINES, nl);
            goto done;
        }
        char (*mt)[8] = fmt == FK_OUT_MD ? calloc((size_t)nl, sizeof *mt) : NULL;
        struct fk_doc *d = fk_doc_new(out, fmt, "falsify.compare/1", 0);
        if (!d || (fmt == FK_OUT_MD && !mt)) {
            free(mt);
            fk_doc_end(d);
            fprintf(err, "falsify compare: out of memory\n");
            goto done;
        }
        fk_doc_meta_num(d, "machines", nl);
        fk_doc_meta(d, "ratio_reference", "the first machine that has the row");
        fk_doc_meta(d, "ratio_interval",
                    "[lo_b/hi_a, hi_b/lo_a] from the two 95% intervals: >= 90% coverage (Bonferroni)");
        int bad = fmt == FK_OUT_MD ? emit_wide(d, ms, nl, mt) : emit_tidy(d, ms, nl);
        if (fk_doc_end(d) != 0 || bad) {
            fprintf(err, "falsify compare: %s\n", bad ? "out of memory" : "write error on the output");
            free(mt);
            goto done;
        }
        free(mt);
        rc = 0;
        goto done;
    }
    print_machines(ms, nl, out);
    if (print_ceilings(ms, nl, out) || print_matrix(ms, nl, out) || print_throughput(ms, nl, out) ||
        print_speedups(ms, nl, out)) {
        fprintf(err, "falsify compare: out of memory\n");
        goto done;
    }
    rc = 0;
done:
    for (int i = 0; i < loaded; i++)
        machine_free(&ms[i]);
    free(ms);
    free_fields(list, nl);
    return rc;
}
