/* Baseline probes: GCC vector extensions (SSE2 on x86-64, NEON on aarch64). */
#include "probe.h"

typedef float v4f __attribute__((vector_size(16)));
typedef uint64_t v2u __attribute__((vector_size(16)));

static uint64_t read_generic(const void *buf, size_t bytes)
{
    const v2u *p = buf;
    v2u a0 = {0, 0}, a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < bytes / 16; i += 4) {
        a0 ^= p[i];
        a1 ^= p[i + 1];
        a2 ^= p[i + 2];
        a3 ^= p[i + 3];
    }
    v2u s = a0 ^ a1 ^ a2 ^ a3;
    return s[0] ^ s[1];
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
