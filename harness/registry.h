/* Plugin discovery: scan a directory for *.so, dlopen each, validate its
 * descriptors, and decide per kernel whether this CPU may run it. */
#ifndef FK_REGISTRY_H
#define FK_REGISTRY_H

#include <stdint.h>

#include "../kernels/kernel.h"
#include "util.h"

enum fk_status { FK_RUNNABLE = 0, FK_SKIPPED, FK_REFUSED };

struct fk_entry {
    char path[512];               /* the .so it came from */
    char build[256];              /* compiler and flags, from FK_BUILD_SYMBOL */
    const struct fk_kernel *k;    /* NULL when refused before a descriptor was read */
    enum fk_status status;
    uint64_t missing;             /* FK_CPU_* bits this CPU lacks (skipped) */
    char why[512];                /* reason for skipped / refused */
};

struct fk_registry {
    struct fk_entry *e;
    int n;
    void **handles;               /* dlopen handles, closed by fk_registry_free */
    int nhandles;
    uint64_t cpu;                 /* features the scan judged against */
};

/* Scans dir (non-recursive, *.so in name order) and appends to r.  Returns
 * -1 only if dir cannot be read; a bad plugin becomes a FK_REFUSED entry
 * with a message naming the file.  Mutants are kept (flag visible in k). */
int fk_registry_scan(struct fk_registry *r, const char *dir, uint64_t cpu, struct fk_err *e);
void fk_registry_free(struct fk_registry *r);

/* Validates one descriptor; 0 or -1 with the rule it breaks in e. */
int fk_kernel_validate(const struct fk_kernel *k, struct fk_err *e);

/* Runnable entry by exact name, or NULL. */
const struct fk_entry *fk_registry_find(const struct fk_registry *r, const char *name);

const char *fk_op_name(enum fk_op op);
const char *fk_format_name(enum fk_format f);

/* Shape rule check for kernel k: 0, or -1 with "cols must be a multiple of 32". */
int fk_shape_ok(const struct fk_kernel *k, const struct fk_shape *s, struct fk_err *e);

#endif
