#include "output.h"
#include "results.h"   /* fk_csv_field: one CSV writer for every file */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 64
#define MAX_SECTIONS 8

struct cell {
    char *s;        /* FK_COL_STR; NULL for numbers */
    double v;
};

struct row {
    struct cell *c; /* ncols cells */
    char *note;
};

struct section {
    char name[64];
    char title[256];
    struct fk_col cols[MAX_COLS];
    int ncols;
    struct row *rows;
    int nrows, caprows;
    char **footers;
    int nfooters;
};

struct fk_doc {
    FILE *f;
    enum fk_out_format fmt;
    int color;
    char schema[64];
    char **meta_k, **meta_v;
    int nmeta;
    struct section sec[MAX_SECTIONS];
    int nsec;
    int cur_cell;   /* next cell of the current row */
    int oom;
};

static const char *const format_names[] = {"table", "csv", "json", "md"};

int fk_out_format_parse(const char *s, enum fk_out_format *f)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, format_names[i]) == 0) {
            *f = (enum fk_out_format)i;
            return 0;
        }
    return -1;
}

const char *fk_out_format_name(enum fk_out_format f)
{
    return (unsigned)f < 4 ? format_names[f] : "?";
}

void fk_fmt_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns)) {
        snprintf(buf, n, "-");
        return;
    }
    static const struct { double div; const char *unit; } u[] = {{1, "ns"}, {1e3, "us"}, {1e6, "ms"}, {1e9, "s"}};
    int i = 0;
    while (i < 3 && fabs(ns) >= 999.5 * u[i].div)
        i++;
    double v = ns / u[i].div;
    /* 3 significant digits without an exponent: 812, 20.8, 1.53 */
    int dec = fabs(v) >= 99.95 ? 0 : fabs(v) >= 9.995 ? 1 : 2;
    if (i == 0 && dec > 1)
        dec = 1;
    snprintf(buf, n, "%.*f %s", dec, v, u[i].unit);
}

void fk_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static char *dupstr(struct fk_doc *d, const char *s)
{
    char *p = strdup(s ? s : "");
    if (!p)
        d->oom = 1;
    return p;
}

struct fk_doc *fk_doc_new(FILE *f, enum fk_out_format fmt, const char *schema, int color)
{
    struct fk_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->f = f;
    d->fmt = fmt;
    d->color = color && fmt == FK_OUT_TABLE;
    snprintf(d->schema, sizeof d->schema, "%s", schema);
    return d;
}

void fk_doc_meta(struct fk_doc *d, const char *key, const char *value)
{
    char **k = realloc(d->meta_k, (size_t)(d->nmeta + 1) * sizeof *k);
    if (!k) {
        d->oom = 1;
        return;
    }
    d->meta_k = k;
    char **v = realloc(d->meta_v, (size_t)(d->nmeta + 1) * sizeof *v);
    if (!v) {
        d->oom = 1;
        return;
    }
    d->meta_v = v;
    d->meta_k[d->nmeta] = dupstr(d, key);
    d->meta_v[d->nmeta] = dupstr(d, value);
    d->nmeta++;
}

void fk_doc_meta_num(struct fk_doc *d, const char *key, double value)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.17g", value);
    fk_doc_meta(d, key, buf);
}

void fk_doc_section(struct fk_doc *d, const char *name, const char *title, const struct fk_col *cols, int ncols)
{
    if (d->nsec == MAX_SECTIONS || ncols > MAX_COLS) {
        d->oom = 1;
        return;
    }
    struct section *s = &d->sec[d->nsec++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->title, sizeof s->title, "%s", title ? title : "");
    memcpy(s->cols, cols, (size_t)ncols * sizeof *cols);
    s->ncols = ncols;
    d->cur_cell = 0;
}

static struct cell *next_cell(struct fk_doc *d)
{
    if (d->nsec == 0)
        return NULL;
    struct section *s = &d->sec[d->nsec - 1];
    if (d->cur_cell == 0) {
        if (s->nrows == s->caprows) {
            int cap = s->caprows ? 2 * s->caprows : 16;
            struct row *r = realloc(s->rows, (size_t)cap * sizeof *r);
            if (!r) {
                d->oom = 1;
                return NULL;
            }
            s->rows = r;
            s->caprows = cap;
        }
        struct row *r = &s->rows[s->nrows++];
        r->c = calloc((size_t)s->ncols, sizeof *r->c);
        r->note = NULL;
        if (!r->c) {
            s->nrows--;
            d->oom = 1;
            return NULL;
        }
        for (int i = 0; i < s->ncols; i++)
            r->c[i].v = NAN;
    }
    if (d->cur_cell >= s->ncols) {
        d->oom = 1;   /* more cells than columns: a programming error, reported at the end */
        return NULL;
    }
    return &s->rows[s->nrows - 1].c[d->cur_cell++];
}

