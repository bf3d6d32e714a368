/* Baseline probes: GCC vector extensions (SSE2 on x86-64, NEON on aarch64). */
#include "probe.h"

typedef float v4f __attribute__((vector_size(16)));
typedef uint64_t v2u __attribute__((vector_size(16)));

/* S streams of 32/S consecutive 16-byte loads each per 512-byte step, into
 * 8 independent accumulators. */
static inline __attribute__((always_inline)) uint64_t read_streams(const void *buf, size_t bytes, const int S)
{
    const char *p = buf;
    size_t len = bytes / (size_t)S, step = FK_READ_GRANULE / (size_t)S, iters = bytes / FK_READ_GRANULE;
    v2u acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        acc[k] = (v2u){0, 0};
    for (size_t i = 0; i < iters; i++) {
#pragma GCC unroll 8
        for (int s = 0; s < S; s++) {
            const v2u *q = (const v2u *)(p + (size_t)s * len + i * step);
#pragma GCC unroll 32
            for (int k = 0; k < 32 / S; k++)
                acc[(s * (32 / S) + k) & 7] ^= q[k];
        }
    }
    v2u x = acc[0] ^ acc[1] ^ acc[2] ^ acc[3] ^ acc[4] ^ acc[5] ^ acc[6] ^ acc[7];
    return x[0] ^ x[1];
}

static uint64_t read_generic(const void *buf, size_t bytes, int streams)
{
    switch (streams) {
    case 2: return read_streams(buf, bytes, 2);
    case 4: return read_streams(buf, bytes, 4);
    case 8: return read_streams(buf, bytes, 8);
    default: return read_streams(buf, bytes, 1);
    }
}

/* Multiply-add without FMA on x86-64 baseline (mul + add: 2 ops). */
static double fma_generic(int64_t iters, float *sink)
{
    const v4f m = {0.999999f, 0.999999f, 0.999999f, 0.999999f}, c = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
    v4f a0 = {1, 1, 1, 1}, a1 = a0 + c, a2 = a1 + c, a3 = a2 + c, a4 = a3 + c, a5 = a4 + c, a6 = a5 + c, a7 = a6 + c;
    for (int64_t i = 0; i < iters; i++) {
        a0 = a0 * m + c;
        a1 = a1 * m + c;
        a2 = a2 * m + c;
        a3 = a3 * m + c;
        a4 = a4 * m + c;
        a5 = a5 * m + c;
        a6 = a6 * m + c;
        a7 = a7 * m + c;
    }
    v4f s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    *sink = s[0] + s[1] + s[2] + s[3];
    return (double)iters * 8 * 4 * 2;
}

static const struct fk_probe generic = {"sse", 0, read_generic, fma_generic, NULL};

const struct fk_probe *fk_probe_generic(void) { return &generic; }
