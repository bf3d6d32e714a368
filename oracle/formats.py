"""Number formats as a kernel sees them: f32, f16, and the GGML block formats.

quantize(w, fmt)  -> uint8 array (rows, row_bytes): GGML blocks, bit-exact
                     with ggml's reference quantizers (quantize_row_*_ref);
                     a (cols,) input is one row
as_seen(arr, fmt) -> float64 values of arr after a round trip through fmt,
                     same shape as arr

Written from the format definitions, independently of kernels/quant.h; the
C tests (harness/tests/test_quant.c) compare the two byte for byte.

Bit-exactness rules.  ggml's quantizers run in C float (f32) arithmetic,
each operation rounded once (built without FMA contraction).  Here every
such value is a float32 array, every constant a np.float32, and each C
expression is evaluated with the same operation order; sums that C runs
sequentially are sequential loops here (never np.sum, which is pairwise).
Conversions the C standard leaves open are pinned to x86-64 behaviour, as
kernels/quant.h does: float -> int8 truncates to int32 (NaN or out of range
-> INT32_MIN, as cvttss2si) and keeps the low 8 bits; fp16 of a NaN keeps
the sign and top payload bits and sets the quiet bit (as F16C).

Layouts (little-endian, as in ggml-common.h):
  q4_0: 18 B per 32: fp16 d; qs[16], low nibble of qs[j] = element j,
        high nibble = element j+16; value = (q - 8) * d
  q8_0: 34 B per 32: fp16 d; int8 qs[32]; value = q * d
  q4_k: 144 B per 256: fp16 d, fp16 dmin, scales[12] (8 six-bit scales and
        8 six-bit mins), qs[128]: for each 64-chunk c, qs[32c+l] low nibble =
        element 64c+l, high nibble = element 64c+32+l;
        value = d * sc_j * q - dmin * m_j for sub-block j = element // 32
  q8_k: 292 B per 256: f32 d; int8 qs[256]; int16 bsums[16] (sum of each
        16 qs); value = q * d (ggml's activation format for K-quant dots)
"""
import hashlib

import numpy as np

FORMATS = {"f32", "none", "f16", "q4_0", "q8_0", "q4_k", "s8_row", "u8_asym", "q8_k"}

# elements per block, bytes per block
BLOCKS = {"q4_0": (32, 18), "q8_0": (32, 34), "q4_k": (256, 144), "q8_k": (256, 292)}

F32 = np.float32
U32 = np.uint32


# ---------------------------------------------------------------- fp16 --

def f32_to_fp16_bits(a):
    """uint16 bits of float32 array a rounded to fp16, nearest-even."""
    x = np.ascontiguousarray(a, dtype=F32).view(U32).astype(np.int64)
    sign = (x >> 16) & 0x8000
    exp = (x >> 23) & 0xFF
    mant = x & 0x7FFFFF
    e = exp - 127 + 15                       # half exponent field if normal
    # normal halves: drop 13 mantissa bits
    qn = (e << 10) | (mant >> 13)
    remn = mant & 0x1FFF
    halfn = np.full_like(x, 0x1000)
    # subnormal halves: value in units of 2^-24 is m >> (14 - e)
    shift = np.clip(14 - e, 14, 24)
    m = mant | 0x800000
    qs = m >> shift
    rems = m & ((np.int64(1) << shift) - 1)
    halfs = np.int64(1) << (shift - 1)
    sub = e <= 0
    q = np.where(sub, qs, qn)
    rem = np.where(sub, rems, remn)
    half = np.where(sub, halfs, halfn)
    q = q + ((rem > half) | ((rem == half) & ((q & 1) == 1)))
    out = sign | q
    out = np.where(sub & (e < -10), sign, out)           # below 2^-25: zero
    out = np.where(e >= 31, sign | 0x7C00, out)          # overflow: inf
    nan_or_inf = np.where(mant != 0, 0x7C00 | 0x200 | (mant >> 13), 0x7C00)
    out = np.where(exp == 0xFF, sign | nan_or_inf, out)
    return out.astype(np.uint16)


def fp16_bits_to_f32(h):
    """float32 values of fp16 bit patterns h (exact)."""
    h = np.asarray(h, dtype=np.uint16)
    return h.view(np.float16).astype(F32)   # widening is exact


# ------------------------------------------------- C float conversions --

def _f32_to_i8(v):
    """(int8_t)v for float v, x86-64 style: int8 array."""
    v = np.asarray(v)
    ok = (v >= -2147483648.0) & (v < 2147483648.0)       # False for NaN
    i = np.where(ok, np.trunc(np.where(ok, v, 0)), -2147483648.0).astype(np.int64)
    return (i & 0xFF).astype(np.uint8).view(np.int8)


