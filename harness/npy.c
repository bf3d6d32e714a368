/* NumPy .npy reader and writer.
 *
 * File layout (format versions 1.0 and 2.0):
 *   "\x93NUMPY" major minor  hlen  header  data
 *   6 bytes     1     1      2 (v1) or 4 (v2) bytes, little-endian
 * header is a Python dict literal with exactly the keys 'descr',
 * 'fortran_order' and 'shape', padded with spaces and ended by '\n';
 * data is count * elem_bytes bytes, C order, and ends the file. */
#include "npy.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_BYTES 6
#define NPY_ALIGN 64                    /* data offset is a multiple of this on write */
#define NPY_MAX_HEADER_BYTES (1u << 20) /* numpy itself refuses > 10000 by default */
#define NPY_SUPPORTED "<f4 <f8 |u1 |i1 <i4 <i8"

struct npy_dtype {
    const char *descr;
    size_t elem_bytes;
};

static const struct npy_dtype npy_dtypes[] = {
    {"<f4", 4}, {"<f8", 8}, {"|u1", 1}, {"|i1", 1}, {"<i4", 4}, {"<i8", 8},
};

static const struct npy_dtype *npy_dtype_find(const char *descr)
{
    for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; i++)
        if (strcmp(npy_dtypes[i].descr, descr) == 0)
            return &npy_dtypes[i];
    return NULL;
}

/* Explains why descr is not supported; returns -1. */
static int npy_fail_dtype(struct fk_err *e, const char *path, const char *descr)
{
    if (descr[0] == '>')
        return fk_fail(e, "%s: unsupported dtype '%s' (big-endian): only little-endian " NPY_SUPPORTED,
                       path, descr);
    return fk_fail(e, "%s: unsupported dtype '%s': only " NPY_SUPPORTED, path, descr);
}

/* ---- header dict parser ----
 * Cursor over [p, end).  Every accessor checks p < end, so a header that
 * stops mid-token fails instead of reading past the buffer. */
struct npy_cur {
    const char *p, *end;
};

static void cur_skip_ws(struct npy_cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool cur_eat(struct npy_cur *c, char ch)
{
    cur_skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* Python string literal in '...' or "..." without escapes; out gets at most
 * n-1 chars.  Returns false if unterminated or too long. */
static bool cur_string(struct npy_cur *c, char *out, size_t n)
{
    cur_skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return false;
    char q = *c->p++;
    size_t len = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || len + 1 >= n)
            return false;
        out[len++] = *c->p++;
    }
    if (c->p >= c->end)
        return false;
    c->p++;
    out[len] = 0;
    return true;
}

static bool cur_word(struct npy_cur *c, const char *w)
{
    cur_skip_ws(c);
    size_t len = strlen(w);
    if ((size_t)(c->end - c->p) < len || memcmp(c->p, w, len) != 0)
        return false;
    c->p += len;
    return true;
}

/* Decimal integer, optional '-' and Python 2 'L' suffix; *neg set for '-'.
 * Magnitude must fit in int64. */
