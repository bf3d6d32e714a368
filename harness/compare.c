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

static void print_machines(const struct machine *ms, int n, FILE *out)
{
    static const char *const ident[] = {"vendor", "family", "model", "stepping", "microarch", "microcode", NULL};
    fprintf(out, "falsify compare: %d machine%s; ratios are against the first machine that has the row\n", n,
            n == 1 ? "" : "s");
    for (int i = 0; i < n; i++) {
        const struct machine *m = &ms[i];
        const struct csv *src[] = {&m->h, &m->k, &m->m}; /* the run's date before the ceilings' */
        const char *cpu = "", *date = "", *git = "";
        char id[512] = "";
        for (int s = 0; s < 3; s++) {
            if (!src[s]->nrow)
                continue;
            if (!*cpu)
                cpu = cell(src[s], 0, "cpu_model");
            if (!*date)
                date = cell(src[s], 0, "date");
            if (!*git)
                git = cell(src[s], 0, "git_commit");
        }
        for (const char *const *k = ident; *k; k++) /* each from the first file that has it */
            for (int s = 0; s < 3; s++)
                if (src[s]->nrow && *cell(src[s], 0, *k)) {
                    if (strlen(id) + 64 < sizeof id)
                        snprintf(id + strlen(id), sizeof id - strlen(id), " %s=%.40s", *k, cell(src[s], 0, *k));
                    break;
                }
        fprintf(out, "  M%-2d %-32s %s%s%s  run %s  commit %s  (%s%s%s)\n", i + 1, m->name, *cpu ? cpu : "?",
                *id ? ";" : "", id, *date ? date : "?", *git ? git : "?", m->m.nrow ? "machine.csv " : "",
                m->h.nrow ? "hypotheses.csv " : "", m->k.nrow ? "kernels.csv" : "");
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

static int print_ceilings(const struct machine *ms, int n, FILE *out)
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
static unsigned cell_verdicts(const struct csv *t, const char *id, char *b, size_t n)
{
    int count[5] = {0}, total = 0;
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
            unsigned s = cell_verdicts(&ms[j].h, ks[i].key, b, sizeof b);
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

static int print_throughput(const struct machine *ms, int n, FILE *out)
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
    fprintf(out, "\n== throughput per kernel (kernels.csv: GOP/s at the median time [95%% interval])\n");
    fprintf(out, "%-26s %-16s %3s %-4s", "kernel", "shape", "T", "mode");
    print_header_cols(out, n, 22);
    for (int i = 0; i < nk; i++) {
        fprintf(out, "%s", ks[i].key);
        for (int j = 0; j < n; j++) {
            char b[96] = "-";
            int r = ks[i].row[j];
            if (r >= 0) {
                const struct csv *t = &ms[j].k;
                double g = numv(t, r, "gops_per_s"), med = numv(t, r, "median_ns");
                double lo = numv(t, r, "ci_lo_ns"), hi = numv(t, r, "ci_hi_ns");
                /* ops per call = g * med; the interval of the time maps to GOP/s reversed */
                with_ci(g, hi > 0 ? g * med / hi : NAN, lo > 0 ? g * med / lo : NAN, b, sizeof b);
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

static int print_speedups(const struct machine *ms, int n, FILE *out)
{
    struct keyed *gs, *bs;
    int ng, nb;
    if (collect(ms, n, T_HYPS, group_key, NULL, 1, &gs, &ng))
        return -1;
    struct groups ctx = {gs, ng, n};
    int rc = collect(ms, n, T_HYPS, block_key, &ctx, 0, &bs, &nb);
    keyed_free(gs, ng);
    if (rc)
        return -1;
    fprintf(out, "\n== speedup claims: figure [interval] per machine; ratio to the first machine with the row,\n"
                 "   interval [lo_b/hi_a, hi_b/lo_a] (>= 90%% coverage from the two 95%% intervals, Bonferroni)\n");
    int nchanged = 0, ncompared = 0;
    for (int i = 0; i < nb; i++) {
        int ref = -1;
        const char *thr = "";
        for (int j = 0; j < n && ref < 0; j++)
            if (bs[i].row[j] >= 0) {
                ref = j;
                thr = cell(&ms[j].h, bs[i].row[j], "threshold");
            }
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
            double f = numv(t, r, "figure"), lo = numv(t, r, "ci_lo"), hi = numv(t, r, "ci_hi");
            char b[96], x[3][32];
            char kb[160];
            snprintf(kb, sizeof kb, "%s vs %s", cell(t, r, "kernel"), *cell(t, r, "baseline") ? cell(t, r, "baseline") : "?");
            fprintf(out, "  M%-2d %-46s %-12s %-24s", j + 1, kb, cell(t, r, "verdict"), with_ci(f, lo, hi, b, sizeof b));
            if (j != ref) {
                const struct csv *a = &ms[ref].h;
                int ra = bs[i].row[ref];
                double fa = numv(a, ra, "figure"), la = numv(a, ra, "ci_lo"), ha = numv(a, ra, "ci_hi");
                if (!(f > 0))
                    ; /* nothing to compare: the verdict says why */
                else if (!(fa > 0))
                    fprintf(out, " M%d/M%d: no figure on M%d", j + 1, ref + 1, ref + 1);
                else if (!(lo > 0 && hi > 0 && la > 0 && ha > 0))
                    fprintf(out, " M%d/M%d %s: no interval on one side", j + 1, ref + 1, g3(f / fa, x[0], 32));
                else {
                    double rl = lo / ha, rh = hi / la;
                    ncompared++;
                    nchanged += rl > 1 || rh < 1;
                    fprintf(out, " M%d/M%d %s [%s, %s] %s", j + 1, ref + 1, g3(f / fa, x[0], 32), g3(rl, x[1], 32),
                            g3(rh, x[2], 32),
                            rl > 1 ? "stronger" : rh < 1 ? "weaker" : "same within the intervals");
                }
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

int fk_compare(int n, char *const *dirs, FILE *out, FILE *err)
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
