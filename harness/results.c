/* Results that accumulate: CSV tables, merge by key, one-unit commit
 * (results.h). */
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define CSV_MAX_BYTES ((size_t)1 << 30)  /* a results file is text, not a dump */

const char *const fk_result_files[FK_RESULT_FILES] = {"kernels.csv", "hypotheses.csv", "samples.csv"};

static const char *const kernels_key[] = {"kernel", "rows", "cols", "batch", "threads", "cache", NULL};
static const char *const hypotheses_key[] = {"id", "kernel", "shape", "aggregate", "threads", "cache", NULL};
static const char *const samples_key[] = {"hypothesis", "arm", "shape", "threads", "cache", NULL};
const char *const *const fk_result_keys[FK_RESULT_FILES] = {kernels_key, hypotheses_key, samples_key};

/* ---------------------------------------------------------------- CSV */

void fk_csv_free(struct fk_csv *t)
{
    for (int j = 0; j < t->ncol; j++)
        free(t->hdr[j]);
    free(t->hdr);
    for (int i = 0; i < t->nrow; i++) {
        for (int j = 0; j < t->ncol; j++)
            free(t->row[i][j]);
        free(t->row[i]);
    }
    free(t->row);
    memset(t, 0, sizeof *t);
}

int fk_csv_col(const struct fk_csv *t, const char *name)
{
    for (int j = 0; j < t->ncol; j++)
        if (strcmp(t->hdr[j], name) == 0)
            return j;
    return -1;
}

/* Appends ch to the growing string *v (capacity *cap); 0, or -1 out of memory. */
static int push_char(char **v, size_t *cap, size_t *o, char ch)
{
    if (*o + 2 > *cap) {
        char *nv = realloc(*v, *cap * 2);
        if (!nv)
            return -1;
        *v = nv;
        *cap *= 2;
    }
    (*v)[(*o)++] = ch;
    return 0;
}

static void free_fields(char **f, int n)
{
    for (int i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

/* Parses one record at *p (end = buf + len) into fields (malloc'd);
 * returns the field count, 0 at the end, -1 on an unterminated quote or
 * out of memory. */
static int parse_record(const char **p, const char *end, char ***out)
{
    const char *s = *p;
    if (s >= end)
        return 0;
    char **f = NULL;
    int n = 0;
    for (;;) {
        size_t cap = 16, o = 0;
        char *v = malloc(cap);
        int bad = !v;
        if (!bad && s < end && *s == '"') {
            for (s++;; s++) {
                if (s >= end) {
                    bad = 1;
                    break;
                }
                if (*s == '"' && !(s + 1 < end && s[1] == '"')) {
                    s++;
                    break;
                }
                if (*s == '"')
                    s++;  /* "" is one quote */
                if (push_char(&v, &cap, &o, *s) != 0) {
                    bad = 1;
                    break;
                }
            }
        }
        while (!bad && s < end && *s != ',' && *s != '\n' && !(*s == '\r' && s + 1 < end && s[1] == '\n'))
            bad = push_char(&v, &cap, &o, *s++) != 0;
        char **nf = bad ? NULL : realloc(f, (size_t)(n + 1) * sizeof *nf);
        if (!nf) {
            free(v);
            free_fields(f, n);
            return -1;
        }
        v[o] = 0;
        f = nf;
        f[n++] = v;
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '\r')
            s++;
        if (s < end && *s == '\n')
            s++;
        break;
    }
    *p = s;
    *out = f;
    return n;
}

int fk_csv_load(const char *path, struct fk_csv *t, struct fk_err *e)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        return fk_fail(e, "%s: cannot read: %s", path, strerror(errno));
    }
    char *buf = malloc(CSV_MAX_BYTES + 1);
    size_t len = buf ? fread(buf, 1, CSV_MAX_BYTES + 1, f) : 0;
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad || len > CSV_MAX_BYTES) {
        free(buf);
        return fk_fail(e, "%s: %s", path, bad ? "read error or out of memory" : "larger than 1 GiB");
    }
    const char *p = buf, *end = buf + len;
    char **fields;
    int n = parse_record(&p, end, &fields);
    if (n <= 0) {
        free(buf);
        return n < 0 ? fk_fail(e, "%s:1: unterminated quoted field in the header", path) : 1;
    }
    t->hdr = fields;
    t->ncol = n;
    for (int rec = 2;; rec++) {
        if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {  /* blank line */
            p += *p == '\r' ? 2 : 1;
            continue;
        }
        n = parse_record(&p, end, &fields);
        if (n == 0)
            break;
        if (n < 0 || n != t->ncol) {
            if (n > 0)
                free_fields(fields, n);
            int ncol = t->ncol;
            free(buf);
            fk_csv_free(t);
            return n < 0 ? fk_fail(e, "%s: record %d: unterminated quoted field", path, rec)
                         : fk_fail(e, "%s: record %d has %d fields, the header %d (RFC 4180 CSV expected)", path,
                                   rec, n, ncol);
        }
        if (t->nrow == t->cap) {
            int cap = t->cap ? 2 * t->cap : 256;
            char ***nr = realloc(t->row, (size_t)cap * sizeof *nr);
            if (!nr) {
                free(buf);
                fk_csv_free(t);
                return fk_fail(e, "%s: out of memory", path);
            }
            t->row = nr;
            t->cap = cap;
        }
        t->row[t->nrow++] = fields;
    }
    free(buf);
    return 0;
}

