/* GGML block formats: structs, fp16 conversion, reference quantizers and
 * dequantizers.  Static inline only (STYLE 4): every plugin compiles its own
 * copy with its own flags, and the harness tests compile it for baseline.
 *
 * The reference quantizers reproduce ggml's quantize_row_{q4_0,q8_0,q4_K,q8_K}_ref
 * bit for bit (written from the format spec; oracle/formats.py is the
 * independent NumPy twin and harness/tests/test_quant.c checks both agree).
 * Bit-exactness needs the f32 expressions to round as written: build with
 * -ffp-contract=off (PLUGIN_CFLAGS does), so no multiply-add is fused.
 *
 * Conversions ggml leaves to the platform are pinned down here as x86-64
 * does them, so C and oracle agree on every input:
 *   float -> int8 (a C cast): truncate to int32, out of range or NaN gives
 *   INT32_MIN (cvttss2si), then keep the low 8 bits;
 *   fp16 of a NaN keeps the sign and top payload bits and sets the quiet
 *   bit (F16C vcvtps2ph). */
#ifndef FK_QUANT_H
#define FK_QUANT_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernel.h"

/* Q4_0: 32 weights; value = (q - 8) * d, q in [0,15].
 * qs[j] low nibble = element j, high nibble = element j + 16. */
typedef struct fk_block_q4_0 {
    uint16_t d;       /* fp16 scale */
    uint8_t qs[16];
} fk_block_q4_0;

/* Q8_0: 32 values; value = q * d, q in [-127,127]. */
typedef struct fk_block_q8_0 {
    uint16_t d;       /* fp16 scale */
    int8_t qs[32];
} fk_block_q8_0;

/* Q4_K: 256 weights in 8 sub-blocks of 32; sub-block j has a 6-bit scale
 * sc_j and 6-bit min m_j (packed in scales[12], see fk_q4_k_get_scale_min);
 * value = d * sc_j * q - dmin * m_j, q in [0,15].
 * For each 64-element chunk c: qs[32c + l] low nibble = element 64c + l,
 * high nibble = element 64c + 32 + l. */
typedef struct fk_block_q4_k {
    uint16_t d;       /* fp16 super-block scale of the scales */
    uint16_t dmin;    /* fp16 super-block scale of the mins */
    uint8_t scales[12];
    uint8_t qs[128];
} fk_block_q4_k;

/* Q8_K: 256 activations; value = q * d (f32 d, no fp16 rounding),
 * q in [-127,127]; bsums[i] = sum of qs[16i..16i+15], in [-2032, 2032]. */
typedef struct fk_block_q8_k {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
} fk_block_q8_k;

_Static_assert(sizeof(fk_block_q8_k) == FK_Q8_K_BYTES, "Q8_K block is 292 bytes");
_Static_assert(sizeof(fk_block_q4_0) == FK_Q4_0_BYTES, "Q4_0 block is 18 bytes");
_Static_assert(sizeof(fk_block_q8_0) == FK_Q8_0_BYTES, "Q8_0 block is 34 bytes");
_Static_assert(sizeof(fk_block_q4_k) == FK_Q4_K_BYTES, "Q4_K block is 144 bytes");

/* ---- fp16 <-> f32, integer bit manipulation only (no F16C needed) ---- */

static inline float fk__f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t fk__f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Exact: every half is an f32. */
static inline float fk_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0x1f)                          /* inf, nan: payload kept */
        return fk__f32_from_bits(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
        if (mant == 0)
            return fk__f32_from_bits(sign);   /* +-0 */
        /* subnormal: mant * 2^-24; normalize so bit 10 is the hidden bit */
        uint32_t e = 113;                     /* f32 exponent field of 2^-14 */
        while (!(mant & 0x400u)) {
            mant <<= 1;
            e--;
        }
        return fk__f32_from_bits(sign | (e << 23) | ((mant & 0x3ffu) << 13));
    }
    return fk__f32_from_bits(sign | ((exp + 112) << 23) | (mant << 13));
}

/* Round to nearest, ties to even; overflow -> inf; results below half the
 * smallest subnormal (2^-25) -> signed zero, exactly 2^-25 -> zero (even). */
