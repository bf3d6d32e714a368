/* Hypothesis files (hypotheses/<name>.ini), parsed with inih.  One section per
 * claim; the section name is its id.  See DESIGN.md "Hypotheses". */
#ifndef FK_HYPO_H
#define FK_HYPO_H

#include <stdint.h>

#include "../kernels/kernel.h"
#include "util.h"

#define FK_HYPO_MAX_SHAPES 16
#define FK_HYPO_MAX_THREADS 8

/* speedup: t(baseline)/t(subject) >= threshold.  error: metric <= threshold.
 * scaling: efficiency speedup(T)/T >= threshold.  roofline: achieved /
 * attainable >= threshold.  parity: t(baseline)/t(subject) within
 * [1/(1+tolerance), 1+tolerance].  latency: median ns per call <= threshold
 * (subjects include the harness's own barrier.spin and barrier.pthread). */
enum fk_kind { FK_KIND_SPEEDUP = 1, FK_KIND_ERROR, FK_KIND_SCALING, FK_KIND_ROOFLINE, FK_KIND_PARITY, FK_KIND_LATENCY };
enum fk_role { FK_ROLE_GUARD = 1, FK_ROLE_CLAIM };
enum fk_cache { FK_CACHE_HOT = 0, FK_CACHE_COLD };

struct fk_hypo {
    char id[64];            /* section name */
    char file[256];         /* file it came from */
    int line;               /* line of the section header */
    char claim[512];
    char source[256];
    enum fk_kind kind;
    char subject[1024];     /* kernel names, globs or roles (best:gemv.f32, scalar:gemv.f32), blank-separated */
    char baseline[128];     /* kernel name or role (best:, same-isa:, scalar:) (speedup, parity); "" otherwise */
    struct fk_shape shapes[FK_HYPO_MAX_SHAPES];  /* "RxC" or "RxCxB" */
    int nshapes;
    int threads[FK_HYPO_MAX_THREADS];            /* "1" or "1 2 4" */
    int nthreads;
    double threshold;       /* speedup ratio; error bound in metric units; efficiency; fraction */
    enum fk_role role;
    /* optional */
    char metric[32];        /* error: gauge_max (default) | gauge_p99 | ulp_max */
    enum fk_cache cache;    /* hot (default) | cold */
    double budget_s;        /* time budget per shape (default 10) */
    double tolerance;       /* parity: allowed |ratio - 1| (default 0.05) */
    uint64_t needs;         /* FK_CPU_* bits the claim is about (needs = avx512vnni): without them */
    char needs_text[128];   /* the claim is UNTESTABLE for a capability, as it should be */
    double min_time_s;      /* bench (not a file key): each replicate samples >= this long, no fixed
                             * pair count; 0: the verdict's replicate schedule */
    int replicates;         /* bench (not a file key): replicates per comparison; 0: FK_REPLICATES */
};

/* Parses one file, appending to *list (realloc'd; *n updated).  Errors name
 * file, line and key: "hypotheses/h.ini:12: key 'threshold': 'abc' is not a
 * number".  Rules: every section needs claim, source, kind, subject, shapes,
 * threshold, role (speedup/parity also baseline); unknown keys and kinds are
 * errors; duplicate ids (within the list) are errors; shapes are positive
 * RxC or RxCxB; threads positive integers; threshold a finite number > 0. */
int fk_hypo_parse_file(const char *path, struct fk_hypo **list, int *n, struct fk_err *e);

const char *fk_kind_name(enum fk_kind k);
const char *fk_role_name(enum fk_role r);

/* Parses "RxC" or "RxCxB" (batch defaults to 1). 0 or -1. */
int fk_shape_parse(const char *s, struct fk_shape *out);
/* "RxC" or "RxCxB" when batch != 1. */
void fk_shape_format(const struct fk_shape *s, char *buf, size_t n);

#endif
