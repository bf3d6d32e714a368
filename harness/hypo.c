/* Hypothesis files (hypotheses/<name>.ini): parsing and validation.
 *
 * How line numbers are known.  Debian's inih 55 is built without
 * INI_HANDLER_LINENO, so the handler is not told the line.  Instead the whole
 * file is read into memory and handed to ini_parse_stream() through our own
 * reader, which returns exactly one line per call and counts the calls.
 * inih calls the reader once per line and invokes the handler for the line it
 * just read before asking for the next, so inside the handler the reader's
 * count IS the current line number; this holds by construction, not by
 * re-scanning the file.  The same reader also
 *   - records every "[id]" header with its line (inih does not call the
 *     handler for a section without keys, so an empty section would
 *     otherwise vanish instead of failing "missing required key");
 *   - refuses lines longer than the buffer inih offers (inih would silently
 *     split such a line in two);
 *   - stops the parse after the first error (returns NULL), so the first
 *     error in file order is the one reported.
 *
 * inih behaviour relied on (checked against libinih 55-1): ';' starts an
 * inline comment only after whitespace ("k = v ; c" gives "v", "k = a;b"
 * gives "a;b"); ';' and '#' start a whole-line comment; an indented line
 * after a key is a continuation passed to the handler under the previous
 * key's name (refused here: no key takes a multi-line value); a line that is
 * neither a comment, a header nor "key = value" makes ini_parse_stream()
 * return its line number.
 */
#include "hypo.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cpu.h"
#include "registry.h"

#define HYPO_MAX_FILE_BYTES (1 << 20)  /* a hypothesis file is text, not data */
#define HYPO_MAX_DIM ((int64_t)1 << 31) /* shape dimensions in [1, 2^31) */
#define HYPO_MAX_THREADS_VALUE 4096

/* ---- names ---- */

static const char *const kind_names[] = {
    [FK_KIND_SPEEDUP] = "speedup", [FK_KIND_ERROR] = "error", [FK_KIND_SCALING] = "scaling",
    [FK_KIND_ROOFLINE] = "roofline", [FK_KIND_PARITY] = "parity", [FK_KIND_LATENCY] = "latency",
};
#define KIND_VALID "speedup, error, scaling, roofline, parity, latency"

static const char *const role_names[] = {[FK_ROLE_GUARD] = "guard", [FK_ROLE_CLAIM] = "claim"};
#define ROLE_VALID "guard, claim"

static const char *const metric_names[] = {"gauge_max", "gauge_p99", "ulp_max"};
#define METRIC_VALID "gauge_max, gauge_p99, ulp_max"

const char *fk_kind_name(enum fk_kind k)
{
    if (k >= FK_KIND_SPEEDUP && k <= FK_KIND_LATENCY)
        return kind_names[k];
    return "?";
}

const char *fk_role_name(enum fk_role r)
{
    if (r == FK_ROLE_GUARD || r == FK_ROLE_CLAIM)
        return role_names[r];
    return "?";
}

/* ---- shapes ---- */

/* Parses one positive decimal dimension at *p (digits only: no sign, no
 * spaces), advancing *p.  0, or -1 with *why set. */
static int dim_parse(const char **p, int64_t *out, const char **why)
{
    const char *s = *p;
    int64_t v = 0;
    if (!isdigit((unsigned char)*s)) {
        *why = "each dimension must be a positive integer";
        return -1;
    }
    while (isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v >= HYPO_MAX_DIM) {
            *why = "each dimension must be below 2^31";
            return -1;
        }
        s++;
    }
    if (v == 0) {
        *why = "each dimension must be >= 1";
        return -1;
    }
    *out = v;
    *p = s;
    return 0;
}

/* "RxC" or "RxCxB", lowercase 'x', positive integers.  0, or -1 with *why
 * naming the rule that failed. */