def _roundf(v):
    """C roundf on float32 v: half away from zero (exact via float64)."""
    v64 = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        r = np.copysign(np.floor(np.abs(v64) + 0.5), v64)
    return np.where(np.isfinite(v64), r, v64)


def _nearest_int(f):
    """ggml nearest_int: bits of f + 1.5*2^23 (round half to even)."""
    v = np.asarray(f, dtype=F32) + F32(12582912.0)
    return (v.view(np.int32) & 0x7FFFFF).astype(np.int64) - 0x400000


# ---------------------------------------------------------------- q4_0 --

def _quantize_q4_0(xb):
    """xb: (nb, 32) float32 -> (nb, 18) uint8."""
    nb = xb.shape[0]
    amax = np.zeros(nb, F32)
    mx = np.zeros(nb, F32)
    for j in range(32):                      # first largest |v| wins
        a = np.abs(xb[:, j])
        upd = amax < a
        amax = np.where(upd, a, amax)
        mx = np.where(upd, xb[:, j], mx)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = mx / F32(-8.0)
        idd = np.where(d != 0, F32(1.0) / np.where(d != 0, d, F32(1.0)), F32(0.0)).astype(F32)
        v = xb * idd[:, None] + F32(8.5)
    q = np.minimum(15, _f32_to_i8(v).astype(np.int64)) & 0xFF
    out = np.zeros((nb, 18), np.uint8)
    out[:, 0:2] = f32_to_fp16_bits(d).reshape(nb, 1).view(np.uint8)
    out[:, 2:18] = (q[:, :16] | (q[:, 16:] << 4)) & 0xFF
    return out


def _dequantize_q4_0(b):
    nb = b.shape[0]
    d = fp16_bits_to_f32(np.ascontiguousarray(b[:, 0:2]).view(np.uint16).reshape(nb)).astype(np.float64)
    qs = b[:, 2:18].astype(np.int64)
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1) - 8
    return q * d[:, None]


# ---------------------------------------------------------------- q8_0 --

def _quantize_q8_0(xb):
    """xb: (nb, 32) float32 -> (nb, 34) uint8."""
    nb = xb.shape[0]
    amax = np.zeros(nb, F32)
    for j in range(32):                      # amax = MAX(amax, |v|)
        a = np.abs(xb[:, j])
        amax = np.where(amax > a, amax, a)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d = amax / F32(127.0)
        idd = np.where(d != 0, F32(1.0) / np.where(d != 0, d, F32(1.0)), F32(0.0)).astype(F32)
        v = xb * idd[:, None]                # multiplies by 1/d, as ggml
    q = _f32_to_i8(_roundf(v))
    out = np.zeros((nb, 34), np.uint8)
    out[:, 0:2] = f32_to_fp16_bits(d).reshape(nb, 1).view(np.uint8)
    out[:, 2:34] = q.view(np.uint8)
    return out


def _dequantize_q8_0(b):
    nb = b.shape[0]
    d = fp16_bits_to_f32(np.ascontiguousarray(b[:, 0:2]).view(np.uint16).reshape(nb)).astype(np.float64)
    q = np.ascontiguousarray(b[:, 2:34]).view(np.int8).astype(np.float64)
    return q * d[:, None]


# ---------------------------------------------------------------- q4_k --

