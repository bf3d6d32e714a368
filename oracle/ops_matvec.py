"""Matrix-vector family: gemv, gemm, dot (see kernels/kernel.h for layouts).

inputs(op, rng, shape) -> dict of float32 arrays (w, x)
refs(op, inputs, shape, wf, af) -> {"ref-wf-af": float64 y, "gauge-wf-af": float64 scale}
"""
import numpy as np

import formats

OP_IDS = {"gemv": 1, "gemm": 2, "dot": 3}


def inputs(op, rng, shape):
    rows, cols, batch = shape
    m = batch if op == "gemm" else 1
    w = rng.uniform(-1.0, 1.0, size=(rows, cols)).astype(np.float32)
    x = rng.uniform(-1.0, 1.0, size=(m, cols)).astype(np.float32)
    if op == "dot":
        return {"w": w.reshape(cols), "x": x.reshape(cols)}
    if op == "gemv":
        return {"w": w, "x": x.reshape(cols)}
    return {"w": w, "x": x}


def refs(op, inp, shape, wf, af):
    rows, cols, batch = shape
    w64 = formats.as_seen(inp["w"].reshape(rows, cols), wf)
    x64 = formats.as_seen(inp["x"].reshape(-1, cols), af)
    y = x64 @ w64.T                      # (m, rows)
    g = np.abs(x64) @ np.abs(w64).T
    if op in ("gemv", "dot"):
        y, g = y.reshape(-1), g.reshape(-1)
    tag = "%s-%s" % (wf, af)
    return {"ref-" + tag: y, "gauge-" + tag: g}