static int shape_parse_why(const char *s, struct fk_shape *out, const char **why)
{
    int64_t d[3] = {0, 0, 1};
    int nd = 0;
    const char *p = s;
    for (;;) {
        if (dim_parse(&p, &d[nd], why) != 0)
            return -1;
        nd++;
        if (*p == '\0')
            break;
        if (*p != 'x') {
            *why = "dimensions must be separated by 'x'";
            return -1;
        }
        if (nd == 3) {
            *why = "at most three dimensions (RxCxB)";
            return -1;
        }
        p++;
    }
    if (nd < 2) {
        *why = "need at least rows and cols (RxC)";
        return -1;
    }
    out->rows = d[0];
    out->cols = d[1];
    out->batch = d[2];
    return 0;
}

int fk_shape_parse(const char *s, struct fk_shape *out)
{
    const char *why;
    return shape_parse_why(s, out, &why);
}

void fk_shape_format(const struct fk_shape *s, char *buf, size_t n)
{
    if (s->batch != 1)
        snprintf(buf, n, "%" PRId64 "x%" PRId64 "x%" PRId64, s->rows, s->cols, s->batch);
    else
        snprintf(buf, n, "%" PRId64 "x%" PRId64, s->rows, s->cols);
}

/* ---- parse state ---- */

enum key_id {
    K_CLAIM, K_SOURCE, K_KIND, K_SUBJECT, K_BASELINE, K_SHAPES, K_THREADS,
    K_THRESHOLD, K_ROLE, K_METRIC, K_CACHE, K_BUDGET_S, K_TOLERANCE, K_NEEDS, K_COUNT
};

static const struct {
    const char *name;
    int required;  /* for every kind; baseline is required per kind below */
} keys[K_COUNT] = {
    [K_CLAIM] = {"claim", 1},         [K_SOURCE] = {"source", 1},
    [K_KIND] = {"kind", 1},           [K_SUBJECT] = {"subject", 1},
    [K_BASELINE] = {"baseline", 0},   [K_SHAPES] = {"shapes", 1},
    [K_THREADS] = {"threads", 0},     [K_THRESHOLD] = {"threshold", 1},
    [K_ROLE] = {"role", 1},           [K_METRIC] = {"metric", 0},
    [K_CACHE] = {"cache", 0},         [K_BUDGET_S] = {"budget_s", 0},
    [K_TOLERANCE] = {"tolerance", 0}, [K_NEEDS] = {"needs", 0},
};
#define KEYS_VALID "claim, source, kind, subject, baseline, shapes, threads, threshold, role, " \
                   "metric, cache, budget_s, tolerance, needs"

/* One section being parsed: the hypothesis plus the line each key came from
 * (0 = not given), for "missing key" and "given twice" messages. */
struct section {
    struct fk_hypo h;
    int key_line[K_COUNT];
};

struct parse {
    const char *path;
    /* file contents, NUL-terminated; pos is the reader's cursor */
    char *buf;
    size_t len, pos;
    int lineno;            /* lines handed to inih so far = current line */
    const char *line;      /* start of the current line in buf */
    size_t line_len;       /* its length without the newline */
    /* sections of this file, in order; the last is the current one */
    struct section *sec;
    int nsec, capsec;
    /* hypotheses already in the caller's list (for duplicate ids) */
    const struct fk_hypo *prev;
    int nprev;
    /* first error; err_line 0 = none yet */
    int err_line;
    struct fk_err *e;
};

/* Records the first error only and returns 0 (inih's "handler failed"). */
__attribute__((format(printf, 3, 4)))
static int perr(struct parse *P, int line, const char *fmt, ...)
{
    if (P->err_line)
        return 0;
    P->err_line = line > 0 ? line : 1;
    if (P->e) {
        char msg[900];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fk_fail(P->e, "%s:%d: %s", P->path, P->err_line, msg);
    }
    return 0;
}

static int find_section(const struct parse *P, const char *id, int upto, const char **file, int *line)
{
    for (int i = 0; i < P->nprev; i++)
        if (strcmp(P->prev[i].id, id) == 0) {
            *file = P->prev[i].file;
            *line = P->prev[i].line;
            return 1;
        }
    for (int i = 0; i < upto; i++)
        if (strcmp(P->sec[i].h.id, id) == 0) {
            *file = P->path;
            *line = P->sec[i].h.line;
            return 1;
        }
    return 0;
}