def _q4_k_fit(x, w):
    """ggml make_qkx2_quants(32, 15, x, w, L, &the_min, Laux, -1, 0.1, 20,
    false) for n sub-blocks at once.  x, w: (32, n) float32, element-major
    (one contiguous row per element position, for speed).
    Returns scale (n,), the_min (n,) = -min, L (32, n) int32 in [0, 15]."""
    n = x.shape[1]
    nmax = F32(15.0)
    rmin, rdelta = F32(-1.0), F32(0.1)
    mn = x[0].copy()
    mx = x[0].copy()
    sum_w = w[0].copy()
    sum_x = sum_w * x[0]
    for i in range(1, 32):
        mn = np.where(x[i] < mn, x[i], mn)
        mx = np.where(x[i] > mx, x[i], mx)
        sum_w = sum_w + w[i]
        sum_x = sum_x + w[i] * x[i]
    mn = np.where(mn > 0, F32(0.0), mn)
    flat = mx == mn

    def levels(iscale, mn):
        return np.clip(_nearest_int(iscale * (x - mn)), 0, 15).astype(np.int32)

    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        iscale = nmax / (mx - mn)
        scale = F32(1.0) / iscale
        L = levels(iscale, mn)
        Lf = L.astype(F32)
        best = np.zeros(n, F32)
        for i in range(32):
            diff = scale * Lf[i] + mn - x[i]
            best = best + w[i] * (diff * diff)
        for step in range(21):
            # ggml updates min when a candidate wins, and later candidates
            # measure from the updated min
            iscale = (rmin + rdelta * F32(step) + nmax) / (mx - mn)
            La = levels(iscale, mn)
            Laf = La.astype(F32)
            sl = np.zeros(n, F32)
            sl2 = np.zeros(n, F32)
            sxl = np.zeros(n, F32)
            for i in range(32):
                wl = w[i] * Laf[i]
                sl = sl + wl
                sl2 = sl2 + wl * Laf[i]
                sxl = sxl + wl * x[i]
            D = sum_w * sl2 - sl * sl
            this_scale = (sum_w * sxl - sum_x * sl) / D
            this_min = (sl2 * sum_x - sl * sxl) / D
            pos = this_min > 0
            this_min = np.where(pos, F32(0.0), this_min)
            this_scale = np.where(pos, sxl / sl2, this_scale)
            cur = np.zeros(n, F32)
            for i in range(32):
                diff = this_scale * Laf[i] + this_min - x[i]
                cur = cur + w[i] * (diff * diff)
            better = (D > 0) & (cur < best)
            L = np.where(better, La, L)
            best = np.where(better, cur, best)
            scale = np.where(better, this_scale, scale)
            mn = np.where(better, this_min, mn)
    L = np.where(flat, 0, L)
    scale = np.where(flat, F32(0.0), scale).astype(F32)
    return scale, (-mn).astype(F32), L


def _quantize_q4_k(xb):
    """xb: (nb, 256) float32 -> (nb, 144) uint8."""
    nb = xb.shape[0]
    xs = np.ascontiguousarray(xb.reshape(nb * 8, 32).T)     # (32, sub-blocks)
    sum_x2 = np.zeros(nb * 8, F32)
    for l in range(32):
        sum_x2 = sum_x2 + xs[l] * xs[l]
    av_x = np.sqrt(sum_x2 / F32(32.0))
    weights = av_x + np.abs(xs)
    scale, the_min, L = _q4_k_fit(xs, weights)
    scales = scale.reshape(nb, 8)
    mins = the_min.reshape(nb, 8)
    L = L.T.reshape(nb, 256)
    max_scale = np.zeros(nb, F32)
    max_min = np.zeros(nb, F32)
    for j in range(8):
        max_scale = np.where(scales[:, j] > max_scale, scales[:, j], max_scale)
        max_min = np.where(mins[:, j] > max_min, mins[:, j], max_min)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inv_scale = np.where(max_scale > 0, F32(63.0) / max_scale, F32(0.0)).astype(F32)
        inv_min = np.where(max_min > 0, F32(63.0) / max_min, F32(0.0)).astype(F32)
        ls = np.minimum(_nearest_int(inv_scale[:, None] * scales) & 0xFF, 63)   # (nb, 8)
        lm = np.minimum(_nearest_int(inv_min[:, None] * mins) & 0xFF, 63)
        dbits = f32_to_fp16_bits(max_scale / F32(63.0))
        mbits = f32_to_fp16_bits(max_min / F32(63.0))
        # requantize against the stored 6-bit scales and fp16 d, dmin
        d = fp16_bits_to_f32(dbits)[:, None] * ls.astype(F32)               # (nb, 8)
        dm = fp16_bits_to_f32(mbits)[:, None] * lm.astype(F32)
        xr = xb.reshape(nb, 8, 32)
        q = np.clip(_nearest_int((xr + dm[:, :, None]) / d[:, :, None]), 0, 15)
    L = np.where((d != 0)[:, :, None], q, L.reshape(nb, 8, 32)).reshape(nb, 256)
    sc = np.zeros((nb, 12), np.int64)
    sc[:, 0:4] = ls[:, 0:4] | ((ls[:, 4:8] >> 4) << 6)
    sc[:, 4:8] = lm[:, 0:4] | ((lm[:, 4:8] >> 4) << 6)
    sc[:, 8:12] = (ls[:, 4:8] & 0x0F) | ((lm[:, 4:8] & 0x0F) << 4)
    Lc = L.reshape(nb, 4, 64)
    qs = (Lc[:, :, :32] | (Lc[:, :, 32:] << 4)).reshape(nb, 128)
    out = np.zeros((nb, 144), np.uint8)
    out[:, 0:2] = dbits.reshape(nb, 1).view(np.uint8)
    out[:, 2:4] = mbits.reshape(nb, 1).view(np.uint8)
    out[:, 4:16] = sc
    out[:, 16:144] = qs
    return out


