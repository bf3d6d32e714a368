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

# synthetic-example-4c/decode*.csv: NOT a measurement.  Model-level rows made from a
# formula, for the decode figures and the paper's model-level section in make
# figures-test: bytes per token of each preset and weight configuration, a DRAM ceiling
# of 40 GB/s at 1 thread and 70 at 4, fractions 0.6 and 0.45 of that bound, CIs +-5%,
# fixed per-op shares.
DATE = "2026-11-21T06:16:56Z"
DHDR = ("model,weights,threads,source,gemv,gemm,attention,prompt_tokens,decode_tokens,prefill_tok_s,prefill_tok_s_lo,"
        "prefill_tok_s_hi,decode_tok_s,decode_tok_s_lo,decode_tok_s_hi,ms_token_p50,ms_token_p90,ms_token_p99,"
        "jitter_p99_over_p50,weight_bytes_per_token,kv_bytes_per_token,level,read_ceiling_gbytes_per_s,"
        "roofline_ms_token,roofline_fraction,roofline_fraction_lo,roofline_fraction_hi,weight_bytes,peak_rss_bytes,"
        "peak_rss_over_weights,run_rss_bytes,run_rss_over_weights,load_s,pack_s,machine,cpu_model,cores_used,compiler,"
        "git_commit,date,emulated").split(",")
OPS = [("embed", 0.001), ("rmsnorm", 0.01), ("qkv", 0.18), ("rope", 0.01), ("kv_cache", 0.02), ("attention", 0.03),
       ("wo", 0.06), ("ffn_up", 0.38), ("swiglu", 0.01), ("ffn_down", 0.19), ("residual", 0.004), ("classifier", 0.1),
       ("argmax", 0.005)]
drows, orows = [], []
for model, params in (("stories110M", 110e6), ("stories15M", 15e6)):
    for wts, bpp, gemv in (("f32", 4.0, "gemv.f32.avx2"), ("w4a8", 18 / 32.0, "gemv.w4a8.avx2")):
        for t, gbs, frac in ((1, 40.0, 0.6), (4, 70.0, 0.45)):
            wb = params * bpp
            rms = wb / gbs * 1e-6
            tps = frac * 1e3 / rms
            ms = 1e3 / tps
            drows.append(dict(zip(DHDR, [
                model, wts, t, "preset", gemv, gemv.replace("gemv", "gemm"), "attention.f32.avx2", 16, 32,
                "%.6g" % (tps * 8), "%.6g" % (tps * 7.6), "%.6g" % (tps * 8.4), "%.6g" % tps, "%.6g" % (tps * 0.95),
                "%.6g" % (tps * 1.05), "%.6g" % ms, "%.6g" % (ms * 1.1), "%.6g" % (ms * 1.3), "1.3", "%.0f" % wb, "0",
                "DRAM", gbs, "%.6g" % rms, frac, "%.3g" % (frac * 0.95), "%.3g" % (frac * 1.05), "%.0f" % wb,
                "%.0f" % (wb * 1.2), "1.2", "%.0f" % (wb * 1.2), "1.2", "0.5", "0.2", NAME, CPU, t, "gcc 12.2.0",
                "synthetic", DATE, 0])))
            for op, sh in OPS:
                orows.append(dict(model=model, weights=wts, threads=t, op=op, ns_per_token="%.0f" % (ms * 1e6 * sh),
                                  share="%.4f" % sh, date=DATE))
def write_rows(name, cols, rows):
    with open(os.path.join(dst, name), "w", newline="") as f:
        w = csv.DictWriter(f, cols, lineterminator="\n"); w.writeheader(); w.writerows(rows)
write_rows("decode.csv", DHDR, drows)
write_rows("decode_ops.csv", "model,weights,threads,op,ns_per_token,share,date".split(","), orows)
HHDR = ("hypothesis,file,kind,role,model,subject,baseline,note,threshold,verdict,figure,lo,hi,n,median_subject_ns,"
        "median_baseline_ns,reason,claim,source,machine,cpu_model,cores_used,git_commit,date").split(",")
write_rows("decode_hypotheses.csv", HHDR, [
    dict(zip(HHDR, ["example-simd-vs-scalar", "hypotheses/decode-small.ini", "speedup", "guard", "stories15M", "f32@1",
                    "f32@1:gemv=gemv.f32.scalar", "", 1.5, "SUPPORTED", 3.1, 2.8, 3.4, 40, 2e6, 6.2e6, "",
                    "synthetic example guard", "synthetic example", NAME, CPU, 4, "synthetic", DATE])),
    dict(zip(HHDR, ["example-kvcache", "hypotheses/decode-small.ini", "kvcache", "claim", "stories15M", "f32@1",
                    "recompute 65 positions", "context 64", 10, "FALSIFIED", 4.9, 3.0, 6.1, 10, 2e6, 9.8e6, "",
                    "synthetic example claim", "EMBODIOS README (synthetic example row)", NAME, CPU, 4, "synthetic",
                    DATE])),
    dict(zip(HHDR, ["example-amx", "hypotheses/decode.ini", "speedup", "claim", "tinyllama",
                    "w4a8@1:gemm=gemm.w4a8.amx,decode=gemm", "w4a8@1", "", 1.13, "UNTESTABLE", "nan", "nan", "nan", 0,
                    "nan", "nan", "failed: --gemm 'gemm.w4a8.amx': not runnable here: CPU lacks amx-tile amx-int8",
                    "synthetic example claim", "ik_llama.cpp (synthetic example row)", NAME, CPU, 4, "synthetic",
                    DATE])),
])