void fk_doc_str(struct fk_doc *d, const char *s)
{
    struct cell *c = next_cell(d);
    if (c)
        c->s = dupstr(d, s);
}

void fk_doc_int(struct fk_doc *d, long long v)
{
    struct cell *c = next_cell(d);
    if (c)
        c->v = (double)v;
}

void fk_doc_num(struct fk_doc *d, double v)
{
    struct cell *c = next_cell(d);
    if (c)
        c->v = v;
}

void fk_doc_row_note(struct fk_doc *d, const char *s)
{
    if (d->nsec == 0 || d->sec[d->nsec - 1].nrows == 0 || !s || !s[0])
        return;
    struct row *r = &d->sec[d->nsec - 1].rows[d->sec[d->nsec - 1].nrows - 1];
    free(r->note);
    r->note = dupstr(d, s);
}

void fk_doc_row_end(struct fk_doc *d)
{
    if (d->nsec && d->cur_cell && d->cur_cell != d->sec[d->nsec - 1].ncols)
        d->oom = 1;   /* fewer cells than columns */
    d->cur_cell = 0;
}

void fk_doc_footer(struct fk_doc *d, const char *line)
{
    if (d->nsec == 0)
        return;
    struct section *s = &d->sec[d->nsec - 1];
    char **f = realloc(s->footers, (size_t)(s->nfooters + 1) * sizeof *f);
    if (!f) {
        d->oom = 1;
        return;
    }
    s->footers = f;
    s->footers[s->nfooters++] = dupstr(d, line);
}

/* ---- rendering ---- */

static void cell_text(const struct fk_col *col, const struct cell *c, int human, char *buf, size_t n)
{
    if (col->type == FK_COL_STR) {
        snprintf(buf, n, "%s", c->s ? c->s : "");
        return;
    }
    if (isnan(c->v)) {
        snprintf(buf, n, human ? "-" : "");
        return;
    }
    if (isinf(c->v)) {
        snprintf(buf, n, c->v > 0 ? "inf" : "-inf");
        return;
    }
    switch (col->type) {
    case FK_COL_INT:
        snprintf(buf, n, "%.0f", c->v);
        return;
    case FK_COL_NS:
        if (human) {
            fk_fmt_ns(buf, n, c->v);
            return;
        }
        break;
    case FK_COL_FIX1:
        if (human) {
            snprintf(buf, n, "%.1f", c->v);
            return;
        }
        break;
    case FK_COL_FIX3:
        if (human) {
            snprintf(buf, n, "%.3f", c->v);
            return;
        }
        break;
    default:
        if (human) {
            snprintf(buf, n, "%.4g", c->v);
            return;
        }
        break;
    }
    snprintf(buf, n, "%.9g", c->v);
}

static int right_aligned(const struct fk_col *col)
{
    return col->type != FK_COL_STR;
}

static const char *verdict_color(const char *s)
{
    if (!strcmp(s, "SUPPORTED") || !strcmp(s, "ok") || !strcmp(s, "runnable") || !strcmp(s, "fastest") ||
        !strcmp(s, "caught"))
        return "\033[32m";
    if (!strcmp(s, "FALSIFIED") || !strcmp(s, "wrong") || !strcmp(s, "crashed") || !strcmp(s, "ESCAPED") ||
        !strncmp(s, "MODEL ERROR", 11) || !strcmp(s, "refused"))
        return "\033[1;31m";
    if (!strcmp(s, "INCONCLUSIVE") || !strcmp(s, "undecided"))
        return "\033[33m";
    if (!strcmp(s, "UNTESTABLE") || !strcmp(s, "skipped"))
        return "\033[2m";
    return NULL;
}

static int colored_col(const struct fk_col *col)
{
    return !strcmp(col->name, "verdict") || !strcmp(col->name, "status") || !strcmp(col->name, "result") ||
           !strcmp(col->name, "gap");
}

