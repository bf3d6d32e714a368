/* Output formats for every verb: an aligned human table, CSV (RFC 4180,
 * LF), one JSON document, or a Markdown table, all from the same typed
 * columns, so field names are stable across formats.  A document holds
 * provenance ("meta" key/value pairs) and one or more named sections of
 * rows.  Field names carry their unit (median_ns, gbytes_per_s); the human
 * table shows times in ns/us/ms/s instead of raw nanoseconds.
 *
 *     struct fk_doc *d = fk_doc_new(stdout, FK_OUT_JSON, "falsify.bench/1", 0);
 *     fk_doc_meta(d, "machine", "amd-epyc-2c");
 *     fk_doc_section(d, "results", cols, ncols);
 *     fk_doc_str(d, "gemv.f32.avx2"); fk_doc_num(d, 1234.5); ... fk_doc_row_end(d);
 *     fk_doc_end(d);       writes everything and frees d
 *
 * JSON:  {"schema": ..., "meta": {...}, "<section>": [ {col: value}, ... ], ...}
 *        numbers as numbers (NaN -> null), strings escaped per RFC 8259.
 * CSV:   the first section only (header + rows); meta is not written.
 * table: meta as "key: value" lines, each section under its title.
 * md:    meta as a bullet list, each section as a pipe table. */
#ifndef FK_OUTPUT_H
#define FK_OUTPUT_H

#include <stdio.h>

enum fk_out_format { FK_OUT_TABLE = 0, FK_OUT_CSV, FK_OUT_JSON, FK_OUT_MD };

/* Parses "table", "csv", "json", "md"; 0, or -1. */
int fk_out_format_parse(const char *s, enum fk_out_format *f);
const char *fk_out_format_name(enum fk_out_format f);

enum fk_col_type {
    FK_COL_STR = 0,   /* text */
    FK_COL_INT,       /* integer */
    FK_COL_NUM,       /* number, %.4g in table/md, %.9g in csv/json */
    FK_COL_NS,        /* nanoseconds: raw in csv/json, "12.3 us" in table/md */
    FK_COL_FIX1,      /* number shown with one decimal in table/md (GB/s) */
    FK_COL_FIX3,      /* number shown with three decimals in table/md (ratios) */
};

struct fk_col {
    const char *name;       /* field name in csv/json: stable, with its unit */
    enum fk_col_type type;
    const char *title;      /* table/md header; NULL: the name */
    int hidden;             /* csv/json only (provenance repeated on every row) */
};

struct fk_doc;

/* color: nonzero lets the table format colour verdict words (SUPPORTED ...). */
struct fk_doc *fk_doc_new(FILE *f, enum fk_out_format fmt, const char *schema, int color);
void fk_doc_meta(struct fk_doc *d, const char *key, const char *value);
void fk_doc_meta_num(struct fk_doc *d, const char *key, double value);
/* Starts a section; title shown above it in table/md ("" for none). */
void fk_doc_section(struct fk_doc *d, const char *name, const char *title, const struct fk_col *cols, int ncols);
/* Cells of the current row, in column order. */
void fk_doc_str(struct fk_doc *d, const char *s);
void fk_doc_int(struct fk_doc *d, long long v);
void fk_doc_num(struct fk_doc *d, double v);
/* A free-text line printed under the current row in table format only
 * (a reason, a counterexample); csv/json carry it as a column instead. */
void fk_doc_row_note(struct fk_doc *d, const char *s);
void fk_doc_row_end(struct fk_doc *d);
/* A line of text after the current section in table/md only. */
void fk_doc_footer(struct fk_doc *d, const char *line);
/* Writes the document and frees d; 0, or -1 on a write error. */
int fk_doc_end(struct fk_doc *d);

/* Human time: "812 ns", "20.8 us", "1.53 ms", "2.10 s" (3 significant digits). */
void fk_fmt_ns(char *buf, size_t n, double ns);
/* JSON string literal of s (quotes included) into f. */
void fk_json_string(FILE *f, const char *s);

#endif
