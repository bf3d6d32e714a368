/* AVX2 probes (compiled with -mavx2 -mfma only; called only on CPUs with them). */
#include <immintrin.h>

#include "../kernels/kernel.h"
#include "probe.h"

/* S streams of 16/S consecutive 32-byte loads each per 512-byte step,
 * into 8 independent accumulators. */
static inline __attribute__((always_inline)) uint64_t read_streams(const void *buf, size_t bytes, const int S)
{
    const char *p = buf;
    size_t len = bytes / (size_t)S, step = FK_READ_GRANULE / (size_t)S, iters = bytes / FK_READ_GRANULE;
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    /* load j (0..15) is load j % (16/S) of stream j / (16/S); accumulator j % 8 */
#define LD(k, j) a##k = _mm256_xor_si256(a##k, _mm256_load_si256((const __m256i *)(p + (size_t)((j) / (16 / S)) * len + \
                                                                                 i * step) + (j) % (16 / S)));
    for (size_t i = 0; i < iters; i++) {
        LD(0, 0) LD(1, 1) LD(2, 2) LD(3, 3) LD(4, 4) LD(5, 5) LD(6, 6) LD(7, 7)
        LD(0, 8) LD(1, 9) LD(2, 10) LD(3, 11) LD(4, 12) LD(5, 13) LD(6, 14) LD(7, 15)
    }
#undef LD
    __m256i x = _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3)),
                                 _mm256_xor_si256(_mm256_xor_si256(a4, a5), _mm256_xor_si256(a6, a7)));
    return (uint64_t)_mm256_extract_epi64(x, 0) ^ (uint64_t)_mm256_extract_epi64(x, 3);
}

static uint64_t read_avx2(const void *buf, size_t bytes, int streams)
{
    switch (streams) {
    case 2: return read_streams(buf, bytes, 2);
    case 4: return read_streams(buf, bytes, 4);
    case 8: return read_streams(buf, bytes, 8);
    default: return read_streams(buf, bytes, 1);
    }
}

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define NACC 12  /* independent chains in named registers */

static double fma_avx2(int64_t iters, float *sink)
{
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
#define DECL(j) __m256 a##j = _mm256_set1_ps(1.0f + (float)(j));
#define STEP(j) a##j = _mm256_fmadd_ps(a##j, m, c);
#define SUM(j) s = _mm256_add_ps(s, a##j);
    REP12(DECL)
    for (int64_t i = 0; i < iters; i++) {
        REP12(STEP)
    }
    __m256 s = _mm256_setzero_ps();
    REP12(SUM)
    *sink = _mm256_cvtss_f32(s);
    return (double)iters * NACC * 8 * 2;
#undef DECL
#undef STEP
#undef SUM
}

/* u8 x s8 -> s16 pairs (vpmaddubsw), s16 pairs -> s32 (vpmaddwd), add:
 * 32 multiply-adds per instruction triple.  Operands vary per chain so the
 * products cannot be hoisted out of the loop. */
static double int8_maddubs(int64_t iters, float *sink)
{
    const __m256i ones = _mm256_set1_epi16(1);
#define DECL(j) __m256i a##j = _mm256_set1_epi32(j); __m256i b##j = _mm256_set1_epi8((char)(j + 1));
#define STEP(j) a##j = _mm256_add_epi32(a##j, _mm256_madd_epi16(_mm256_maddubs_epi16(b##j, b##j), ones)); \
    __asm__("" : "+x"(b##j));
#define SUM(j) s = _mm256_add_epi32(s, a##j);
    REP12(DECL)
    for (int64_t i = 0; i < iters; i++) {
        REP12(STEP)
    }
    __m256i s = _mm256_setzero_si256();
    REP12(SUM)
    *sink = (float)_mm256_extract_epi32(s, 0);
    return (double)iters * NACC * 32 * 2;
#undef DECL
#undef STEP
#undef SUM
}

static const struct fk_probe avx2 = {"avx2", FK_CPU_AVX2 | FK_CPU_FMA, read_avx2, fma_avx2, int8_maddubs};

const struct fk_probe *fk_probe_avx2(void) { return &avx2; }
