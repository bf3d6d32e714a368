#!/usr/bin/python3
"""Writes synthetic-example-4c/ from amd-epyc-2c/: NOT a measurement.
Transform: read ceilings and peaks x1.5 and their 2-thread rows copied as 4-thread rows
x1.8 more; kernel times /1.3 (GOP/s and GB/s x1.3); speedup and parity figures and CIs
x1.2; machine/cpu_model renamed; verdicts of speed rows recomputed from the threshold."""
import csv, os
src = os.path.join(os.path.dirname(__file__) or ".", "amd-epyc-2c")
dst = os.path.join(os.path.dirname(__file__) or ".", "synthetic-example-4c")
NAME, CPU = "synthetic-example-4c", "synthetic 4-core example (derived, not measured)"
def rw(name, fix):
    with open(os.path.join(src, name), newline="") as f:
        r = csv.DictReader(f); rows = list(r); cols = r.fieldnames
    out = []
    for row in rows:
        for x in fix(dict(row)):
            if "machine" in x: x["machine"] = NAME
            if "cpu_model" in x: x["cpu_model"] = CPU
            out.append(x)
    with open(os.path.join(dst, name), "w", newline="") as f:
        w = csv.DictWriter(f, cols); w.writeheader(); w.writerows(out)
def mul(row, keys, k):
    for c in keys:
        try: row[c] = "%.6g" % (float(row[c]) * k)
        except ValueError: pass
def mach(r):
    if r["kind"] in ("read_ceiling", "peak_f32", "peak_int8"):
        mul(r, ["value"], 1.5); out = [r]
        if r["threads"] == "2":
            r4 = dict(r, threads="4"); mul(r4, ["value"], 1.8); out.append(r4)
        return out
    return [r]
def kern(r):
    mul(r, ["median_ns", "min_ns", "ci_lo_ns", "ci_hi_ns"], 1 / 1.3); mul(r, ["gops_per_s", "gbytes_per_s"], 1.3)
    return [r]
def hyp(r):
    if r["kind"] in ("speedup",) and r["figure"]:
        mul(r, ["figure", "ci_lo", "ci_hi"], 1.2)
        t = float(r["threshold"] or 0)
        lo, hi = float(r["ci_lo"] or 0), float(r["ci_hi"] or 0)
        r["verdict"] = "SUPPORTED" if lo >= t else "FALSIFIED" if hi < t else "INCONCLUSIVE"
    return [r]
os.makedirs(dst, exist_ok=True)
rw("machine.csv", mach); rw("kernels.csv", kern); rw("hypotheses.csv", hyp)

# synthetic-partial-v3-2c/: NOT a measurement either.  What a partial run in the newer
# results layout looks like: LF line ends, extra provenance columns (vendor, family, model,
# stepping, microcode), no machine.csv, only speedup and error hypotheses, only GEMV kernel
# rows, speedup figures and CIs /1.5 with verdicts recomputed, and a runs/ folder of per-run
# rows that is not a machine.  make figures-test checks that the figures with no data are
# skipped with a note and that `falsify compare` reads it.
PART, PCPU = "synthetic-partial-v3-2c", "synthetic partial example (derived, not measured)"
EXTRA = {"vendor": "SyntheticVendor", "family": "6", "model": "207", "stepping": "2", "microcode": "0x0"}
def rw_partial(name, keep, fix, out_dir):
    with open(os.path.join(src, name), newline="") as f:
        r = csv.DictReader(f); rows = list(r); cols = list(r.fieldnames)
    at = cols.index("cpu_model") + 1 if "cpu_model" in cols else len(cols)
    cols[at:at] = list(EXTRA)
    out = []
    for row in rows:
        if not keep(row):
            continue
        row = fix(dict(row))
        row["machine"], row["cpu_model"] = PART, PCPU
        row.update(EXTRA)
        out.append(row)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name), "w", newline="") as f:
        w = csv.DictWriter(f, cols, lineterminator="\n"); w.writeheader(); w.writerows(out)
def weaker(r):
    if r["kind"] == "speedup" and r["figure"]:
        mul(r, ["figure", "ci_lo", "ci_hi"], 1 / 1.5)
        t = float(r["threshold"] or 0)
        lo, hi = float(r["ci_lo"] or 0), float(r["ci_hi"] or 0)
        r["verdict"] = "SUPPORTED" if lo >= t else "FALSIFIED" if hi < t else "INCONCLUSIVE"
    return r
pdst = os.path.join(os.path.dirname(__file__) or ".", PART)
rw_partial("hypotheses.csv", lambda r: r["kind"] in ("speedup", "error"), weaker, pdst)
rw_partial("kernels.csv", lambda r: r["op"] == "gemv", lambda r: r, pdst)
rw_partial("hypotheses.csv", lambda r: False, lambda r: r, os.path.join(pdst, "runs", "20261121T065059Z-1"))
