#!/bin/sh
# The command line and output formats end to end (make cli-test):
# help and --version exit 0, exit status 2 for bad input and 3 for tested
# nothing, every --format json document parsed back by Python's json
# module, CSV with LF line ends, and bench --format gbench-json checked
# against the fields Google Benchmark's tools/compare.py reads.
set -u
B=${1:-build}
F=$B/falsify
T=$B/cli-test
rm -rf "$T" && mkdir -p "$T"
PY=$(harness/deps.sh python) || exit 1
fail=0
bad() { echo "cli-test FAIL: $*"; fail=1; }
expect() {  # expect RC CMD...: runs CMD, checks its exit status
    want=$1; shift
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    [ "$rc" = "$want" ] || bad "'$*' exited $rc, expected $want: $(head -c 300 "$T/err")"
}

expect 0 "$F" --version
grep -q '^falsify [0-9]' "$T/out" || bad "--version prints no version"
grep -q 'git ' "$T/out" || bad "--version prints no git commit"
for v in list check mutants bench machine compare decode; do
    expect 0 "$F" "$v" --help
    grep -q "usage: falsify $v" "$T/out" || bad "$v --help: no usage"
    expect 0 "$F" help "$v"
done
expect 0 "$F" help
expect 2 "$F"
expect 2 "$F" frobnicate
expect 2 "$F" list --cold
grep -q "does not apply to list" "$T/err" || bad "list --cold: message does not name the verb"
expect 2 "$F" list stray
expect 2 "$F" machine stray
expect 2 "$F" check --kernels x
expect 2 "$F" list --format=yaml
expect 3 "$F" bench --kernels 'no.such.kernel*' --shapes 64x64   # a pattern matching nothing: tested nothing
expect 2 "$F" bench --kernels no.such.kernel --shapes 64x64     # a name no plugin has: bad input
expect 2 "$F" bench --shapes 64x64 --repetitions 0
expect 2 "$F" bench --shapes 64x64 --min-time -1
expect 3 "$F" bench --kernels gemm.w4a8.amx-model --shapes 64x64x32
grep -q "software model" "$T/err" || bad "bench of an emulated kernel: no reason given"

# list in every format
expect 0 "$F" list --format=json
"$PY" -m json.tool "$T/out" >/dev/null || bad "list --format json is not JSON"
expect 0 "$F" list --format csv --mutants
grep -q "$(printf '\r')" "$T/out" && bad "list --format csv has CR line ends"
head -n 1 "$T/out" | grep -q '^kernel,isa,op,weights,acts,status,reason,mutant' || bad "list csv header"
expect 0 "$F" list --format md
grep -q '^| kernel | isa |' "$T/out" || bad "list --format md"

# bench: a cached ceiling table is reused when it matches this machine
M=$("$F" list --format json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["meta"]["machine"])')
[ -f "results/$M/machine.csv" ] && cp "results/$M/machine.csv" "$T/"
expect 0 "$F" bench --quiet --results "$T" --kernels 'gemv.f32.*' --shapes 64x64 --min-time 0.05 --repetitions 2 \
    --format json
"$PY" -m json.tool "$T/out" >/dev/null || bad "bench --format json is not JSON"
"$PY" -m json.tool "$T/bench.json" >/dev/null || bad "results bench.json is not JSON"
[ -s "$T/bench.csv" ] || bad "bench wrote no bench.csv"
"$PY" - "$T/out" <<'PYEOF' || bad "bench json schema"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "falsify.bench/1", d["schema"]
for k in ("machine", "cpu_model", "git_commit", "oracle_seed", "order_seed"):
    assert k in d["meta"], k
rows = [r for r in d["results"] if r["status"] == "ok"]
assert rows, "no timed rows"
ranks = sorted(r["rank"] for r in rows)
assert ranks == list(range(1, len(rows) + 1)), ranks
for r in rows:
    # a repetition whose clock or overhead check failed is discarded, never judged
    assert 1 <= r["repetitions"] <= 2 and r["samples"] >= 5 * r["repetitions"], r
    assert r["median_ns"] > 0 and r["gbytes_per_s"] > 0, r
    if r["repetitions"] == 2:
        assert r["ci_lo_ns"] <= r["median_ns"] <= r["ci_hi_ns"], r
best = min(rows, key=lambda r: r["median_ns"])
assert best["rank"] == 1 and best["ratio_to_fastest"] == 1
assert len(d["repetitions"]) == sum(r["repetitions"] for r in rows)
PYEOF
expect 0 "$F" bench --quiet --results "$T" --kernels 'gemv.f32.*' --shapes 64x64 --min-time 0.05 --repetitions 3 \
    --format gbench-json
cp "$T/out" "$T/gbench.json"
"$PY" - "$T/gbench.json" <<'PYEOF' || bad "gbench-json structure"
import json, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
for k in ("date", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled", "library_build_type"):
    assert k in ctx, k
b = d["benchmarks"]
assert b, "no benchmarks"
names = {x["run_name"] for x in b}
for x in b:
    for k in ("name", "run_name", "run_type", "repetitions", "threads", "iterations", "real_time", "cpu_time",
              "time_unit"):
        assert k in x, (k, x)
    assert x["time_unit"] == "ns" and x["real_time"] > 0 and x["iterations"] > 0
    if x["run_type"] == "aggregate":
        assert x["aggregate_name"] in ("mean", "median", "stddev"), x
        assert x["name"] == x["run_name"] + "_" + x["aggregate_name"]
    else:
        assert x["run_type"] == "iteration" and x["name"] == x["run_name"]
for n in names:
    it = [x for x in b if x["run_name"] == n and x["run_type"] == "iteration"]
    ag = sorted(x["aggregate_name"] for x in b if x["run_name"] == n and x["run_type"] == "aggregate")
    assert 1 <= len(it) <= 3 and all(x["repetitions"] == len(it) for x in it), (n, len(it))
    assert ag == (["mean", "median", "stddev"] if len(it) >= 2 else []), (n, len(it), ag)
PYEOF
expect 0 "$F" bench --quiet --results "$T" --kernels 'gemv.f32.*' --shapes 64x64 --min-time 0.05
grep -q 'fastest' "$T/out" || bad "bench table: no ranking"
grep -Eq '[0-9]e[+-][0-9]' "$T/out" && bad "bench table prints exponents: $(grep -E '[0-9]e[+-]' "$T/out" | head -1)"

# machine, from the cache just used
expect 0 "$F" machine --quiet --results "$T" --format json
"$PY" -m json.tool "$T/out" >/dev/null || bad "machine --format json is not JSON"
expect 0 "$F" machine --quiet --results "$T" --format csv
head -n 1 "$T/out" | grep -q '^threads,l1_gbytes_per_s' || bad "machine csv header"

[ $fail = 0 ] && echo "cli-test: OK"
exit $fail