static inline uint16_t fk_f32_to_fp16(float f)
{
    uint32_t x = fk__f32_bits(f);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t exp = (x >> 23) & 0xffu;
    uint32_t mant = x & 0x7fffffu;
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0));
    int32_t e = (int32_t)exp - 127 + 15;      /* half exponent field if normal */
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    uint32_t q, rem, half;
    if (e <= 0) {
        if (e < -10)                          /* |f| < 2^-25 (f32 subnormals too) */
            return (uint16_t)sign;
        uint32_t m = mant | 0x800000u;        /* f = m * 2^(exp - 150) */
        uint32_t shift = (uint32_t)(14 - e);  /* to units of 2^-24: 14..24 */
        q = m >> shift;
        rem = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
    } else {
        q = ((uint32_t)e << 10) | (mant >> 13);
        rem = mant & 0x1fffu;
        half = 0x1000u;
    }
    if (rem > half || (rem == half && (q & 1u)))
        q++;                                  /* carries into the exponent, up to inf */
    return (uint16_t)(sign | q);
}

/* ---- conversions ggml's reference quantizers use ---- */

/* (int8_t)v for a float v, as x86-64 does it (see top of file). */
static inline int8_t fk__f32_to_i8(float v)
{
    int32_t i = (v >= -2147483648.0f && v < 2147483648.0f) ? (int32_t)v : INT32_MIN;
    return (int8_t)(uint8_t)((uint32_t)i & 0xffu);
}

/* ggml nearest_int: round half to even via the 1.5 * 2^23 trick, valid for
 * |f| <= 2^22 - 1; outside that range it is still this bit function. */
static inline int fk__nearest_int(float f)
{
    float v = f + 12582912.0f;
    return (int)(fk__f32_bits(v) & 0x007fffffu) - 0x00400000;
}

/* ---- Q4_0 ---- */

/* x: (k) f32, k a multiple of 32 -> y: (k/32) blocks. */
static inline void fk_quantize_row_q4_0_ref(const float *x, fk_block_q4_0 *y, int64_t k)
{
    for (int64_t i = 0; i < k / 32; i++) {
        const float *xb = x + i * 32;
        float amax = 0.0f, max = 0.0f;        /* max: signed value of the first largest |v| */
        for (int j = 0; j < 32; j++) {
            if (amax < fabsf(xb[j])) {
                amax = fabsf(xb[j]);
                max = xb[j];
            }
        }
        const float d = max / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fk_f32_to_fp16(d);
        for (int j = 0; j < 16; j++) {
            int q0 = fk__f32_to_i8(xb[j] * id + 8.5f);       /* truncates: [0,16] */
            int q1 = fk__f32_to_i8(xb[j + 16] * id + 8.5f);
            q0 = q0 < 15 ? q0 : 15;
            q1 = q1 < 15 ? q1 : 15;
            y[i].qs[j] = (uint8_t)((uint8_t)q0 | (uint8_t)((uint8_t)q1 << 4));
        }
    }
}

