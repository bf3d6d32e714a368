#!/usr/bin/python3
"""Turns results/<machine>/*.csv into what gnuplot and LaTeX read.

    paper/prepare.py RESULTS DATA TEX
    paper/prepare.py fixdates EPOCH FILE.pdf...

RESULTS  folder holding one sub-folder per machine (any of kernels.csv,
         hypotheses.csv, machine.csv, samples.csv; a folder named runs/
         holds per-run rows, not a machine)
DATA     out: DATA/<machine>/*.dat, vars.gp and plan.txt (the figures that
         have data, with their size, and a note for each that has none);
         DATA/all/ for the claim x machine matrix and, with several
         machines, the side-by-side figures; DATA/epoch (the newest run
         date in the results, seconds since 1970: SOURCE_DATE_EPOCH)
TEX      out: macros.tex, body.tex and the tables and lists it inputs

fixdates rewrites the creation and modification dates of PDF files to
EPOCH in place, keeping every byte offset (cairo writes the wall clock).

gnuplot cannot read quoted CSV, so every .dat file here is plain
whitespace-separated columns with quoted labels.  Every number the paper
states about a measurement comes from these files: nothing is typed by hand,
and no kernel, ISA or machine is named here: colours, orders and sections
follow what the results contain.  Columns are found by name (extra ones are
ignored, missing ones read as empty); line ends may be LF or CRLF.
Python 3 standard library only.
"""
import calendar
import collections
import csv
import math
import os
import re
import sys
import time

VERDICTS = ["SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE"]
VERDICT_COLOURS = {"SUPPORTED": 0x1A9850, "FALSIFIED": 0xD73027,
                   "INCONCLUSIVE": 0xE6AB02, "UNTESTABLE": 0x999999}
AT_LEAST = ("speedup", "scaling", "roofline")      # claim: figure >= threshold
AT_MOST = ("error", "latency")                     # claim: figure <= threshold
# units of a hypothesis' figure, by its metric column (harness vocabulary)
METRIC_UNITS = {"ratio": "x", "ulp_max": " ULP", "gauge_max": " gauge", "ns": " ns",
                "efficiency": " eff.", "fraction": " of roof"}
# ISA colours, given out in ISA order (below); ISAs built with no ISA flag are grey
PALETTE = [0x1F5FB4, 0xD62728, 0xFF8C00, 0x8E44AD, 0x2CA02C, 0x8C564B, 0xE377C2, 0xBCBD22, 0x000000]
GREYS = [0x606060, 0x17A2B8, 0xA0A0A0, 0x303030]
MACHINE_PALETTE = [0x1F5FB4, 0xD62728, 0x2CA02C, 0x8E44AD, 0xFF8C00, 0x17A2B8, 0x8C564B, 0xE377C2]
# the ops of a decode token (decode_ops.csv), in the order the file lists them
OP_PALETTE = [0x8DD3C7, 0x1F78B4, 0xFF7F00, 0x6A3D9A, 0x33A02C, 0xB15928, 0xE7298A, 0xE6AB02, 0x000000,
              0xA6CEE3, 0x999999, 0xFB9A99, 0x66A61E, 0x17BECF]
LEVEL_PALETTE = [0x1B9E77, 0x7570B3, 0xE7298A, 0x66A61E, 0xA6761D, 0x666666]
FAILED = ("wrong", "crashed", "error", "failed")   # kernels.csv status of a row that carries no timing
VERDICT_MIN, VERDICT_MAX = 1e-3, 1e4      # the verdict figure's axis: beyond it, a clipping mark

# The five seed projects: key, display name, pattern on a hypothesis' source,
# and the headline claims (shared/SEEDS.md) no kernel hypothesis can test, with the
# reason and the model-level hypotheses (decode_hypotheses.csv ids) that test them
# where `make decode` or `make falsify` ran them.
# These are the projects' own claims quoted as text, not measurements of this harness.
MODEL_LEVEL = "a model-level claim: judged by `falsify decode` (make decode), not run on this machine"
SEEDS = [
    ("aion", "AION", r"\baion\b", [
        ("tokens/s of the NumPy oracle, serial, 4-thread and Apple-AMX Int4 engines (4.42, 3.82, 17.93, 34.52 tok/s)",
         MODEL_LEVEL + "; Apple's matrix unit has no public encoding", r"^AION-"),
        ("hand-written kernels beat Accelerate by 4.5x", "no vendor BLAS arm is built into the harness", None)]),
    ("bmtv", "Bare-Metal Tensor Virtualization", r"bare.?metal|tensor virtuali[sz]ation|\bbmtv\b", [
        ("61.3 tok/s, 16.3 ms/token, 2.5x over scalar C++ on stories110M", MODEL_LEVEL +
         "; the SIMD-over-scalar GEMV ratio it rests on is in the speedup figure", r"^BMTV-simd"),
        ("inference is 93\\% memory-bound", MODEL_LEVEL + "; the roofline rows give the fraction of the measured "
         "ceiling an f32 GEMV reaches", r"^BMTV-93"),
        ("PyTorch runs at 298.7 tok/s", "no PyTorch arm, and the seed's baseline is a different model", None)]),
    ("embodios", "EMBODIOS", r"embodios", [
        ("SIMD is 4-8x faster on its ARM target", "a speed claim is judged only where the kernels run natively "
         "(emulated rows are UNTESTABLE); see the claim x machine matrix", None),
        ("KV cache gives 10-100x for multi-turn", MODEL_LEVEL, r"^EMBODIOS-kvcache"),
        ("1.5-2x faster than llama.cpp", "no llama.cpp arm: only plugins built from kernels/*.c are timed", None)]),
    ("ikllama", "ik\\_llama.cpp fork", r"ik_llama|ik-llama|ikllama", [
        ("token generation ~46 t/s, prompt processing ~230 t/s", MODEL_LEVEL +
         "; the kernel ratios stand in for them", r"^ik_llama-amx-(generation|prefill)")]),
    ("realizar", "realizar", r"realizar", [
        ("8.4-11.9 tok/s against llama.cpp 42-45 and Candle 9.2-9.9", "no llama.cpp or Candle arm: only plugins "
         "built from kernels/*.c are timed", None),
        ("H2: fused Q4\\_0 memory at most 2x the quantized weights", MODEL_LEVEL, r"^realizar-H2")]),
]


class BadInput(Exception):
    """A results file that cannot be read: the message names the file and line."""


def num(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def read_csv(path):
    """Rows as dicts (a missing column reads as ""); [] when the file is absent."""
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, newline="") as f:
        r = csv.reader(f, strict=True)
        try:
            hdr = next(r, None)
            if not hdr:
                raise BadInput("%s:1: empty file (a results CSV starts with its header)" % path)
            for rec in r:
                if not rec or rec == [""]:
                    continue
                if len(rec) != len(hdr):
                    raise BadInput("%s:%d: %d fields, the header (line 1) has %d" % (path, r.line_num, len(rec), len(hdr)))
                rows.append(collections.defaultdict(str, zip(hdr, rec)))
        except csv.Error as e:
            raise BadInput("%s:%d: malformed CSV: %s" % (path, r.line_num, e))
        except UnicodeDecodeError as e:
            raise BadInput("%s: not UTF-8 text: %s" % (path, e))
    return rows


def q(s):
    """A gnuplot string field: double-quoted, no inner quotes."""
    return '"' + str(s).replace('"', "'").replace("\\", "/") + '"'


def g(v, digits=3):
    """Numbers as the harness prints them: 3 significant digits (LaTeX)."""
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


def gp_num(v):
    """Numbers for gnuplot labels (enhanced text): 3 significant digits."""
    s = g(v)
    return s.replace("\\times10^{", "x10^{")


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
    """Kernel / hypothesis names: typewriter."""
    return r"\texttt{" + tex(s) + "}"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


