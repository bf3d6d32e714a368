#!/bin/sh
# Builds every figure from results CSVs:
#   paper/figures.sh RESULTS FIGDIR WORKDIR
# RESULTS/<machine>/*.csv -> WORKDIR/data (plain .dat, vars.gp, plan.txt), WORKDIR/tex
# (LaTeX tables and text), FIGDIR/<machine>/<figure>.{pdf,png}, FIGDIR/all/ (the claim x
# machine matrix; with several machines, ceilings and speedups side by side).
# A figure with no data is not drawn (a note says why) and its old files are removed;
# figure folders of machines no longer in RESULTS are removed.  PDF dates are set to the
# newest run date in the results, so unchanged data gives byte-identical files.
set -eu
res=${1:-results} fig=${2:-paper/figures} work=${3:-paper/build}
py=/usr/bin/python3
command -v "$py" >/dev/null 2>&1 || py=python3
rm -rf "$work/data"
"$py" paper/prepare.py "$res" "$work/data" "$work/tex"
epoch=$(cat "$work/data/epoch")
n=0
for d in "$work"/data/*/; do
    m=$(basename "$d")
    mkdir -p "$fig/$m"
    while read -r f w h; do
        if [ "$f" = "#" ]; then             # "# skip NAME: reason"
            name=${h%%:*}
            rm -f "$fig/$m/$name.pdf" "$fig/$m/$name.png"
            echo "figures: $m: $name not drawn: ${h#*: }"
            continue
        fi
        for t in pdf png; do
            # a warning is a figure that reads wrong: it fails like an error
            if ! gnuplot -e "data='$d'; out='$fig/$m/$f'; term='$t'; w=$w; h=$h" "paper/gp/$f.gp" \
                2>"$work/gnuplot.err" || [ -s "$work/gnuplot.err" ]; then
                cat "$work/gnuplot.err" >&2
                echo "figures: gnuplot failed on paper/gp/$f.gp for $m ($t)" >&2
                exit 1
            fi
        done
        "$py" paper/prepare.py fixdates "$epoch" "$fig/$m/$f.pdf"
        n=$((n + 2))
    done < "$d/plan.txt"
done
# figure folders of machines that are no longer in the results
for o in "$fig"/*/; do
    [ -d "$o" ] || continue
    m=$(basename "$o")
    [ -d "$work/data/$m" ] && continue
    for f in throughput speedup scaling roofline error verdicts decode_tps decode_ops; do rm -f "$o$f.pdf" "$o$f.png"; done
    rmdir "$o" 2>/dev/null && echo "figures: removed $o (no such machine in $res)" || true
done
echo "figures: $n files under $fig/"