def q4_k_scale_min(scales):
    """(sc, m) int64 arrays (nb, 8) from packed scales (nb, 12)."""
    s = scales.astype(np.int64)
    sc = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 0x0F) | ((s[:, 0:4] >> 6) << 4)], axis=1)
    m = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
    return sc, m


def _dequantize_q4_k(b):
    """Exact float64 values d*sc*q - dmin*m (what an integer-dot kernel sees)."""
    nb = b.shape[0]
    d = fp16_bits_to_f32(np.ascontiguousarray(b[:, 0:2]).view(np.uint16).reshape(nb)).astype(np.float64)
    dmin = fp16_bits_to_f32(np.ascontiguousarray(b[:, 2:4]).view(np.uint16).reshape(nb)).astype(np.float64)
    sc, m = q4_k_scale_min(b[:, 4:16])
    qs = b[:, 16:144].astype(np.int64).reshape(nb, 4, 32)
    q = np.stack([qs & 0x0F, qs >> 4], axis=2).reshape(nb, 8, 32)
    return (d[:, None, None] * sc[:, :, None] * q - (dmin[:, None] * m)[:, :, None]).reshape(nb, 256)


# ---------------------------------------------------------------- q8_k --

def _quantize_q8_k(xb):
    """xb: (nb, 256) float32 -> (nb, 292) uint8 (ggml quantize_row_q8_K_ref).

    max: signed value of the first strictly largest |v| (NaN never wins);
    iscale = -127/max in f32; q = min(127, nearest_int(f32(iscale * x)))
    kept as its low 8 bits; d = f32(1/iscale); bsums = sums of 16 stored q.
    amax == 0: d = 0, q = 0, bsums = 0."""
    nb = xb.shape[0]
    amax = np.zeros(nb, F32)
    mx = np.zeros(nb, F32)
    for j in range(256):
        a = np.abs(xb[:, j])
        upd = a > amax                       # False for NaN
        amax = np.where(upd, a, amax)
        mx = np.where(upd, xb[:, j], mx)
    zero = amax == 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        iscale = (F32(-127.0) / np.where(zero, F32(1.0), mx)).astype(F32)
        v = _nearest_int((iscale[:, None] * xb).astype(F32))
        d = (F32(1.0) / iscale).astype(F32)
    q = (np.minimum(v, 127) & 0xFF).astype(np.uint8).view(np.int8)
    q = np.where(zero[:, None], np.int8(0), q)
    d = np.where(zero, F32(0.0), d).astype(F32)
    bsums = q.astype(np.int64).reshape(nb, 16, 16).sum(axis=2).astype(np.int16)   # exact integers
    out = np.zeros((nb, 292), np.uint8)
    out[:, 0:4] = d.reshape(nb, 1).view(np.uint8)
    out[:, 4:260] = q.view(np.uint8)
    out[:, 260:292] = bsums.view(np.uint8)
    return out


def _dequantize_q8_k(b):
    nb = b.shape[0]
    d = np.ascontiguousarray(b[:, 0:4]).view(F32).reshape(nb).astype(np.float64)
    q = np.ascontiguousarray(b[:, 4:260]).view(np.int8).astype(np.float64)
    return q * d[:, None]


QUANTIZERS = {"q4_0": _quantize_q4_0, "q8_0": _quantize_q8_0, "q4_k": _quantize_q4_k, "q8_k": _quantize_q8_k}
DEQUANTIZERS = {"q4_0": _dequantize_q4_0, "q8_0": _dequantize_q8_0, "q4_k": _dequantize_q4_k,
                "q8_k": _dequantize_q8_k}


def _rows(w, fmt):
    w = np.asarray(w)
    if w.dtype != F32:
        raise SystemExit("oracle: quantize(%s) needs float32 input, got %s" % (fmt, w.dtype))
    w2 = w.reshape(1, -1) if w.ndim == 1 else w.reshape(-1, w.shape[-1])
    return np.ascontiguousarray(w2)


# gen.py quantizes w for w-<fmt>.npy and again through as_seen for the
# reference: remember the last few results, keyed by content.
_CACHE = {}


