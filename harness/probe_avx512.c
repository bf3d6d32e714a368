/* AVX-512 probes (compiled with -mavx512f -mavx512bw -mavx512vnni only;
 * called only on CPUs with them). */
#include <immintrin.h>

#include "../kernels/kernel.h"
#include "probe.h"

/* S streams of 8/S consecutive 64-byte loads each per 512-byte step, into
 * 8 independent accumulators. */
static inline __attribute__((always_inline)) uint64_t read_streams(const void *buf, size_t bytes, const int S)
{
    const char *p = buf;
    size_t len = bytes / (size_t)S, step = FK_READ_GRANULE / (size_t)S, iters = bytes / FK_READ_GRANULE;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    /* accumulator k reads load k % (8/S) of stream k / (8/S) */
#define LD(k) a##k = _mm512_xor_si512(a##k, _mm512_load_si512((const __m512i *)(p + (size_t)((k) / (8 / S)) * len + \
                                                                              i * step) + (k) % (8 / S)));
    for (size_t i = 0; i < iters; i++) {
        LD(0) LD(1) LD(2) LD(3) LD(4) LD(5) LD(6) LD(7)
    }
#undef LD
    __m512i x = _mm512_xor_si512(_mm512_xor_si512(_mm512_xor_si512(a0, a1), _mm512_xor_si512(a2, a3)),
                                 _mm512_xor_si512(_mm512_xor_si512(a4, a5), _mm512_xor_si512(a6, a7)));
    return (uint64_t)_mm512_reduce_add_epi64(x);
}

static uint64_t read_avx512(const void *buf, size_t bytes, int streams)
{
    switch (streams) {
    case 2: return read_streams(buf, bytes, 2);
    case 4: return read_streams(buf, bytes, 4);
    case 8: return read_streams(buf, bytes, 8);
    default: return read_streams(buf, bytes, 1);
    }
}

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define NACC 12  /* independent chains in named registers: latency 4 x 2 ports needs >= 8 */

static double fma_avx512(int64_t iters, float *sink)
{
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
#define DECL(j) __m512 a##j = _mm512_set1_ps(1.0f + (float)(j));
#define STEP(j) a##j = _mm512_fmadd_ps(a##j, m, c);
#define SUM(j) s = _mm512_add_ps(s, a##j);
    REP12(DECL)
    for (int64_t i = 0; i < iters; i++) {
        REP12(STEP)
    }
    __m512 s = _mm512_setzero_ps();
    REP12(SUM)
    *sink = _mm512_reduce_add_ps(s);
    return (double)iters * NACC * 16 * 2;
#undef DECL
#undef STEP
#undef SUM
}

/* vpdpbusd: 64 u8 x s8 multiply-adds into 16 s32 lanes per instruction. */
static double int8_vnni(int64_t iters, float *sink)
{
    const __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-2);
#define DECL(j) __m512i a##j = _mm512_set1_epi32(j);
#define STEP(j) a##j = _mm512_dpbusd_epi32(a##j, x, y);
#define SUM(j) s = _mm512_add_epi32(s, a##j);
    REP12(DECL)
    for (int64_t i = 0; i < iters; i++) {
        REP12(STEP)
    }
    __m512i s = _mm512_setzero_si512();
    REP12(SUM)
    *sink = (float)_mm512_reduce_add_epi32(s);
    return (double)iters * NACC * 64 * 2;
#undef DECL
#undef STEP
#undef SUM
}

static const struct fk_probe avx512 = {"avx512", FK_CPU_AVX512F | FK_CPU_AVX512BW, read_avx512, fma_avx512, NULL};
static const struct fk_probe vnni = {"avx512vnni", FK_CPU_AVX512F | FK_CPU_AVX512BW | FK_CPU_AVX512VNNI, NULL, NULL,
                                     int8_vnni};

const struct fk_probe *fk_probe_avx512(void) { return &avx512; }
const struct fk_probe *fk_probe_avx512vnni(void) { return &vnni; }