/* A "[id]" header line (classified as inih does: after leading whitespace
 * and a line-1 BOM, '[' then text up to ']', with no " ;" comment before the
 * ']').  Malformed headers are left to inih, which reports them. */
static void reader_header(struct parse *P, const char *s, size_t n)
{
    size_t i = 0;
    if (P->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    size_t col0 = i;
    while (i < n && isspace((unsigned char)s[i]))
        i++;
    if (i >= n || s[i] != '[')
        return;
    /* inih reads an indented "[x]" after a key as a continuation of that
     * key, not as a header: refuse indentation so both agree. */
    if (i > col0) {
        perr(P, P->lineno, "section header '%.*s' is indented; start it in column 1",
             (int)(n - i), s + i);
        return;
    }
    size_t a = ++i;
    int was_space = 0;
    while (i < n && s[i] != ']') {
        if (s[i] == ';' && was_space)
            return;
        was_space = isspace((unsigned char)s[i]);
        i++;
    }
    if (i >= n)
        return;
    /* id = s[a, i) with surrounding blanks removed (inih keeps them, we
     * refuse them below so the two never disagree on a valid file) */
    size_t idlen = i - a;
    const char *id = s + a;
    if (idlen == 0) {
        perr(P, P->lineno, "empty section name '[]' (expected [id], e.g. [H1-simd-gemv])");
        return;
    }
    if (idlen >= sizeof P->sec[0].h.id) {
        perr(P, P->lineno, "section id '%.*s' is %zu characters (max %zu)", (int)idlen, id,
             idlen, sizeof P->sec[0].h.id - 1);
        return;
    }
    for (size_t j = 0; j < idlen; j++)
        if (!isgraph((unsigned char)id[j]) || id[j] == '[') {
            perr(P, P->lineno, "section id '%.*s' may only contain printable characters "
                 "without spaces", (int)idlen, id);
            return;
        }
    if (P->nsec == P->capsec) {
        int cap = P->capsec ? 2 * P->capsec : 8;
        struct section *ns = realloc(P->sec, (size_t)cap * sizeof *ns);
        if (!ns) {
            perr(P, P->lineno, "out of memory");
            return;
        }
        P->sec = ns;
        P->capsec = cap;
    }
    struct section *S = &P->sec[P->nsec];
    memset(S, 0, sizeof *S);
    memcpy(S->h.id, id, idlen);
    S->h.id[idlen] = '\0';
    S->h.line = P->lineno;
    const char *dfile;
    int dline;
    if (find_section(P, S->h.id, P->nsec, &dfile, &dline)) {
        perr(P, P->lineno, "[%s] duplicate id (first defined at %s:%d); ids must be unique",
             S->h.id, dfile, dline);
        return;
    }
    P->nsec++;
}

/* fgets-style reader over P->buf: one line per call, never more. */
static char *reader(char *str, int num, void *stream)
{
    struct parse *P = stream;
    if (P->err_line || P->pos >= P->len || num < 2)
        return NULL;
    const char *s = P->buf + P->pos;
    const char *nl = memchr(s, '\n', P->len - P->pos);
    size_t n = nl ? (size_t)(nl - s) + 1 : P->len - P->pos;  /* with '\n' */
    P->lineno++;
    P->line = s;
    P->line_len = nl ? n - 1 : n;
    if (n > (size_t)num - 1) {
        perr(P, P->lineno, "line is %zu characters long; inih reads at most %d "
             "(shorten the value)", P->line_len, num - 2);
        return NULL;
    }
    memcpy(str, s, n);
    str[n] = '\0';
    P->pos += n;
    reader_header(P, s, P->line_len);
    return P->err_line ? NULL : str;
}

/* ---- value checks (each returns 1 = ok, 0 = error recorded) ---- */

static int set_string(struct parse *P, struct section *S, const char *key, const char *v,
                      char *dst, size_t cap)
{
    size_t n = strlen(v);
    if (n == 0)
        return perr(P, P->lineno, "[%s] key '%s': empty value", S->h.id, key);
    if (n >= cap)
        return perr(P, P->lineno, "[%s] key '%s': value is %zu characters (max %zu)",
                    S->h.id, key, n, cap - 1);
    memcpy(dst, v, n + 1);
    return 1;
}

/* baseline: one exact kernel name.  subject: one or more names or globs
 * separated by blanks ("gemv.f32.avx2 gemv.f32.avx512"), each judged. */
static int set_kernel_name(struct parse *P, struct section *S, const char *key, const char *v,
                           char *dst, size_t cap, int allow_glob)
{
    if (!set_string(P, S, key, v, dst, cap))
        return 0;
    for (const char *c = v; *c; c++) {
        if (!allow_glob && isspace((unsigned char)*c))
            return perr(P, P->lineno, "[%s] key '%s': '%s' contains a space (expected one "
                        "kernel name, e.g. gemv.f32.scalar)", S->h.id, key, v);
        if (!allow_glob && strchr("*?[]", *c))
            return perr(P, P->lineno, "[%s] key '%s': '%s' is a glob (expected one exact "
                        "kernel name, e.g. gemv.f32.scalar)", S->h.id, key, v);
    }
    /* roles ("best:gemv.f32"): well formed, and same-isa only as a baseline */
    char buf[256], of[96];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        struct fk_err re;
        int pick = fk_role_parse(tok, of, sizeof of, &re);
        if (pick < 0)
            return perr(P, P->lineno, "[%s] key '%s': %s", S->h.id, key, re.msg);
        if (pick != FK_PICK_NONE && strpbrk(tok, "*?[]"))
            return perr(P, P->lineno, "[%s] key '%s': role '%s' cannot contain a glob", S->h.id, key, tok);
        if (pick == FK_PICK_SAME_ISA && allow_glob)
            return perr(P, P->lineno, "[%s] key '%s': same-isa:%s names a baseline relative to the "
                        "subject; use best:%s or a name as the subject", S->h.id, key, of, of);
    }
    return 1;
}

