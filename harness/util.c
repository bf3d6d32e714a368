#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fk_fail(struct fk_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void *fk_alloc(size_t bytes)
{
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        memset(p, 0, rounded ? rounded : 64);
    return p;
}

void fk_free(void *p) { free(p); }

int fk_atomic_open(struct fk_atomic *a, const char *path, struct fk_err *e)
{
    memset(a, 0, sizeof *a);
    if (strlen(path) >= sizeof a->path)
        return fk_fail(e, "%s: path too long", path);
    strcpy(a->path, path);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f)
        return fk_fail(e, "%s: cannot create temp file %s: %s", path, a->tmp, strerror(errno));
    return 0;
}

int fk_atomic_commit(struct fk_atomic *a, struct fk_err *e)
{
    int bad = ferror(a->f);
    if (fflush(a->f) != 0)
        bad = 1;
    if (!bad && fsync(fileno(a->f)) != 0)
        bad = 1;
    int saved = errno;
    if (fclose(a->f) != 0)
        bad = 1;
    a->f = NULL;
    if (bad) {
        remove(a->tmp);
        return fk_fail(e, "%s: write failed: %s (previous file left intact)", a->path, strerror(saved));
    }
    if (rename(a->tmp, a->path) != 0) {
        saved = errno;
        remove(a->tmp);
        return fk_fail(e, "%s: rename from %s failed: %s", a->path, a->tmp, strerror(saved));
    }
    return 0;
}

void fk_atomic_abort(struct fk_atomic *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
        remove(a->tmp);
    }
}

int fk_mkdirs(const char *path, struct fk_err *e)
{
    char buf[1024];
    if (strlen(path) >= sizeof buf)
        return fk_fail(e, "%s: path too long", path);
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return fk_fail(e, "cannot create directory %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return fk_fail(e, "cannot create directory %s: %s", buf, strerror(errno));
    return 0;
}
