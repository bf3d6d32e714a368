#!/usr/bin/python3
"""Turns results/<machine>/*.csv into what gnuplot and LaTeX read.

    paper/prepare.py RESULTS DATA TEX

RESULTS  folder holding one sub-folder per machine (kernels.csv,
         hypotheses.csv, machine.csv; samples.csv is optional)
DATA     out: DATA/<machine>/*.dat + vars.gp per machine, DATA/all/ when
         RESULTS holds more than one machine (side-by-side figures)
TEX      out: macros.tex, machines.tex, verdicts.tex, seeds.tex, ...

gnuplot cannot read quoted CSV, so every .dat file here is plain
whitespace-separated columns with quoted labels.  Every number the paper
states about a measurement comes from these files: nothing is typed by hand.
Python 3 standard library only.
"""
import csv
import math
import os
import re
import sys

# One colour per ISA family, the same in every figure.
FAMILIES = [  # (family, colour, isa names that belong to it)
    ("scalar", 0x606060, ("scalar", "generic", "ref")),
    ("sse/tiled", 0x17A2B8, ("sse", "sse2", "sse4", "tiled", "tiled4x4")),
    ("avx2", 0x1F5FB4, ("avx2", "fma")),
    ("avx512", 0xD62728, ("avx512", "avx512f", "avx512bw")),
    ("vnni", 0xFF8C00, ("avx512vnni", "avxvnni", "vnni")),
    ("neon", 0x2CA02C, ("neon", "neondot", "tiled4x4neon", "asimd", "dotprod", "i8mm", "sve")),
    ("amx", 0x8E44AD, ("amx", "amx-model", "amxint8", "amx_int8")),
    ("other", 0x000000, ()),
]
VERDICT_COLOURS = {"SUPPORTED": 0x1A9850, "FALSIFIED": 0xD73027,
                   "INCONCLUSIVE": 0xE6AB02, "UNTESTABLE": 0x999999}
LEVEL_COLOURS = {"L1": 0x1B9E77, "L2": 0x7570B3, "L3": 0xE7298A, "DRAM": 0x66A61E}
LEVELS = ["L1", "L2", "L3", "DRAM"]
AT_LEAST = ("speedup", "scaling", "roofline")      # claim: figure >= threshold
AT_MOST = ("error", "latency")                     # claim: figure <= threshold

# The five seed projects: key, display name, pattern on a hypothesis' source or id,
# and the headline claims (shared/SEEDS.md) no hypothesis can test, with the reason.
# These are the projects' own claims quoted as text, not measurements of this harness.
KERNEL_ONLY = "falsify times kernels, not a whole model: no end-to-end tokens/s is measured"
SEEDS = [
    ("aion", "AION", r"\baion\b", [
        ("tokens/s of the NumPy oracle, serial NEON, 4-thread and AMX Int4 engines (4.42, 3.82, 17.93, 34.52 tok/s)",
         KERNEL_ONLY + "; the AMX Int4 row is Apple AMX, which has no public encoding"),
        ("hand-written kernels beat Accelerate by 4.5x", "no vendor BLAS arm is built into the harness")]),
    ("bmtv", "Bare-Metal Tensor Virtualization", r"bare.?metal|tensor virtuali[sz]ation|\bbmtv\b", [
        ("61.3 tok/s, 16.3 ms/token, 2.5x over scalar C++ on stories110M", KERNEL_ONLY +
         "; the SIMD-over-scalar GEMV ratio it rests on is the speedup figure"),
        ("inference is 93\\% memory-bound", "no hypothesis names this project; the roofline rows "
         "(\\texttt{P-f32-gemv-*}) give the fraction of the measured ceiling an f32 GEMV reaches here"),
        ("PyTorch runs at 298.7 tok/s", "no PyTorch arm, and the seed's baseline is a different model")]),
    ("embodios", "EMBODIOS", r"embodios", [
        ("NEON SIMD is 4-8x faster", "NEON kernels run only on an aarch64 machine"),
        ("KV cache gives 10-100x for multi-turn", "no KV-cache kernel or multi-turn workload is in the harness"),
        ("1.5-2x faster than llama.cpp", "no llama.cpp arm: only kernels built from kernels/*.c are timed")]),
    ("ikllama", "ik\\_llama.cpp AMX fork", r"ik_llama|ik-llama|ikllama|\bamx\b", [
        ("token generation ~46 t/s, prompt processing ~230 t/s with AMX", KERNEL_ONLY +
         "; the AMX kernel ratios stand in for them (UNTESTABLE without AMX tiles)")]),
    ("realizar", "realizar", r"realizar|^H[1-5]-", [
        ("8.4-11.9 tok/s against llama.cpp 42-45 and Candle 9.2-9.9", KERNEL_ONLY),
        ("H2: fused Q4\\_0 memory at most 2x the quantized weights", "memory footprint is not measured by the harness")]),
]


