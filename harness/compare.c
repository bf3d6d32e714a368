/* falsify compare DIR_A DIR_B: ceilings (machine.csv), aggregate hypothesis verdicts
 * that differ (hypotheses.csv, keyed by id + kernel + threads) and speedups. */
#include "compare.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 64

struct table {
    char path[4096];
    int ncol, nrow;
    char *hdr[MAXF];
    char ***rows;           /* rows[r][c] */
};

/* One CSV record (RFC 4180 quotes, "" escapes) from f into fields; NULL at EOF. */
static int read_record(FILE *f, char **fields, int max)
{
    int n = 0, c, quoted = 0, any = 0;
    size_t len = 0, cap = 64;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        c = fgetc(f);
        if (c == EOF && !any) {
            free(buf);
            return -1;
        }
        any = 1;
        if (quoted) {
            if (c == EOF)
                break;
            if (c == '"') {
                int d = fgetc(f);
                if (d == '"') {
                    c = '"';
                } else {
                    quoted = 0;
                    if (d != EOF)
                        ungetc(d, f);
                    continue;
                }
            }
        } else if (c == '"') {
            quoted = 1;
            continue;
        } else if (c == ',' || c == '\n' || c == EOF) {
            if (len && buf[len - 1] == '\r')
                len--;
            buf[len] = 0;
            if (n < max)
                fields[n++] = strdup(buf);
            len = 0;
            if (c != ',')
                break;
            continue;
        }
        if (len + 2 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
        }
        buf[len++] = (char)c;
    }
    free(buf);
    return n;
}

static int load(struct table *t, const char *dir, const char *file, const char *const *need)
{
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s/%s", dir, file);
    FILE *f = fopen(t->path, "r");
    if (!f) {
        fprintf(stderr, "falsify compare: cannot read %s: %s\n", t->path, strerror(errno));
        return -1;
    }
    t->ncol = read_record(f, t->hdr, MAXF);
    if (t->ncol <= 0) {
        fprintf(stderr, "falsify compare: %s is empty (no CSV header)\n", t->path);
        fclose(f);
        return -1;
    }
    for (const char *const *n = need; *n; n++) {
        int ok = 0;
        for (int i = 0; i < t->ncol; i++)
            ok |= strcmp(t->hdr[i], *n) == 0;
        if (!ok) {
            fprintf(stderr, "falsify compare: %s is malformed: no column '%s'\n", t->path, *n);
            fclose(f);
            return -1;
        }
    }
    int cap = 0;
    char *fl[MAXF];
    int n;
    while ((n = read_record(f, fl, MAXF)) >= 0) {
        if (n == 1 && !fl[0][0]) {
            free(fl[0]);
            continue;
        }
        if (n != t->ncol) {
            fprintf(stderr, "falsify compare: %s is malformed: record %d has %d fields, header has %d\n",
                    t->path, t->nrow + 2, n, t->ncol);
            fclose(f);
            return -1;
        }
        if (t->nrow == cap) {
            cap = cap ? cap * 2 : 64;
            t->rows = realloc(t->rows, cap * sizeof *t->rows);
        }
        t->rows[t->nrow] = malloc(MAXF * sizeof(char *));
        memcpy(t->rows[t->nrow], fl, n * sizeof(char *));
        t->nrow++;
    }
    fclose(f);
    return 0;
}

static const char *col(const struct table *t, int r, const char *name)
{
    for (int i = 0; i < t->ncol; i++)
        if (strcmp(t->hdr[i], name) == 0)
            return t->rows[r][i];
    return "";
}

static void release(struct table *t)
{
    for (int r = 0; r < t->nrow; r++) {
        for (int i = 0; i < t->ncol; i++)
            free(t->rows[r][i]);
        free(t->rows[r]);
    }
    free(t->rows);
    for (int i = 0; i < t->ncol; i++)
        free(t->hdr[i]);
}

static const char *base(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    static char b[2][256];
    static int k;
    const char *s = dir + n;
    while (s > dir && s[-1] != '/')
        s--;
    k ^= 1;
    snprintf(b[k], sizeof b[k], "%.*s", (int)(dir + n - s), s);
    return b[k];
}

/* row of t matching the key columns of row r of u; -1 if none */
static int find(const struct table *t, const struct table *u, int r, const char *const *keys, int (*keep)(const struct table *, int))
{
    for (int i = 0; i < t->nrow; i++) {
        if (keep && !keep(t, i))
            continue;
        int ok = 1;
        for (const char *const *k = keys; *k && ok; k++)
            ok = strcmp(col(t, i, *k), col(u, r, *k)) == 0;
        if (ok)
            return i;
    }
    return -1;
}

static int is_ceiling(const struct table *t, int r)
{
    const char *k = col(t, r, "kind");
    return !strcmp(k, "read_ceiling") || !strcmp(k, "peak_f32") || !strcmp(k, "peak_int8");
}

static int is_agg(const struct table *t, int r) { return !strcmp(col(t, r, "aggregate"), "yes"); }

static int is_speedup(const struct table *t, int r)
{
    return is_agg(t, r) && !strcmp(col(t, r, "kind"), "speedup");
}

