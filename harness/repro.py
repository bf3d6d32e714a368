#!/usr/bin/env python3
"""Reproducibility of verdicts across invocations (`make repro`).

Runs `falsify check` on the given hypothesis files N times, each run a
fresh process with its own results folder (the machine ceilings measured or
loaded once and copied into each), then prints one row per hypothesis
(aggregate rows of hypotheses.csv: id, kernel, threads):

    verdict counts  S/F/I/U over the N runs
    figure range    smallest and largest figure
    overlap         whether all N intervals share a point
    flip            SUPPORTED in one run and FALSIFIED in another

the replicate-level figures of every timed row over all runs (the medians
of each replicate's pair statistics, recomputed from samples.csv: the
figures a guard's margin is stated against), and the A/A self-check across
invocations: the N figures of a kernel timed
against itself, their t-interval (log scale), and whether it stays within
1 +- 1% (the harness's bias margin).

Exit status: 0 when no hypothesis flips and the A/A check shows no bias
across invocations; 1 otherwise; 2 on bad usage or a run that could not
produce results.
"""
import argparse
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

AA_MARGIN = 0.01          # as FK_AA_MARGIN in harness/check.c
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646, 8: 2.3060, 9: 2.2622,
        10: 2.2281, 11: 2.2010, 12: 2.1788, 13: 2.1604, 14: 2.1448, 15: 2.1314, 16: 2.1199, 17: 2.1098,
        18: 2.1009, 19: 2.0930, 20: 2.0860, 25: 2.0595, 30: 2.0423}


def t975(df):
    """Student t 0.975 quantile (table; the nearest smaller df beyond it, conservative)."""
    if df in T975:
        return T975[df]
    keys = sorted(k for k in T975 if k <= df)
    return T975[keys[-1]] if keys else float("nan")


