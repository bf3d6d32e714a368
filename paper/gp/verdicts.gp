# Every hypothesis: margin to its threshold on the claim's side (> 1 means the claim's side),
# bars = CI, colour = verdict.  Parity rows show the ratio itself (1 = equal).  A value
# beyond the axis is drawn at its edge as a triangle pointing out, with its value.
load "paper/gp/common.gp"
set title sprintf("Hypothesis verdicts — %s", machine) noenhanced
set xlabel "margin to the threshold (log; > 1: on the claim's side; ◀ ▶ beyond the axis)"
set logscale x
set xrange [vd_min:vd_max]
set format x "10^{%T}"
set yrange [-1:vd_n]
set ytics noenhanced font ",".(term eq "pdf" ? 5 : 9)
set grid xtics noytics
set key outside bottom center horizontal maxcols 2 font ",".(term eq "pdf" ? 6 : 10)
set bmargin 6
unset border; set border 1
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "black" dt 2
fs = term eq "pdf" ? 5 : 8
plot      data."/verdicts.dat" using ($2 > 0 ? $2 : NaN):1:3:4:($1-0.3):($1+0.3):5 with boxxyerror lc rgb variable fs solid 0.35 noborder notitle, \
     "" using ($2 > 0 && $8 == 0 ? $2 : NaN):1:5:ytic(6) with points pt 7 ps 0.8 lc rgb variable notitle, \
     "" using ($8 > 0 ? $2 : NaN):1:(strcol(9)." ▶"):5 with labels right font ",".fs tc rgb variable notitle, \
     "" using ($8 < 0 ? $2 : NaN):1:("◀ ".strcol(9)):5 with labels left font ",".fs tc rgb variable notitle, \
     "" using (vd_min*1.3):($2 > 0 ? NaN : $1):(strcol(7)." (no figure)"):5 with labels left font ",".fs tc rgb variable notitle, \
     NaN with points pt 7 lc rgb "#1a9850" title "SUPPORTED", \
     NaN with points pt 7 lc rgb "#d73027" title "FALSIFIED", \
     NaN with points pt 7 lc rgb "#e6ab02" title "INCONCLUSIVE", \
     NaN with points pt 7 lc rgb "#999999" title "UNTESTABLE"