/* A finite number > 0 in plain decimal notation (no hex, inf or nan). */
static int set_positive(struct parse *P, struct section *S, const char *key, const char *v,
                        double *dst)
{
    const char *rule = "expected a finite number > 0";
    char *end;
    if (*v == '\0' || strspn(v, "0123456789.eE+-") != strlen(v)) {
        errno = 0;
        double x = strtod(v, &end);
        if (*v && *end == '\0' && !isfinite(x))
            return perr(P, P->lineno, "[%s] key '%s': '%s' is not finite (%s)", S->h.id, key,
                        v, rule);
        return perr(P, P->lineno, "[%s] key '%s': '%s' is not a number (%s)", S->h.id, key, v,
                    rule);
    }
    errno = 0;
    double x = strtod(v, &end);
    if (*end != '\0' || end == v)
        return perr(P, P->lineno, "[%s] key '%s': '%s' is not a number (%s)", S->h.id, key, v,
                    rule);
    if (!isfinite(x) || errno == ERANGE)
        return perr(P, P->lineno, "[%s] key '%s': '%s' is out of range (%s)", S->h.id, key, v,
                    rule);
    if (!(x > 0))
        return perr(P, P->lineno, "[%s] key '%s': '%s' is not > 0 (%s)", S->h.id, key, v, rule);
    *dst = x;
    return 1;
}

/* Index of v in names[0..n), or -1. */
static int lookup(const char *const *names, int n, const char *v)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], v) == 0)
            return i;
    return -1;
}