def num(s):
    try:
        v = float(s)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def replicate_medians(path, hrows, run, out):
    """Appends, per (hypothesis, subject, shape, threads), the median pair
    statistic of every replicate in samples.csv to out."""
    if not os.path.exists(path):
        return
    info = {r["id"]: (r["kind"], num(r["threshold"])) for r in hrows}
    # a comparison's samples are written together, subject (slot 0) then
    # baseline (slot 1): a new comparison starts at a slot-0 row that
    # follows a slot-1 row or changes the hypothesis, shape, threads or arm
    pairs, cmp, prev = {}, 0, None
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if "replicate" not in r:
                return
            key = (r["hypothesis"], r["shape"], r["cache"], r["threads"], r["arm"])
            if r["slot"] == "0" and (prev is None or prev[0] != "0" or prev[1] != key):
                cmp += 1
            prev = (r["slot"], key)
            p = pairs.setdefault((r["hypothesis"], r["shape"], r["cache"], cmp, r["replicate"], r["pair"]), {})
            p[r["slot"]] = (r["arm"], float(r["ns_per_call"]), int(r["threads"]))
    groups = {}
    for (h, shape, cache, c, rep, _), p in pairs.items():
        kind, thr = info.get(h, ("", None))
        if kind in ("speedup", "parity", "roofline") and "0" in p and "1" in p:
            v = p["1"][1] / p["0"][1]
        elif kind == "scaling" and "0" in p and "1" in p:
            v = p["1"][1] / p["0"][1] / p["0"][2]
        elif kind == "latency" and "0" in p:
            v = p["0"][1]
        else:
            continue
        groups.setdefault((h, p["0"][0], shape, str(p["0"][2]), run, c, rep), []).append(v)
    for (h, kern, shape, t, _, _, _), v in groups.items():
        e = out.setdefault((h, kern, shape, t), {"v": [], "kind": info[h][0], "threshold": info[h][1]})
        e["v"].append(median(v))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--falsify", default="build/falsify")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", default="build/repro")
    ap.add_argument("--check-args", default="", help="extra options for every 'falsify check' (e.g. a feature mask)")
    ap.add_argument("files", nargs="*", help="hypothesis files (default: all of hypotheses/*.ini)")
    a = ap.parse_args()
    if a.runs < 2:
        print("repro: --runs must be >= 2 (got %d)" % a.runs, file=sys.stderr)
        return 2
    if not os.access(a.falsify, os.X_OK):
        print("repro: %s is not built (make build)" % a.falsify, file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)

    # ceilings: loaded from results/<machine>/ (or measured there) once; the
    # machine's name as the checks will see it (a feature mask names a
    # folder of its own), from check --plan's JSON, not a table's wording
    p = subprocess.run([a.falsify, "check", "--plan", "--quiet", "--format", "json"] + a.check_args.split() + a.files,
                       capture_output=True, text=True)
    try:
        name = json.loads(p.stdout)["meta"]["machine"]
    except (ValueError, KeyError, TypeError):
        name = None
    if p.returncode not in (0, 1) or not name:
        sys.stderr.write(p.stderr)
        print("repro: 'falsify check --plan --format json' failed or named no machine", file=sys.stderr)
        return 2
    # measured once here when missing; a masked run (its own folder) measures
    # with its masked probes inside its first check instead
    if not os.path.exists(os.path.join("results", name, "machine.csv")) and "--isa" not in a.check_args \
            and not os.environ.get("FALSIFY_ISA"):
        p = subprocess.run([a.falsify, "machine"], capture_output=True, text=True)
        if p.returncode != 0:
            sys.stderr.write(p.stderr)
            print("repro: 'falsify machine' failed", file=sys.stderr)
            return 2
    ceilings = os.path.join("results", name, "machine.csv")

    runs, reps, walls = [], {}, []
    for i in range(a.runs):
        d = os.path.join(a.out, "run-%02d" % (i + 1))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        if os.path.exists(ceilings):
            shutil.copy(ceilings, os.path.join(d, "machine.csv"))
        print("repro: run %d/%d -> %s" % (i + 1, a.runs, d), file=sys.stderr, flush=True)
        t0 = time.monotonic()
        with open(os.path.join(d, "check.log"), "w") as log:
            rc = subprocess.run([a.falsify, "check", "--quiet", "--results", d] + a.check_args.split() + a.files, stdout=log,
                                stderr=subprocess.STDOUT).returncode
        walls.append(time.monotonic() - t0)
        path = os.path.join(d, "hypotheses.csv")
        if not os.path.exists(path):
            print("repro: run %d wrote no %s (exit %d; see %s/check.log)" % (i + 1, path, rc, d), file=sys.stderr)
            return 2
        with open(path, newline="") as f:
            allrows = list(csv.DictReader(f))
        runs.append([r for r in allrows if r["aggregate"] == "yes"])
        replicate_medians(os.path.join(d, "samples.csv"), allrows, i, reps)

    keys, rows = [], {}
    for r in (r for run in runs for r in run):
        k = (r["id"], r["kernel"], r["threads"])
        if k not in rows:
            keys.append(k)
            rows[k] = []
        rows[k].append(r)

    print("\nreproducibility over %d runs (each a fresh process): S/F/I/U = SUPPORTED/FALSIFIED/INCONCLUSIVE/UNTESTABLE"
          % a.runs)
    print("%-30s %-28s %2s  %-11s %-21s %-7s %-5s %s" % ("hypothesis", "kernel", "T", "S/F/I/U", "figure range",
                                                     "overlap", "flip", "between share (median)"))
    flips = 0
    for k in keys:
        rs = rows[k]
        cnt = [sum(r["verdict"] == v for r in rs) for v in ("SUPPORTED", "FALSIFIED", "INCONCLUSIVE", "UNTESTABLE")]
        figs = [num(r["figure"]) for r in rs if num(r["figure"]) is not None]
        ivs = [(num(r["ci_lo"]), num(r["ci_hi"])) for r in rs]
        ivs = [(lo, hi) for lo, hi in ivs if lo is not None and hi is not None and lo != hi]
        overlap = "-" if len(ivs) < 2 else ("yes" if max(lo for lo, _ in ivs) <= min(hi for _, hi in ivs) else "NO")
        flip = cnt[0] > 0 and cnt[1] > 0
        flips += flip
        shares = sorted(num(r.get("between_share")) for r in rs if num(r.get("between_share")) is not None)
        share = "%.2f" % shares[len(shares) // 2] if shares else "-"
        fr = "%.4g .. %.4g" % (min(figs), max(figs)) if figs else "-"
        print("%-30s %-28s %2s  %-11s %-21s %-7s %-5s %s" % (k[0][:30], k[1][:28], k[2], "/".join(map(str, cnt)), fr,
                                                         overlap, "FLIP" if flip else "no", share))

    if reps:
        print("\nreplicate-level figures over all runs (median of each replicate's pair statistic; "
              "speedup: baseline/subject, roofline: read/kernel time, scaling: efficiency)")
        print("%-30s %-28s %-14s %2s %4s  %-10s %-10s %-10s %s" % ("hypothesis", "kernel", "shape", "T", "reps",
                                                              "min", "median", "max", "min/threshold"))
        for k in sorted(reps):
            v = sorted(reps[k]["v"])
            thr = reps[k]["threshold"]
            margin = "%.2f" % (v[0] / thr) if thr and reps[k]["kind"] in ("speedup", "roofline", "scaling") else "-"
            print("%-30s %-28s %-14s %2s %4d  %-10.4g %-10.4g %-10.4g %s" % (k[0][:30], k[1][:28], k[2], k[3],
                                                                       len(v), v[0], v[len(v) // 2], v[-1], margin))

    biased = False
    aa = [num(r["figure"]) for r in rows.get(next((k for k in keys if k[0] == "AA-self-check"), None), [])
          if num(r["figure"])]
    if len(aa) >= 2:
        lg = [math.log(v) for v in aa]
        mean = sum(lg) / len(lg)
        sd = math.sqrt(sum((x - mean) ** 2 for x in lg) / (len(lg) - 1))
        half = t975(len(lg) - 1) * sd / math.sqrt(len(lg))
        lo, hi = math.exp(mean - half), math.exp(mean + half)
        biased = lo > 1 + AA_MARGIN or hi < 1 - AA_MARGIN
        print("\nA/A self-check across %d invocations: ratio %.4f [%.4f, %.4f] (t-interval of the run figures): %s"
              % (len(aa), math.exp(mean), lo, hi, "BIASED beyond 1 +- %.0f%%" % (100 * AA_MARGIN) if biased
                 else "no bias beyond 1 +- %.0f%%" % (100 * AA_MARGIN)))
    else:
        print("\nA/A self-check: not run (no speedup hypothesis with a runnable baseline)")
    gf = [sum(r.get("role") == "guard" and r["verdict"] == "FALSIFIED" for r in run) for run in runs]
    print("guards FALSIFIED per run: %s; wall time per run: %s" % (" ".join(map(str, gf)),
                                                                  " ".join("%.0f s" % w for w in walls)))
    print("%d hypothesis row(s) flipped between SUPPORTED and FALSIFIED" % flips)
    return 1 if flips or biased or any(gf) else 0


if __name__ == "__main__":
    sys.exit(main())
