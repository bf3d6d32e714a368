#!/bin/sh
# The command line and output formats end to end (make cli-test):
# help and --version exit 0, exit status 2 for bad input and 3 for tested
# nothing, every --format json document parsed back by Python's json
# module, CSV with LF line ends, and bench --format gbench-json checked
# against the fields Google Benchmark's tools/compare.py reads, and
# compare.py itself run on two of them when it is installed; compare in
# every format on paper/sample-results.
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
long=$(printf 'gemv.f32.scalar,%.0s' $(seq 70))gemv.f32.scalar   # 1135 characters: refused, never cut
expect 2 "$F" bench --kernels "$long" --shapes 64x64
grep -q "max 1023" "$T/err" || bad "bench --kernels too long: message does not give the limit"
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
cp "$T/bench.json" "$T/bench-3rep.json"
# Google Benchmark's own tools/compare.py on two gbench-json runs (Debian:
# libbenchmark-tools, which needs python3-scipy; both optional, ~210 MB)
GB_COMPARE=${GBENCH_COMPARE:-/usr/share/benchmark/compare.py}
if [ ! -f "$GB_COMPARE" ]; then
    echo "cli-test: skipped Google Benchmark compare.py check: $GB_COMPARE not found (apt-get install libbenchmark-tools python3-scipy)"
elif ! "$PY" -c 'import scipy' 2>/dev/null; then
    echo "cli-test: skipped Google Benchmark compare.py check: $PY lacks scipy (apt-get install python3-scipy)"
else
    # two kernels of the first run (any ISA), timed again
    K2=$("$PY" -c 'import json,sys; print(",".join(sorted({x["run_name"].split("/")[0] for x in json.load(open(sys.argv[1]))["benchmarks"]})[:2]))' "$T/gbench.json")
    expect 0 "$F" bench --quiet --results "$T" --kernels "$K2" --shapes 64x64 --min-time 0.05 --repetitions 3 \
        --format gbench-json
    cp "$T/out" "$T/gbench2.json"
    "$PY" "$GB_COMPARE" --no-color --dump_to_json "$T/gbdiff.json" benchmarks "$T/gbench.json" "$T/gbench2.json" \
        >"$T/gbcompare.out" 2>&1 || bad "compare.py benchmarks failed: $(tail -3 "$T/gbcompare.out")"
    "$PY" "$GB_COMPARE" --no-color filters "$T/gbench2.json" "${K2%,*}" "${K2#*,}" \
        >"$T/gbfilters.out" 2>&1 || bad "compare.py filters failed: $(tail -3 "$T/gbfilters.out")"
    "$PY" - "$T/gbench.json" "$T/gbench2.json" "$T/gbdiff.json" "$T/gbfilters.out" "$K2" <<'PYEOF' || bad "compare.py did not compare falsify's runs"
import json, sys
old, new, diff = (json.load(open(p)) for p in sys.argv[1:4])
flt = open(sys.argv[4]).read()
both = {x["run_name"] for x in old["benchmarks"]} & {x["run_name"] for x in new["benchmarks"]}
k1, k2 = sys.argv[5].split(",")
assert both == {k + "/64x64/threads:1" for k in (k1, k2)}, both  # in both runs
byname = {d["name"]: d for d in diff}
for n in both:
    d = byname[n]  # every repetition paired: compare.py matched falsify's names and run types
    it_old = [x["real_time"] for x in old["benchmarks"] if x["run_name"] == n and x["run_type"] == "iteration"]
    it_new = [x["real_time"] for x in new["benchmarks"] if x["run_name"] == n and x["run_type"] == "iteration"]
    assert [m["real_time"] for m in d["measurements"]] == it_old[:len(d["measurements"])], d
    assert [m["real_time_other"] for m in d["measurements"]] == it_new[:len(d["measurements"])], d
    if min(len(it_old), len(it_new)) >= 2:  # compare.py's U test needs 2 repetitions a side (a replicate
        # whose sanity bound failed, e.g. overhead on a loaded machine, is discarded, not reported)
        assert d["utest"] and d["utest"]["nr_of_repetitions"] == len(it_old), d["utest"]  # its Mann-Whitney test ran
    for agg in ("mean", "median", "stddev"):
        assert n + "_" + agg in byname, (n, agg)
assert "OVERALL_GEOMEAN" in byname
assert "[%s vs. %s]/64x64/threads:1_median" % (k1, k2) in flt, flt  # two variants of one run
PYEOF
fi
expect 0 "$F" bench --quiet --results "$T" --kernels 'gemv.f32.*' --shapes 64x64 --min-time 0.05
grep -q 'fastest' "$T/out" || bad "bench table: no ranking"
grep -Eq '[0-9]e[+-][0-9]' "$T/out" && bad "bench table prints exponents: $(grep -E '[0-9]e[+-]' "$T/out" | head -1)"

# machine, from the cache just used
expect 0 "$F" machine --quiet --results "$T" --format json
"$PY" -m json.tool "$T/out" >/dev/null || bad "machine --format json is not JSON"
expect 0 "$F" machine --quiet --results "$T" --format csv
head -n 1 "$T/out" | grep -q '^threads,l1_gbytes_per_s' || bad "machine csv header"

# compare in every format, on the checked-in sample results (3 machines)
S=paper/sample-results
expect 0 "$F" compare --format=json $S
"$PY" - "$T/out" <<'PYEOF' || bad "compare --format json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "falsify.compare/1", d["schema"]
assert [m["machine"] for m in d["machines"]] == ["M1", "M2", "M3"], d["machines"]
rows = d["rows"]
assert {r["table"] for r in rows} == {"ceiling", "verdicts", "throughput", "speedup"}
keys = set(rows[0])
assert all(set(r) == keys for r in rows)  # one set of stable field names
for r in rows:
    if r["table"] == "throughput":
        assert r["gops_per_s"] > 0 and r["median_ns"] > 0, r
    if r["table"] == "speedup" and r["strength"]:
        assert r["ratio_ci_lo"] <= r["ratio_to_reference"] <= r["ratio_ci_hi"], r
        assert r["strength"] == ("stronger" if r["ratio_ci_lo"] > 1 else "weaker" if r["ratio_ci_hi"] < 1 else "same"), r
assert any(r["strength"] == "weaker" and r["machine"] == "M3" for r in rows)
assert any(r["table"] == "verdicts" and r["differs"] == "yes" for r in rows)
PYEOF
expect 0 "$F" compare --format csv $S
grep -q "$(printf '\r')" "$T/out" && bad "compare --format csv has CR line ends"
head -n 1 "$T/out" | grep -q '^table,machine,machine_name,hypothesis,role,kind,' || bad "compare csv header"
"$PY" -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); assert len(r) > 100 and {x["table"] for x in r} == {"ceiling","verdicts","throughput","speedup"}' "$T/out" \
    || bad "compare csv rows"
expect 0 "$F" compare --format md $S
grep -q '^| hypothesis | role | M1 | M2 | M3 | differs |$' "$T/out" || bad "compare --format md: no verdict matrix"
grep -q '^| --- | --- | --- | --- | --- | --- |$' "$T/out" || bad "compare --format md: not a pipe table"
expect 0 "$F" compare $S
grep -q '^== verdicts: claim x machine' "$T/out" || bad "compare table"
expect 2 "$F" compare --format yaml $S

[ $fail = 0 ] && echo "cli-test: OK"
exit $fail
