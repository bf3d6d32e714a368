"""A GGUF v3 reader written from the format description (ggml's
docs/gguf.md), independent of the C reader and writer in
harness/model_io.c, so a file the harness exports is checked by a second
implementation.

read(path) -> (metadata dict, {name: float64 array (rows, cols) or (cols,)})
Tensors are dequantized with formats.py (F32, F16, Q4_0, Q8_0, Q4_K).
"""
import struct

import numpy as np

import formats

GGML_TYPES = {0: "f32", 1: "f16", 2: "q4_0", 8: "q8_0", 12: "q4_k"}
SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.o)[0]
        self.o += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.b[self.o:self.o + n].decode("utf-8")
        self.o += n
        return s

    def value(self, t):
        if t in SCALARS:
            return self.take(SCALARS[t])
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        raise ValueError("GGUF: metadata type %d" % t)


def read(path):
    with open(path, "rb") as f:
        b = f.read()
    r = Reader(b)
    if b[:4] != b"GGUF":
        raise ValueError("%s: not GGUF" % path)
    r.o = 4
    version, nt, nkv = r.take("<I"), r.take("<Q"), r.take("<Q")
    if version != 3:
        raise ValueError("%s: GGUF version %d" % (path, version))
    meta = {}
    for _ in range(nkv):
        k = r.string()
        meta[k] = r.value(r.take("<I"))
    infos = []
    for _ in range(nt):
        name = r.string()
        nd = r.take("<I")
        dims = [r.take("<Q") for _ in range(nd)]
        infos.append((name, dims, r.take("<I"), r.take("<Q")))
    align = meta.get("general.alignment", 32)
    data0 = (r.o + align - 1) // align * align
    tensors = {}
    for name, dims, t, off in infos:
        fmt = GGML_TYPES[t]
        cols = dims[0]
        rows = int(np.prod(dims[1:])) if len(dims) > 1 else 1
        if fmt == "f32":
            a = np.frombuffer(b, np.float32, rows * cols, data0 + off).astype(np.float64)
        else:
            rb = cols * 2 if fmt == "f16" else cols // formats.BLOCKS[fmt][0] * formats.BLOCKS[fmt][1]
            q = np.frombuffer(b, np.uint8, rows * rb, data0 + off).reshape(rows, rb)
            a = formats.dequantize(q, fmt, (rows, cols))
        tensors[name] = a.reshape(rows, cols) if len(dims) > 1 else a.reshape(cols)
    return meta, tensors
