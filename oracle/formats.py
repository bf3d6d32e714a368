"""Number formats as a kernel sees them: f32, and the GGML block formats.

quantize(w, fmt)  -> uint8 array (rows, row_bytes): GGML blocks, bit-exact
                     with ggml's reference quantizers (quantize_row_*_ref)
as_seen(arr, fmt) -> float64 values of arr after a round trip through fmt
"""
import numpy as np

FORMATS = {"f32", "none"}


def quantize(w, fmt):
    raise SystemExit("oracle: format '%s' has no quantizer yet" % fmt)


def as_seen(arr, fmt):
    """float64 values of arr as a kernel sees them in format fmt."""
    if fmt in ("f32", "none"):
        return np.asarray(arr, dtype=np.float64)
    raise SystemExit("oracle: format '%s' not supported yet" % fmt)
