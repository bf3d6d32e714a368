/* Vector math for the aarch64 NEON plugins: exp, horizontal reductions,
 * fp16 scales, tail loads.
 *
 * Static inline only (STYLE 4).  Everything compiles only for aarch64
 * (__ARM_NEON: asimd is part of the ARMv8-A baseline), so a portable plugin
 * that includes this header by mistake on x86 gets nothing.
 *
 * exp(x), f32, 4 lanes: the same algorithm and constants as
 * vecmath_x86.h (Cephes expf, Moshier; see there for the derivation):
 *   n = rint(x log2 e) (FRINTN: ties to even, as _mm256_round_ps);
 *   r = x - n ln2_hi - n ln2_lo, two FMAs (ln2_hi has 9 significant bits,
 *   so n ln2_hi is exact and the first subtraction is exact);
 *   exp(r) = 1 + r + r^2 P(r), P of degree 5 (Cephes' minimax coefficients);
 *   exp(x) = exp(r) 2^n1 2^n2, n1 = n >> 1, n2 = n - n1, both normal for n in
 *   [-150, 128]: the first product is exact, the second rounds once (into
 *   the subnormals if need be; overflow gives +inf).
 * Each step is the same IEEE operation as in the AVX2 version (FMLA = FMA),
 * so the results are bit-identical to fk_exp_avx2 and the measured maximum
 * error is the same: 1.01 ulp32 over every f32 x in [-104, 89];
 * harness/verify.c's FK_EXP_ULP = 2 bounds it with margin.
 * Range: x is clamped to [-104, 89] first: x >= 88.73 gives +inf,
 * x <= -103.98 gives +0, -inf gives 0 (masked lanes), NaN stays NaN
 * (FMINNM/FMAXNM would drop it, so FMIN/FMAX are used: they propagate NaN). */
#ifndef FK_VECMATH_NEON_H
#define FK_VECMATH_NEON_H

#if defined(__ARM_NEON) && defined(__aarch64__)

#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

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

/* exp of 4 lanes (see the top of the file for method and accuracy). */
static inline float32x4_t fk_exp_neon(float32x4_t x)
{
    x = vminq_f32(vdupq_n_f32(FK_EXP_X_MAX), vmaxq_f32(vdupq_n_f32(FK_EXP_X_MIN), x));
    const float32x4_t n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(FK_EXP_LOG2E)));
    float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(FK_EXP_LN2_HI));   /* x - n ln2_hi, exact */
    r = vfmsq_f32(r, n, vdupq_n_f32(FK_EXP_LN2_LO));
    float32x4_t p = vdupq_n_f32(FK_EXP_P0);
    p = vfmaq_f32(vdupq_n_f32(FK_EXP_P1), p, r);
    p = vfmaq_f32(vdupq_n_f32(FK_EXP_P2), p, r);
    p = vfmaq_f32(vdupq_n_f32(FK_EXP_P3), p, r);
    p = vfmaq_f32(vdupq_n_f32(FK_EXP_P4), p, r);
    p = vfmaq_f32(vdupq_n_f32(FK_EXP_P5), p, r);
    p = vfmaq_f32(r, p, vmulq_f32(r, r));
    p = vaddq_f32(p, vdupq_n_f32(1.0f));                 /* exp(r) in [0.70, 1.42] */
    const int32x4_t ni = vcvtq_s32_f32(n);               /* n is integral: exact */
    const int32x4_t n1 = vshrq_n_s32(ni, 1);             /* floor(n / 2) */
    const int32x4_t n2 = vsubq_s32(ni, n1);
    const int32x4_t bias = vdupq_n_s32(127);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, bias), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, bias), 23));
    return vmulq_f32(vmulq_f32(p, s1), s2);
}

/* Loads x[0, n) into lanes [0, n), n in [0, 4], the other lanes = fill;
 * never reads past x + n. */
static inline float32x4_t fk_load_tail_neon(const float *x, int64_t n, float fill)
{
    float buf[4] = {fill, fill, fill, fill};
    memcpy(buf, x, (size_t)n * sizeof(float));
    return vld1q_f32(buf);
}

/* Stores lanes [0, n) of v to y[0, n), n in [0, 4]. */
static inline void fk_store_tail_neon(float *y, float32x4_t v, int64_t n)
{
    float buf[4];
    vst1q_f32(buf, v);
    memcpy(y, buf, (size_t)n * sizeof(float));
}

/* An fp16 scale (GGML d) as f32: exact (FCVT, ARMv8.0 baseline). */
static inline float fk_fp16_to_f32_neon(uint16_t h)
{
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h))), 0);
}

#endif /* __ARM_NEON && __aarch64__ */

#endif /* FK_VECMATH_NEON_H */