static void render_table(struct fk_doc *d)
{
    FILE *f = d->f;
    for (int i = 0; i < d->nmeta; i++)
        fprintf(f, "%s: %s\n", d->meta_k[i], d->meta_v[i]);
    char buf[1024];
    for (int si = 0; si < d->nsec; si++) {
        struct section *s = &d->sec[si];
        if (d->nmeta || si)
            fputc('\n', f);
        if (s->title[0])
            fprintf(f, "%s\n", s->title);
        int w[MAX_COLS];
        for (int c = 0; c < s->ncols; c++) {
            const char *t = s->cols[c].title ? s->cols[c].title : s->cols[c].name;
            w[c] = (int)strlen(t);
            for (int r = 0; r < s->nrows; r++) {
                cell_text(&s->cols[c], &s->rows[r].c[c], 1, buf, sizeof buf);
                if ((int)strlen(buf) > w[c])
                    w[c] = (int)strlen(buf);
            }
        }
        int last = -1;   /* the last column is not padded: no trailing blanks */
        for (int c = 0; c < s->ncols; c++)
            if (!s->cols[c].hidden)
                last = c;
        if (last >= 0 && !right_aligned(&s->cols[last]))
            w[last] = 0;
        int first = 1;
        for (int c = 0; c < s->ncols; c++) {
            if (s->cols[c].hidden)
                continue;
            const char *t = s->cols[c].title ? s->cols[c].title : s->cols[c].name;
            fprintf(f, "%s%*s", first ? "" : "  ", right_aligned(&s->cols[c]) ? w[c] : -w[c], t);
            first = 0;
        }
        fputc('\n', f);
        for (int r = 0; r < s->nrows; r++) {
            first = 1;
            for (int c = 0; c < s->ncols; c++) {
                if (s->cols[c].hidden)
                    continue;
                cell_text(&s->cols[c], &s->rows[r].c[c], 1, buf, sizeof buf);
                const char *col = d->color && colored_col(&s->cols[c]) ? verdict_color(buf) : NULL;
                int width = right_aligned(&s->cols[c]) ? w[c] : -w[c];
                if (col) {
                    /* pad outside the escape codes so columns stay aligned */
                    int pad = w[c] > (int)strlen(buf) ? w[c] - (int)strlen(buf) : 0;
                    fprintf(f, "%s", first ? "" : "  ");
                    if (width > 0)
                        fprintf(f, "%*s", pad, "");
                    fprintf(f, "%s%s\033[0m", col, buf);
                    if (width < 0)
                        fprintf(f, "%*s", pad, "");
                } else {
                    fprintf(f, "%s%*s", first ? "" : "  ", width, buf);
                }
                first = 0;
            }
            /* no trailing blanks */
            fputc('\n', f);
            if (s->rows[r].note)
                fprintf(f, "    %s\n", s->rows[r].note);
        }
        for (int i = 0; i < s->nfooters; i++)
            fprintf(f, "%s\n", s->footers[i]);
    }
}

static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", f);
        else if (*s == '\n')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
}

static void render_md(struct fk_doc *d)
{
    FILE *f = d->f;
    for (int i = 0; i < d->nmeta; i++) {
        fprintf(f, "- **%s**: ", d->meta_k[i]);
        md_cell(f, d->meta_v[i]);
        fputc('\n', f);
    }
    char buf[1024];
    for (int si = 0; si < d->nsec; si++) {
        struct section *s = &d->sec[si];
        fputc('\n', f);
        if (s->title[0])
            fprintf(f, "%s\n\n", s->title);
        fputc('|', f);
        for (int c = 0; c < s->ncols; c++)
            if (!s->cols[c].hidden) {
                fputc(' ', f);
                md_cell(f, s->cols[c].title ? s->cols[c].title : s->cols[c].name);
                fputs(" |", f);
            }
        fputs("\n|", f);
        for (int c = 0; c < s->ncols; c++)
            if (!s->cols[c].hidden)
                fputs(right_aligned(&s->cols[c]) ? " ---: |" : " --- |", f);
        fputc('\n', f);
        for (int r = 0; r < s->nrows; r++) {
            fputc('|', f);
            for (int c = 0; c < s->ncols; c++) {
                if (s->cols[c].hidden)
                    continue;
                cell_text(&s->cols[c], &s->rows[r].c[c], 1, buf, sizeof buf);
                fputc(' ', f);
                md_cell(f, buf);
                fputs(" |", f);
            }
            fputc('\n', f);
        }
        /* row notes (reasons) as a list under the table: a pipe table has no spanning rows */
        int notes = 0;
        for (int r = 0; r < s->nrows; r++) {
            if (!s->rows[r].note)
                continue;
            fputs(notes++ ? "- " : "\n- ", f);
            cell_text(&s->cols[0], &s->rows[r].c[0], 1, buf, sizeof buf);
            md_cell(f, buf);
            fputs(" (row ", f);
            fprintf(f, "%d): ", r + 1);
            md_cell(f, s->rows[r].note);
            fputc('\n', f);
        }
        for (int i = 0; i < s->nfooters; i++) {   /* prose: lines kept, leading blanks dropped */
            fputc('\n', f);
            for (const char *p = s->footers[i]; *p; p++) {
                fputc(*p, f);
                if (*p == '\n')
                    while (p[1] == ' ')
                        p++;
            }
            fputc('\n', f);
        }
    }
}

