"""Decode-step ops: rmsnorm, softmax, swiglu, rope, attention (kernels/kernel.h).

inputs(op, rng, shape) -> dict of float32 arrays (w, x, x2) and float64[4] params
refs(op, inputs, shape, wf, af) -> {"ref-wf-af": float64 y[, "gauge-wf-af": float64]}

Every reference is computed in float64 from the float32 inputs exactly as the
kernel receives them, parameters included: the kernel gets params as f32
(fk_args.param), so params.npy holds float64(float32(value)) and eps, scale
are not a hidden source of disagreement.  Value ranges are those of a decode
step of a Llama-style model:
    rmsnorm  x ~ N(0, 1), gain g ~ U[0.5, 1.5]
    softmax  logits ~ U[-10, 10] (attention-score spread; |x - max| <= 20)
    swiglu   a, b ~ N(0, 1)
    rope     x ~ N(0, 1), pos = 37 + seed-dependent in [0, 64), theta = 10000
    attention q, K, V ~ N(0, 1), scale = 1/sqrt(head_dim)
"""
import numpy as np

OP_IDS = {"rmsnorm": 4, "softmax": 5, "swiglu": 6, "rope": 7, "attention": 8}

RMSNORM_EPS = 1e-5
ROPE_THETA = 10000.0
SOFTMAX_LOGIT_HALF_SPAN = 10.0  # harness/verify.c FK_SOFTMAX_SPAN = 2 * this


def _params(*vals):
    p = np.zeros(4, dtype=np.float64)
    p[:len(vals)] = np.asarray(vals, dtype=np.float32)  # as the kernel sees them
    return p


def inputs(op, rng, shape):
    rows, cols, batch = shape
    f32 = np.float32
    if op == "rmsnorm":
        return {"w": rng.uniform(0.5, 1.5, size=cols).astype(f32),
                "x": rng.standard_normal((rows, cols)).astype(f32),
                "params": _params(RMSNORM_EPS)}
    if op == "softmax":
        h = SOFTMAX_LOGIT_HALF_SPAN
        return {"x": rng.uniform(-h, h, size=(rows, cols)).astype(f32)}
    if op == "swiglu":
        return {"x": rng.standard_normal((rows, cols)).astype(f32),
                "x2": rng.standard_normal((rows, cols)).astype(f32)}
    if op == "rope":
        if cols % 2:
            raise SystemExit("oracle: rope needs an even head_dim, got %d" % cols)
        pos = 37 + int(rng.integers(0, 64))
        return {"x": rng.standard_normal((rows, cols)).astype(f32),
                "params": _params(pos, ROPE_THETA)}
    if op == "attention":
        kv = rng.standard_normal((2, rows, batch, cols)).astype(f32)  # K then V
        q = rng.standard_normal((rows, cols)).astype(f32)
        return {"w": kv.reshape(-1), "x": q, "params": _params(1.0 / np.sqrt(cols))}
    raise SystemExit("oracle: ops_decode has no op '%s'" % op)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def refs(op, inp, shape, wf, af):
    rows, cols, batch = shape
    tag = "%s-%s" % (wf, af)
    x = inp["x"].astype(np.float64).reshape(rows, cols)
    out = {}
    if op == "rmsnorm":
        g = inp["w"].astype(np.float64)
        eps = inp["params"][0]
        y = x * g / np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    elif op == "softmax":
        y = _softmax(x)
    elif op == "swiglu":
        b = inp["x2"].astype(np.float64).reshape(rows, cols)
        y = x / (1.0 + np.exp(-x)) * b
    elif op == "rope":
        pos, theta = inp["params"][0], inp["params"][1]
        i = np.arange(cols // 2, dtype=np.float64)
        ang = pos * theta ** (-2.0 * i / cols)           # (cols/2)
        c, s = np.cos(ang), np.sin(ang)
        x0, x1 = x[:, 0::2], x[:, 1::2]
        y = np.empty_like(x)
        y[:, 0::2] = x0 * c - x1 * s
        y[:, 1::2] = x0 * s + x1 * c
        # Each output is a 2-term dot product, so max ULP is ill-posed under
        # cancellation; this gauge (sum of |terms|) is the scale a gauge
        # metric would use if the harness treats rope as a reduction.
        g = np.empty_like(x)
        g[:, 0::2] = np.abs(x0 * c) + np.abs(x1 * s)
        g[:, 1::2] = np.abs(x0 * s) + np.abs(x1 * c)
        out["gauge-" + tag] = g.reshape(-1)
    elif op == "attention":
        kv = inp["w"].astype(np.float64).reshape(2, rows, batch, cols)
        k, v = kv[0], kv[1]                              # (heads, positions, head_dim)
        scale = inp["params"][0]
        logits = np.einsum("htd,hd->ht", k, x) * scale  # (heads, positions)
        p = _softmax(logits)
        y = np.einsum("ht,htd->hd", p, v)
        # Gauge (error scale per output, unit 2^-24 via the harness):
        #   g0[h,d] = sum_t p_t |V_td|              -- accumulation of p.V, and any
        #                                              relative error in the p_t
        #   A[h]    = scale * max_t sum_d |K_td||q_d|  -- score dot products: their
        #                                              rounding moves logits by <= D u A
        #   L[h]    = max_t |logit_t|               -- rounding of scale*s, s - max
        #   gauge   = g0 * (1 + A + L)
        # A correct f32 kernel (any summation order, exp within E ulp, online
        # rescaling at most once per position) has |y - ref| <= u * g0 * (2 D A
        # + 6 L + 8 T + 4 E + ...), hence rho = |y - ref| / (u gauge) stays under
        # (8 T + 2 D + 24) / (1 - (T + D) u): harness/verify.c FK_ATTN bound.
        g0 = np.einsum("ht,htd->hd", p, np.abs(v))
        a = np.einsum("htd,hd->ht", np.abs(k), np.abs(x)).max(axis=1) * scale
        lmax = np.abs(logits).max(axis=1)
        out["gauge-" + tag] = (g0 * (1.0 + a + lmax)[:, None]).reshape(-1)
    else:
        raise SystemExit("oracle: ops_decode has no op '%s'" % op)
    out["ref-" + tag] = y.reshape(-1)
    return out