class Machine:
    def __init__(self, name, folder):
        self.name = name
        self.kernels = read_csv(os.path.join(folder, "kernels.csv"))
        self.hyps = read_csv(os.path.join(folder, "hypotheses.csv"))
        self.mach = read_csv(os.path.join(folder, "machine.csv"))
        self.samples = read_csv(os.path.join(folder, "samples.csv"))
        # model level (`falsify decode`): absent in older folders
        self.decode = read_csv(os.path.join(folder, "decode.csv"))
        self.decode_ops = read_csv(os.path.join(folder, "decode_ops.csv"))
        self.decode_hyps = read_csv(os.path.join(folder, "decode_hypotheses.csv"))
        self.synthetic = any("synthetic" in r["cpu_model"] for r in self.mach + self.kernels[:1] + self.hyps[:1])
        rows = self.mach + self.hyps + self.kernels
        self.cpu = next((r["cpu_model"] for r in rows if r["cpu_model"]), "?")
        key = next((r["key"] for r in self.mach if r["key"]), "")
        build = next((r["build"] for r in self.kernels + self.hyps if r["build"]), "")
        self.compiler = next((p for p in key.split("|") if p.startswith(("gcc", "clang"))), "") or \
            " ".join(build.split()[:2]) or "?"
        self.ceil = {}      # (level, threads) -> GB/s
        self.levels = []    # memory levels in the order machine.csv names them
        self.peak = {}      # (f32|int8, threads) -> (G op/s, isa)
        self.cache = {}     # name -> (bytes, shared by threads)
        for r in self.mach:
            t, v = int(num(r["threads"]) or 1), num(r["value"])
            if r["kind"] == "read_ceiling" and v:
                self.ceil[(r["name"], t)] = v
                if r["name"] not in self.levels:
                    self.levels.append(r["name"])
            elif r["kind"].startswith("peak_") and v:
                self.peak[(r["kind"][5:], t)] = (v, r["name"])
            elif r["kind"] == "cache" and num(r["bytes"]):
                self.cache[r["name"]] = (int(num(r["bytes"])), t)
        self.threads = sorted({t for (_, t) in list(self.ceil) + list(self.peak)}) or [1]
        cores = [int(r["cores_used"]) for r in self.kernels + self.hyps if r["cores_used"].isdigit()]
        self.ncores = max(self.threads) if self.ceil or self.peak else max(cores + [1])
        self.git = next((r["git_commit"] for r in self.hyps + self.kernels if r["git_commit"]), "?")
        self.date = next((r["date"] for r in self.hyps + self.kernels + self.mach if r["date"]), "?")
        # identity columns, where the results carry them (read by name, shown as found)
        self.ident = [(c, next((r[c] for r in rows if r[c]), "")) for c in
                      ("vendor", "family", "model", "stepping", "microarch", "microcode", "isa_level",
                       "hypervisor", "kernel_version", "governor")]
        self.ident = [(c, v) for c, v in self.ident if v]

    def timed_rows(self):
        rows = []
        for r in self.kernels:
            med, gops, gbs = num(r["median_ns"]), num(r["gops_per_s"]), num(r["gbytes_per_s"])
            if not med or not gops or r["status"] in FAILED:
                continue
            ops = gops * med
            lo, hi = num(r["ci_lo_ns"]), num(r["ci_hi_ns"])
            rows.append(dict(r, med=med, gops=gops, gbs=gbs, ops=ops,
                             gops_lo=ops / hi if hi else gops, gops_hi=ops / lo if lo else gops))
        return rows

    def aggregates(self):
        return [h for h in self.hyps if h["aggregate"] == "yes"]

    def dates(self):
        return [r["date"] for r in self.mach + self.hyps + self.kernels + self.decode + self.decode_hyps if r["date"]]

    def decode_configs(self):
        """decode.csv rows with a decode figure, largest model first, then weights and threads as run."""
        rows = [r for r in self.decode if num(r["decode_tok_s"])]
        models = sorted({r["model"] for r in rows}, key=lambda mo: -max(num(r["weight_bytes"]) or 0
                                                                        for r in rows if r["model"] == mo))
        wts = []
        for r in rows:
            if r["weights"] not in wts:
                wts.append(r["weights"])
        return sorted(rows, key=lambda r: (models.index(r["model"]), wts.index(r["weights"]),
                                           num(r["threads"]) or 1)), models, wts


class Isas:
    """One colour per ISA over every machine, so a colour means the same ISA in
    every figure.  Order: native before emulated, then by the number of ISA
    flags the plugin was built with (-m...), then by name; ISAs built with no
    ISA flag (portable C) take greys."""

    def __init__(self, ms):
        seen = {}
        for m in ms:
            for r in m.kernels + m.hyps:
                isa = r["isa"] or r["kernel"].rsplit(".", 1)[-1]
                if not isa:
                    continue
                # an ISA seen only in rows without a build (not run here) sorts after the built ones
                flags = len([w for w in r["build"].split() if w.startswith("-m")]) if r["build"] else 99
                emu = r["emulated"] == "yes"
                old = seen.get(isa)
                seen[isa] = (min(old[0], emu), min(old[1], flags)) if old else (emu, flags)
        self.order = sorted(seen, key=lambda i: (seen[i][0], seen[i][1], i))
        self.colour = {}
        grey = pal = 0
        for i in self.order:
            if seen[i][1] == 0 and not seen[i][0] and grey < len(GREYS):  # portable C
                self.colour[i] = GREYS[grey]
                grey += 1
            else:
                self.colour[i] = PALETTE[pal % len(PALETTE)]
                pal += 1

    def of(self, isa, kernel=""):
        isa = isa or kernel.rsplit(".", 1)[-1]
        return isa if isa in self.colour else None

    def rank(self, isa):
        return self.order.index(isa) if isa in self.order else len(self.order)

    def col(self, isa):
        return self.colour.get(isa, 0)

    def legend(self, isas, prefix):
        """The legend of one figure: only the ISAs it draws."""
        isas = sorted({i for i in isas if i}, key=self.rank) or ["none"]
        return '%s_fam_names = "%s"\n%s_fam_colors = "%s"\n' % (
            prefix, " ".join(isas), prefix, " ".join("#%06x" % self.col(i) for i in isas))


def versus(a, b):
    """'op.fmt.x vs op.fmt.y' as 'op.fmt: x vs y' (the dotted prefix they share said once)."""
    pa, pb = a.split("."), (b or "?").split(".")
    k = 0
    while k < min(len(pa), len(pb)) - 1 and pa[k] == pb[k]:
        k += 1
    if k == 0:
        return "%s vs %s" % (a, b or "?")
    return "%s: %s vs %s" % (".".join(pa[:k]), ".".join(pa[k:]), ".".join(pb[k:]))


def shape_of(r):
    s = "%sx%s" % (r["rows"], r["cols"])
    return s + ("x%s" % r["batch"] if r["batch"] not in ("", "1") else "")


def size_of(r):
    return (num(r["rows"]) or 0) * (num(r["cols"]) or 0) * (num(r["batch"]) or 1)


def ctx_label(shape, threads, cache):
    s = shape if shape not in ("-", "all") else ""
    if str(threads) not in ("1", ""):
        s += " T%s" % threads
    if cache == "cold":
        s += " cold"
    return s.strip()


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


def clip(v):
    """A value on the verdict axis and its clipping side: -1 left, 1 right, 0 inside."""
    if v <= VERDICT_MIN:
        return VERDICT_MIN, -1
    if v >= VERDICT_MAX:
        return VERDICT_MAX, 1
    return v, 0