static int set_shapes(struct parse *P, struct section *S, const char *v)
{
    char tok[128];
    int n = 0;
    const char *p = v;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " \t\r\n\f\v");
        if (len >= sizeof tok)
            return perr(P, P->lineno, "[%s] key 'shapes': shape '%.40s...' is too long",
                        S->h.id, p);
        memcpy(tok, p, len);
        tok[len] = '\0';
        p += len;
        if (n == FK_HYPO_MAX_SHAPES)
            return perr(P, P->lineno, "[%s] key 'shapes': more than %d shapes (split the "
                        "hypothesis)", S->h.id, FK_HYPO_MAX_SHAPES);
        const char *why;
        if (shape_parse_why(tok, &S->h.shapes[n], &why) != 0)
            return perr(P, P->lineno, "[%s] key 'shapes': shape '%s' is invalid: %s (expected "
                        "RxC or RxCxB, e.g. 64x64 or 16x4096x8)", S->h.id, tok, why);
        for (int i = 0; i < n; i++)
            if (memcmp(&S->h.shapes[i], &S->h.shapes[n], sizeof S->h.shapes[n]) == 0)
                return perr(P, P->lineno, "[%s] key 'shapes': shape '%s' is listed twice",
                            S->h.id, tok);
        n++;
    }
    if (n == 0)
        return perr(P, P->lineno, "[%s] key 'shapes': empty value (expected RxC or RxCxB "
                    "shapes separated by spaces)", S->h.id);
    S->h.nshapes = n;
    return 1;
}

static int set_threads(struct parse *P, struct section *S, const char *v)
{
    int n = 0;
    const char *p = v;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        int len = (int)strcspn(p, " \t\r\n\f\v");
        long t = 0;
        int ok = 1;
        for (int i = 0; i < len; i++) {
            if (!isdigit((unsigned char)p[i]) || t > HYPO_MAX_THREADS_VALUE) {
                ok = 0;
                break;
            }
            t = t * 10 + (p[i] - '0');
        }
        if (!ok || t < 1 || t > HYPO_MAX_THREADS_VALUE)
            return perr(P, P->lineno, "[%s] key 'threads': '%.*s' is not a thread count "
                        "(expected integers in [1, %d] separated by spaces, e.g. 1 2 4)",
                        S->h.id, len, p, HYPO_MAX_THREADS_VALUE);
        if (n == FK_HYPO_MAX_THREADS)
            return perr(P, P->lineno, "[%s] key 'threads': more than %d thread counts",
                        S->h.id, FK_HYPO_MAX_THREADS);
        for (int i = 0; i < n; i++)
            if (S->h.threads[i] == (int)t)
                return perr(P, P->lineno, "[%s] key 'threads': %ld is listed twice", S->h.id, t);
        S->h.threads[n++] = (int)t;
        p += len;
    }
    if (n == 0)
        return perr(P, P->lineno, "[%s] key 'threads': empty value (expected e.g. 1 2 4)",
                    S->h.id);
    S->h.nthreads = n;
    return 1;
}

/* needs: CPU feature names the claim is about ("avx512vnni", "amx-int8"). */
static int set_needs(struct parse *P, struct section *S, const char *v)
{
    if (!set_string(P, S, "needs", v, S->h.needs_text, sizeof S->h.needs_text))
        return 0;
    char buf[sizeof S->h.needs_text];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        uint64_t b = fk_cpu_feature_bit(tok);
        if (!b) {
            char names[512];
            return perr(P, P->lineno, "[%s] key 'needs': unknown CPU feature '%s' (valid: %s)", S->h.id, tok,
                        fk_cpu_feature_list(fk_cpu_named_bits(), names, sizeof names));
        }
        S->h.needs |= b;
    }
    return 1;
}