def family(isa, kernel=""):
    isa = (isa or kernel.rsplit(".", 1)[-1]).lower()
    for i, (_, _, names) in enumerate(FAMILIES):      # exact names first:
        if isa in names:                               # avx512vnni is vnni, not avx512
            return i
    if "vnni" in isa:
        return 4
    for i, (_, _, names) in enumerate(FAMILIES):
        if any(isa.startswith(n) for n in names if len(n) >= 3):
            return i
    return len(FAMILIES) - 1


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def q(s):
    """A gnuplot string field: double-quoted, no inner quotes."""
    return '"' + str(s).replace('"', "'") + '"'


def g(v, digits=3):
    """Numbers as the harness prints them: 3 significant digits."""
    if v is None:
        return "--"
    if v == 0:
        return "0"
    a = abs(v)
    if 1e3 <= a < 1e5:
        return "%d" % round(v, digits - 1 - int(math.floor(math.log10(a))))
    if 1e-3 <= a < 1e3:
        return "%.*g" % (digits, v)
    m, e = ("%.*e" % (digits - 1, v)).split("e")
    return "%s\\times10^{%d}" % (m.rstrip("0").rstrip("."), int(e))


def tex_num(v, unit=""):
    s = g(v)
    if "times" in s:
        s = "$" + s + "$"
    return s + unit


def tex(s):
    """Escape text for LaTeX."""
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
           "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
           "|": r"\textbar{}"}
    return "".join(rep.get(c, c) for c in str(s))


def tt(s):
    """Kernel / hypothesis names: typewriter, breakable after dots and dashes."""
    return r"\texttt{" + tex(s).replace(".", r".\allowbreak{}").replace("-", r"-\allowbreak{}") + "}"


class Machine:
    def __init__(self, name, folder):
        self.name = name
        self.kernels = read_csv(os.path.join(folder, "kernels.csv"))
        self.hyps = read_csv(os.path.join(folder, "hypotheses.csv"))
        self.mach = read_csv(os.path.join(folder, "machine.csv"))
        self.samples = read_csv(os.path.join(folder, "samples.csv"))
        self.synthetic = "synthetic" in name
        self.cpu = next((r.get("cpu_model", "") for r in self.mach + self.kernels if r.get("cpu_model")), "?")
        key = next((r.get("key", "") for r in self.mach), "")
        self.compiler = next((p for p in key.split("|") if p.startswith(("gcc", "clang"))), "?")
        self.ceil = {}      # (level, threads) -> GB/s
        self.peak = {}      # (f32|int8, threads) -> (G op/s, isa)
        self.cache = {}     # name -> (bytes, shared by threads)
        for r in self.mach:
            t, v = int(r["threads"]), num(r["value"])
            if r["kind"] == "read_ceiling":
                self.ceil[(r["name"], t)] = v
            elif r["kind"] in ("peak_f32", "peak_int8"):
                self.peak[(r["kind"][5:], t)] = (v, r["name"])
            elif r["kind"] == "cache":
                self.cache[r["name"]] = (int(float(r["bytes"])), t)
        self.threads = sorted({t for (_, t) in list(self.ceil) + list(self.peak)}) or [1]
        cores = [int(r["cores_used"]) for r in self.kernels + self.hyps if r.get("cores_used", "").isdigit()]
        self.ncores = max(self.threads) if self.ceil or self.peak else max(cores + [1])
        self.git = next((r.get("git_commit") for r in self.hyps + self.kernels if r.get("git_commit")), "?")
        self.date = next((r.get("date") for r in self.hyps + self.kernels if r.get("date")), "?")

    def timed_rows(self):
        rows = []
        for r in self.kernels:
            med, gops, gbs = num(r["median_ns"]), num(r["gops_per_s"]), num(r["gbytes_per_s"])
            if not med or not gops or r["status"] in ("wrong", "crashed", "error"):
                continue
            ops = gops * med
            lo, hi = num(r["ci_lo_ns"]), num(r["ci_hi_ns"])
            rows.append(dict(r, med=med, gops=gops, gbs=gbs, ops=ops,
                             gops_lo=ops / hi if hi else gops, gops_hi=ops / lo if lo else gops))
        return rows

    def aggregates(self):
        return [h for h in self.hyps if h["aggregate"] == "yes"]


