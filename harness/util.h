/* Small shared helpers: error messages, aligned buffers, atomic file writes. */
#ifndef FK_UTIL_H
#define FK_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* One message per failure: what failed, the value, the rule, a hint.
 * Functions return 0 on success or a negative code and fill *e. */
struct fk_err {
    char msg[1024];
};

/* Formats into e->msg (if e is not NULL) and returns -1. */
int fk_fail(struct fk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* 64-byte aligned allocation, zero-filled; free with fk_free. NULL on failure. */
void *fk_alloc(size_t bytes);
void fk_free(void *p);

/* Atomic file write: open a temp file beside path, write, fsync, rename.
 * fk_atomic_open returns a FILE* to write to; fk_atomic_commit closes it and
 * renames onto path (on any write error it removes the temp and fails);
 * fk_atomic_abort discards it.  An interrupted run never leaves a torn file. */
struct fk_atomic {
    FILE *f;
    char path[1024];
    char tmp[1100];
};
int fk_atomic_open(struct fk_atomic *a, const char *path, struct fk_err *e);
int fk_atomic_commit(struct fk_atomic *a, struct fk_err *e);
void fk_atomic_abort(struct fk_atomic *a);

/* mkdir -p; 0 or -1 with message. */
int fk_mkdirs(const char *path, struct fk_err *e);

#endif
