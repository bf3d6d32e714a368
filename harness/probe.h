/* Machine-ceiling probes: read bandwidth, peak f32 FMA and int8 dot
 * throughput.  Each ISA's probes live in their own file compiled with that
 * ISA's flags (probe_avx2.c, probe_avx512.c); the harness calls one only
 * after checking the CPU has its features, as it does for plugins. */
#ifndef FK_PROBE_H
#define FK_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* Reads bytes of buf once as `streams` (1, 2, 4 or 8) contiguous parts
 * advanced in lockstep, the way a kernel reading several rows at once
 * does; buf 64-byte aligned, bytes a multiple of FK_READ_GRANULE.  Returns
 * a value derived from every byte so the loads cannot be elided. */
#define FK_READ_GRANULE 512
#define FK_READ_MAX_STREAMS 8
typedef uint64_t (*fk_read_fn)(const void *buf, size_t bytes, int streams);
/* iters rounds of independent FMAs (or int8 dots); returns the ops done
 * (2 per multiply-add); *sink keeps the result alive. */
typedef double (*fk_peak_fn)(int64_t iters, float *sink);

struct fk_probe {
    const char *isa;       /* "sse", "avx2", "avx512", "avx512vnni", "maddubs", "neon" */
    uint64_t requires;     /* FK_CPU_* bits */
    fk_read_fn read;       /* NULL if this entry has no read probe */
    fk_peak_fn fma;        /* f32 FMA peak (NULL: none) */
    fk_peak_fn int8;       /* int8 dot peak (NULL: none) */
};

/* Fills out with the probes compiled into this build, best ISA last;
 * returns how many.  The caller checks each one's requires bits. */
int fk_probes(const struct fk_probe **out, int max);

/* Per-ISA tables (defined in the ISA files; absent ones are NULL). */
const struct fk_probe *fk_probe_generic(void);
const struct fk_probe *fk_probe_avx2(void);
const struct fk_probe *fk_probe_avx512(void);
const struct fk_probe *fk_probe_avx512vnni(void);

#endif