void fk_csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

void fk_csv_write(const struct fk_csv *t, FILE *f)
{
    for (int j = 0; j < t->ncol; j++)
        fk_csv_field(f, t->hdr[j], j == t->ncol - 1);
    for (int i = 0; i < t->nrow; i++)
        for (int j = 0; j < t->ncol; j++)
            fk_csv_field(f, t->row[i][j], j == t->ncol - 1);
}

/* -------------------------------------------------------------- merge */

/* Key of row i of t as one string (fields joined by '\x1f'). */
static void row_key(const struct fk_csv *t, int i, const int *kc, int nk, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (int k = 0; k < nk && o < n; k++) {
        int w = snprintf(buf + o, n - o, "%s\x1f", kc[k] >= 0 ? t->row[i][kc[k]] : "");
        o += w > 0 ? (size_t)w : 0;
    }
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fk_csv_merge(const char *old_path, const char *run_path, const char *const *keys, const char *out_path,
                 struct fk_merge_stats *st, struct fk_err *e)
{
    memset(st, 0, sizeof *st);
    struct fk_csv old, run;
    int rc = fk_csv_load(run_path, &run, e);
    if (rc != 0)
        return rc > 0 ? fk_fail(e, "%s: missing (the run's rows must be written first)", run_path) : -1;
    rc = fk_csv_load(old_path, &old, e);
    if (rc < 0) {
        fk_csv_free(&run);
        return -1;
    }
    int nk = 0;
    int kr[16], ko[16];
    for (; keys[nk] && nk < 16; nk++) {
        kr[nk] = fk_csv_col(&run, keys[nk]);
        ko[nk] = fk_csv_col(&old, keys[nk]);
        if (kr[nk] < 0) {
            fk_csv_free(&run);
            fk_csv_free(&old);
            return fk_fail(e, "%s: no column '%s' (a key of the merged view)", run_path, keys[nk]);
        }
    }
    /* the run's keys, sorted for bsearch */
    char **rk = calloc((size_t)run.nrow + 1, sizeof *rk);
    int ok = rk != NULL;
    for (int i = 0; ok && i < run.nrow; i++) {
        char k[2048];
        row_key(&run, i, kr, nk, k, sizeof k);
        ok = (rk[i] = strdup(k)) != NULL;
    }
    if (ok)
        qsort(rk, (size_t)run.nrow, sizeof *rk, by_str);
    /* old columns by the run's header (absent -> "") */
    int *map = calloc((size_t)run.ncol + 1, sizeof *map);
    ok = ok && map;
    for (int j = 0; ok && j < run.ncol; j++)
        map[j] = fk_csv_col(&old, run.hdr[j]);
    struct fk_atomic a;
    if (ok && fk_atomic_open(&a, out_path, e) == 0) {
        for (int j = 0; j < run.ncol; j++)
            fk_csv_field(a.f, run.hdr[j], j == run.ncol - 1);
        for (int i = 0; i < old.nrow; i++) {
            char k[2048];
            row_key(&old, i, ko, nk, k, sizeof k);
            const char *kp = k;
            if (run.nrow && bsearch(&kp, rk, (size_t)run.nrow, sizeof *rk, by_str)) {
                st->replaced++;
                const char *id = ko[0] >= 0 ? old.row[i][ko[0]] : "";
                char pat[300];
                snprintf(pat, sizeof pat, " %s ", id);
                char have[sizeof st->replaced_ids + 2];
                snprintf(have, sizeof have, " %s ", st->replaced_ids);
                if (!strstr(have, pat) && strlen(st->replaced_ids) + strlen(id) + 2 < sizeof st->replaced_ids)
                    snprintf(st->replaced_ids + strlen(st->replaced_ids),
                             sizeof st->replaced_ids - strlen(st->replaced_ids), "%s%s",
                             st->replaced_ids[0] ? " " : "", id);
                continue;
            }
            st->kept++;
            for (int j = 0; j < run.ncol; j++)
                fk_csv_field(a.f, map[j] >= 0 ? old.row[i][map[j]] : "", j == run.ncol - 1);
        }
        for (int i = 0; i < run.nrow; i++)
            for (int j = 0; j < run.ncol; j++)
                fk_csv_field(a.f, run.row[i][j], j == run.ncol - 1);
        st->new_rows = run.nrow;
        rc = fk_atomic_commit(&a, e);
    } else {
        if (!ok)
            fk_fail(e, "%s: out of memory", out_path);
        rc = -1;
    }
    for (int i = 0; rk && i < run.nrow; i++)
        free(rk[i]);
    free(rk);
    free(map);
    fk_csv_free(&run);
    fk_csv_free(&old);
    return rc;
}

/* -------------------------------------------------------------- commit */

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Removes the plain files of folder dir/name, then the folder. */
static void remove_stage(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char f[1500];
            snprintf(f, sizeof f, "%s/%s", path, de->d_name);
            unlink(f);
        }
        closedir(d);
    }
    rmdir(path);
}

