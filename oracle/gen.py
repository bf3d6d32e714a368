#!/usr/bin/env python3
"""falsify oracle: seeded inputs and float64 references, written as .npy.

Python 3 + NumPy only.  Each case is one directory under --out:

    <op>-<rows>x<cols>x<batch>-s<seed>/
        w.npy        pack input, float32 (shape per op, see kernels/kernel.h);
                     absent for ops without a packed operand
        x.npy        primary input, float32
        x2.npy       second input, float32 (swiglu b), if the op has one
        params.npy   float64[4] op parameters (kernel.h fk_args.param), if any
        w-<wf>.npy   uint8 GGML blocks of w in format wf (quantized wf only):
                     the bytes the C pack must reproduce exactly
        ref-<wf>-<af>.npy    float64 reference on the operands as the kernel
                             sees them: weights in format wf, activations in
                             af (f32-f32: the plain product of w and x)
        gauge-<wf>-<af>.npy  float64 error scale per output (reductions):
                             sum_j |W_ij| |x_j| for GEMV, so that
                             rho_i = |y_i - ref_i| / (2^-24 * gauge_i)

ref-f32-f32 is always written too: against it a quantized kernel's error is
the quantization error of its format (reported, not gated).

Inputs come from numpy's PCG64 seeded with (seed, op id, rows, cols,
batch), so a case is reproducible from its name.
Usage: gen.py --out DIR SPEC...  with SPEC = op:RxCxB:seed:wf:af,
e.g. gemv:64x64x1:1:f32:f32
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import formats  # noqa: E402
import ops_matvec  # noqa: E402

try:
    import ops_decode  # noqa: E402
except ImportError:  # the decode ops module is optional until it exists
    ops_decode = None

# op name -> (id used in the seed, module with inputs()/refs())
OPS = {name: (i, ops_matvec) for name, i in ops_matvec.OP_IDS.items()}
if ops_decode is not None:
    OPS.update({name: (i, ops_decode) for name, i in ops_decode.OP_IDS.items()})


def write_npy(path, arr):
    """Atomic write: temp file beside the target, then rename."""
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as f:
        np.save(f, arr, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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


def make_case(out, spec, quiet=False):
    op, (rows, cols, batch), seed, wf, af = parse_spec(spec)
    if op not in OPS:
        raise SystemExit("oracle: unknown op '%s' in '%s' (known: %s)" % (op, spec, " ".join(sorted(OPS))))
    for fmt in (wf, af):
        if fmt not in formats.FORMATS:
            raise SystemExit("oracle: unknown format '%s' in '%s' (known: %s)"
                             % (fmt, spec, " ".join(sorted(formats.FORMATS))))
    op_id, module = OPS[op]
    d = os.path.join(out, "%s-%dx%dx%d-s%d" % (op, rows, cols, batch, seed))
    os.makedirs(d, exist_ok=True)
    tag = "%s-%s" % (wf, af)
    if os.path.exists(os.path.join(d, "ref-%s.npy" % tag)) and \
            os.path.exists(os.path.join(d, "ref-f32-f32.npy")):
        return
    rng = np.random.Generator(np.random.PCG64([seed, op_id, rows, cols, batch]))
    shape = (rows, cols, batch)
    inputs = module.inputs(op, rng, shape)
    if not os.path.exists(os.path.join(d, "x.npy")):
        for key, arr in inputs.items():
            write_npy(os.path.join(d, key + ".npy"), arr)
    if wf not in ("f32", "none") and "w" in inputs:
        write_npy(os.path.join(d, "w-%s.npy" % wf), formats.quantize(inputs["w"], wf))
    # references last: ref-<tag> marks the case complete
    for pair in sorted({("f32", "f32"), (wf, af)}, key=lambda p: p != ("f32", "f32")):
        refs = module.refs(op, inputs, shape, pair[0], pair[1])
        for key in sorted(refs, reverse=True):  # gauge before ref
            write_npy(os.path.join(d, key + ".npy"), refs[key])
    if not quiet:
        print("oracle: wrote %s (%s)" % (d, tag), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for case folders")
    ap.add_argument("--quiet", action="store_true", help="no 'oracle: wrote' line per case")
    ap.add_argument("specs", nargs="+")
    args = ap.parse_args()
    for spec in args.specs:
        make_case(args.out, spec, args.quiet)


if __name__ == "__main__":
    main()
