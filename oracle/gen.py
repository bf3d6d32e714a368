#!/usr/bin/env python3
"""falsify oracle: seeded inputs and float64 references, written as .npy.

Python 3 + NumPy only.  Each case is one directory under --out:

    <op>-<rows>x<cols>x<batch>-s<seed>/
        w.npy      pack input, float32        (gemv: (rows, cols))
        x.npy      activations, float32       (gemv: (cols,))
        ref-<wf>-<af>.npy    float64 reference on the operands as the kernel sees
                             them: weights in format wf, activations in af
                             (f32-f32: the plain product of w and x)
        gauge-<wf>-<af>.npy  float64 sum_j |W_ij| |x_j| per output (reductions):
                             the scale of the normalised error
                             rho_i = |y_i - ref_i| / (2^-24 * gauge_i)

Inputs are uniform in [-1, 1) from numpy's PCG64 seeded with
(seed, op id, rows, cols, batch), so a case is reproducible from its name.
Usage: gen.py --out DIR SPEC...  with SPEC = op:RxCxB:seed:wf:af,
e.g. gemv:64x64x1:1:f32:f32
"""
import argparse
import os
import sys

import numpy as np

OPS = {"gemv": 1}


def write_npy(path, arr):
    """Atomic write: temp file beside the target, then rename."""
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        np.save(f, arr, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


FORMATS = {"f32"}


def gemv_inputs(rng, rows, cols):
    w = rng.uniform(-1.0, 1.0, size=(rows, cols)).astype(np.float32)
    x = rng.uniform(-1.0, 1.0, size=cols).astype(np.float32)
    return {"w": w, "x": x}


def as_seen(arr, fmt):
    """float64 values of arr as a kernel sees them in format fmt."""
    if fmt == "f32":
        return arr.astype(np.float64)
    raise SystemExit("oracle: format '%s' not supported yet" % fmt)


def gemv_refs(inputs, wf, af):
    w64 = as_seen(inputs["w"], wf)
    x64 = as_seen(inputs["x"], af)
    tag = "%s-%s" % (wf, af)
    return {"ref-" + tag: w64 @ x64, "gauge-" + tag: np.abs(w64) @ np.abs(x64)}


def parse_spec(spec):
    try:
        op, shape, seed, wf, af = spec.split(":")
        dims = [int(d) for d in shape.split("x")]
        if len(dims) != 3 or min(dims) < 1:
            raise ValueError
        return op, dims, int(seed), wf, af
    except ValueError:
        raise SystemExit("oracle: bad case spec '%s': expected op:RxCxB:seed:wf:af, "
                         "e.g. gemv:64x64x1:1:f32:f32" % spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for case folders")
    ap.add_argument("specs", nargs="+")
    args = ap.parse_args()
    for spec in args.specs:
        op, (rows, cols, batch), seed, wf, af = parse_spec(spec)
        if op not in OPS:
            raise SystemExit("oracle: unknown op '%s' in '%s' (known: %s)" % (op, spec, " ".join(OPS)))
        for fmt in (wf, af):
            if fmt not in FORMATS:
                raise SystemExit("oracle: unknown format '%s' in '%s' (known: %s)"
                                 % (fmt, spec, " ".join(sorted(FORMATS))))
        name = "%s-%dx%dx%d-s%d" % (op, rows, cols, batch, seed)
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        tag = "%s-%s" % (wf, af)
        if os.path.exists(os.path.join(d, "ref-%s.npy" % tag)):
            continue
        rng = np.random.Generator(np.random.PCG64([seed, OPS[op], rows, cols, batch]))
        inputs = gemv_inputs(rng, rows, cols)
        if not os.path.exists(os.path.join(d, "x.npy")):
            for key, arr in inputs.items():
                write_npy(os.path.join(d, key + ".npy"), arr)
        # references last: their presence marks the case complete
        refs = gemv_refs(inputs, wf, af)
        for key in sorted(refs, reverse=True):  # gauge before ref
            write_npy(os.path.join(d, key + ".npy"), refs[key])
        print("oracle: wrote %s (%s)" % (d, tag), file=sys.stderr)


if __name__ == "__main__":
    main()