def prepare_machine(m, out, isas):
    """Writes out/*.dat, vars.gp and plan.txt (figure, width and height in
    inches; or '# skip figure: reason')."""
    v = ['machine = %s\n' % q(m.name + (" (synthetic example)" if m.synthetic else ""))]
    plan = []

    def skip(fig, why):
        plan.append("# skip %s: %s" % (fig, why))

    # 1. throughput per kernel and shape, CI from the rank interval of the median time
    rows = m.timed_rows()
    rows.sort(key=lambda r: (r["op"], size_of(r), num(r["threads"]) or 1, r["cache"]))
    data, tics, xmax = clusters_dat(
        rows, key=lambda r: "%s %s" % (r["op"], ctx_label(shape_of(r), r["threads"], r["cache"])),
        member=lambda r: (isas.rank(isas.of(r["isa"], r["kernel"])), r["kernel"]))
    lines = ["# y gops gops_lo gops_hi colour kernel gbytes_per_s median_ns"]
    used = []
    for x, r in data:
        isa = isas.of(r["isa"], r["kernel"])
        used.append(isa)
        lines.append("%g %.6g %.6g %.6g %d %s %.6g %.6g" % (x, r["gops"], r["gops_lo"], r["gops_hi"],
                                                              isas.col(isa), q(r["kernel"]), r["gbs"] or 0, r["med"]))
    v.append(isas.legend(used, "tp"))
    gl = [r["gops_lo"] for _, r in data] or [1]
    gh = [r["gops_hi"] for _, r in data] or [10]
    v.append("tp_gmin = %g\ntp_gmax = %g\n" % (10 ** math.floor(math.log10(min(gl) / 1.5)),
                                                10 ** math.ceil(math.log10(max(gh) * 8))))
    write(os.path.join(out, "throughput.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "throughput_tics.dat"),
          "".join("%g %s\n" % (x, q(k)) for x, k in tics) or "0 \"none\"\n")
    v.append("tp_n = %d\ntp_xmax = %g\n" % (len(data), max(xmax - 0.8, 1)))
    if data:
        plan.append("throughput 6.5 %.2f" % max(3.0, 1.0 + 0.075 * xmax))
    else:
        skip("throughput", "no timed row in kernels.csv")

    # 2. speedups: every aggregate speedup row (figure = its worst shape), grouped by
    #    hypothesis; each bar names subject vs baseline; threshold marked per bar
    sp = [h for h in m.aggregates() if h["kind"] == "speedup" and num(h["figure"])]
    order = []
    for h in sp:
        if h["id"] not in order:
            order.append(h["id"])
    sp.sort(key=lambda h: (order.index(h["id"]), num(h["threads"]) or 1, h["kernel"]))
    lines = ["# y speedup ci_lo ci_hi colour label threshold verdict_colour"]
    tics, y, used, labels = [], 0.0, [], []
    for hid in order:
        group = [h for h in sp if h["id"] == hid]
        start = y
        for h in group:
            isa = isas.of(h["isa"], h["kernel"])
            used.append(isa)
            fig, lo, hi = num(h["figure"]), num(h["ci_lo"]), num(h["ci_hi"])
            lab = "%s  %s" % (versus(h["kernel"], h["baseline"]), ctx_label(h["shape"], h["threads"], h["cache"]))
            labels.append((max(hi or fig, num(h["threshold"]) or 0), len(lab)))
            lines.append("%g %.6g %.6g %.6g %d %s %.6g %d" % (
                y, fig, lo or fig, hi or fig, isas.col(isa), q(lab), num(h["threshold"]) or float("nan"),
                VERDICT_COLOURS.get(h["verdict"], 0)))
            y += 1
        tics.append(((start + y - 1) / 2, hid))
        y += 0.6
    figs = [num(h["ci_lo"]) or num(h["figure"]) for h in sp] + [num(h["ci_hi"]) or num(h["figure"]) for h in sp]
    figs += [num(h["threshold"]) for h in sp if num(h["threshold"])] + [1.0]
    v.append(isas.legend(used, "sp"))
    # room on the right for each bar's label: a label of L characters spans about
    # L / (22 per inch) of the ~4.6 inch plot, in decades of the log axis
    lx = math.floor(math.log10(min(figs) / 1.2))
    top = math.log10(max(figs) * 1.5)
    for right, nchar in labels:
        c = nchar / (22.0 * 4.6)
        top = max(top, (math.log10(right * 1.15) - c * lx) / (1 - c))
    v.append("sp_n = %d\nsp_ymax = %g\nsp_xmin = %g\nsp_xmax = %g\n" % (
        len(sp), max(y - 0.6, 1), 10 ** lx, 10 ** math.ceil(top)))
    write(os.path.join(out, "speedup.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "speedup_tics.dat"), "".join("%g %s\n" % (y_, q(k)) for y_, k in tics) or "0 \"none\"\n")
    if sp:
        plan.append("speedup 6.5 %.2f" % max(2.6, 1.1 + 0.17 * y))
    else:
        skip("speedup", "no speedup hypothesis with a figure in hypotheses.csv")

    # 3. thread scaling: efficiency rows of scaling hypotheses, speedup = efficiency * T
    series = {}
    for h in m.hyps:
        if h["kind"] != "scaling" or h["aggregate"] != "no":
            continue
        fig = num(h["figure"])
        if fig is None:
            continue
        t = int(num(h["threads"]) or 1)
        key = "%s %s" % (h["kernel"], ctx_label(h["shape"], 1, h["cache"]))
        lo, hi = num(h["ci_lo"]), num(h["ci_hi"])
        series.setdefault(key, {})[t] = (fig * t, (lo if lo is not None else fig) * t,
                                         (hi if hi is not None else fig) * t, isas.of(h["isa"], h["kernel"]))
    blocks = []
    for i, (key, pts) in enumerate(sorted(series.items())):
        isa = next(iter(pts.values()))[3]
        b = ["# %s" % key, "1 1 1 1"]
        for t in sorted(pts):
            s, lo, hi, _ = pts[t]
            b.append("%d %.6g %.6g %.6g" % (t, s, lo, hi))
        blocks.append("\n".join(b))
        v.append("sc_title_%d = %s\nsc_color_%d = \"#%06x\"\n" % (i, q(key), i, isas.col(isa)))
    write(os.path.join(out, "scaling.dat"), "\n\n\n".join(blocks) + "\n" if blocks else "1 1 1 1\n")
    tmax = max([t for p in series.values() for t in p] + [2])
    ymax = max([p[2] for s in series.values() for p in s.values()] + [tmax])
    v.append("sc_n = %d\nsc_tmax = %d\nsc_ymax = %g\n" % (len(blocks), tmax, ymax * 1.1))
    if blocks:
        plan.append("scaling 5.5 3.2")
    else:
        skip("scaling", "no scaling hypothesis with a figure in hypotheses.csv")

    # 4. roofline: measured ceilings per level and threads, kernels as numbered points
    tmin, tmaxc = min(m.threads), max(m.threads)
    pts = []
    for r in rows:
        if r["gbs"]:
            pts.append((r["gops"] / r["gbs"], r["gops"], isas.of(r["isa"], r["kernel"]),
                        int(num(r["threads"]) or 1), r["kernel"]))
    ais = [p[0] for p in pts] or [0.5]
    lo_ai = 10 ** math.floor(math.log10(min(ais) / 3))
    hi_ai = 10 ** math.ceil(math.log10(max(ais) * 2))
    peaks = [pk[0] for pk in m.peak.values() if pk[0]]
    top = max(peaks + [p[1] for p in pts] + [1e-3])
    blocks, i = [], 0
    for li, lv in enumerate(m.levels):
        for t in sorted({tmin, tmaxc}):
            bw = m.ceil.get((lv, t))
            if not bw:
                continue
            tp = [pk[0] for (k, tt_), pk in m.peak.items() if tt_ == t and pk[0]]
            roof = max(tp) if tp else top * 3
            n = 64
            b = []
            for j in range(n + 1):
                ai = lo_ai * (hi_ai / lo_ai) ** (j / n)
                b.append("%.6g %.6g" % (ai, min(ai * bw, roof)))
            blocks.append("\n".join(b))
            v.append("rf_title_%d = %s\nrf_color_%d = \"#%06x\"\nrf_dash_%d = %d\n" % (
                i, q("%s %s GB/s %dT" % (lv, gp_num(bw), t)), i, LEVEL_PALETTE[li % len(LEVEL_PALETTE)], i,
                1 if t == tmin else 2))
            i += 1
    for kind in sorted({k for (k, _) in m.peak}):
        for t in sorted({tmin, tmaxc}):
            pk = m.peak.get((kind, t))
            if not pk or not pk[0]:
                continue
            blocks.append("%.6g %.6g\n%.6g %.6g" % (lo_ai, pk[0], hi_ai, pk[0]))
            v.append("rf_title_%d = %s\nrf_color_%d = \"#%06x\"\nrf_dash_%d = %d\n" % (
                i, q("peak %s %s %s %dT" % (kind, pk[1], gp_num(pk[0]), t)), i,
                0x000000 if kind == sorted({k for (k, _) in m.peak})[0] else 0x888888, i, 1 if t == tmin else 2))
            i += 1
    write(os.path.join(out, "roof_ceilings.dat"), "\n\n\n".join(blocks) + "\n" if blocks else "1 1\n")
    # one number per kernel (its points at every shape share it), the key beside the plot
    kisa = {p[4]: p[2] for p in pts}
    knames = sorted(kisa, key=lambda k: (isas.rank(kisa[k]), k))
    lines = ["# ai gops colour threads number label"]
    used, labelled = [], []
    for ai, gops, isa, t, k in pts:
        used.append(isa)
        near = any(k2 == k and abs(math.log10(ai / a2)) < 0.12 and abs(math.log10(gops / g2)) < 0.12
                   for a2, g2, k2 in labelled)
        if not near:
            labelled.append((ai, gops, k))
        lines.append("%.6g %.6g %d %d %d %s" % (ai, gops, isas.col(isa), t, knames.index(k) + 1,
                                               q("" if near else knames.index(k) + 1)))
    for j, k in enumerate(knames):
        v.append('rf_kname_%d = %s\nrf_kcol_%d = "#%06x"\n' % (j + 1, q(k), j + 1, isas.col(kisa[k])))
    v.append(isas.legend(used, "rf"))
    write(os.path.join(out, "roof_points.dat"), "\n".join(lines) + "\n")
    v.append("rf_n = %d\nrf_k = %d\nrf_xmin = %g\nrf_xmax = %g\nrf_ymax = %g\nrf_ymin = %g\n" % (
        i, len(knames), lo_ai, hi_ai, top * 3, max(min([p[1] for p in pts] + [top]) / 10, 1e-3)))
    if pts and blocks:   # the right column holds the kernel key and the ceilings' key
        plan.append("roofline 7 %.2f" % max(3.6, 0.8 + 0.135 * (len(knames) + i + 5)))
    elif blocks:
        skip("roofline", "no timed kernel with a byte count in kernels.csv")
    else:
        skip("roofline", "no read ceiling in machine.csv (run `falsify machine`)")

    # 5. error per kernel and shape (log): gauge for reductions, ULP for elementwise
    seen, gauge, ulp = set(), [], []
    for r in sorted(m.kernels, key=lambda r: (r["op"], r["kernel"], size_of(r))):
        k = (r["kernel"], shape_of(r))
        if k in seen or r["status"] not in ("ok", "wrong"):
            continue
        seen.add(k)
        gm, um = num(r["gauge_max"]), num(r["ulp_max"])
        isa = isas.of(r["isa"], r["kernel"])
        if gm is not None:
            gauge.append((r, gm, isa))
        elif um is not None:
            ulp.append((r, um, isa))
    used = []
    for name, items in (("err_gauge", gauge), ("err_ulp", ulp)):
        ks = []
        for r, _, _ in items:
            if r["kernel"] not in ks:
                ks.append(r["kernel"])
        pos = [val for _, val, _ in items if val > 0]
        xmin = 10 ** math.floor(math.log10(min(pos) / 2)) if pos else 1e-3
        xmax = 10 ** math.ceil(math.log10(max(pos + [1e-3]) * 3))
        lines = ["# y value colour clipped"]
        for r, val, isa in items:
            used.append(isa)
            # an exact result (0) cannot sit on a log axis: drawn at the left edge, marked
            lines.append("%d %.6g %d %d" % (ks.index(r["kernel"]), val if val > 0 else xmin, isas.col(isa),
                                            0 if val > 0 else -1))
        write(os.path.join(out, name + ".dat"), "\n".join(lines) + "\n")
        write(os.path.join(out, name + "_tics.dat"),
              "".join("%d %s\n" % (i_, q(k)) for i_, k in enumerate(ks)) or "0 \"none\"\n")
        v.append("%s_n = %d\n%s_xmin = %g\n%s_xmax = %g\n%s_nzero = %d\n" % (
            name, len(ks), name, xmin, name, xmax, name, len(items) - len(pos)))
    v.append(isas.legend(used, "err"))
    ulp_claims = sorted({num(h["threshold"]) for h in m.hyps
                         if h["metric"] == "ulp_max" and h["role"] == "claim" and num(h["threshold"])})
    gauge_guards = sorted({num(h["threshold"]) for h in m.hyps
                           if h["metric"] == "gauge_max" and h["role"] == "guard" and num(h["threshold"])})
    v.append("ulp_claim = %s\n" % ("%g" % ulp_claims[0] if ulp_claims else "NaN"))
    v.append("gauge_guard_min = %s\n" % ("%g" % gauge_guards[0] if gauge_guards else "NaN"))
    ne = max(len({r["kernel"] for r, _, _ in gauge}), len({r["kernel"] for r, _, _ in ulp}))
    if gauge or ulp:
        plan.append("error 7 %.2f" % max(3.0, 1.5 + 0.16 * ne))
    else:
        skip("error", "no kernels.csv row with an error figure")

    # 6. verdicts: margin to the threshold on the claim's side (> 1 = claim side)
    lines = ["# y margin lo hi colour label verdict clip clip_text"]
    aggs = m.aggregates()
    counts = collections.Counter((h["id"], h["kernel"]) for h in aggs)
    for y, h in enumerate(reversed(aggs)):
        fig, lo, hi, t = num(h["figure"]), num(h["ci_lo"]), num(h["ci_hi"]), num(h["threshold"])
        lab = "%s  %s" % (h["id"], h["kernel"])
        if counts[(h["id"], h["kernel"])] > 1 or h["threads"] not in ("1", ""):
            lab += " T%s" % h["threads"]
        if h["cache"] == "cold" and h["kind"] != "roofline":
            lab += " cold"
        col = VERDICT_COLOURS.get(h["verdict"], 0)
        if fig is None or (h["kind"] != "parity" and not t):
            lines.append("%d -1 -1 -1 %d %s %s 0 \"\"" % (y, col, q(lab), q(h["verdict"])))
            continue
        if h["kind"] == "parity":
            mg, mlo, mhi = fig, lo or fig, hi or fig
        elif h["kind"] in AT_MOST:
            mg = t / fig if fig else float("inf")
            mlo = t / hi if hi else mg
            mhi = t / lo if lo else mg
        else:
            mg = fig / t
            mlo = lo / t if lo is not None else mg
            mhi = hi / t if hi is not None else mg
        (mg, side), (mlo, _), (mhi, _) = clip(mg), clip(mlo), clip(mhi)
        text = ""
        if side:
            raw = (t / fig if fig else float("inf")) if h["kind"] in AT_MOST else (fig if h["kind"] == "parity" else fig / t)
            text = "inf" if math.isinf(raw) else gp_num(raw)
        lines.append("%d %.6g %.6g %.6g %d %s %s %d %s" % (y, mg, mlo, mhi, col, q(lab), q(h["verdict"]), side, q(text)))
    write(os.path.join(out, "verdicts.dat"), "\n".join(lines) + "\n")
    v.append("vd_n = %d\nvd_min = %g\nvd_max = %g\n" % (len(aggs), VERDICT_MIN, VERDICT_MAX))
    if aggs:
        plan.append("verdicts 6.5 %.2f" % max(2.5, 1.2 + 0.13 * len(aggs)))
    else:
        skip("verdicts", "no aggregate row in hypotheses.csv")
    prepare_decode(m, out, v, plan, skip)
    write(os.path.join(out, "vars.gp"), "".join(v))
    write(os.path.join(out, "plan.txt"), "\n".join(plan) + "\n")
    return [p.split()[0] for p in plan if not p.startswith("#")], [p[7:] for p in plan if p.startswith("#")]


def decode_label(r):
    return "%s %s T%s" % (r["model"], r["weights"], r["threads"])


def prepare_decode(m, out, v, plan, skip):
    """7. decode tok/s per configuration with its per-token roofline bound, and
    8. the per-op breakdown of a decode token (decode.csv, decode_ops.csv)."""
    rows, models, wts = m.decode_configs()
    if not rows:
        skip("decode_tps", "no decode.csv (run `make decode`)")
        skip("decode_ops", "no decode.csv (run `make decode`)")
        return
    wcol = {w: PALETTE[i % len(PALETTE)] for i, w in enumerate(wts)}
    lines = ["# y tok_s lo hi colour label bound_tok_s fraction_text"]
    tics, y, xs = [], 0.0, []
    for mo in models:
        start = y
        for r in [r for r in rows if r["model"] == mo]:
            tps, lo, hi = num(r["decode_tok_s"]), num(r["decode_tok_s_lo"]), num(r["decode_tok_s_hi"])
            rms = num(r["roofline_ms_token"])
            bound = 1e3 / rms if rms else None
            fr = num(r["roofline_fraction"])
            text = "%s T%s  %s of the %s bound" % (r["weights"], r["threads"], gp_num(fr), r["level"]) if fr \
                else "%s T%s" % (r["weights"], r["threads"])
            lines.append("%g %.6g %.6g %.6g %d %s %s %s" % (
                y, tps, lo or tps, hi or tps, wcol[r["weights"]], q(text),
                "%.6g" % bound if bound else "NaN", q(gp_num(fr) if fr else "")))
            xs += [x for x in (tps, lo, hi, bound) if x]
            y += 1
        tics.append(((start + y - 1) / 2, mo))
        y += 0.6
    write(os.path.join(out, "decode_tps.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "decode_tps_tics.dat"), "".join("%g %s\n" % (y_, q(k)) for y_, k in tics))
    # labels right of the bars: room of about a decade on the log axis
    v.append("dt_ymax = %g\ndt_xmin = %g\ndt_xmax = %g\n" % (
        max(y - 0.6, 1), 10 ** math.floor(math.log10(min(xs) / 1.5)), 10 ** math.ceil(math.log10(max(xs)) + 1.3)))
    v.append("dt_wnames = %s\ndt_wcolors = %s\n" % (q(" ".join(wts)), q(" ".join("#%06x" % wcol[w] for w in wts))))
    plan.append("decode_tps 6.5 %.2f" % max(2.8, 1.2 + 0.17 * y))

    # 8. per-op shares of a decode token: stacked bars, total ms/token at the right end
    ops = []
    for r in m.decode_ops:
        if r["op"] not in ops:
            ops.append(r["op"])
    share = {(r["model"], r["weights"], r["threads"], r["op"]): num(r["ns_per_token"]) or 0.0 for r in m.decode_ops}
    opcol = {op: OP_PALETTE[i % len(OP_PALETTE)] for i, op in enumerate(ops)}
    lines, tics, used = ["# y x0 x1 colour"], [], []
    totals = ["# y x label"]
    y = 0
    for r in reversed(rows):
        key = (r["model"], r["weights"], r["threads"])
        ns = [share.get(key + (op,), 0.0) for op in ops]
        tot = sum(ns)
        if tot <= 0:
            continue
        x0 = 0.0
        for op, n_ in zip(ops, ns):
            if n_ <= 0:
                continue
            x1 = x0 + 100.0 * n_ / tot
            lines.append("%d %.6g %.6g %d" % (y, x0, x1, opcol[op]))
            if op not in used:
                used.append(op)
            x0 = x1
        totals.append("%d 101 %s" % (y, q("%s ms" % gp_num(tot * 1e-6))))
        tics.append((y, decode_label(r)))
        y += 1
    if not tics:
        skip("decode_ops", "no per-op times in decode_ops.csv")
        return
    used = [op for op in ops if op in used]
    write(os.path.join(out, "decode_ops.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "decode_ops_totals.dat"), "\n".join(totals) + "\n")
    write(os.path.join(out, "decode_ops_tics.dat"), "".join("%d %s\n" % (y_, q(k)) for y_, k in tics))
    v.append("do_n = %d\ndo_names = %s\ndo_colors = %s\n" % (
        len(tics), q(" ".join(used)), q(" ".join("#%06x" % opcol[op] for op in used))))
    plan.append("decode_ops 6.5 %.2f" % max(2.6, 1.4 + 0.16 * len(tics)))


def matrix_rows(ms):
    """Hypothesis ids in first-seen order, each with its role and, per machine,
    the verdicts of its aggregate rows (one per kernel / thread count)."""
    ids, role = [], {}
    for m in ms:
        for h in m.aggregates():
            if h["id"] not in ids:
                ids.append(h["id"])
                role[h["id"]] = h["role"]
    cells = {(hid, i): [h["verdict"] for h in m.aggregates() if h["id"] == hid]
             for hid in ids for i, m in enumerate(ms)}
    return ids, role, cells


def prepare_all(ms, out):
    """The claim x machine matrix (any number of machines) and, with several
    machines, ceilings and speedups side by side."""
    v = ["nm = %d\n" % len(ms)]
    plan = []
    for i, m in enumerate(ms):
        v.append("m_name_%d = %s\n" % (i, q(m.name)))
    ids, role, cells = matrix_rows(ms)
    lines = ["# x0 x1 y0 y1 colour letter  (one box per aggregate row: column = machine, row = hypothesis)"]
    for y, hid in enumerate(ids):
        for i in range(len(ms)):
            vs = sorted(cells[(hid, i)], key=lambda x: VERDICTS.index(x) if x in VERDICTS else 9)
            for j, vd in enumerate(vs):
                w = 0.9 / len(vs)
                x0 = i - 0.45 + j * w
                lines.append("%.4f %.4f %.2f %.2f %d %s" % (x0, x0 + w, y - 0.4, y + 0.4, VERDICT_COLOURS.get(vd, 0),
                                                            q(vd[:1] if len(vs) < 6 else "")))
    write(os.path.join(out, "matrix.dat"), "\n".join(lines) + "\n")
    write(os.path.join(out, "matrix_tics.dat"),
          "".join("%d %s\n" % (y, q("%s (%s)" % (hid, role[hid]) if role[hid] else hid)) for y, hid in enumerate(ids))
          or "0 \"none\"\n")
    v.append("mx_n = %d\n" % len(ids))
    if ids:
        plan.append("matrix %.2f %.2f" % (min(7.0, 3.2 + 0.9 * len(ms)), max(2.5, 1.5 + 0.16 * len(ids))))
    else:
        plan.append("# skip matrix: no aggregate row in any hypotheses.csv")
    if len(ms) > 1:
        # ceilings side by side: the machines that have a machine.csv
        cm = [m for m in ms if m.ceil or m.peak]
        for i, m in enumerate(cm):
            v.append("cl_name_%d = %s\n" % (i, q(m.name)))
        levels = []
        for m in cm:
            levels += [lv for lv in m.levels if lv not in levels]
        kinds = sorted({k for m in cm for (k, _) in m.peak})
        lines = ['# level ' + " ".join("%s_1T %s_maxT" % (m.name, m.name) for m in cm)]
        for lv in levels:
            vals = []
            for m in cm:
                vals += [m.ceil.get((lv, 1)), m.ceil.get((lv, max(m.threads)))]
            lines.append("%s %s" % (q(lv), " ".join("%.6g" % x if x else "NaN" for x in vals)))
        for kind in kinds:
            vals = []
            for m in cm:
                a, b = m.peak.get((kind, 1)), m.peak.get((kind, max(m.threads)))
                vals += [a[0] if a else None, b[0] if b else None]
            lines.append("%s %s" % (q("peak " + kind), " ".join("%.6g" % x if x else "NaN" for x in vals)))
        write(os.path.join(out, "ceilings.dat"), "\n".join(lines) + "\n")
        v.append("cl_nm = %d\ncl_levels = %d\ncl_peaks = %d\n" % (len(cm), len(levels), len(kinds)))
        if len(cm) > 1:
            plan.append("compare 6.5 3.2")
        else:
            plan.append("# skip compare: fewer than two machines with machine.csv ceilings")
        # speedup aggregates per (hypothesis, kernel, threads): the machines that have one
        keys = []
        for m in ms:
            for h in m.aggregates():
                k = (h["id"], h["kernel"], h["threads"])
                if h["kind"] == "speedup" and num(h["figure"]) and k not in keys:
                    keys.append(k)
        sm = [m for m in ms if any(h["kind"] == "speedup" and num(h["figure"]) for h in m.aggregates())]
        for i, m in enumerate(sm):
            v.append("sk_name_%d = %s\n" % (i, q(m.name)))
        # one group per key, one horizontal bar per machine that has it (colour = machine)
        lines, tics, y, vals = ["# y speedup ci_lo ci_hi colour"], [], 0.0, [1.0]
        for k in keys:
            start = y
            for j, m in enumerate(sm):
                h = next((h for h in m.aggregates() if (h["id"], h["kernel"], h["threads"]) == k), None)
                f = num(h["figure"]) if h else None
                if f is None:
                    continue
                lo, hi = num(h["ci_lo"]) or f, num(h["ci_hi"]) or f
                vals += [lo, hi]
                lines.append("%g %.6g %.6g %.6g %d" % (y, f, lo, hi, MACHINE_PALETTE[j % len(MACHINE_PALETTE)]))
                y += 1
            tics.append(((start + y - 1) / 2, "%s  %s%s" % (k[0], k[1], "" if k[2] in ("1", "") else " T" + k[2])))
            y += 0.7
        write(os.path.join(out, "speedups.dat"), "\n".join(lines) + "\n")
        write(os.path.join(out, "speedups_tics.dat"), "".join("%g %s\n" % (t, q(lab)) for t, lab in tics) or "0 \"none\"\n")
        for j, m in enumerate(sm):
            v.append('sk_color_%d = "#%06x"\n' % (j, MACHINE_PALETTE[j % len(MACHINE_PALETTE)]))
        v.append("sk_ymax = %g\nsk_xmin = %g\nsk_xmax = %g\n" % (
            max(y - 0.7, 1), 10 ** math.floor(math.log10(min(vals) / 1.2)), 10 ** math.ceil(math.log10(max(vals) * 1.2))))
        v.append("sk_nm = %d\nsk_n = %d\n" % (len(sm), len(keys)))
        if len(sm) > 1:
            plan.append("compare_speedup 6.5 %.2f" % max(3.2, 1.3 + 0.1 * y))
        else:
            plan.append("# skip compare_speedup: fewer than two machines with a speedup figure")
    else:
        plan += ["# skip compare: one machine", "# skip compare_speedup: one machine"]
    write(os.path.join(out, "vars.gp"), "".join(v))
    write(os.path.join(out, "plan.txt"), "\n".join(plan) + "\n")
    return [p.split()[0] for p in plan if not p.startswith("#")]


# ---------------------------------------------------------------- LaTeX

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


DECODE_AT_MOST = ("jitter", "memory")    # decode_hypotheses.csv kinds whose claim is figure <= threshold


def ttb(s):
    """A configuration or hypothesis name in typewriter that may break after , - : = (long override lists)."""
    out = tex(s)
    for c in (",", "-", ":", "="):
        out = out.replace(c, c + r"\allowbreak{}")
    return r"\texttt{" + out + "}"


def decode_threshold_text(h):
    t = num(h["threshold"])
    if t is None:
        return "--"
    if h["kind"] == "parity":
        return r"$\approx$1"
    unit = {"speedup": r"$\times$", "kvcache": r"$\times$", "roofline": " of roof", "jitter": " p99/p50",
            "memory": r"$\times$ weights"}.get(h["kind"], "")
    return (r"$\leq$" if h["kind"] in DECODE_AT_MOST else r"$\geq$") + tex_num(t) + unit


def decode_ci_text(h):
    return ci_text({"ci_lo": h["lo"], "ci_hi": h["hi"]})


def decode_hyp_sentence(h):
    s = r"%s (%s, %s) on %s: %s" % (tt(h["hypothesis"]), tex(h["kind"]), tex(h["model"]), ttb(h["subject"]),
                                    verdict_tex(h["verdict"]))
    if h["baseline"]:
        s += r" against %s" % ttb(h["baseline"])
    if num(h["figure"]) is not None:
        s += r", figure %s (threshold %s), CI %s, $n=%s$" % (tex_num(num(h["figure"])), decode_threshold_text(h),
                                                          decode_ci_text(h), tex(h["n"]))
    if h["note"]:
        s += r", %s" % tex(h["note"])
    if h["verdict"] != "SUPPORTED" and h["reason"]:
        s += r" --- \emph{%s}" % tex(h["reason"][:300])
    return s


def decode_tex(m, drawn):
    """The model-level subsection of machine m: configurations, figures, claims."""
    rows, _, _ = m.decode_configs()
    out = [r"\subsection{Model level on \texttt{%s}}" % tex(m.name)]
    if rows:
        head = (r"model & weights & T & prefill tok/s & decode tok/s & ms/token p50 / p99 & MB/token & "
                r"bound tok/s & fraction & RSS/w \\")
        out += [r"{\footnotesize\setlength{\tabcolsep}{3pt}\begin{longtable}{@{}llrrlrrlll@{}}",
                r"\caption{\texttt{%s}: \texttt{falsify decode} per configuration (\texttt{decode.csv}): decode "
                r"tokens/s median and 95\%% rank CI over the tokens; MB each token reads (weights and KV cache); the "
                r"per-token roofline bound (those bytes over the read ceiling of the memory level they live in, from "
                r"\texttt{machine.csv}) and the fraction of it reached; peak RSS while inferring over the weight "
                r"bytes.}\\" % tex(m.name), r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head,
                r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot"]
        for r in rows:
            rms = num(r["roofline_ms_token"])
            mb = (num(r["weight_bytes_per_token"]) or 0) + (num(r["kv_bytes_per_token"]) or 0)
            out.append(r"%s & %s & %s & %s & %s %s & %s / %s & %s & %s (%s) & %s %s & %s \\" % (
                tex(r["model"]), tex(r["weights"]), tex(r["threads"]), tex_num(num(r["prefill_tok_s"])),
                tex_num(num(r["decode_tok_s"])), decode_ci_text({"lo": r["decode_tok_s_lo"], "hi": r["decode_tok_s_hi"]}),
                tex_num(num(r["ms_token_p50"])), tex_num(num(r["ms_token_p99"])), tex_num(mb * 1e-6),
                tex_num(1e3 / rms) if rms else "--", tex(r["level"]), tex_num(num(r["roofline_fraction"])),
                decode_ci_text({"lo": r["roofline_fraction_lo"], "hi": r["roofline_fraction_hi"]}),
                tex_num(num(r["run_rss_over_weights"]))))
        out.append(r"\end{longtable}}")
        r0 = rows[0]
        out.append(r"Plugins of the first configuration: %s; compiler %s, commit %s, %s." % (
            ", ".join(tt(r0[c]) for c in ("gemv", "gemm", "attention") if r0[c]), tex(r0["compiler"]),
            tex(r0["git_commit"]), tex(r0["date"])))
    else:
        out.append(r"No \texttt{decode.csv} in this folder: no configuration was measured here.")
    for f, cap in (("decode_tps", r"Decode tokens/s per configuration (bar: CI over the tokens), the black tick "
                                  r"the per-token roofline bound, the label the fraction reached."),
                   ("decode_ops", r"Where a decode token's time goes: the per-op shares of \texttt{decode\_ops.csv}, "
                                  r"mean total ms/token at the right.")):
        if f in drawn:
            out += [r"\begin{figure}[htbp]\centering",
                    r"\includegraphics[width=\linewidth,height=0.9\textheight,keepaspectratio]{figures/%s/%s.pdf}" % (
                        m.name, f),
                    r"\caption{\texttt{%s}: %s}" % (tex(m.name), cap), r"\end{figure}"]
    if m.decode_hyps:
        sources = []
        for h in m.decode_hyps:
            if h["source"] and h["source"] not in sources:
                sources.append(h["source"])
        head = r"claim & subject vs baseline & threshold & figure & interval & $n$ & verdict \\"
        out += [r"{\footnotesize\setlength{\tabcolsep}{3pt}\begin{longtable}{@{}>{\raggedright\arraybackslash}p{3.7cm}>{\raggedright\arraybackslash}p{5.3cm}lrlrl@{}}",
                r"\caption{\texttt{%s}: every model-level hypothesis (\texttt{decode\_hypotheses.csv}): ratios of "
                r"two configurations on paired, interleaved per-token times, per-token roofline fractions, p99/p50 "
                r"and peak RSS over the weights; $\dagger$ guard; number: source, listed below.}\\" % tex(m.name),
                r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head, r"\midrule", r"\endhead",
                r"\bottomrule", r"\endfoot"]
        for h in m.decode_hyps:
            name = ttb(h["hypothesis"]) + (r"$^\dagger$" if h["role"] == "guard" else "")
            if h["source"]:
                name += r"\textsuperscript{%d}" % (sources.index(h["source"]) + 1)
            arms = tex(h["model"]) + ": " + ttb(h["subject"]) + (r" vs " + ttb(h["baseline"]) if h["baseline"] else "")
            if h["note"]:
                arms += ", " + tex(h["note"])
            out.append(r"%s & %s & %s & %s & %s & %s & %s \\" % (
                name, arms, decode_threshold_text(h), tex_num(num(h["figure"])) if num(h["figure"]) is not None
                else "--", decode_ci_text(h), tex(h["n"]), verdict_tex(h["verdict"])))
        out.append(r"\end{longtable}}")
        out.append(r"{\raggedright\footnotesize\noindent Sources: " +
                   "; ".join(r"\textsuperscript{%d}\,%s" % (i + 1, tex(s_)) for i, s_ in enumerate(sources)) +
                   ".\\par}")
        why = [h for h in m.decode_hyps if h["verdict"] in ("UNTESTABLE", "INCONCLUSIVE") and h["reason"]]
        if why:
            out.append(r"{\raggedright\footnotesize\noindent Not decided: " + "; ".join(
                r"%s: %s" % (tt(h["hypothesis"]), tex(h["reason"][:200])) for h in why) + ".\\par}")
    return "\n".join(out) + "\n"


def verdict_tex(vd):
    return r"\verdict{%s}" % vd if vd in VERDICTS else r"\textsf{%s}" % tex(vd)


def ci_text(h):
    lo, hi = num(h["ci_lo"]), num(h["ci_hi"])
    if lo is None or hi is None:
        return "--"
    if lo == hi:
        return "exact"
    return "[%s, %s]" % (tex_num(lo), tex_num(hi))


def unit_of(h):
    u = METRIC_UNITS.get(h["metric"], " " + h["metric"] if h["metric"] else "")
    return r"$\times$" if u == "x" else tex(u)


def fig_text(h):
    f = num(h["figure"])
    return "--" if f is None else tex_num(f) + (r"$\times$" if unit_of(h) == r"$\times$" else "")


def threshold_text(h):
    t = num(h["threshold"])
    if h["kind"] == "parity":
        tol = num(h["tolerance"])
        return (r"$1\pm%s$\%%" % g(100 * tol)) if tol else r"$\approx$%s%s" % (tex_num(t), unit_of(h))
    if t is None:
        return "--"
    rel = r"$\geq$" if h["kind"] in AT_LEAST else r"$\leq$" if h["kind"] in AT_MOST else ""
    return rel + tex_num(t) + unit_of(h)


def hyp_sentence(h):
    s = r"%s on %s: %s" % (tt(h["id"]), tt(h["kernel"]), verdict_tex(h["verdict"]))
    if num(h["figure"]) is not None:
        s += r", %s %s (threshold %s), CI %s, $n=%s$" % (
            tex(h["metric"]), fig_text(h), threshold_text(h), ci_text(h), h["n"])
        if h["kind"] in ("speedup", "parity") and num(h["subject_median_ns"]) and num(h["baseline_median_ns"]):
            s += r", medians %s\,\textmu{}s (subject) vs %s\,\textmu{}s (baseline)" % (
                tex_num(num(h["subject_median_ns"]) * 1e-3), tex_num(num(h["baseline_median_ns"]) * 1e-3))
    if h["shape"] and h["shape"] not in ("-", "all"):
        s += r", worst shape %s" % tex(h["shape"])
    if h["threads"] not in ("1", ""):
        s += r", %s threads" % h["threads"]
    if h["verdict"] != "SUPPORTED" and h["reason"]:
        s += r" --- \emph{%s}" % tex(h["reason"])
    return s


def selfcheck_tex(m):
    """The A/A rows: a parity hypothesis whose subject is its own baseline."""
    rows = [h for h in m.aggregates() if h["kind"] == "parity" and h["kernel"] and h["kernel"] == h["baseline"]]
    if not rows:
        return r"\texttt{%s}: no A/A row (a kernel timed against itself) in hypotheses.csv." % tex(m.name)
    return r"\texttt{%s}: " % tex(m.name) + "; ".join(hyp_sentence(h) for h in rows) + "."


def machine_tex(m):
    rows = [r"\begin{tabular}{@{}lll@{}}", r"\toprule", r"what & value & source \\", r"\midrule",
            r"CPU model & %s & machine.csv \\" % tex(m.cpu)]
    for c, val in m.ident:
        rows.append(r"%s & %s & provenance \\" % (tex(c.replace("_", " ")), tex(val[:60])))
    rows += [r"usable cores & %d & machine.csv, kernels.csv \\" % m.ncores,
             r"compiler & %s & provenance \\" % tex(m.compiler)]
    for name, (b, t) in sorted(m.cache.items()):
        size = "%d MiB" % round(b / 1048576.0) if b >= 8 << 20 else "%d KiB" % round(b / 1024.0)
        rows.append(r"%s cache & %s%s & sysfs \\" % (tex(name), size,
                                                          ", shared by %d" % t if t > 1 else ""))
    if m.ceil or m.peak:
        rows.append(r"\midrule")
        rows.append(r"read ceiling (GB/s) & %s & sweep \\" % " / ".join("%dT" % t for t in m.threads))
    for lv in m.levels:
        vals = [m.ceil.get((lv, t)) for t in m.threads]
        rows.append(r"\quad %s & %s & read\_ceiling \\" % (tex(lv), " / ".join(tex_num(x) for x in vals)))
    for kind in sorted({k for (k, _) in m.peak}):
        vals = [m.peak.get((kind, t)) for t in m.threads]
        isa = next(x[1] for x in vals if x)
        rows.append(r"peak %s G/s (%s) & %s & peak\_%s \\" % (
            tex(kind), tex(isa), " / ".join(tex_num(x[0]) if x else "--" for x in vals), tex(kind)))
    rows += [r"\midrule", r"results commit & %s & provenance \\" % tex(m.git),
             r"run date & %s & provenance \\" % tex(m.date),
             r"rows & %d kernels.csv, %d hypotheses.csv, %d samples.csv & \\" % (
                 len(m.kernels), len(m.hyps), len(m.samples)),
             r"\bottomrule", r"\end{tabular}"]
    return "\n".join(rows) + "\n"


def verdicts_tex(m, label):
    """claim | kernel | threshold | figure | interval | n | verdict, the source as a key."""
    sources = []
    for h in m.aggregates():
        if h["source"] and h["source"] not in sources:
            sources.append(h["source"])
    head = r"claim & kernel & threshold & figure & interval & $n$ & verdict \\"
    # the kernel column wraps its context ("T2 cold") under a long name: the table fits the page
    out = [r"\begin{longtable}{@{}l>{\raggedright\arraybackslash}p{3.8cm}lrlrl@{}}",
           r"\caption{Every hypothesis on \texttt{%s} (aggregate rows of \texttt{hypotheses.csv}; the figure is "
           r"the worst shape's). Interval: distribution-free rank interval of the median, $\alpha$ split across "
           r"the looks; $n$: paired samples (speed) or outputs (error); $\dagger$ guard (fails the build when "
           r"falsified), the other rows are claims; number: source, "
           r"listed below.}\label{tab:verdicts-%s}\\" % (tex(m.name), label),
           r"\toprule", head, r"\midrule", r"\endfirsthead", r"\toprule", head,
           r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot"]
    for h in m.aggregates():
        kern = tt(h["kernel"])
        if h["threads"] not in ("1", ""):
            kern += r" T%s" % h["threads"]
        if h["cache"] == "cold":
            kern += r" cold"
        name = tt(h["id"])
        if h["role"] == "guard":
            name += r"$^\dagger$"
        if h["source"]:
            name += r"\textsuperscript{%d}" % (sources.index(h["source"]) + 1)
        out.append(r"%s & %s & %s & %s & %s & %s & %s \\" % (
            name, kern, threshold_text(h), fig_text(h), ci_text(h), tex(h["n"]), verdict_tex(h["verdict"])))
    if not m.aggregates():
        out.append(r"\multicolumn{7}{l}{no hypotheses in hypotheses.csv} \\")
    out.append(r"\end{longtable}")
    if sources:
        out.append(r"{\raggedright\footnotesize\noindent Sources: " +
                   "; ".join(r"\textsuperscript{%d}\,%s" % (i + 1, tex(s)) for i, s in enumerate(sources)) + ".\\par}")
    return "\n".join(out) + "\n"


def matrix_tex(ms):
    ids, role, cells = matrix_rows(ms)
    letters = {"SUPPORTED": "S", "FALSIFIED": "F", "INCONCLUSIVE": "I", "UNTESTABLE": "U"}
    out = [r"\begin{longtable}{@{}ll%s@{}}" % ("c" * len(ms)),
           r"\caption{Claim $\times$ machine: the verdict of every aggregate row of each hypothesis (one letter per "
           r"kernel or thread count: \verdict{SUPPORTED} S, \verdict{FALSIFIED} F, \verdict{INCONCLUSIVE} I, "
           r"\verdict{UNTESTABLE} U; 12S: twelve supported; -- not run). Machines: %s.}\label{tab:matrix}\\" % "; ".join(
               r"M%d \texttt{%s}" % (i + 1, tex(m.name)) for i, m in enumerate(ms)),
           r"\toprule", "hypothesis & role & %s \\\\" % " & ".join("M%d" % (i + 1) for i in range(len(ms))),
           r"\midrule", r"\endfirsthead",   # caption and label once, not on every page (label multiply defined)
           r"\toprule", "hypothesis & role & %s \\\\" % " & ".join("M%d" % (i + 1) for i in range(len(ms))),
           r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot"]
    for hid in ids:
        row = []
        for i in range(len(ms)):
            vs = sorted(cells[(hid, i)], key=lambda x: VERDICTS.index(x) if x in VERDICTS else 9)
            if len(vs) > 4:      # many kernels: counts per verdict, "12S 1U"
                c = collections.Counter(vs)
                vs = ["%d%s" % (c[vd], vd) for vd in sorted(c, key=lambda x: VERDICTS.index(x) if x in VERDICTS else 9)]
            cellv = []
            for vd in vs:
                n_, word = re.match(r"(\d*)(.*)", vd).groups()
                cellv.append(r"\textcolor{v%s}{\textsf{%s%s}}" % (word, n_, letters[word]) if word in letters
                             else tex(vd))
            row.append(" ".join(cellv) or "--")
        out.append(r"%s & %s & %s \\" % (tt(hid), tex(role[hid]), " & ".join(row)))
    out.append(r"\end{longtable}")
    return "\n".join(out) + "\n"


def seeds_tex(m):
    out = []
    for key, name, pat, untested in SEEDS:
        rx = re.compile(pat, re.I)
        hs = [h for h in m.aggregates() if rx.search(h["source"])]
        ds = [h for h in m.decode_hyps if rx.search(h["source"])]
        out.append(r"\paragraph{%s.}" % name)
        if not hs and not ds:
            out.append(r"No hypothesis in \texttt{hypotheses.csv} or \texttt{decode\_hypotheses.csv} names %s as "
                       r"its source: none of its claims is tested on this machine." % name)
        else:
            out.append(r"\begin{itemize}\itemsep0pt")
            out += [r"\item %s; \emph{claim:} %s" % (hyp_sentence(h), tex(h["claim"])) for h in hs]
            out += [r"\item model level: %s; \emph{claim:} %s" % (decode_hyp_sentence(h), tex(h["claim"]))
                    for h in ds]
            out.append(r"\end{itemize}")
        untested = [(c, why) for c, why, by in untested
                    if not (by and any(re.search(by, h["hypothesis"]) for h in m.decode_hyps))]
        if untested:
            out.append(r"Not tested: " + "; ".join(r"\emph{%s} (%s)" % (c, why) for c, why in untested) + ".")
    return "{\\raggedright\n" + "\n".join(out) + "\n\\par}\n"


FIG_CAPTIONS = {
    "throughput": (r"Throughput per kernel and shape (median, 95\% rank CI), colour = ISA.", "tall"),
    "speedup": (r"Every speedup hypothesis: median paired ratio of subject over baseline at the worst shape, "
                r"bar = CI, tick = the claim's threshold; grouped by hypothesis.", "wide"),
    "scaling": (r"Thread scaling (speedup = parallel efficiency $\times$ threads) with the ideal line.", "half"),
    "roofline": (r"Roofline from the measured ceilings per level (solid: 1 thread, dashed: all threads); each "
                 r"timed kernel is a numbered point, one number per kernel at every shape.", "wide"),
    "error": (r"Error against the float64 oracle, one point per shape; $\triangleleft$ at the left edge: exact "
              r"(0).", "tall"),
    "verdicts": (r"Every hypothesis: margin to its threshold (bar = CI), colour = verdict; values beyond the "
                 r"axis are drawn at its edge with a triangle and their value.", "tall"),
}


def figures_tex(m, drawn, skipped):
    out = []
    # the figures that fit beside text first: a full-page float holds back every float after it
    for f in ("speedup", "scaling", "roofline", "throughput", "error", "verdicts"):
        if f not in drawn:
            continue
        cap, size = FIG_CAPTIONS[f]
        opt = {"tall": r"width=\linewidth,height=0.9\textheight,keepaspectratio",
               "wide": r"width=\linewidth,height=0.9\textheight,keepaspectratio",
               "half": r"width=0.75\linewidth"}[size]
        out.append(r"\begin{figure}[%s]\centering" % ("p" if size == "tall" else "htbp"))
        out.append(r"\includegraphics[%s]{figures/%s/%s.pdf}" % (opt, m.name, f))
        out.append(r"\caption{\texttt{%s}: %s}" % (tex(m.name), cap))
        out.append(r"\end{figure}")
    if skipped:
        out.append(r"\noindent\emph{Figures not drawn for \texttt{%s}:} %s." % (
            tex(m.name), "; ".join(tex(s) for s in skipped)))
    return "\n".join(out) + "\n"


def counts_text(m):
    c = collections.Counter(h["verdict"] for h in m.aggregates())
    return (r"%d rows (%d hypotheses, %d kernels): %d supported, %d falsified, %d inconclusive, %d untestable" % (
        len(m.aggregates()), len({h["id"] for h in m.aggregates()}), len({r["kernel"] for r in m.kernels}),
        c["SUPPORTED"], c["FALSIFIED"], c["INCONCLUSIVE"], c["UNTESTABLE"]))


def epoch_of(ms):
    """The newest run date in the results (ISO 8601, UTC) as seconds since 1970; 0 if none."""
    best = 0
    for m in ms:
        for d in m.dates():
            try:
                best = max(best, calendar.timegm(time.strptime(d[:19], "%Y-%m-%dT%H:%M:%S")))
            except ValueError:
                pass
    return best


def fix_dates(epoch, files):
    """PDF /CreationDate and /ModDate := epoch, same length, so xref offsets hold."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(epoch)).encode()
    rx = re.compile(rb"(/(?:CreationDate|ModDate) ?\(D:)(\d{14})")
    for p in files:
        with open(p, "rb") as f:
            b = f.read()
        nb = rx.sub(lambda mo: mo.group(1) + stamp, b)
        if nb != b:
            with open(p + ".tmp", "wb") as f:
                f.write(nb)
            os.replace(p + ".tmp", p)
    return 0


def machine_folders(res):
    """Sub-folders of res holding results; runs/ (per-run rows) and hidden ones are not machines."""
    out = []
    for d in sorted(os.listdir(res)):
        p = os.path.join(res, d)
        if d.startswith(".") or d == "runs" or not os.path.isdir(p):
            continue
        if any(os.path.isfile(os.path.join(p, f)) for f in ("hypotheses.csv", "kernels.csv", "machine.csv",
                                                            "decode.csv")):
            out.append(d)
    return out


def main(argv):
    if len(argv) >= 3 and argv[1] == "fixdates":
        return fix_dates(int(argv[2]), argv[3:])
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    res, data, tdir = argv[1:]
    if not os.path.isdir(res):
        sys.stderr.write("prepare.py: %s: no such folder (expected results/ with one folder per machine)\n" % res)
        return 2
    names = machine_folders(res)
    if "all" in names:   # DATA/all and paper/figures/all hold the side-by-side figures
        sys.stderr.write("prepare.py: %s/all: 'all' cannot name a machine (it names the side-by-side figures)\n" % res)
        return 2
    if not names:
        sys.stderr.write("prepare.py: no <machine>/kernels.csv, hypotheses.csv or machine.csv under %s: "
                         "run `make falsify` first\n" % res)
        return 2
    try:
        ms = [Machine(n, os.path.join(res, n)) for n in names]
    except BadInput as e:
        sys.stderr.write("prepare.py: %s\n" % e)
        return 2
    # measured machines first (most hypothesis rows first), synthetic examples last
    ms.sort(key=lambda m: (m.synthetic, -len(m.hyps), m.name))
    isas = Isas(ms)
    mac = Macros()
    mac.put("machines", ", ".join(r"\texttt{%s}" % tex(m.name) for m in ms))
    mac.put("nmachines", str(len(ms)))
    body, counts, selfcheck, decode = [], [], [], []
    for i, m in enumerate(ms):
        drawn, skipped = prepare_machine(m, os.path.join(data, m.name), isas)   # figures.sh says what it skips
        write(os.path.join(tdir, "machine-%d.tex" % i), machine_tex(m))
        write(os.path.join(tdir, "verdicts-%d.tex" % i), verdicts_tex(m, str(i)))
        write(os.path.join(tdir, "figures-%d.tex" % i), figures_tex(m, drawn, skipped))
        write(os.path.join(tdir, "seeds-%d.tex" % i), seeds_tex(m))
        if m.decode or m.decode_hyps:
            write(os.path.join(tdir, "decode-%d.tex" % i), decode_tex(m, drawn))
            decode.append(r"\input{build/tex/decode-%d.tex}" % i)
        counts.append(r"\texttt{%s} (%s, %d usable cores%s): %s" % (
            tex(m.name), tex(m.cpu), m.ncores, "; a synthetic example, not a measurement" if m.synthetic else "",
            counts_text(m)))
        selfcheck.append(selfcheck_tex(m))
        body.append(r"\section{Machine \texttt{%s}%s}" % (tex(m.name), " (synthetic example)" if m.synthetic else ""))
        body.append(r"\begin{center}\small\input{build/tex/machine-%d.tex}\end{center}" % i)
        body.append(r"\input{build/tex/figures-%d.tex}" % i)
        body.append(r"\clearpage")
        body.append(r"{\footnotesize\setlength{\tabcolsep}{3pt}\input{build/tex/verdicts-%d.tex}}" % i)
        body.append(r"\subsection*{The seed projects on \texttt{%s}}" % tex(m.name))
        body.append(r"Each headline claim (collected in \texttt{shared/SEEDS.md}) that a hypothesis tests is "
                    r"listed with its verdict here; claims no hypothesis tests say why.")
        body.append(r"\input{build/tex/seeds-%d.tex}" % i)
    all_drawn = prepare_all(ms, os.path.join(data, "all"))
    write(os.path.join(tdir, "matrix.tex"), matrix_tex(ms))
    front = [r"\section{Claims across machines}"]
    if "matrix" in all_drawn:
        front += [r"\begin{figure}[tbp]\centering",
                  r"\includegraphics[width=\linewidth,height=0.85\textheight,keepaspectratio]{figures/all/matrix.pdf}",
                  r"\caption{Claim $\times$ machine: one box per aggregate row of each hypothesis (kernel or thread "
                  r"count), colour = verdict; no box: not run on that machine.}\label{fig:matrix}", r"\end{figure}"]
    front.append(r"{\footnotesize\input{build/tex/matrix.tex}}")
    for f, cap in (("compare", "Measured ceilings per machine: read bandwidth per level and peak compute."),
                   ("compare_speedup", "Speedup hypotheses per machine (median paired ratio, CI bars).")):
        if f in all_drawn:
            front += [r"\begin{figure}[tbp]\centering",
                      r"\includegraphics[width=\linewidth]{figures/all/%s.pdf}" % f,
                      r"\caption{%s}" % cap, r"\end{figure}"]
    write(os.path.join(tdir, "body.tex"), "\n".join(front + [r"\clearpage"] + body) + "\n")
    write(os.path.join(tdir, "decode.tex"), "\n".join(decode) + "\n" if decode else
          r"No machine folder holds \texttt{decode.csv} or \texttt{decode\_hypotheses.csv}: run \texttt{make decode} "
          r"(or \texttt{make falsify} for the small models)." + "\n")
    for name, items in (("abstract", [c + "." for c in counts]), ("selfcheck", selfcheck)):
        write(os.path.join(tdir, name + ".tex"), "{\\raggedright\n\\begin{itemize}\\itemsep0pt\n" +
              "".join(r"\item %s" % x + "\n" for x in items) + "\\end{itemize}\\par}\n")
    write(os.path.join(tdir, "macros.tex"), mac.text())
    write(os.path.join(data, "epoch"), "%d\n" % epoch_of(ms))
    print("prepare: %d machine(s) (%s) -> %s, %s" % (len(ms), ", ".join(m.name for m in ms), data, tdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