/* Renames every file of dir/stage into dir, then removes stage and journal. */
static int apply(const char *dir, const char *stage, struct fk_err *e)
{
    for (int i = 0; i < FK_RESULT_FILES; i++) {
        char from[1200], to[1200];
        snprintf(from, sizeof from, "%s/%s/%s", dir, stage, fk_result_files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, fk_result_files[i]);
        if (access(from, F_OK) != 0)
            continue;  /* already moved by an interrupted commit */
        if (rename(from, to) != 0)
            return fk_fail(e, "%s: cannot move %s into place: %s (the journal %s/.commit finishes it on the next "
                              "run)", dir, from, strerror(errno), dir);
    }
    fsync_dir(dir);
    remove_stage(dir, stage);
    char journal[1100];
    snprintf(journal, sizeof journal, "%s/.commit", dir);
    unlink(journal);
    fsync_dir(dir);
    return 0;
}

int fk_results_recover(const char *dir, struct fk_err *e)
{
    char journal[1100], stage[256] = "";
    snprintf(journal, sizeof journal, "%s/.commit", dir);
    FILE *f = fopen(journal, "r");
    if (f) {
        if (!fgets(stage, sizeof stage, f))
            stage[0] = 0;
        fclose(f);
        stage[strcspn(stage, "\r\n")] = 0;
        if (strncmp(stage, ".staging-", 9) != 0 || strchr(stage, '/'))
            return fk_fail(e, "%s: journal names '%s', not a staging folder: remove the journal by hand after "
                              "checking the CSVs", journal, stage);
        fprintf(stderr, "falsify: %s: finishing the commit of %s left by an interrupted run\n", dir, stage);
        if (apply(dir, stage, e) != 0)
            return -1;
    }
    /* staging folders no journal names: a run that failed before committing */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strncmp(de->d_name, ".staging-", 9) == 0)
                remove_stage(dir, de->d_name);
        closedir(d);
    }
    return 0;
}

int fk_results_merge_run(const char *dir, const char *run_id, struct fk_merge_stats st[FK_RESULT_FILES],
                         struct fk_err *e)
{
    char stage[256], sdir[1200];
    snprintf(stage, sizeof stage, ".staging-%s", run_id);
    snprintf(sdir, sizeof sdir, "%s/%s", dir, stage);
    if (fk_results_recover(dir, e) != 0 || fk_mkdirs(sdir, e) != 0)
        return -1;
    for (int i = 0; i < FK_RESULT_FILES; i++) {
        char old[1200], run[1200], out[1300];
        snprintf(old, sizeof old, "%s/%s", dir, fk_result_files[i]);
        snprintf(run, sizeof run, "%s/runs/%s/%s", dir, run_id, fk_result_files[i]);
        snprintf(out, sizeof out, "%s/%s", sdir, fk_result_files[i]);
        if (fk_csv_merge(old, run, fk_result_keys[i], out, &st[i], e) != 0) {
            remove_stage(dir, stage);
            return -1;
        }
    }
    fsync_dir(sdir);
    /* the commit point: once the journal exists, the new set wins */
    char journal[1100];
    snprintf(journal, sizeof journal, "%s/.commit", dir);
    struct fk_atomic a;
    if (fk_atomic_open(&a, journal, e) != 0) {
        remove_stage(dir, stage);
        return -1;
    }
    fprintf(a.f, "%s\n", stage);
    if (fk_atomic_commit(&a, e) != 0) {
        remove_stage(dir, stage);
        return -1;
    }
    return apply(dir, stage, e);
}

int fk_results_preflight(const char *dir, unsigned long long min_free_bytes, struct fk_err *e)
{
    if (fk_mkdirs(dir, e) != 0)
        return -1;
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/.write-test-%ld", dir, (long)getpid());
    FILE *f = fopen(probe, "w");
    int bad = !f || fputs("falsify\n", f) < 0;
    if (f && fclose(f) != 0)
        bad = 1;
    int saved = errno;
    unlink(probe);
    if (bad)
        return fk_fail(e, "%s: not writable (%s): results could not be kept; fix the permissions or use "
                          "--results DIR", dir, strerror(saved));
    unsigned long long have = 0;
    for (int i = 0; i < FK_RESULT_FILES; i++) {
        char p[1200];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, fk_result_files[i]);
        if (stat(p, &sb) == 0)
            have += (unsigned long long)sb.st_size;
    }
    struct statvfs vfs;
    if (statvfs(dir, &vfs) != 0)
        return fk_fail(e, "%s: cannot read the free space: %s", dir, strerror(errno));
    unsigned long long avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
    unsigned long long need = 2 * have + min_free_bytes;
    if (avail < need)
        return fk_fail(e, "%s: %llu MiB free, a run needs %llu MiB (its raw rows and a new merged set beside the "
                          "current one): free some space or use --results DIR", dir, avail >> 20, need >> 20);
    return 0;
}

void fk_run_id(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char d[32];
    strftime(d, sizeof d, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, n, "%s-%ld", d, (long)getpid());
}
