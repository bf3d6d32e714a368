/* Machine ceilings (`falsify machine`): read bandwidth per memory level
 * from a working-set sweep, peak f32 FMA and int8 dot throughput per ISA,
 * for 1..N threads.  Cached in results/<machine>/machine.csv with a key
 * (CPU model, features, cores, compiler, probe version) and reused until
 * the key changes. */
#ifndef FK_MACHINE_H
#define FK_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "probe.h"
#include "util.h"

#define FK_MAX_THREADS 64
#define FK_LEVELS 4  /* L1, L2, L3, DRAM */
#define FK_MAX_SWEEP 48

struct fk_caches {
    size_t l1d, l2, l3;        /* bytes; 0 if absent */
    int l2_shared, l3_shared;  /* CPUs sharing it */
};

/* A read pattern: one ISA's read probe with some concurrent streams. */
struct fk_read_pattern {
    char isa[16];              /* fk_probe isa name */
    int streams;               /* 1, 2, 4 or 8 per thread */
};

struct fk_sweep_point {
    int threads;
    size_t bytes;              /* total working set */
    double gbs;                /* median GB/s of the best pattern */
    double dispersion;         /* (max - min) / median of that pattern's samples */
    struct fk_read_pattern pat;/* the pattern that gave gbs */
    int level;                 /* 0..3 or -1 between levels */
};

/* Sanity rules of the ceilings, checked (with re-measurement) before they
 * are cached; a set that still breaks one is written flagged (a "sanity"
 * row) and every run that uses it says so; never used silently. */
#define FK_SANITY_LEVEL_TOL 0.10   /* level l >= (1 - tol) x level l+1 */
#define FK_SANITY_THREADS 0.80     /* T threads >= 0.8 x 1 thread, per level */
#define FK_SANITY_MONOTONE_TOL 0.15/* along the sweep, a point <= (1 + tol) x the smaller one before it */
#define FK_SANITY_DISPERSION 0.20  /* (max - min) / median of a point's samples */
#define FK_SANITY_OTHERS 0.10      /* CPU share used by other processes during the measurement */
#define FK_SANITY_ROUNDS 2         /* re-measurements of offending points */

struct fk_machine {
    char key[512];
    struct fk_caches caches;
    int ncpu;
    struct fk_sweep_point sweep[FK_MAX_SWEEP * 4];
    int nsweep;
    double level_gbs[FK_LEVELS][FK_MAX_THREADS + 1];    /* [level][threads] ceiling, 0 = unknown */
    struct fk_read_pattern level_pat[FK_LEVELS][FK_MAX_THREADS + 1]; /* the pattern that won it */
    double others_share;       /* CPU share other processes used while measuring */
    double loadavg;            /* 1-minute load average at the start */
    char sanity[600];          /* "ok", or the rules still broken after re-measurement */
    double peak_f32[FK_MAX_THREADS + 1];                /* ops/s of the best FMA probe */
    double peak_int8[FK_MAX_THREADS + 1];               /* ops/s of the best int8 probe */
    char f32_isa[32], int8_isa[32];
    char date[32];
    const char *extra_rows;    /* written verbatim after the header (the machine's identity, ident.h); may be NULL */
};

const char *fk_level_name(int level);
int fk_caches_read(struct fk_caches *c);

/* Cache-key of this machine and build. */
void fk_machine_key(uint64_t cpu, const char *cpu_model, int ncpu, char *buf, size_t n);

/* Measures everything (a few seconds to a minute). */
int fk_machine_measure(struct fk_machine *m, uint64_t cpu, const char *key, int ncpu, int verbose,
                       struct fk_err *e);
int fk_machine_write(const struct fk_machine *m, const char *path, const char *machine, const char *cpu_model,
                     struct fk_err *e);
/* Loads path if its key matches; returns 0, 1 when absent or stale, -1 on a malformed file. */
int fk_machine_load(struct fk_machine *m, const char *path, const char *key, struct fk_err *e);

/* Ceilings and their patterns from the sweep points (the best per level
 * and thread count). */
void fk_machine_levels(struct fk_machine *m);
/* The sanity rules on m's sweep and ceilings: marks the sweep points to
 * re-measure in redo[] (m->nsweep entries) and describes what is broken in
 * note, one clause per rule with a count and the worst case; note is empty
 * when all hold.  (Peaks and the busy check are judged while measuring.) */
void fk_machine_sanity(const struct fk_machine *m, int *redo, char *note, size_t n);

/* Level a working set lives in: per-thread share against private caches,
 * the total against the shared L3; cold mode is DRAM. */
int fk_level_of(const struct fk_machine *m, double total_bytes, int threads, int cold);

/* The best read probe this CPU can run. */
fk_read_fn fk_best_read(uint64_t cpu);
/* The read probe of ISA name isa if this CPU runs it, else NULL. */
fk_read_fn fk_read_of(uint64_t cpu, const char *isa);
/* The pattern that won level's ceiling at threads (m may be NULL, level
 * -1): its probe and streams, else the best probe with 4 streams. */
void fk_machine_pattern(const struct fk_machine *m, uint64_t cpu, int level, int threads, fk_read_fn *rd,
                        int *streams);
/* bytes rounded up so each of threads slices is a whole number of
 * FK_READ_GRANULE blocks for up to FK_READ_MAX_STREAMS streams. */
size_t fk_read_round(double bytes, int threads);

/* One bandwidth sample: threads each read their 1/threads of buf (as
 * streams concurrent streams), reps times; returns GB/s.  In cold mode
 * bufs rotate over nbufs buffers. */
double fk_read_sample(struct fk_pool *pool, int threads, fk_read_fn rd, int streams, void **bufs, int nbufs,
                      size_t bytes, int64_t reps);

#endif