/* ---- inih handler ---- */

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse *P = user;
    if (P->err_line)
        return 0;
    if (P->nsec == 0 || section[0] == '\0')
        return perr(P, P->lineno, "key '%s' outside any section (put an [id] header above it)",
                    name);
    struct section *S = &P->sec[P->nsec - 1];
    /* inih keeps its own copy of the section name, truncated to its limit;
     * ours is complete.  They differ only when the id is too long for inih. */
    if (strcmp(section, S->h.id) != 0)
        return perr(P, S->h.line, "[%s] section id too long for inih (max %zu characters)",
                    S->h.id, strlen(section));

    int k = -1;
    for (int i = 0; i < K_COUNT; i++)
        if (strcmp(keys[i].name, name) == 0)
            k = i;
    int indented = P->line_len > 0 && isspace((unsigned char)P->line[0]);
    if (k >= 0 && S->key_line[k] && indented)
        return perr(P, P->lineno, "[%s] indented line continues key '%s' (line %d); "
                    "multi-line values are not supported: remove the indentation",
                    S->h.id, name, S->key_line[k]);
    if (k < 0)
        return perr(P, P->lineno, "[%s] unknown key '%s' (valid keys: " KEYS_VALID ")",
                    S->h.id, name);
    if (S->key_line[k])
        return perr(P, P->lineno, "[%s] key '%s' given twice (first at line %d)", S->h.id,
                    name, S->key_line[k]);
    S->key_line[k] = P->lineno;

    struct fk_hypo *h = &S->h;
    int i;
    switch ((enum key_id)k) {
    case K_CLAIM:
        return set_string(P, S, name, value, h->claim, sizeof h->claim);
    case K_SOURCE:
        return set_string(P, S, name, value, h->source, sizeof h->source);
    case K_SUBJECT:
        return set_kernel_name(P, S, name, value, h->subject, sizeof h->subject, 1);
    case K_BASELINE:
        return set_kernel_name(P, S, name, value, h->baseline, sizeof h->baseline, 0);
    case K_KIND:
        if ((i = lookup(kind_names, (int)(sizeof kind_names / sizeof *kind_names), value)) < 0)
            return perr(P, P->lineno, "[%s] key 'kind': unknown kind '%s' (valid: " KIND_VALID
                        ")", S->h.id, value);
        h->kind = (enum fk_kind)i;
        return 1;
    case K_ROLE:
        if ((i = lookup(role_names, (int)(sizeof role_names / sizeof *role_names), value)) < 0)
            return perr(P, P->lineno, "[%s] key 'role': unknown role '%s' (valid: " ROLE_VALID
                        ")", S->h.id, value);
        h->role = (enum fk_role)i;
        return 1;
    case K_METRIC:
        /* Only error hypotheses use a metric; a misspelt one is refused for
         * every kind so a typo never passes silently. */
        if (lookup(metric_names, (int)(sizeof metric_names / sizeof *metric_names), value) < 0)
            return perr(P, P->lineno, "[%s] key 'metric': unknown metric '%s' (valid: "
                        METRIC_VALID ")", S->h.id, value);
        snprintf(h->metric, sizeof h->metric, "%s", value);
        return 1;
    case K_CACHE:
        if (strcmp(value, "hot") == 0)
            h->cache = FK_CACHE_HOT;
        else if (strcmp(value, "cold") == 0)
            h->cache = FK_CACHE_COLD;
        else
            return perr(P, P->lineno, "[%s] key 'cache': unknown mode '%s' (valid: hot, cold)",
                        S->h.id, value);
        return 1;
    case K_SHAPES:
        return set_shapes(P, S, value);
    case K_THREADS:
        return set_threads(P, S, value);
    case K_THRESHOLD:
        return set_positive(P, S, name, value, &h->threshold);
    case K_BUDGET_S:
        return set_positive(P, S, name, value, &h->budget_s);
    case K_TOLERANCE:
        return set_positive(P, S, name, value, &h->tolerance);
    case K_NEEDS:
        return set_needs(P, S, value);
    case K_COUNT:
        break;
    }
    return perr(P, P->lineno, "internal error: key '%s'", name);
}

/* Required keys and defaults, once a section is complete.  Errors point at
 * the section header. */