# ------------------------------------------- plain int8 (peers: oneDNN) --
#
# Not GGML: the schemes a oneDNN int8 user applies (kernels/kernel.h).
#   s8_row  weights, symmetric per output row: bytes per row = f32 d (little
#           endian) then int8 q[cols]; d = max|w| / 127, q = rint(w / d)
#           (d = 0: q = 0); value = q * d
#   u8_asym activations, ONNX DynamicQuantizeLinear over the whole tensor:
#           lo = min(0, min x), hi = max(0, max x), s = (hi - lo) / 255,
#           zp = clip(rint(-lo / s), 0, 255), q = clip(rint(x / s) + zp, 0, 255)
#           (s = 0: q = zp = 0); value = (q - zp) * s
# Every step is one float32 operation, rint rounds half to even, as rintf.

def _quantize_s8_row(w2):
    """(rows, cols) float32 -> (rows, 4 + cols) uint8."""
    amax = np.max(np.abs(w2), axis=1)                     # exact
    d = (amax / F32(127.0)).astype(F32)
    safe = np.where(d != 0, d, F32(1.0)).astype(F32)
    q = np.where(d[:, None] != 0, np.rint(w2 / safe[:, None]), 0)
    q = np.clip(q, -127, 127).astype(np.int8)
    return np.concatenate([d.reshape(-1, 1).view(np.uint8), q.view(np.uint8)], axis=1)


def _dequantize_s8_row(b):
    d = np.ascontiguousarray(b[:, :4]).view(F32).astype(np.float64)
    q = np.ascontiguousarray(b[:, 4:]).view(np.int8).astype(np.float64)
    return q * d


def u8_asym(x):
    """(q uint8 array shaped as x, s float32, zp int) of float32 tensor x."""
    x = np.asarray(x, dtype=F32)
    lo = min(F32(0.0), x.min())
    hi = max(F32(0.0), x.max())
    s = F32(F32(hi - lo) / F32(255.0))
    if s == 0:
        return np.zeros(x.shape, np.uint8), s, 0
    zp = int(np.clip(np.rint(F32(-lo) / s), 0, 255))
    q = np.clip(np.rint(x / s) + zp, 0, 255).astype(np.uint8)
    return q, s, zp


def quantize(w, fmt):
    """uint8 (rows, row_bytes) GGML blocks of float32 w (rows, cols) or (cols,)."""
    w2 = _rows(w, fmt)
    key = (fmt, w2.shape, hashlib.sha1(w2.tobytes()).hexdigest())
    if key not in _CACHE:
        if len(_CACHE) >= 4:
            _CACHE.clear()
        _CACHE[key] = _quantize(w2, fmt)
    return _CACHE[key].copy()


def _quantize(w2, fmt):
    if fmt == "f16":
        return f32_to_fp16_bits(w2).view(np.uint8).reshape(w2.shape[0], -1)
    if fmt == "s8_row":
        return _quantize_s8_row(w2)
    if fmt not in BLOCKS:
        raise SystemExit("oracle: format '%s' has no quantizer (known: %s)" % (fmt, " ".join(sorted(BLOCKS))))
    qk, nbytes = BLOCKS[fmt]
    rows, cols = w2.shape
    if cols % qk:
        raise SystemExit("oracle: %s needs cols a multiple of %d, got %d" % (fmt, qk, cols))
    # inf/nan intermediates are part of the C behaviour being reproduced
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        blocks = QUANTIZERS[fmt](w2.reshape(rows * (cols // qk), qk))
    return blocks.reshape(rows, (cols // qk) * nbytes)


def dequantize(q, fmt, shape):
    """float64 values of GGML bytes q (rows, row_bytes), reshaped to shape."""
    if fmt == "f16":
        return fp16_bits_to_f32(np.ascontiguousarray(q).view(np.uint16)).astype(np.float64).reshape(shape)
    if fmt == "s8_row":
        return _dequantize_s8_row(np.asarray(q)).reshape(shape)
    qk, nbytes = BLOCKS[fmt]
    return DEQUANTIZERS[fmt](np.ascontiguousarray(q).reshape(-1, nbytes)).reshape(shape)


def as_seen(arr, fmt):
    """float64 values of arr as a kernel sees them in format fmt."""
    if fmt in ("f32", "none"):
        return np.asarray(arr, dtype=np.float64)
    if fmt not in FORMATS:
        raise SystemExit("oracle: format '%s' not supported (known: %s)" % (fmt, " ".join(sorted(FORMATS))))
    arr = np.asarray(arr, dtype=F32)
    if fmt == "u8_asym":                 # one scale for the whole tensor
        q, s, zp = u8_asym(arr)
        return (q.astype(np.float64) - zp) * np.float64(s)
    return dequantize(quantize(arr, fmt), fmt, arr.shape)