static void render_csv(struct fk_doc *d)
{
    if (d->nsec == 0)
        return;
    FILE *f = d->f;
    struct section *s = &d->sec[0];
    char buf[1024];
    for (int c = 0; c < s->ncols; c++)
        fk_csv_field(f, s->cols[c].name, c + 1 == s->ncols);
    for (int r = 0; r < s->nrows; r++)
        for (int c = 0; c < s->ncols; c++) {
            cell_text(&s->cols[c], &s->rows[r].c[c], 0, buf, sizeof buf);
            fk_csv_field(f, buf, c + 1 == s->ncols);
        }
}

static void json_value(FILE *f, const struct fk_col *col, const struct cell *c)
{
    if (col->type == FK_COL_STR) {
        fk_json_string(f, c->s ? c->s : "");
    } else if (!isfinite(c->v)) {
        fputs("null", f);   /* JSON has no NaN or infinity */
    } else if (col->type == FK_COL_INT) {
        fprintf(f, "%.0f", c->v);
    } else {
        fprintf(f, "%.9g", c->v);
    }
}

static void render_json(struct fk_doc *d)
{
    FILE *f = d->f;
    fputs("{\n  \"schema\": ", f);
    fk_json_string(f, d->schema);
    fputs(",\n  \"meta\": {", f);
    for (int i = 0; i < d->nmeta; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        fk_json_string(f, d->meta_k[i]);
        fputs(": ", f);
        fk_json_string(f, d->meta_v[i]);
    }
    fputs(d->nmeta ? "\n  }" : "}", f);
    for (int si = 0; si < d->nsec; si++) {
        struct section *s = &d->sec[si];
        fputs(",\n  ", f);
        fk_json_string(f, s->name);
        fputs(": [", f);
        for (int r = 0; r < s->nrows; r++) {
            fputs(r ? ",\n    {" : "\n    {", f);
            for (int c = 0; c < s->ncols; c++) {
                if (c)
                    fputs(", ", f);
                fk_json_string(f, s->cols[c].name);
                fputs(": ", f);
                json_value(f, &s->cols[c], &s->rows[r].c[c]);
            }
            fputc('}', f);
        }
        fputs(s->nrows ? "\n  ]" : "]", f);
    }
    fputs("\n}\n", f);
}

int fk_doc_end(struct fk_doc *d)
{
    if (!d)
        return -1;
    switch (d->fmt) {
    case FK_OUT_CSV: render_csv(d); break;
    case FK_OUT_JSON: render_json(d); break;
    case FK_OUT_MD: render_md(d); break;
    default: render_table(d); break;
    }
    int rc = d->oom || fflush(d->f) != 0 || ferror(d->f) ? -1 : 0;
    for (int i = 0; i < d->nmeta; i++) {
        free(d->meta_k[i]);
        free(d->meta_v[i]);
    }
    free(d->meta_k);
    free(d->meta_v);
    for (int si = 0; si < d->nsec; si++) {
        struct section *s = &d->sec[si];
        for (int r = 0; r < s->nrows; r++) {
            for (int c = 0; c < s->ncols; c++)
                free(s->rows[r].c[c].s);
            free(s->rows[r].c);
            free(s->rows[r].note);
        }
        free(s->rows);
        for (int i = 0; i < s->nfooters; i++)
            free(s->footers[i]);
        free(s->footers);
    }
    free(d);
    return rc;
}
