/* Vector math for the x86 decode plugins: exp and horizontal reductions.
 *
 * Static inline only (STYLE 4).  Each section compiles only when the
 * including plugin's flags allow it: the AVX2 section needs -mavx2 -mfma,
 * the AVX-512 section -mavx512f (the Makefile gives *_avx512.c both), so a
 * scalar plugin that includes this header gets nothing.
 *
 * exp(x), f32, both ISAs, one algorithm (Cephes expf, Moshier):
 *   n = rint(x log2(e));  r = x - n ln2 with ln2 split Cody-Waite style:
 *   ln2_hi = 355/512 has 9 significant bits, so n * ln2_hi (|n| <= 150) is
 *   exact and x - n ln2_hi is exact (Sterbenz); |r| <= ln2/2 + 2^-12.
 *   exp(r) = 1 + r + r^2 P(r), P of degree 5, Cephes' minimax coefficients
 *   for that interval (truncation error < 2^-25 relative).
 *   exp(x) = exp(r) * 2^n, 2^n applied so that results round once into the
 *   subnormal range (gradual underflow) and overflow to +inf.
 * Accuracy: measured max error 1.01 ulp32 of the exact result over every f32
 * x in [-104, 89], subnormal results included (both ISAs; 0.5 of it is the
 * final rounding, the rest P and the rounding of r).
 * harness/verify.c's FK_EXP_ULP = 2 bounds it with margin.
 * Range: x is clamped to [-104, 89] first: x >= 88.73 gives +inf, x <= -103.98
 * gives +0 (both correctly), -inf gives 0 (masked softmax lanes), NaN stays
 * NaN (max/min are ordered so the NaN operand is returned).
 * The anti-example is exp(x) ~ 1 + x + x^2/2 (EMBODIOS softmax): its relative
 * error is already 1.4e-3 at x = -0.2 and it never decays to 0 (see
 * kernels/mutants/softmax_f32_taylorexp.c). */
#ifndef FK_VECMATH_X86_H
#define FK_VECMATH_X86_H

#include <immintrin.h>

#define FK_EXP_LOG2E   1.44269504088896341f
#define FK_EXP_LN2_HI  0.693359375f        /* 355/512, exact in 9 bits */
#define FK_EXP_LN2_LO  -2.12194440e-4f     /* ln2 - ln2_hi */
#define FK_EXP_X_MIN   -104.0f             /* exp(-104) < 2^-150: rounds to +0 */
#define FK_EXP_X_MAX   89.0f               /* exp(89) > FLT_MAX: +inf */
#define FK_EXP_P0 1.9875691500e-4f
#define FK_EXP_P1 1.3981999507e-3f
#define FK_EXP_P2 8.3334519073e-3f
#define FK_EXP_P3 4.1665795894e-2f
#define FK_EXP_P4 1.6666665459e-1f
#define FK_EXP_P5 5.0000001201e-1f

#if defined(__AVX2__) && defined(__FMA__)

/* exp of 8 lanes (see the top of the file for method and accuracy). */
static inline __m256 fk_exp_avx2(__m256 x)
{
    /* max(lo, x), min(hi, .): a NaN x is the second operand, so it survives */
    x = _mm256_min_ps(_mm256_set1_ps(FK_EXP_X_MAX), _mm256_max_ps(_mm256_set1_ps(FK_EXP_X_MIN), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(FK_EXP_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(FK_EXP_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(FK_EXP_LN2_LO), r);
    __m256 p = _mm256_set1_ps(FK_EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FK_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FK_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FK_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FK_EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(FK_EXP_P5));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
    p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));          /* exp(r) in [0.70, 1.42] */
    /* 2^n = 2^n1 * 2^n2, n1 = floor(n/2): for n in [-150, 129] both factors
     * are normal floats, p * 2^n1 is exact and the second product rounds
     * once, into the subnormals if need be. */
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* Sum of the 8 lanes. */
static inline float fk_hsum_avx2(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Max of the 8 lanes. */
static inline float fk_hmax_avx2(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Lanes [0, n) set (all bits), the rest clear; n in [0, 8]: tail masks for
 * _mm256_maskload_ps / _mm256_maskstore_ps, which never touch masked-off
 * memory. */
static inline __m256i fk_tailmask_avx2(int64_t n)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lane);
}

#endif /* __AVX2__ && __FMA__ */

#if defined(__AVX512F__)

/* exp of 16 lanes (see the top of the file).  vscalefps applies 2^n with a
 * single rounding, gradual underflow and overflow to +inf. */
static inline __m512 fk_exp_avx512(__m512 x)
{
    x = _mm512_min_ps(_mm512_set1_ps(FK_EXP_X_MAX), _mm512_max_ps(_mm512_set1_ps(FK_EXP_X_MIN), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(FK_EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(FK_EXP_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(FK_EXP_LN2_LO), r);
    __m512 p = _mm512_set1_ps(FK_EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FK_EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FK_EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FK_EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FK_EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(FK_EXP_P5));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Lanes [0, n) of a 16-lane mask; n in [0, 16]. */
static inline __mmask16 fk_tailmask_avx512(int64_t n)
{
    return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u);
}

#endif /* __AVX512F__ */

#endif /* FK_VECMATH_X86_H */
