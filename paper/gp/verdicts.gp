# Every hypothesis: margin to its threshold on the claim's side (> 1 means the claim's side),
# bars = CI, colour = verdict.  Parity rows show the ratio itself (1 = equal).
load "paper/gp/common.gp"
set title sprintf("Hypothesis verdicts — %s", machine) noenhanced
set xlabel "margin to the threshold (log; > 1 = on the claim's side)"
set logscale x
set xrange [1e-3:1e4]
set format x "10^{%T}"
set yrange [-1:vd_n]
set ytics noenhanced font ",".(term eq "pdf" ? 5 : 9)
set grid xtics noytics
set key outside bottom center horizontal maxcols 2 font ",".(term eq "pdf" ? 6 : 10)
set bmargin 6
unset border; set border 1
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "black" dt 2
plot      data."/verdicts.dat" using ($2 > 0 ? $2 : NaN):1:3:4:($1-0.3):($1+0.3):5 with boxxyerror lc rgb variable fs solid 0.35 noborder notitle, \
     "" using ($2 > 0 ? $2 : NaN):1:5:ytic(6) with points pt 7 ps 0.8 lc rgb variable notitle, \
     "" using (1.3e-3):($2 > 0 ? NaN : $1):(strcol(7)." (no figure)"):5 with labels left font ",".(term eq "pdf" ? 5 : 8) tc rgb variable notitle, \
     NaN with points pt 7 lc rgb "#1a9850" title "SUPPORTED", \
     NaN with points pt 7 lc rgb "#d73027" title "FALSIFIED", \
     NaN with points pt 7 lc rgb "#e6ab02" title "INCONCLUSIVE", \
     NaN with points pt 7 lc rgb "#999999" title "UNTESTABLE"