/* vx: (k/32) Q4_0 blocks -> y: (k) f32; exact ((q - 8) * d fits in f32). */
static inline void fk_dequantize_row_q4_0(const void *vx, float *y, int64_t k)
{
    const fk_block_q4_0 *x = vx;
    for (int64_t i = 0; i < k / 32; i++) {
        const float d = fk_fp16_to_f32(x[i].d);
        for (int j = 0; j < 16; j++) {
            y[i * 32 + j] = (float)((x[i].qs[j] & 0x0f) - 8) * d;
            y[i * 32 + j + 16] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ---- Q8_0 ---- */

/* x: (k) f32, k a multiple of 32 -> y: (k/32) blocks.
 * d = amax / 127, q = roundf(x * (1/d)) (half away from zero). */
static inline void fk_quantize_row_q8_0_ref(const float *x, fk_block_q8_0 *y, int64_t k)
{
    for (int64_t i = 0; i < k / 32; i++) {
        const float *xb = x + i * 32;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            const float a = fabsf(xb[j]);
            amax = amax > a ? amax : a;
        }
        const float d = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        y[i].d = fk_f32_to_fp16(d);
        for (int j = 0; j < 32; j++)
            y[i].qs[j] = fk__f32_to_i8(roundf(xb[j] * id));
    }
}

/* vx: (k/32) Q8_0 blocks -> y: (k) f32; exact. */
static inline void fk_dequantize_row_q8_0(const void *vx, float *y, int64_t k)
{
    const fk_block_q8_0 *x = vx;
    for (int64_t i = 0; i < k / 32; i++) {
        const float d = fk_fp16_to_f32(x[i].d);
        for (int j = 0; j < 32; j++)
            y[i * 32 + j] = (float)x[i].qs[j] * d;
    }
}

/* ---- Q4_K ---- */

/* Scale *sc and min *m (each 0..63) of sub-block j (0..7) from scales[12]:
 * bytes 0-3: low 6 bits = sc_0..3, top 2 bits = high bits of sc_4..7;
 * bytes 4-7: low 6 bits = m_0..3,  top 2 bits = high bits of m_4..7;
 * bytes 8-11: low nibble = low 4 bits of sc_4..7, high nibble = of m_4..7. */
static inline void fk_q4_k_get_scale_min(int j, const uint8_t *scales, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

/* ggml's make_qkx2_quants for one sub-block of n = 32 with nmax = 15,
 * rmin = -1, rdelta = 0.1, nstep = 20, squared error: an affine fit
 * x ~ scale * L + min searched over 21 candidate inverse scales.
 * Returns scale, sets *neg_min = -min (>= 0) and L[32] in [0,15]. */
static inline float fk__q4_k_fit(const float *x, const float *w, uint8_t *L, float *neg_min)
{
    enum { n = 32, nmax = 15, nstep = 20 };
    const float rmin = -1.0f, rdelta = 0.1f;
    uint8_t Laux[32];
    float min = x[0], max = x[0];
    float sum_w = w[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        sum_w += w[i];
        sum_x += w[i] * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        memset(L, 0, n);
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1.0f / iscale;
    float best_error = 0;
    for (int i = 0; i < n; i++) {
        int l = fk__nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)(l < 0 ? 0 : l > nmax ? nmax : l);
        float diff = scale * (float)L[i] + min - x[i];
        best_error += w[i] * (diff * diff);
    }
    for (int is = 0; is <= nstep; is++) {
        iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; i++) {
            int l = fk__nearest_int(iscale * (x[i] - min));
            l = l < 0 ? 0 : l > nmax ? nmax : l;
            Laux[i] = (uint8_t)l;
            sum_l += w[i] * (float)l;
            sum_l2 += w[i] * (float)l * (float)l;
            sum_xl += w[i] * (float)l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; i++) {
                float diff = this_scale * (float)Laux[i] + this_min - x[i];
                cur_error += w[i] * (diff * diff);
            }
            if (cur_error < best_error) {
                memcpy(L, Laux, n);
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *neg_min = -min;
    return scale;
}

#if defined(__AVX2__)
#include <immintrin.h>

static inline __m256i fk__nearest_int8(__m256 f)  /* fk__nearest_int in 8 lanes, exactly */
{
    __m256 v = _mm256_add_ps(f, _mm256_set1_ps(12582912.0f));
    return _mm256_sub_epi32(_mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x007fffff)),
                            _mm256_set1_epi32(0x00400000));
}

static inline __m256 fk__sel8(__m256 a, __m256 b, __m256 mask)  /* mask ? b : a */
{
    return _mm256_blendv_ps(a, b, mask);
}

/* The weights and fk__q4_k_fit of the 8 sub-blocks of one Q4_K
 * super-block at once, lane j = sub-block j.  Every lane performs the
 * scalar code's f32 operations in the scalar code's order (vector ops are
 * never fused), and a branch becomes a per-lane select, so scales, mins
 * and L are bit-identical to the scalar path (the gate checks every Q4_K
 * pack byte for byte against the NumPy oracle).  ~5x faster: pack()
 * quantizes the weights of every Q4_K plugin, 65 M at 32000x2048. */
static inline void fk__q4_k_fit8(const float *xb, uint8_t *L, float *scales, float *mins)
{
    enum { n = 32, nmax = 15, nstep = 20 };
    const float rmin = -1.0f, rdelta = 0.1f;
    const __m256 zero = _mm256_setzero_ps(), sign = _mm256_set1_ps(-0.0f);
    const __m256i lo = _mm256_setzero_si256(), hi = _mm256_set1_epi32(nmax);
    const __m256i idx = _mm256_setr_epi32(0, 32, 64, 96, 128, 160, 192, 224);
    __m256 x[n], w[n], best_l[n], aux[n];
    __m256 sum_x2 = zero;
    for (int i = 0; i < n; i++) {
        x[i] = _mm256_i32gather_ps(xb + i, idx, 4);
        sum_x2 = _mm256_add_ps(sum_x2, _mm256_mul_ps(x[i], x[i]));
    }
    const __m256 av_x = _mm256_sqrt_ps(_mm256_div_ps(sum_x2, _mm256_set1_ps(32.0f)));
    for (int i = 0; i < n; i++)
        w[i] = _mm256_add_ps(av_x, _mm256_andnot_ps(sign, x[i]));
    __m256 min = x[0], max = x[0], sum_w = w[0];
    __m256 sum_x = _mm256_mul_ps(sum_w, x[0]);
    for (int i = 1; i < n; i++) {
        min = _mm256_min_ps(x[i], min);  /* x < min ? x : min */
        max = _mm256_max_ps(x[i], max);  /* x > max ? x : max */
        sum_w = _mm256_add_ps(sum_w, w[i]);
        sum_x = _mm256_add_ps(sum_x, _mm256_mul_ps(w[i], x[i]));
    }
    min = fk__sel8(min, zero, _mm256_cmp_ps(min, zero, _CMP_GT_OQ));
    const __m256 flat = _mm256_cmp_ps(max, min, _CMP_EQ_OQ);  /* these lanes return early */
    __m256 iscale = _mm256_div_ps(_mm256_set1_ps((float)nmax), _mm256_sub_ps(max, min));
    __m256 scale = _mm256_div_ps(_mm256_set1_ps(1.0f), iscale);
    __m256 best_error = zero;
    for (int i = 0; i < n; i++) {
        __m256i l = fk__nearest_int8(_mm256_mul_ps(iscale, _mm256_sub_ps(x[i], min)));
        best_l[i] = _mm256_cvtepi32_ps(_mm256_min_epi32(_mm256_max_epi32(l, lo), hi));
        __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(scale, best_l[i]), min), x[i]);
        best_error = _mm256_add_ps(best_error, _mm256_mul_ps(w[i], _mm256_mul_ps(diff, diff)));
    }
    for (int is = 0; is <= nstep; is++) {
        /* min is the best fit's so far, as in the scalar code (and ggml) */
        iscale = _mm256_div_ps(_mm256_set1_ps(rmin + rdelta * (float)is + (float)nmax), _mm256_sub_ps(max, min));
        __m256 sum_l = zero, sum_l2 = zero, sum_xl = zero;
        for (int i = 0; i < n; i++) {
            __m256i l = fk__nearest_int8(_mm256_mul_ps(iscale, _mm256_sub_ps(x[i], min)));
            aux[i] = _mm256_cvtepi32_ps(_mm256_min_epi32(_mm256_max_epi32(l, lo), hi));
            __m256 wl = _mm256_mul_ps(w[i], aux[i]);
            sum_l = _mm256_add_ps(sum_l, wl);
            sum_l2 = _mm256_add_ps(sum_l2, _mm256_mul_ps(wl, aux[i]));
            sum_xl = _mm256_add_ps(sum_xl, _mm256_mul_ps(wl, x[i]));
        }
        __m256 D = _mm256_sub_ps(_mm256_mul_ps(sum_w, sum_l2), _mm256_mul_ps(sum_l, sum_l));
        __m256 ok = _mm256_cmp_ps(D, zero, _CMP_GT_OQ);
        __m256 this_scale =
            _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sum_w, sum_xl), _mm256_mul_ps(sum_x, sum_l)), D);
        __m256 this_min =
            _mm256_div_ps(_mm256_sub_ps(_mm256_mul_ps(sum_l2, sum_x), _mm256_mul_ps(sum_l, sum_xl)), D);
        __m256 pos = _mm256_cmp_ps(this_min, zero, _CMP_GT_OQ);
        this_min = fk__sel8(this_min, zero, pos);
        this_scale = fk__sel8(this_scale, _mm256_div_ps(sum_xl, sum_l2), pos);
        __m256 cur_error = zero;
        for (int i = 0; i < n; i++) {
            __m256 diff = _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(this_scale, aux[i]), this_min), x[i]);
            cur_error = _mm256_add_ps(cur_error, _mm256_mul_ps(w[i], _mm256_mul_ps(diff, diff)));
        }
        __m256 better = _mm256_and_ps(ok, _mm256_cmp_ps(cur_error, best_error, _CMP_LT_OQ));
        if (_mm256_movemask_ps(better) == 0)
            continue;
        for (int i = 0; i < n; i++)
            best_l[i] = fk__sel8(best_l[i], aux[i], better);
        best_error = fk__sel8(best_error, cur_error, better);
        scale = fk__sel8(scale, this_scale, better);
        min = fk__sel8(min, this_min, better);
    }
    scale = fk__sel8(scale, zero, flat);
    _mm256_storeu_ps(scales, scale);
    _mm256_storeu_ps(mins, _mm256_xor_ps(min, sign));  /* -min */
    for (int i = 0; i < n; i++) {
        float l8[8];
        _mm256_storeu_ps(l8, fk__sel8(best_l[i], zero, flat));
        for (int j = 0; j < 8; j++)
            L[32 * j + i] = (uint8_t)l8[j];
    }
}
#endif

