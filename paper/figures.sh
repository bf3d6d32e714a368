#!/bin/sh
# Builds every figure from results CSVs:
#   paper/figures.sh RESULTS FIGDIR WORKDIR
# RESULTS/<machine>/*.csv -> WORKDIR/data (plain .dat), WORKDIR/tex (LaTeX tables, macros),
# FIGDIR/<machine>/<figure>.{pdf,png}, and FIGDIR/all/ when there are several machines.
set -eu
res=${1:-results} fig=${2:-paper/figures} work=${3:-paper/build}
py=/usr/bin/python3
command -v "$py" >/dev/null 2>&1 || py=python3
"$py" paper/prepare.py "$res" "$work/data" "$work/tex"
figs="throughput speedup scaling roofline error verdicts"
n=0
for d in "$work"/data/*/; do
    m=$(basename "$d")
    [ "$m" = all ] && continue
    mkdir -p "$fig/$m"
    for f in $figs; do
        w=5.5 h=3.2
        case $f in
        error) h=$(awk "BEGIN{v=1.3+0.16*$(sed -n "s/^err_gauge_n = //p" "$d/vars.gp"); print v<3?3:v}") w=7 ;;
        throughput) h=$(awk "BEGIN{v=1.0+0.075*$(sed -n "s/^tp_xmax = //p" "$d/vars.gp"); print v<3?3:v}") w=6 ;;
        roofline) w=6 h=3.4 ;;
        verdicts) vn=$(sed -n 's/^vd_n = //p' "$d/vars.gp"); h=$(awk "BEGIN{v=1.2+0.13*$vn; print v<2.5?2.5:v}") ;;
        esac
        for t in pdf png; do
            gnuplot -e "data='$d'; out='$fig/$m/$f'; term='$t'; w=$w; h=$h" "paper/gp/$f.gp" \
                || { echo "figures: gnuplot failed on paper/gp/$f.gp for $m ($t)" >&2; exit 1; }
        done
        n=$((n + 2))
    done
done
if [ -d "$work/data/all" ]; then
    mkdir -p "$fig/all"
    for f in compare compare_speedup; do
        for t in pdf png; do
            gnuplot -e "data='$work/data/all'; out='$fig/all/$f'; term='$t'; w=6.5; h=3.2" "paper/gp/$f.gp" \
                || { echo "figures: gnuplot failed on paper/gp/$f.gp ($t)" >&2; exit 1; }
        done
        n=$((n + 2))
    done
fi
echo "figures: $n files under $fig/"