static int finish_section(struct parse *P, struct section *S)
{
    struct fk_hypo *h = &S->h;
    int first = -1;
    char also[256] = "";
    for (int k = 0; k < K_COUNT; k++) {
        if (!keys[k].required || S->key_line[k])
            continue;
        if (first < 0)
            first = k;
        else
            snprintf(also + strlen(also), sizeof also - strlen(also), "%s%s",
                     also[0] ? ", " : "", keys[k].name);
    }
    if (first >= 0)
        return perr(P, h->line, "[%s] missing required key '%s'%s%s%s", h->id,
                    keys[first].name, also[0] ? " (also missing: " : "", also,
                    also[0] ? ")" : "");
    if ((h->kind == FK_KIND_SPEEDUP || h->kind == FK_KIND_PARITY) && !S->key_line[K_BASELINE])
        return perr(P, h->line, "[%s] missing required key 'baseline' (kind %s compares "
                    "subject with a baseline kernel)", h->id, fk_kind_name(h->kind));
    if (!S->key_line[K_THREADS]) {
        h->threads[0] = 1;
        h->nthreads = 1;
    }
    if (!S->key_line[K_METRIC] && h->kind == FK_KIND_ERROR)
        snprintf(h->metric, sizeof h->metric, "%s", "gauge_max");
    if (!S->key_line[K_CACHE])
        h->cache = FK_CACHE_HOT;
    if (!S->key_line[K_BUDGET_S])
        h->budget_s = 10.0;
    if (!S->key_line[K_TOLERANCE])
        h->tolerance = 0.05;
    snprintf(h->file, sizeof h->file, "%s", P->path);
    return 1;
}

/* Text of line `line` (1-based) of the buffer, for syntax-error messages. */
static void line_text(const struct parse *P, int line, const char **s, int *n)
{
    const char *p = P->buf, *end = P->buf + P->len;
    for (int i = 1; i < line && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    *s = p;
    *n = len > 80 ? 80 : (int)len;
}

static int read_all(struct parse *P, struct fk_err *e)
{
    FILE *f = fopen(P->path, "rb");
    if (!f)
        return fk_fail(e, "%s: cannot open hypothesis file: %s", P->path, strerror(errno));
    P->buf = malloc(HYPO_MAX_FILE_BYTES + 1);
    if (!P->buf) {
        fclose(f);
        return fk_fail(e, "%s: out of memory", P->path);
    }
    P->len = fread(P->buf, 1, HYPO_MAX_FILE_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return fk_fail(e, "%s: read error", P->path);
    if (P->len > HYPO_MAX_FILE_BYTES)
        return fk_fail(e, "%s: larger than %d bytes; not a hypothesis file", P->path,
                       HYPO_MAX_FILE_BYTES);
    P->buf[P->len] = '\0';
    if (memchr(P->buf, '\0', P->len))
        return fk_fail(e, "%s: contains NUL bytes; not a text file", P->path);
    return 0;
}

int fk_hypo_parse_file(const char *path, struct fk_hypo **list, int *n, struct fk_err *e)
{
    struct parse P = {.path = path, .prev = *list, .nprev = *n, .e = e};
    int rc = -1;
    if (strlen(path) >= sizeof P.sec[0].h.file)
        return fk_fail(e, "%s: path too long (max %zu characters)", path,
                       sizeof P.sec[0].h.file - 1);
    if (read_all(&P, e) != 0)
        goto out;

    int ret = ini_parse_stream(reader, &P, handler, &P);
    if (ret < 0 && !P.err_line) {
        fk_fail(e, "%s: inih failed (code %d)", path, ret);
        goto out;
    }
    /* inih reports the first line it could not parse; the reader stops at
     * our first error, so a syntax error before it is the earlier one. */
    if (ret > 0 && (!P.err_line || ret < P.err_line)) {
        const char *s;
        int len;
        line_text(&P, ret, &s, &len);
        fk_fail(e, "%s:%d: syntax error: '%.*s' (expected '[id]', 'key = value' or a "
                "';' comment)", path, ret, len, s);
        goto out;
    }
    if (P.err_line)
        goto out;
    for (int i = 0; i < P.nsec; i++)
        if (!finish_section(&P, &P.sec[i]))
            goto out;
    if (P.nsec == 0) {
        fk_fail(e, "%s: no hypotheses (the file has no [id] sections)", path);
        goto out;
    }

    /* Append all or nothing: *list and *n change only on success. */
    struct fk_hypo *nl = realloc(*list, (size_t)(*n + P.nsec) * sizeof *nl);
    if (!nl) {
        fk_fail(e, "%s: out of memory", path);
        goto out;
    }
    for (int i = 0; i < P.nsec; i++)
        nl[*n + i] = P.sec[i].h;
    *list = nl;
    *n += P.nsec;
    rc = 0;
out:
    free(P.sec);
    free(P.buf);
    return rc;
}