def shape_of(r):
    s = "%sx%s" % (r["rows"], r["cols"])
    return s + ("x%s" % r["batch"] if r.get("batch") not in ("", "1", None) else "")


def ctx_label(shape, threads, cache):
    s = shape
    if str(threads) != "1":
        s += " T%s" % threads
    if cache == "cold":
        s += " cold"
    return s


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def clusters_dat(items, key, member):
    """items grouped into clusters (key) of bars (member); returns the data
    rows (x, item) and the cluster tics (x centre, label)."""
    groups = {}
    for it in items:
        groups.setdefault(key(it), []).append(it)
    out, tics, x = [], [], 0.0
    for k in groups:
        bars = sorted(groups[k], key=member)
        start = x
        for it in bars:
            out.append((x, it))
            x += 1
        tics.append(((start + x - 1) / 2, k))
        x += 0.8
    return out, tics, x


def fam_vars(fams, prefix):
    """The legend of one figure: only the ISA families it draws."""
    fams = sorted(set(fams)) or [0]
    return ('%s_fam_names = "%s"\n%s_fam_colors = "%s"\n' % (
        prefix, " ".join(FAMILIES[i][0] for i in fams), prefix, " ".join("#%06x" % FAMILIES[i][1] for i in fams)))


def prepare_machine(m, out):
    v = ['machine = %s\n' % q(m.name + (" (synthetic example)" if m.synthetic else ""))]
    fams = []
    # 1. throughput per kernel and shape, CI from the rank interval of the median time
    rows = m.timed_rows()
    rows.sort(key=lambda r: (r["op"], int(r["rows"]) * int(r["cols"]) * int(r["batch"] or 1), r["threads"], r["cache"]))
    data, tics, xmax = clusters_dat(
        rows, key=lambda r: "%s %s" % (r["op"], ctx_label(shape_of(r), r["threads"], r["cache"])),
        member=lambda r: family(r["isa"], r["kernel"]))
    lines = ["# y gops gops_lo gops_hi colour kernel gbytes_per_s median_ns"]
    for x, r in data:
        f = family(r["isa"], r["kernel"])
        fams.append(f)
        lines.append("%g %.6g %.6g %.6g %d %s %.6g %.6g" % (x, r["gops"], r["gops_lo"], r["gops_hi"],
                                                              FAMILIES[f][1], q(r["kernel"]), r["gbs"], r["med"]))
    v.append(fam_vars(fams, "tp"))
    gl = [r["gops_lo"] for _, r in data] or [1]
    gh = [r["gops_hi"] for _, r in data] or [10]
    v.append("tp_gmin = %g\ntp_gmax = %g\n" % (10 ** math.floor(math.log10(min(gl) / 1.5)),
                                                10 ** math.ceil(math.log10(max(gh) * 8))))
    fams = []
    write(os.path.join(out, "throughput.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "throughput_tics.dat"),
          "".join("%g %s\n" % (x, q(k)) for x, k in tics) or "0 \"none\"\n")
    v.append("tp_n = %d\ntp_xmax = %g\n" % (len(data), max(xmax - 0.8, 1)))

    # 2. speedup over the scalar baseline: paired rows of speedup hypotheses
    best = {}
    for h in m.hyps:
        if h["kind"] != "speedup" or h["aggregate"] != "no" or not h["baseline"].endswith(".scalar"):
            continue
        fig = num(h["figure"])
        if fig is None:
            continue
        k = (h["kernel"], h["baseline"], h["shape"], h["threads"], h["cache"])
        if k not in best or int(h["n"] or 0) > int(best[k]["n"] or 0):
            best[k] = h
    sp = sorted(best.values(), key=lambda h: (h["kernel"].split(".")[0], h["shape"]))
    data, tics, xmax = clusters_dat(
        sp, key=lambda h: "%s %s" % (h["kernel"].split(".")[0], ctx_label(h["shape"], h["threads"], h["cache"])),
        member=lambda h: family("", h["kernel"]))
    lines = ["# x speedup ci_lo ci_hi colour kernel hypothesis"]
    for x, h in data:
        f = family("", h["kernel"])
        fams.append(f)
        lo, hi = num(h["ci_lo"]), num(h["ci_hi"])
        fig = num(h["figure"])
        lines.append("%g %.6g %.6g %.6g %d %s %s" % (x, fig, lo or fig, hi or fig, FAMILIES[f][1],
                                                    q(h["kernel"]), q(h["id"])))
    v.append(fam_vars(fams, "sp"))
    fams = []
    write(os.path.join(out, "speedup.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "speedup_tics.dat"), "".join("%g %s\n" % (x, q(k)) for x, k in tics) or "0 \"none\"\n")
    v.append("sp_n = %d\nsp_xmax = %g\n" % (len(data), max(xmax - 0.8, 1)))

    # 3. thread scaling: efficiency rows of scaling hypotheses, speedup = efficiency * T
    series = {}
    for h in m.hyps:
        if h["kind"] != "scaling" or h["aggregate"] != "no":
            continue
        fig = num(h["figure"])
        if fig is None:
            continue
        t = int(h["threads"])
        key = "%s %s" % (h["kernel"], ctx_label(h["shape"], 1, h["cache"]))
        lo, hi = num(h["ci_lo"]), num(h["ci_hi"])
        series.setdefault(key, {})[t] = (fig * t, (lo if lo is not None else fig) * t,
                                         (hi if hi is not None else fig) * t, family("", h["kernel"]))
    blocks, titles = [], []
    for i, (key, pts) in enumerate(sorted(series.items())):
        f = next(iter(pts.values()))[3]
        fams.append(f)
        b = ["# %s" % key, "1 1 1 1 %d" % FAMILIES[f][1]]
        for t in sorted(pts):
            s, lo, hi, _ = pts[t]
            b.append("%d %.6g %.6g %.6g %d" % (t, s, lo, hi, FAMILIES[f][1]))
        blocks.append("\n".join(b))
        v.append("sc_title_%d = %s\nsc_color_%d = \"#%06x\"\n" % (i, q(key), i, FAMILIES[f][1]))
    write(os.path.join(out, "scaling.dat"), "\n\n\n".join(blocks) + "\n" if blocks else "1 1 1 1 0\n")
    tmax = max([t for p in series.values() for t in p] + [2])
    v.append("sc_n = %d\nsc_tmax = %d\n" % (len(blocks), tmax))

    # 4. roofline: measured ceilings per level and threads, kernels as points
    tmin, tmaxc = min(m.threads), max(m.threads)
    pts = []
    for r in rows:
        if r["gbs"]:
            pts.append((r["gops"] / r["gbs"], r["gops"], family(r["isa"], r["kernel"]), int(r["threads"]), r["kernel"]))
    ais = [p[0] for p in pts] or [0.5]
    lo_ai = 10 ** math.floor(math.log10(min(ais) / 3))
    hi_ai = 10 ** math.ceil(math.log10(max(ais) * 5))
    peaks = [pk[0] for pk in m.peak.values() if pk[0]]
    top = max(peaks) if peaks else max([p[1] for p in pts] + [1]) * 10
    blocks, i = [], 0
    for lv in LEVELS:
        for t in sorted({tmin, tmaxc}):
            bw = m.ceil.get((lv, t))
            if not bw:
                continue
            tp = [pk[0] for (k, tt_), pk in m.peak.items() if tt_ == t and pk[0]]
            roof = max(tp) if tp else top
            n = 64
            b = []
            for j in range(n + 1):
                ai = lo_ai * (hi_ai / lo_ai) ** (j / n)
                b.append("%.6g %.6g" % (ai, min(ai * bw, roof)))
            blocks.append("\n".join(b))
            v.append("rf_title_%d = %s\nrf_color_%d = \"#%06x\"\nrf_dash_%d = %d\n" % (
                i, q("%s %s GB/s%s" % (lv, g(bw), " (%dT)" % t)), i, LEVEL_COLOURS[lv], i, 1 if t == tmin else 2))
            i += 1
    for kind in ("f32", "int8"):
        for t in sorted({tmin, tmaxc}):
            pk = m.peak.get((kind, t))
            if not pk or not pk[0]:
                continue
            blocks.append("%.6g %.6g\n%.6g %.6g" % (lo_ai, pk[0], hi_ai, pk[0]))
            v.append("rf_title_%d = %s\nrf_color_%d = \"#%06x\"\nrf_dash_%d = %d\n" % (
                i, q("peak %s %s %s (%dT)" % (kind, pk[1], g(pk[0]), t)), i,
                0x000000 if kind == "f32" else 0x888888, i, 1 if t == tmin else 2))
            i += 1
    write(os.path.join(out, "roof_ceilings.dat"), "\n\n\n".join(blocks) + "\n" if blocks else "1 1\n")
    lines = ["# ai gops colour threads kernel"]
    for ai, gops, f, t, k in pts:
        fams.append(f)
        lines.append("%.6g %.6g %d %d %s" % (ai, gops, FAMILIES[f][1], t, q(k)))
    v.append(fam_vars(fams, "rf"))
    fams = []
    write(os.path.join(out, "roof_points.dat"), "\n".join(lines) + "\n")
    v.append("rf_n = %d\nrf_xmin = %g\nrf_xmax = %g\nrf_ymax = %g\nrf_ymin = %g\n" % (
        i, lo_ai, hi_ai, top * 3, max(min([p[1] for p in pts] + [top]) / 10, 1e-3)))

    # 5. error per kernel and shape (log): gauge for reductions, ULP for elementwise
    seen, gauge, ulp = set(), [], []
    for r in sorted(m.kernels, key=lambda r: (r["op"], r["kernel"], int(r["rows"]) * int(r["cols"]))):
        k = (r["kernel"], shape_of(r))
        if k in seen or r["status"] not in ("ok", "wrong"):
            continue
        seen.add(k)
        gm, um = num(r["gauge_max"]), num(r["ulp_max"])
        f = family(r["isa"], r["kernel"])
        if gm is not None:
            gauge.append((r, gm, f))
        elif um is not None:
            ulp.append((r, um, f))
    # one row per kernel (top to bottom in op order), one point per shape
    for name, items in (("err_gauge", gauge), ("err_ulp", ulp)):
        ks = []
        for r, _, _ in items:
            if r["kernel"] not in ks:
                ks.append(r["kernel"])
        lines = ["# y value colour shape"]
        for r, val, f in items:
            fams.append(f)
            lines.append("%d %.6g %d %s" % (ks.index(r["kernel"]), max(val, 1e-4), FAMILIES[f][1], q(shape_of(r))))
        write(os.path.join(out, name + ".dat"), "\n".join(lines) + "\n")
        write(os.path.join(out, name + "_tics.dat"),
              "".join("%d %s\n" % (i, q(k)) for i, k in enumerate(ks)) or "0 \"none\"\n")
        v.append("%s_n = %d\n" % (name, len(ks)))
    v.append(fam_vars(fams, "err"))
    fams = []
    ulp_claims = sorted({num(h["threshold"]) for h in m.hyps
                         if h["metric"] == "ulp_max" and h["role"] == "claim" and num(h["threshold"])})
    gauge_guards = sorted({num(h["threshold"]) for h in m.hyps
                           if h["metric"] == "gauge_max" and h["role"] == "guard" and num(h["threshold"])})
    v.append("ulp_claim = %s\n" % (g(ulp_claims[0]) if ulp_claims else "NaN"))
    v.append("gauge_guard_min = %s\n" % (g(gauge_guards[0]) if gauge_guards else "NaN"))

    # 6. verdicts: margin to the threshold on the claim's side (> 1 = claim side)
    lines = ["# y margin lo hi colour label verdict"]
    aggs = m.aggregates()
    counts = {}
    for h in aggs:
        counts[(h["id"], h["kernel"])] = counts.get((h["id"], h["kernel"]), 0) + 1
    for y, h in enumerate(reversed(aggs)):
        fig, lo, hi, t = num(h["figure"]), num(h["ci_lo"]), num(h["ci_hi"]), num(h["threshold"])
        lab = "%s  %s" % (h["id"], h["kernel"])
        if counts[(h["id"], h["kernel"])] > 1 or h["threads"] != "1":
            lab += " T%s" % h["threads"]
        if h["cache"] == "cold" and h["kind"] != "roofline":
            lab += " cold"
        col = VERDICT_COLOURS.get(h["verdict"], 0)
        if fig is None or (h["kind"] != "parity" and not t):
            mg = mlo = mhi = -1.0          # no figure: the verdict is written instead
        elif h["kind"] == "parity":
            mg, mlo, mhi = fig, lo or fig, hi or fig
        elif h["kind"] in AT_MOST:
            mg = t / fig if fig else 1e4
            mlo = t / hi if hi else mg
            mhi = t / lo if lo else mg
        else:
            mg = fig / t
            mlo = lo / t if lo is not None else mg
            mhi = hi / t if hi is not None else mg
        clamp = lambda z: z if z < 0 else min(max(z, 1e-3), 1e4)
        lines.append("%d %s %s %s %d %s %s" % (y, *("%.6g" % clamp(z) for z in (mg, mlo, mhi)), col,
                                               q(lab), q(h["verdict"])))
    write(os.path.join(out, "verdicts.dat"), "\n".join(lines) + "\n")
    v.append("vd_n = %d\n" % len(aggs))
    write(os.path.join(out, "vars.gp"), "".join(v))


def prepare_all(ms, out):
    """Side-by-side data when there is more than one machine."""
    v = ["nm = %d\n" % len(ms)]
    for i, m in enumerate(ms):
        v.append("m_name_%d = %s\n" % (i, q(m.name)))
    # ceilings per machine at 1 thread and at all usable threads
    lines = ['# level ' + " ".join("%s_1T %s_maxT" % (m.name, m.name) for m in ms)]
    for lv in LEVELS:
        vals = []
        for m in ms:
            vals += [m.ceil.get((lv, 1)), m.ceil.get((lv, max(m.threads)))]
        lines.append("%s %s" % (lv, " ".join("%.6g" % x if x else "NaN" for x in vals)))
    for kind in ("f32", "int8"):
        vals = []
        for m in ms:
            a, b = m.peak.get((kind, 1)), m.peak.get((kind, max(m.threads)))
            vals += [a[0] if a else None, b[0] if b else None]
        lines.append("peak_%s %s" % (kind, " ".join("%.6g" % x if x else "NaN" for x in vals)))
    write(os.path.join(out, "ceilings.dat"), "\n".join(lines) + "\n")
    # speedup aggregates per (hypothesis, kernel) and machine
    keys = []
    for m in ms:
        for h in m.aggregates():
            if h["kind"] == "speedup" and (h["id"], h["kernel"]) not in keys:
                keys.append((h["id"], h["kernel"]))
    lines = ["# label " + " ".join("%s %s_lo %s_hi" % (m.name, m.name, m.name) for m in ms)]
    for k in keys:
        vals = []
        for m in ms:
            h = next((h for h in m.aggregates() if (h["id"], h["kernel"]) == k), None)
            f = num(h["figure"]) if h else None
            vals += [f, num(h["ci_lo"]) if h else None, num(h["ci_hi"]) if h else None]
        lines.append("%s %s" % (q("%s %s" % k), " ".join("%.6g" % x if x is not None else "NaN" for x in vals)))
    write(os.path.join(out, "speedups.dat"), "\n".join(lines) + "\n")
    v.append("sk_n = %d\n" % len(keys))
    write(os.path.join(out, "vars.gp"), "".join(v))


# ---------------------------------------------------------------- LaTeX

def macro_key(*parts):
    return "/".join(str(p) for p in parts)


class Macros:
    def __init__(self):
        self.d = {}

    def put(self, key, val):
        self.d[key] = val

    def text(self):
        out = ["% generated by paper/prepare.py from results/*/*.csv: do not edit\n"]
        for k in sorted(self.d):
            out.append("\\fkdef{%s}{%s}\n" % (k, self.d[k]))
        return "".join(out)


def verdict_cell(v):
    return r"\verdict{%s}" % v


def ci_text(h):
    lo, hi = num(h["ci_lo"]), num(h["ci_hi"])
    if lo is None or hi is None:
        return "--"
    return "[%s, %s]" % (tex_num(lo), tex_num(hi))


def unit_of(h):
    return {"speedup": r"$\times$", "parity": r"$\times$", "latency": " ns"}.get(h["kind"], "")


def fig_text(h):
    f = num(h["figure"])
    return "--" if f is None else tex_num(f) + unit_of(h)


def hyp_sentence(h):
    s = r"%s on %s: \verdict{%s}" % (tt(h["id"]), tt(h["kernel"]), h["verdict"])
    if num(h["figure"]) is not None:
        s += r", %s %s (threshold %s), CI %s, $n=%s$" % (
            tex(h["metric"]), fig_text(h), tex_num(num(h["threshold"])), ci_text(h), h["n"])
        if h["kind"] in ("speedup", "parity") and num(h["subject_median_ns"]) and num(h["baseline_median_ns"]):
            s += r", medians %s vs %s\,\textmu{}s" % (tex_num(num(h["subject_median_ns"]) * 1e-3),
                                                     tex_num(num(h["baseline_median_ns"]) * 1e-3))
    if h["shape"] and h["shape"] not in ("-", "all"):
        s += r", worst shape %s" % tex(h["shape"])
    if h["threads"] != "1":
        s += r", %s threads" % h["threads"]
    if h["verdict"] != "SUPPORTED" and h["reason"]:
        s += r" --- \emph{%s}" % tex(h["reason"])
    return s


def machine_tex(m, mac, label):
    p = "m/%s" % label
    mac.put(p + "/name", tex(m.name))
    mac.put(p + "/cpu", tex(m.cpu))
    mac.put(p + "/cores", str(m.ncores))
    mac.put(p + "/compiler", tex(m.compiler))
    mac.put(p + "/git", tex(m.git))
    mac.put(p + "/date", tex(m.date))
    for (lv, t), bw in m.ceil.items():
        mac.put("%s/bw/%s/%d" % (p, lv, t), tex_num(bw))
    for (kind, t), (pk, isa) in m.peak.items():
        mac.put("%s/peak/%s/%d" % (p, kind, t), tex_num(pk))
        mac.put("%s/peakisa/%s" % (p, kind), tex(isa))
    counts = {}
    for h in m.aggregates():
        counts[h["verdict"]] = counts.get(h["verdict"], 0) + 1
    for vd in VERDICT_COLOURS:
        mac.put("%s/count/%s" % (p, vd), str(counts.get(vd, 0)))
    mac.put(p + "/count/rows", str(len(m.aggregates())))
    mac.put(p + "/count/ids", str(len({h["id"] for h in m.aggregates()})))
    mac.put(p + "/count/kernels", str(len({r["kernel"] for r in m.kernels})))
    mac.put(p + "/count/samples", str(len(m.samples)))
    isas = sorted({FAMILIES[family(r["isa"], r["kernel"])][0] for r in m.kernels})
    mac.put(p + "/isas", tex(", ".join(isas)) if isas else "none")
    for i, h in enumerate(m.aggregates()):
        base = macro_key("h", h["id"], h["kernel"])
        if h["threads"] != "1" and macro_key(base, "verdict") in mac.d:
            base += "/T" + h["threads"]
        if macro_key(base, "verdict") in mac.d:
            continue
        mac.put(base + "/verdict", r"\verdict{%s}" % h["verdict"])
        mac.put(base + "/figure", fig_text(h))
        mac.put(base + "/ci", ci_text(h))
        mac.put(base + "/n", h["n"])
        mac.put(base + "/threshold", tex_num(num(h["threshold"])))
        mac.put(base + "/sentence", hyp_sentence(h))
        if num(h["extra"]) is not None:
            mac.put(base + "/extra", tex_num(num(h["extra"])))

    # the machine table
    rows = [r"\begin{tabular}{@{}lll@{}}", r"\toprule", r"what & value & source \\", r"\midrule",
            r"CPU model & %s & machine.csv \\" % tex(m.cpu),
            r"usable cores & %d & machine.csv, kernels.csv \\" % m.ncores,
            r"compiler & %s & machine.csv key \\" % tex(m.compiler)]
    for name, (b, t) in sorted(m.cache.items()):
        rows.append(r"%s cache & %s KiB%s & sysfs \\" % (tex(name), g(b / 1024.0),
                                                          ", shared by %d" % t if t > 1 else ""))
    rows.append(r"\midrule")
    rows.append(r"read ceiling (GB/s) & %s & sweep \\" % " / ".join("%dT" % t for t in m.threads))
    for lv in LEVELS:
        vals = [m.ceil.get((lv, t)) for t in m.threads]
        if any(vals):
            rows.append(r"\quad %s & %s & read\_ceiling \\" % (lv, " / ".join(tex_num(x) for x in vals)))
    for kind, unit in (("f32", "GFLOP/s"), ("int8", "GOP/s")):
        vals = [m.peak.get((kind, t)) for t in m.threads]
        if any(vals):
            isa = next(x[1] for x in vals if x)
            rows.append(r"peak %s %s (%s) & %s & peak\_%s \\" % (kind, unit, tex(isa),
                                                                  " / ".join(tex_num(x[0]) if x else "--" for x in vals),
                                                                  kind))
    rows += [r"\midrule", r"results commit & %s & hypotheses.csv \\" % tex(m.git),
             r"run date & %s & hypotheses.csv \\" % tex(m.date), r"\bottomrule", r"\end{tabular}"]
    return "\n".join(rows) + "\n"


def verdicts_tex(m):
    out = [r"\begin{longtable}{@{}p{0.2\linewidth}p{0.16\linewidth}lrp{0.13\linewidth}rp{0.19\linewidth}@{}}",
           r"\caption{Every hypothesis on \texttt{%s} (aggregate rows of \texttt{hypotheses.csv}). "
           r"CI: distribution-free rank interval of the median, $\alpha$ split across the looks; "
           r"$n$: paired samples (speed) or outputs (error).}\label{tab:verdicts-%s}\\" % (tex(m.name), m.name),
           r"\toprule", r"hypothesis & kernel & verdict & figure & CI & $n$ & source \\", r"\midrule",
           r"\endfirsthead", r"\toprule", r"hypothesis & kernel & verdict & figure & CI & $n$ & source \\",
           r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot"]
    for h in m.aggregates():
        kern = tt(h["kernel"])
        if h["threads"] != "1":
            kern += r" {\footnotesize T%s}" % h["threads"]
        if h["cache"] == "cold":
            kern += r" {\footnotesize cold}"
        out.append(r"%s {\footnotesize(%s)} & %s & %s & %s & {\footnotesize %s} & %s & {\footnotesize %s} \\" % (
            tt(h["id"]), tex(h["role"]), kern, verdict_cell(h["verdict"]), fig_text(h), ci_text(h),
            h["n"], tex(h["source"])))
    if not m.aggregates():
        out.append(r"\multicolumn{7}{l}{no hypotheses in hypotheses.csv} \\")
    out.append(r"\end{longtable}")
    return "\n".join(out) + "\n"


def seeds_tex(m, tdir):
    for key, name, pat, untested in SEEDS:
        rx = re.compile(pat, re.I)
        hs = [h for h in m.aggregates() if rx.search(h["source"]) or rx.search(h["id"])]
        if not hs:
            body = (r"\noindent\emph{No hypothesis in \texttt{hypotheses.csv} on \texttt{%s} names %s as its "
                    r"source: none of its claims is tested on this machine.}" % (tex(m.name), name))
        else:
            body = (r"\noindent Tested on \texttt{%s}:" % tex(m.name) + "\n" + r"\begin{itemize}\itemsep0pt" + "\n" + "".join(
                r"\item %s; \emph{claim:} %s" % (hyp_sentence(h), tex(h["claim"])) + "\n" for h in hs) + r"\end{itemize}")
        if untested:
            body += "\n" + r"\noindent Not tested here:" + "\n" + r"\begin{itemize}\itemsep0pt" + "\n" + "".join(
                r"\item \emph{%s} --- not tested here: %s." % (c, why) + "\n" for c, why in untested) + r"\end{itemize}"
        write(os.path.join(tdir, "seed-%s-%s.tex" % (key, m.name)), body + "\n")


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    res, data, tdir = argv[1:]
    names = sorted(d for d in os.listdir(res) if os.path.isfile(os.path.join(res, d, "hypotheses.csv"))
                   or os.path.isfile(os.path.join(res, d, "kernels.csv")))
    if not names:
        sys.stderr.write("prepare.py: no results/<machine>/kernels.csv or hypotheses.csv under %s: "
                         "run `make falsify` first\n" % res)
        return 1
    # the primary machine: a real one (not synthetic) with the most hypothesis rows
    ms = [Machine(n, os.path.join(res, n)) for n in names]
    ms.sort(key=lambda m: (m.synthetic, -len(m.hyps), m.name))
    mac = Macros()
    mac.put("machines", ", ".join(r"\texttt{%s}" % tex(m.name) for m in ms))
    mac.put("nmachines", str(len(ms)))
    mac.put("primary", tex(ms[0].name))
    for i, m in enumerate(ms):
        prepare_machine(m, os.path.join(data, m.name))
        label = "primary" if i == 0 else m.name
        write(os.path.join(tdir, "machine-%s.tex" % m.name), machine_tex(m, mac, label))
        if i == 0:
            machine_tex(m, mac, m.name)
        write(os.path.join(tdir, "verdicts-%s.tex" % m.name), verdicts_tex(m))
        seeds_tex(m, tdir)
    if len(ms) > 1:
        prepare_all(ms, os.path.join(data, "all"))
    # what paper.tex inputs: the primary machine, then the others
    p = ms[0].name
    write(os.path.join(tdir, "primary.tex"),
          "\\def\\fkprimary{%s}\n\\def\\fkmulti{%d}\n" % (p, 1 if len(ms) > 1 else 0))
    others = []
    for m in ms[1:]:
        others.append(r"\subsection*{Machine \texttt{%s}%s}" % (tex(m.name), " (synthetic example, not a measurement)"
                                                                   if m.synthetic else ""))
        others.append(r"\begin{center}\small\input{build/tex/machine-%s.tex}\end{center}" % m.name)
        others.append(r"{\small\input{build/tex/verdicts-%s.tex}}" % m.name)
    write(os.path.join(tdir, "others.tex"), "\n".join(others) + "\n")
    write(os.path.join(tdir, "macros.tex"), mac.text())
    print("prepare: %d machine(s) (%s); primary %s -> %s, %s" % (len(ms), ", ".join(m.name for m in ms), p, data, tdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
