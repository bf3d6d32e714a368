#!/bin/sh
# The aarch64 correctness suite under qemu-user, from an x86-64 host
# (make test-aarch64; the build comes from make ARCH=aarch64 test-bins).
#   harness/qemu_test.sh BUILD_DIR CPU_MODEL...      e.g. build-aarch64 max cortex-a53
# Per CPU model: falsify list (the dotprod plugin must be runnable where the
# model has asimddp and "skipped: CPU lacks asimddp" where not), every cmocka
# test (oracle agreement, bit-exact quantization, ...), falsify mutants
# (every mutant caught) and falsify check, whose speed,
# scaling and roofline verdicts must all be UNTESTABLE (emulated), on
# harness/tests/emulated.ini (the guards at small shapes; see there).
#
# The oracle: the harness posix_spawns $FALSIFY_PYTHON, the host's
# /usr/bin/python3.  qemu-user does not emulate execve: it hands it to the
# host kernel, which runs the x86-64 interpreter natively (no binfmt_misc
# needed).  Vectors land in build/oracle, shared with the x86 build (they
# are data, the same for both); the emulated run only adds missing cases.
# Emulated results go to BUILD_DIR/results/<model>/, never to results/.
set -u

B=${1:?usage: harness/qemu_test.sh BUILD_DIR CPU_MODEL...}
shift
SYSROOT=/usr/aarch64-linux-gnu
PY=$(harness/deps.sh python) || exit 1
export FALSIFY_PYTHON="$PY" FALSIFY_EMULATED=1
export FALSIFY_PLUGINS="$B/kernels" FALSIFY_MUTANTS="$B/mutants" FALSIFY_FIXTURES="$B/tests/fixtures"

# hypotheses/*.ini at small shapes: qemu runs f32 in software (~100x slower)
HYPOS=${FALSIFY_QEMU_HYPOTHESES:-harness/tests/emulated.ini}
# test_pool is left out: its spin barriers (4 threads) under TCG on a small
# host outlast its 120 s hang alarm, and qemu on an x86 host keeps x86 memory
# ordering, so it would prove nothing about the pool on ARM's weaker model.
SKIP_TESTS=${FALSIFY_QEMU_SKIP_TESTS:-test_pool}

fail=0
bad() { echo "FAIL: $*"; fail=1; }

for cpu in "$@"; do
    q="qemu-aarch64 -L $SYSROOT -cpu $cpu"
    out="$B/results/$cpu"
    rm -rf "$out" && mkdir -p "$out"  # a build output: each run starts afresh
    echo "==== qemu-aarch64 -cpu $cpu"

    $q "$B/falsify" list >"$out/list.txt" 2>&1 || bad "$cpu: falsify list"
    sed -n '1,3p;/neondot/p;$p' "$out/list.txt"
    if grep -q '^features:.*asimddp' "$out/list.txt"; then
        grep -q 'gemv\.w4a8\.neondot .*runnable' "$out/list.txt" ||
            bad "$cpu has asimddp but gemv.w4a8.neondot is not runnable"
    else
        grep -q 'gemv\.w4a8\.neondot .*skipped: CPU lacks asimddp' "$out/list.txt" ||
            bad "$cpu lacks asimddp but gemv.w4a8.neondot is not listed as skipped for it"
    fi
    grep -q '^emulated: ' "$out/list.txt" || bad "$cpu: emulation not declared by falsify list"

    for t in "$B"/tests/test_*; do
        case " $SKIP_TESTS " in *" $(basename "$t") "*) echo "== $t: not run under emulation (SKIP_TESTS)"; continue ;; esac
        echo "== $t ($cpu)"
        $q "$t" >"$out/$(basename "$t").log" 2>&1 || bad "$cpu: $t (see $out/$(basename "$t").log)"
        grep -E '^\[  (PASSED|FAILED|SKIPPED) |^\[  SKIP|^\[  FAILED|^\[==========\] .* run' "$out/$(basename "$t").log"
    done
    if [ -z "$(grep -l 'SKIP.*gemv.w4a8.neondot: CPU lacks asimddp' "$out/test_kernels.log")" ] &&
        ! grep -q '^features:.*asimddp' "$out/list.txt"; then
        bad "$cpu: test_kernels did not skip gemv.w4a8.neondot"
    fi

    # falsify mutants and check: under emulation the harness runs its
    # correctness jobs in-process (qemu-user 7.2 hangs in the child of every
    # fork on recent host kernels; see harness/sandbox.h), catching a faulting
    # kernel with a signal handler instead.  FALSIFY_QEMU_CHECK=0 skips them.
    if [ "${FALSIFY_QEMU_CHECK:-1}" = 1 ]; then
        echo "== falsify mutants ($cpu)"
        timeout 600 $q "$B/falsify" mutants --quiet $HYPOS >"$out/mutants.txt" 2>&1 || bad "$cpu: a mutant escaped"
        tail -n 1 "$out/mutants.txt"

        # the whole suite resolved under emulation: roles find a NEON
        # variant, and nothing is UNTESTABLE but for emulation or capability
        echo "== falsify check --plan --strict hypotheses/*.ini ($cpu)"
        $q "$B/falsify" check --plan --strict --quiet >"$out/plan.txt" 2>&1 || bad "$cpu: check --plan --strict (see $out/plan.txt)"
        grep "UNTESTABLE by cause" "$out/plan.txt"

        echo "== falsify check $HYPOS ($cpu)"
        timeout 600 $q "$B/falsify" check --quiet --results "$out" $HYPOS >"$out/check.txt" 2>&1 || bad "$cpu: falsify check (see $out/check.txt)"
        # every timed verdict must be UNTESTABLE under emulation
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                 $col["kind"] != "error" && $col["verdict"] != "UNTESTABLE" { print; bad = 1 }
                 END { exit bad }' "$out/hypotheses.csv" || bad "$cpu: a speed verdict was reached under emulation"
        n_emul=$(grep -c 'running under emulation' "$out/hypotheses.csv")
        n_err=$(awk -F, 'NR > 1 && $2 == "error"' "$out/hypotheses.csv" | grep -c 'SUPPORTED')
        echo "   $n_emul rows UNTESTABLE 'running under emulation'; $n_err error rows SUPPORTED; $(grep -c ',no$' "$out/kernels.csv") kernels.csv rows not marked emulated"
        grep -q '^FAIL' "$out/check.txt" && grep '^FAIL' "$out/check.txt"
    else
        echo "== falsify mutants / check: skipped (FALSIFY_QEMU_CHECK=0)"
    fi
done

[ $fail = 0 ] && echo "test-aarch64: all passed ($*)" || echo "test-aarch64: FAILED"
exit $fail
