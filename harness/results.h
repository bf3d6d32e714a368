/* Results that accumulate (DESIGN "Results"): each invocation is a run with
 * an id whose raw rows are kept under results/<machine>/runs/<id>/; the
 * top-level kernels.csv, hypotheses.csv and samples.csv are the merged view,
 * in which a run's rows replace only the rows of earlier runs with the same
 * key; the merged set is committed as one unit.
 *
 * Commit protocol: the new set is written complete (each file fsynced) into
 * dir/.staging-<id>/, then the journal dir/.commit naming it is written
 * atomically, then each file is renamed into dir, then the staging folder
 * and the journal are removed.  A failure before the journal leaves the old
 * set untouched; an interruption after it is rolled forward by the next run
 * (fk_results_recover), so old and new files never stay side by side. */
#ifndef FK_RESULTS_H
#define FK_RESULTS_H

#include <stddef.h>
#include <stdio.h>

#include "util.h"

/* A CSV file in memory (RFC 4180: quoted fields, "" for a quote, LF or
 * CRLF records). */
struct fk_csv {
    char **hdr;
    int ncol;
    char ***row;   /* row[i][j], j < ncol */
    int nrow, cap;
};

/* 0 and the table, 1 (empty table) when path does not exist, -1 with
 * file:record and the rule when it is malformed. */
int fk_csv_load(const char *path, struct fk_csv *t, struct fk_err *e);
void fk_csv_free(struct fk_csv *t);
/* Column index of name, or -1. */
int fk_csv_col(const struct fk_csv *t, const char *name);
/* One RFC 4180 field (quoted when it holds a comma, quote, CR or LF), then
 * ',' or, when last, the LF that ends the record. */
void fk_csv_field(FILE *f, const char *s, int last);
/* RFC 4180 with LF records. */
void fk_csv_write(const struct fk_csv *t, FILE *f);

struct fk_merge_stats {
    int new_rows;        /* rows of this run */
    int replaced;        /* rows of earlier runs dropped: same key as a row of this run */
    int kept;            /* rows of earlier runs kept */
    char replaced_ids[512];  /* first key column of the replaced rows, distinct, blank-separated */
};

/* out_path = rows of old_path whose key (the columns keys[], NULL-ended) no
 * row of run_path has, mapped by column name onto run_path's header, then
 * every row of run_path.  old_path may be absent.  Written atomically. */
int fk_csv_merge(const char *old_path, const char *run_path, const char *const *keys, const char *out_path,
                 struct fk_merge_stats *st, struct fk_err *e);

/* The files of one results set, and each one's key. */
#define FK_RESULT_FILES 3
extern const char *const fk_result_files[FK_RESULT_FILES];
extern const char *const *const fk_result_keys[FK_RESULT_FILES];

/* Merges dir/runs/<run_id>/{kernels,hypotheses,samples}.csv into the
 * top-level set of dir and commits it as one unit (see the top); st gets one
 * entry per file.  -1 with the reason; the old set is then intact. */
int fk_results_merge_run(const char *dir, const char *run_id, struct fk_merge_stats st[FK_RESULT_FILES],
                         struct fk_err *e);

/* Finishes a commit an earlier run left half done (journal present), and
 * removes staging folders no journal names.  0, or -1 with the reason. */
int fk_results_recover(const char *dir, struct fk_err *e);

/* Before measuring: dir exists or can be made, a file can be written there,
 * and the filesystem has room for a new set (twice the current top-level
 * CSVs plus min_free_bytes).  0, or -1 naming the folder and the rule. */
int fk_results_preflight(const char *dir, unsigned long long min_free_bytes, struct fk_err *e);

/* A run id: UTC date-time and process id, "20261202T063000Z-12345". */
void fk_run_id(char *buf, size_t n);

#endif