static bool cur_int(struct npy_cur *c, int64_t *v, bool *neg)
{
    cur_skip_ws(c);
    *neg = false;
    if (c->p < c->end && *c->p == '-') {
        *neg = true;
        c->p++;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return false;
    int64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        int d = *c->p++ - '0';
        if (x > (INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    if (c->p < c->end && (*c->p == 'L' || *c->p == 'l'))
        c->p++;
    *v = x;
    return true;
}

/* Parses the header dict into a.  Errors name path and the rule broken. */
static int npy_parse_header(const char *path, const char *h, size_t hlen, struct fk_npy *a,
                            struct fk_err *e)
{
    struct npy_cur c = {h, h + hlen};
    bool have_descr = false, have_order = false, have_shape = false;

    if (!cur_eat(&c, '{'))
        return fk_fail(e, "%s: npy header is not a dict: expected '{' at start of \"%.60s\"", path, h);
    for (;;) {
        if (cur_eat(&c, '}'))
            break;
        char key[32];
        if (!cur_string(&c, key, sizeof key))
            return fk_fail(e, "%s: npy header dict malformed: expected a quoted key at \"%.40s\"",
                           path, c.p);
        if (!cur_eat(&c, ':'))
            return fk_fail(e, "%s: npy header dict malformed: expected ':' after '%s'", path, key);

        if (strcmp(key, "descr") == 0 && !have_descr) {
            char d[32];
            cur_skip_ws(&c);
            if (c.p < c.end && *c.p == '[')
                return fk_fail(e, "%s: unsupported dtype (structured record): only " NPY_SUPPORTED,
                               path);
            if (!cur_string(&c, d, sizeof d))
                return fk_fail(e, "%s: npy header: 'descr' must be a short dtype string", path);
            const struct npy_dtype *t = npy_dtype_find(d);
            if (!t)
                return npy_fail_dtype(e, path, d);
            strcpy(a->descr, t->descr);
            a->elem_bytes = t->elem_bytes;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (cur_word(&c, "True"))
                return fk_fail(e, "%s: fortran_order True is not supported: only C order "
                               "(save with np.ascontiguousarray)", path);
            if (!cur_word(&c, "False"))
                return fk_fail(e, "%s: npy header: 'fortran_order' must be True or False", path);
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!cur_eat(&c, '('))
                return fk_fail(e, "%s: npy header: 'shape' must be a tuple", path);
            a->ndim = 0;
            while (!cur_eat(&c, ')')) {
                int64_t v;
                bool neg;
                if (!cur_int(&c, &v, &neg))
                    return fk_fail(e, "%s: npy header: 'shape' entry %d is not an integer "
                                   "(or overflows int64)", path, a->ndim);
                if (neg)
                    return fk_fail(e, "%s: negative dimension -%lld in shape: dims must be >= 0",
                                   path, (long long)v);
                if (a->ndim >= FK_NPY_MAXDIM)
                    return fk_fail(e, "%s: ndim > %d: at most %d dimensions are supported",
                                   path, FK_NPY_MAXDIM, FK_NPY_MAXDIM);
                a->shape[a->ndim++] = v;
                if (!cur_eat(&c, ',')) {
                    if (!cur_eat(&c, ')'))
                        return fk_fail(e, "%s: npy header: 'shape' tuple malformed", path);
                    break;
                }
            }
            have_shape = true;
        } else {
            return fk_fail(e, "%s: npy header: unexpected or repeated key '%s': only "
                           "'descr', 'fortran_order', 'shape' once each", path, key);
        }
        if (!cur_eat(&c, ',')) {
            if (!cur_eat(&c, '}'))
                return fk_fail(e, "%s: npy header dict malformed: expected ',' or '}' at \"%.40s\"",
                               path, c.p);
            break;
        }
    }
    cur_skip_ws(&c);
    if (c.p != c.end)
        return fk_fail(e, "%s: npy header: unexpected text after the dict: \"%.40s\"", path, c.p);
    if (!have_descr || !have_order || !have_shape)
        return fk_fail(e, "%s: npy header: missing key '%s'", path,
                       !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return 0;
}

/* ---- reading ---- */

static uint32_t le_u32(const unsigned char *b, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* Body of fk_npy_read; f is open.  *a is filled, a->data owned by caller
 * on success and on failure alike (the caller frees it). */
static int npy_read_file(FILE *f, const char *path, struct fk_npy *a, int map, struct fk_err *e)
{
    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < NPY_MAGIC_BYTES || memcmp(pre, NPY_MAGIC, NPY_MAGIC_BYTES) != 0)
        return fk_fail(e, "%s: bad magic: not a .npy file (must start with \\x93NUMPY)", path);
    if (got < 10)
        return fk_fail(e, "%s: truncated header: file ends inside the preamble", path);
    int major = pre[6], minor = pre[7];
    int lenbytes;
    if (major == 1 && minor == 0)
        lenbytes = 2;
    else if (major == 2 && minor == 0)
        lenbytes = 4;
    else
        return fk_fail(e, "%s: unknown npy version %d.%d: only 1.0 and 2.0", path, major, minor);
    if (lenbytes == 4 && fread(pre + 10, 1, 2, f) != 2)
        return fk_fail(e, "%s: truncated header: file ends inside the preamble", path);
    uint32_t hlen = le_u32(pre + 8, lenbytes);
    if (hlen > NPY_MAX_HEADER_BYTES)
        return fk_fail(e, "%s: npy header length %u exceeds %u bytes", path, hlen,
                       NPY_MAX_HEADER_BYTES);

    char *h = malloc((size_t)hlen + 1);
    if (!h)
        return fk_fail(e, "%s: out of memory for a %u-byte header", path, hlen);
    if (fread(h, 1, hlen, f) != hlen) {
        free(h);
        return fk_fail(e, "%s: truncated header: expected %u header bytes", path, hlen);
    }
    h[hlen] = 0;
    if (memchr(h, 0, hlen)) {
        free(h);
        return fk_fail(e, "%s: npy header contains a NUL byte", path);
    }
    int rc = npy_parse_header(path, h, hlen, a, e);
    free(h);
    if (rc)
        return rc;

    /* count * elem_bytes must fit in int64 and size_t. */
    a->count = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] != 0 && a->count > INT64_MAX / a->shape[i])
            return fk_fail(e, "%s: shape too large: element count overflows int64", path);
        a->count *= a->shape[i];
    }
    if (a->count > (int64_t)(SIZE_MAX / 8) || a->count > INT64_MAX / (int64_t)a->elem_bytes)
        return fk_fail(e, "%s: shape too large: %lld elements", path, (long long)a->count);
    size_t data_bytes = (size_t)a->count * a->elem_bytes;
    long long data_off = (long long)(lenbytes + 8) + hlen;

    /* Check the size before allocating, so a corrupt shape cannot ask for
     * terabytes; non-regular files are checked by the reads below. */
    struct stat st;
    int regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    if (regular) {
        long long have = (long long)st.st_size - data_off;
        if (have < (long long)data_bytes)
            return fk_fail(e, "%s: truncated data: shape needs %zu bytes of %s, file has %lld",
                           path, data_bytes, a->descr, have);
        if (have > (long long)data_bytes)
            return fk_fail(e, "%s: %lld trailing bytes after %zu bytes of data: file must end "
                           "with the array", path, have - (long long)data_bytes, data_bytes);
    }
    if (map && regular && data_off % NPY_ALIGN == 0 && data_bytes > 0) {
        size_t len = (size_t)data_off + data_bytes;
        void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        if (m != MAP_FAILED) {
            a->map = m;
            a->map_bytes = len;
            a->data = (char *)m + data_off;
            return 0;
        }
    }
    a->data = fk_alloc(data_bytes);
    if (!a->data)
        return fk_fail(e, "%s: out of memory for %zu bytes of data", path, data_bytes);
    if (fread(a->data, 1, data_bytes, f) != data_bytes)
        return fk_fail(e, "%s: truncated data: shape needs %zu bytes of %s", path, data_bytes,
                       a->descr);
    if (fgetc(f) != EOF)
        return fk_fail(e, "%s: trailing bytes after %zu bytes of data: file must end with the array",
                       path, data_bytes);
    if (ferror(f))
        return fk_fail(e, "%s: read error: %s", path, strerror(errno));
    return 0;
}