/* x: (k) f32, k a multiple of 256 -> y: (k/256) blocks (ggml quantize_row_q4_K_ref). */
static inline void fk_quantize_row_q4_k_ref(const float *x, fk_block_q4_k *y, int64_t k)
{
    for (int64_t i = 0; i < k / 256; i++) {
        const float *xb = x + i * 256;
        uint8_t L[256];
        float scales[8], mins[8], weights[32];
        float max_scale = 0, max_min = 0;
#if defined(__AVX2__)
        (void)weights;
        fk__q4_k_fit8(xb, L, scales, mins);
#else
        for (int j = 0; j < 8; j++) {
            const float *xs = xb + 32 * j;
            float sum_x2 = 0;
            for (int l = 0; l < 32; l++)
                sum_x2 += xs[l] * xs[l];
            const float av_x = sqrtf(sum_x2 / 32.0f);
            for (int l = 0; l < 32; l++)
                weights[l] = av_x + fabsf(xs[l]);
            scales[j] = fk__q4_k_fit(xs, weights, L + 32 * j, &mins[j]);
        }
#endif
        for (int j = 0; j < 8; j++) {
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
        const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
        memset(y[i].scales, 0, sizeof y[i].scales);
        for (int j = 0; j < 8; j++) {
            uint8_t ls = (uint8_t)fk__nearest_int(inv_scale * scales[j]);  /* low 8 bits, as ggml */
            uint8_t lm = (uint8_t)fk__nearest_int(inv_min * mins[j]);
            ls = ls < 63 ? ls : 63;
            lm = lm < 63 ? lm : 63;
            if (j < 4) {
                y[i].scales[j] = ls;
                y[i].scales[j + 4] = lm;
            } else {
                y[i].scales[j + 4] = (uint8_t)((ls & 0x0f) | ((lm & 0x0f) << 4));
                y[i].scales[j - 4] |= (uint8_t)((ls >> 4) << 6);
                y[i].scales[j] |= (uint8_t)((lm >> 4) << 6);
            }
        }
        y[i].d = fk_f32_to_fp16(max_scale / 63.0f);
        y[i].dmin = fk_f32_to_fp16(max_min / 63.0f);
        /* requantize against the stored 6-bit scales and fp16 d, dmin;
         * a sub-block whose scale is 0 keeps its fit's L */
        for (int j = 0; j < 8; j++) {
            uint8_t sc, m;
            fk_q4_k_get_scale_min(j, y[i].scales, &sc, &m);
            const float d = fk_fp16_to_f32(y[i].d) * (float)sc;
            if (d == 0.0f)
                continue;
            const float dm = fk_fp16_to_f32(y[i].dmin) * (float)m;
            for (int l = 0; l < 32; l++) {
                int q = fk__nearest_int((xb[32 * j + l] + dm) / d);
                L[32 * j + l] = (uint8_t)(q < 0 ? 0 : q > 15 ? 15 : q);
            }
        }
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                y[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | (L[64 * c + 32 + l] << 4));
    }
}

/* vx: (k/256) Q4_K blocks -> y: (k) f32 as ggml's dequantize_row_q4_K:
 * (d * sc) * q - dmin * m, each product and the difference rounded to f32. */
static inline void fk_dequantize_row_q4_k(const void *vx, float *y, int64_t k)
{
    const fk_block_q4_k *x = vx;
    for (int64_t i = 0; i < k / 256; i++) {
        const float d = fk_fp16_to_f32(x[i].d);
        const float dmin = fk_fp16_to_f32(x[i].dmin);
        for (int c = 0; c < 4; c++) {
            uint8_t sc, m;
            fk_q4_k_get_scale_min(2 * c, x[i].scales, &sc, &m);
            const float d1 = d * (float)sc, m1 = dmin * (float)m;
            fk_q4_k_get_scale_min(2 * c + 1, x[i].scales, &sc, &m);
            const float d2 = d * (float)sc, m2 = dmin * (float)m;
            const uint8_t *q = x[i].qs + 32 * c;
            float *yc = y + i * 256 + 64 * c;
            for (int l = 0; l < 32; l++) {
                yc[l] = d1 * (float)(q[l] & 0x0f) - m1;
                yc[l + 32] = d2 * (float)(q[l] >> 4) - m2;
            }
        }
    }
}

/* ---- Q8_K ---- */

/* x: (k) f32, k a multiple of 256 -> y: (k/256) blocks (ggml
 * quantize_row_q8_K_ref).  max = the signed value of the first largest |v|
 * (NaN never wins); iscale = -127 / max (f32 division), q = min(127,
 * nearest_int(iscale * x)) (product rounded to f32, then ties to even),
 * kept as its low 8 bits; d = 1 / iscale; bsums from the stored qs.
 * An all-zero block (amax = 0, also all-NaN) stores d = 0, qs = 0 and
 * bsums = 0 (ggml leaves bsums unwritten there; 0 is their only value
 * consistent with qs).  A max whose -127 / max overflows (|max| < ~3.7e-37)
 * gives iscale = -+inf and so q = 0 everywhere (nearest_int of +-inf or of
 * inf * 0 = NaN keeps no bits), d = -+0, as in ggml. */
static inline void fk_quantize_row_q8_k_ref(const float *x, fk_block_q8_k *y, int64_t k)
{
    for (int64_t i = 0; i < k / 256; i++) {
        const float *xb = x + i * 256;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 256; j++) {
            const float ax = fabsf(xb[j]);
            if (ax > amax) {
                amax = ax;
                max = xb[j];
            }
        }
        if (amax == 0.0f) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            const int v = fk__nearest_int(iscale * xb[j]);
            y[i].qs[j] = (int8_t)(uint8_t)((uint32_t)(v < 127 ? v : 127) & 0xffu);
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++)
                sum += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)sum;
        }
        y[i].d = 1.0f / iscale;
    }
}

/* vx: (k/256) Q8_K blocks -> y: (k) f32 (q * d, one rounding). */
static inline void fk_dequantize_row_q8_k(const void *vx, float *y, int64_t k)
{
    const fk_block_q8_k *x = vx;
    for (int64_t i = 0; i < k / 256; i++)
        for (int j = 0; j < 256; j++)
            y[i * 256 + j] = (float)x[i].qs[j] * x[i].d;
}

#endif /* FK_QUANT_H */
