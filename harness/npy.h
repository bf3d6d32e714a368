/* NumPy .npy version 1.0/2.0 reader and writer (little-endian, C order).
 * Supported dtypes: <f4 <f8 |u1 |i1 <i4 <i8. */
#ifndef FK_NPY_H
#define FK_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define FK_NPY_MAXDIM 4

struct fk_npy {
    char descr[8];                   /* "<f4", "<f8", "|u1", ... */
    size_t elem_bytes;               /* 4, 8, 1, ... */
    int ndim;                        /* 0..FK_NPY_MAXDIM */
    int64_t shape[FK_NPY_MAXDIM];
    int64_t count;                   /* product of shape (1 for ndim 0) */
    void *data;                      /* count * elem_bytes, 64-byte aligned (fk_alloc, or in map) */
    void *map;                       /* fk_npy_map: the read-only mapping data lies in (NULL: fk_alloc) */
    size_t map_bytes;
};

/* Reads path.  Rejects (naming the file and the rule): bad magic, unknown
 * version, header not a dict, fortran_order True, unsupported dtype,
 * big-endian, ndim > FK_NPY_MAXDIM, negative dims, truncated data, trailing
 * bytes. */
int fk_npy_read(const char *path, struct fk_npy *out, struct fk_err *e);

/* As fk_npy_read, with the same checks, but the data is the file's own
 * pages mapped read-only (no copy; a write to them faults) when the file is
 * regular and its data offset is 64-byte aligned (every file fk_npy_write
 * and NumPy write); otherwise read as fk_npy_read does. */
int fk_npy_map(const char *path, struct fk_npy *out, struct fk_err *e);

/* Writes atomically (temp + rename).  descr as above. */
int fk_npy_write(const char *path, const char *descr, int ndim, const int64_t *shape,
                 const void *data, struct fk_err *e);

void fk_npy_free(struct fk_npy *a);

/* Checks dtype and shape: ndim and each dim (-1 = any).  Message names the
 * file, what was expected and what was found. */
int fk_npy_expect(const struct fk_npy *a, const char *path, const char *descr, int ndim,
                  const int64_t *shape, struct fk_err *e);

#endif
