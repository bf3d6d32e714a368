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

/* The library behind a peer kernel name (op.format.<library>), e.g.
 * "OpenBLAS (Debian libopenblas-dev)", or NULL if name names no known peer.
 * Lets a hypothesis that names an absent peer say why it cannot run. */
const char *fk_peer_library(const char *name);

const char *fk_op_name(enum fk_op op);
const char *fk_format_name(enum fk_format f);

/* ---- roles: a kernel named by what it is, not by its ISA ----
 *
 * Hypotheses may name a kernel by role instead of by ISA so that one suite
 * decides the same claims on every machine:
 *   best:OP.FMT      the runnable variant of OP.FMT highest in the declared
 *                    ISA preference order below (never scalar, emulated or
 *                    mutant); chosen by declared rank, not by measured speed
 *   same-isa:OP.FMT  (baseline only) the variant of OP.FMT of the subject's
 *                    ISA: same ISA family and no CPU feature the subject does
 *                    not need; else the same family; else no feature the
 *                    subject does not need; the highest ranked of the first
 *                    non-empty tier (never mutant or emulated; scalar only
 *                    for a scalar subject)
 *   scalar:OP.FMT    the portable C reference OP.FMT.scalar ("asked for")
 * Preference order (the variant, i.e. the third part of the name):
 *   amx > avx512vnni > avxvnni > avx512 > avx2 > neondot > neon >
 *   tiled4x4neon > tiled4x4 = sse > scalar; other variants are unranked and
 *   never picked by a role. */
enum fk_pick { FK_PICK_NONE = 0, FK_PICK_BEST, FK_PICK_SAME_ISA, FK_PICK_SCALAR };

/* Declared rank of a variant name (higher is preferred; scalar 0), -1 if
 * unranked.  family gets its ISA family ("avx512", "avx2", "neon", "base",
 * "amx", "scalar") or "" when unranked; may be NULL. */
int fk_variant_rank(const char *variant, const char **family);

/* Parses "role:op.format".  Returns FK_PICK_NONE when s has no ':' (a plain
 * name or glob), the role, or -1 with the rule in e when s is a malformed
 * role.  op_format gets "op.format". */
int fk_role_parse(const char *s, char *op_format, size_t n, struct fk_err *e);

/* The best runnable variant of op_format ("gemv.w4a8") by declared rank
 * among entries runnable with the CPU features cpu (never scalar, emulated
 * or mutant); NULL with the reason in why (every candidate and why it was
 * not taken). */
const struct fk_entry *fk_registry_best(const struct fk_registry *r, const char *op_format, uint64_t cpu,
                                        char *why, size_t nwhy);
/* The variant of op_format of the subject's ISA (see same-isa above), or NULL with why. */
const struct fk_entry *fk_registry_same_isa(const struct fk_registry *r, const char *op_format,
                                            const struct fk_entry *subject, uint64_t cpu, char *why, size_t nwhy);
/* A kernel spec: an exact name or a role (same-isa relative to subject,
 * which may be NULL for other roles).  NULL with why when nothing runnable
 * answers it (an exact name that exists but is skipped is returned: the
 * caller reports its own reason). */
const struct fk_entry *fk_registry_resolve(const struct fk_registry *r, const char *spec,
                                           const struct fk_entry *subject, uint64_t cpu, char *why, size_t nwhy);

/* CPU-feature mask (--isa): every runnable entry that needs a feature
 * outside allowed becomes FK_SKIPPED with the reason "masked (label): needs
 * ..."; r->cpu is restricted to allowed. */
void fk_registry_mask(struct fk_registry *r, uint64_t allowed, const char *label);

/* Shape rule check for kernel k: 0, or -1 with "cols must be a multiple of 32". */
int fk_shape_ok(const struct fk_kernel *k, const struct fk_shape *s, struct fk_err *e);

#endif
