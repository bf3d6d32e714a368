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

struct fk_sweep_point {
    int threads;
    size_t bytes;              /* total working set */
    double gbs;                /* median GB/s */
    int level;                 /* 0..3 or -1 between levels */
};

struct fk_machine {
    char key[512];
    struct fk_caches caches;
    int ncpu;
    struct fk_sweep_point sweep[FK_MAX_SWEEP * 4];
    int nsweep;
    double level_gbs[FK_LEVELS][FK_MAX_THREADS + 1];    /* [level][threads] ceiling, 0 = unknown */
    double peak_f32[FK_MAX_THREADS + 1];                /* ops/s of the best FMA probe */
    double peak_int8[FK_MAX_THREADS + 1];               /* ops/s of the best int8 probe */
    char f32_isa[32], int8_isa[32];
    char date[32];
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

/* Level a working set lives in: per-thread share against private caches,
 * the total against the shared L3; cold mode is DRAM. */
int fk_level_of(const struct fk_machine *m, double total_bytes, int threads, int cold);

/* The best read probe this CPU can run. */
fk_read_fn fk_best_read(uint64_t cpu);

/* One bandwidth sample: threads each read their 1/threads of buf, reps
 * times; returns GB/s.  In cold mode bufs rotate over nbufs buffers. */
double fk_read_sample(struct fk_pool *pool, int threads, fk_read_fn rd, void **bufs, int nbufs, size_t bytes,
                      int64_t reps);

#endif
