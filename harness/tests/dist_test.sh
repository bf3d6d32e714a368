#!/bin/sh
# make dist-test: the relocatable bundle unpacked in a fresh folder and run
# from another directory: it must need no libinih.so (linked in), find its
# plugins, oracle and hypotheses beside itself, and judge a hypothesis file.
set -u
TAR=$1
NAME=$2
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
fail=0
bad() { echo "dist-test FAIL: $*"; fail=1; }
tar -C "$D" -xzf "$TAR" || exit 1
R=$D/$NAME
ldd "$R/bin/falsify" | grep -q inih && bad "bin/falsify still needs a shared libinih"
for p in bin/falsify lib/falsify/kernels share/falsify/oracle/gen.py share/falsify/hypotheses LICENSE; do
    [ -e "$R/$p" ] || [ -e "$R/share/falsify/$p" ] || bad "bundle lacks $p"
done
PY=$(harness/deps.sh python) || exit 1
mkdir -p "$D/elsewhere"
(cd "$D/elsewhere" && env -u FALSIFY_PLUGINS -u FALSIFY_MUTANTS -u FALSIFY_ORACLE XDG_CACHE_HOME="$D/cache" \
    "$R/bin/falsify" --version) || bad "--version"
(cd "$D/elsewhere" && env -u FALSIFY_PLUGINS "$R/bin/falsify" list >list.txt) || bad "list from elsewhere"
grep -q "runnable" "$D/elsewhere/list.txt" || bad "no runnable plugin found beside the binary"
grep -q "$R" "$D/elsewhere/list.txt" 2>/dev/null || true
(cd "$D/elsewhere" && env -u FALSIFY_PLUGINS -u FALSIFY_MUTANTS -u FALSIFY_ORACLE XDG_CACHE_HOME="$D/cache" \
    FALSIFY_PYTHON="$PY" "$R/bin/falsify" mutants --quiet >mutants.txt 2>&1) || bad "mutants from elsewhere: $(tail -3 "$D/elsewhere/mutants.txt")"
tail -n 1 "$D/elsewhere/mutants.txt"
[ -d "$D/cache/falsify/oracle" ] || bad "oracle vectors not cached under XDG_CACHE_HOME"
[ $fail = 0 ] && echo "dist-test: OK ($TAR)"
exit $fail