/* a number as 3 significant digits, "-" when empty */
static const char *g3(const char *s, char *buf, size_t n)
{
    char *e;
    double v = strtod(s, &e);
    if (!*s || *e)
        snprintf(buf, n, "%s", *s ? s : "-");
    else
        snprintf(buf, n, "%.3g", v);
    return buf;
}

static void ratio(FILE *out, const char *a, const char *b)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb && x != 0)
        fprintf(out, "  %7.2fx", y / x);
    fputc('\n', out);
}

int fk_compare(const char *da, const char *db, FILE *out)
{
    static const char *const mneed[] = {"kind", "name", "threads", "value", "unit", NULL};
    static const char *const hneed[] = {"id", "kind", "kernel", "aggregate", "threads", "verdict",
                                        "figure", "ci_lo", "ci_hi", NULL};
    struct table m[2], h[2];
    const char *d[2] = {da, db};
    int loaded = 0, rc = 2;  /* bad input: the exit status of every malformed-input error */
    for (int i = 0; i < 2; i++) {
        if (load(&m[i], d[i], "machine.csv", mneed))
            goto done;
        loaded++;
        if (load(&h[i], d[i], "hypotheses.csv", hneed)) {
            release(&m[i]);
            loaded--;
            goto done;
        }
        loaded++;
    }
    const char *na = base(da), *nb = base(db);
    fprintf(out, "falsify compare: A = %s (%s), B = %s (%s)\n\n", na,
             m[0].nrow ? col(&m[0], 0, "cpu_model") : "?", nb, m[1].nrow ? col(&m[1], 0, "cpu_model") : "?");

    static const char *const ckeys[] = {"kind", "name", "threads", NULL};
    fprintf(out, "== ceilings (machine.csv)\n%-13s %-12s %3s %12s %12s %6s   B/A\n", "kind", "name", "T", "A", "B", "unit");
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < m[s].nrow; r++) {
            if (!is_ceiling(&m[s], r))
                continue;
            int o = find(&m[1 - s], &m[s], r, ckeys, is_ceiling);
            if (s == 1 && o >= 0)
                continue;     /* printed from A's side */
            const char *va = s == 0 ? col(&m[0], r, "value") : "-";
            const char *vb = s == 0 ? (o >= 0 ? col(&m[1], o, "value") : "-") : col(&m[1], r, "value");
            fprintf(out, "%-13s %-12s %3s %12s %12s %6s", col(&m[s], r, "kind"), col(&m[s], r, "name"),
                    col(&m[s], r, "threads"), va, vb, col(&m[s], r, "unit"));
            ratio(out, va, vb);
        }

    static const char *const hkeys[] = {"id", "kernel", "threads", NULL};
    int ndiff = 0, nsame = 0;
    fprintf(out, "\n== verdicts that differ (aggregate rows of hypotheses.csv; key id + kernel + threads)\n");
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < h[s].nrow; r++) {
            if (!is_agg(&h[s], r))
                continue;
            int o = find(&h[1 - s], &h[s], r, hkeys, is_agg);
            if (s == 1 && o >= 0)
                continue;
            const char *va = s == 0 ? col(&h[0], r, "verdict") : "(absent)";
            const char *vb = s == 0 ? (o >= 0 ? col(&h[1], o, "verdict") : "(absent)") : col(&h[1], r, "verdict");
            if (!strcmp(va, vb)) {
                nsame++;
                continue;
            }
            ndiff++;
            fprintf(out, "%-32s %-28s T%-3s A %-12s B %-12s\n", col(&h[s], r, "id"), col(&h[s], r, "kernel"),
                    col(&h[s], r, "threads"), va, vb);
        }
    fprintf(out, "%d differ, %d agree\n", ndiff, nsame);

    fprintf(out, "\n== speedups (aggregate speedup rows: median paired ratio [CI])\n");
    for (int s = 0; s < 2; s++)
        for (int r = 0; r < h[s].nrow; r++) {
            if (!is_speedup(&h[s], r))
                continue;
            int o = find(&h[1 - s], &h[s], r, hkeys, is_speedup);
            if (s == 1 && o >= 0)
                continue;
            const struct table *ta = s == 0 ? &h[0] : NULL, *tb = s == 0 ? (o >= 0 ? &h[1] : NULL) : &h[1];
            int ra = r, rb = s == 0 ? o : r;
            char a[96] = "-", b[96] = "-";
            char x[3][32];
            if (ta)
                snprintf(a, sizeof a, "%s [%s, %s]", g3(col(ta, ra, "figure"), x[0], 32),
                         g3(col(ta, ra, "ci_lo"), x[1], 32), g3(col(ta, ra, "ci_hi"), x[2], 32));
            if (tb)
                snprintf(b, sizeof b, "%s [%s, %s]", g3(col(tb, rb, "figure"), x[0], 32),
                         g3(col(tb, rb, "ci_lo"), x[1], 32), g3(col(tb, rb, "ci_hi"), x[2], 32));
            fprintf(out, "%-28s %-26s T%-3s A %-22s B %s\n", col(&h[s], r, "id"), col(&h[s], r, "kernel"),
                    col(&h[s], r, "threads"), a, b);
        }
    rc = 0;
done:
    if (loaded >= 2) {
        release(&m[0]);
        release(&h[0]);
    }
    if (loaded >= 4) {
        release(&m[1]);
        release(&h[1]);
    }
    if (loaded == 3)
        release(&m[1]);
    return rc;
}