static int npy_open(const char *path, struct fk_npy *out, int map, struct fk_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fk_fail(e, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return fk_fail(e, "%s: cannot read: is a directory, expected a .npy file", path);
    }
    int rc = npy_read_file(f, path, out, map, e);
    fclose(f);
    if (rc)
        fk_npy_free(out);
    return rc;
}

int fk_npy_read(const char *path, struct fk_npy *out, struct fk_err *e)
{
    return npy_open(path, out, 0, e);
}

int fk_npy_map(const char *path, struct fk_npy *out, struct fk_err *e)
{
    return npy_open(path, out, 1, e);
}

void fk_npy_free(struct fk_npy *a)
{
    if (a->map)
        munmap(a->map, a->map_bytes);
    else
        fk_free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- writing ---- */

int fk_npy_write(const char *path, const char *descr, int ndim, const int64_t *shape,
                 const void *data, struct fk_err *e)
{
    const struct npy_dtype *t = npy_dtype_find(descr);
    if (!t)
        return npy_fail_dtype(e, path, descr);
    if (ndim < 0 || ndim > FK_NPY_MAXDIM)
        return fk_fail(e, "%s: cannot write ndim %d: must be 0..%d", path, ndim, FK_NPY_MAXDIM);

    /* Header: dict, then spaces, then '\n', so 10 + hlen is a multiple of 64. */
    char h[256];
    int n = snprintf(h, sizeof h, "{'descr': '%s', 'fortran_order': False, 'shape': (", t->descr);
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return fk_fail(e, "%s: cannot write dimension %d = %lld: dims must be >= 0", path, i,
                           (long long)shape[i]);
        if (shape[i] != 0 && count > INT64_MAX / shape[i])
            return fk_fail(e, "%s: cannot write: element count overflows int64", path);
        count *= shape[i];
        n += snprintf(h + n, sizeof h - (size_t)n, i == 0 ? "%lld" : ", %lld", (long long)shape[i]);
    }
    n += snprintf(h + n, sizeof h - (size_t)n, "%s), }", ndim == 1 ? "," : "");
    size_t total = ((size_t)NPY_MAGIC_BYTES + 4 + (size_t)n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    size_t hlen = total - NPY_MAGIC_BYTES - 4;
    /* ndim <= 4 keeps the dict under ~150 chars, so hlen < sizeof h. */
    memset(h + n, ' ', hlen - (size_t)n - 1);
    h[hlen - 1] = '\n';
    if (count > 0 && !data)
        return fk_fail(e, "%s: cannot write %lld elements from a NULL buffer", path, (long long)count);

    struct fk_atomic at;
    if (fk_atomic_open(&at, path, e))
        return -1;
    unsigned char pre[10];
    memcpy(pre, NPY_MAGIC, NPY_MAGIC_BYTES);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    size_t data_bytes = (size_t)count * t->elem_bytes;
    if (fwrite(pre, 1, sizeof pre, at.f) != sizeof pre || fwrite(h, 1, hlen, at.f) != hlen ||
        (data_bytes && fwrite(data, 1, data_bytes, at.f) != data_bytes)) {
        int saved = errno;
        fk_atomic_abort(&at);
        return fk_fail(e, "%s: write failed: %s (previous file left intact)", path, strerror(saved));
    }
    return fk_atomic_commit(&at, e);
}

/* ---- shape checks ---- */

/* "(2, any, 4)"; a negative dim prints as "any". */
static void npy_fmt_shape(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t k = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && k < n; i++) {
        if (shape[i] < 0)
            k += (size_t)snprintf(buf + k, n - k, "%sany", i ? ", " : "");
        else
            k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    }
    if (k < n)
        snprintf(buf + k, n - k, "%s)", ndim == 1 ? "," : "");
}

int fk_npy_expect(const struct fk_npy *a, const char *path, const char *descr, int ndim,
                  const int64_t *shape, struct fk_err *e)
{
    bool ok = strcmp(a->descr, descr) == 0;
    if (ok && ndim >= 0) {
        ok = a->ndim == ndim;
        for (int i = 0; ok && shape && i < ndim; i++)
            ok = shape[i] < 0 || shape[i] == a->shape[i];
    }
    if (ok)
        return 0;
    char want[128], found[128];
    if (ndim >= 0 && shape)
        npy_fmt_shape(want, sizeof want, ndim, shape);
    else if (ndim >= 0)
        snprintf(want, sizeof want, "ndim %d", ndim);
    else
        snprintf(want, sizeof want, "any shape");
    npy_fmt_shape(found, sizeof found, a->ndim, a->shape);
    return fk_fail(e, "%s: expected %s %s, found %s %s", path, descr, want, a->descr, found);
}
