# Model level: where a decode token's time goes (decode_ops.csv): each configuration's
# token split by op (share of the summed per-op time), the mean total ms/token at the right.
load "paper/gp/common.gp"
set title sprintf("Per-op breakdown of a decode token — %s", machine) noenhanced
set xlabel "share of a decode token's time (%)"
set xrange [0:116]
set xtics 0, 20, 100
set yrange [-0.7:do_n-0.3]
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 7 : 11)
set grid xtics noytics lc rgb "#dddddd"
set key outside right top vertical Left reverse samplen 1.2 font ",".(term eq "pdf" ? 7 : 10)
fs = term eq "pdf" ? 6 : 9
plot data."/decode_ops.dat" using (($2+$3)/2):1:2:3:($1-0.38):($1+0.38):4 with boxxyerror lc rgb variable notitle, \
     data."/decode_ops_totals.dat" using 2:1:3 with labels left noenhanced font ",".fs tc rgb "#333333" notitle, \
     data."/decode_ops_tics.dat" using (NaN):1:ytic(2) notitle, \
     for [i=1:words(do_names)] NaN with boxes lc rgb word(do_colors, i) title word(do_names, i)
