# Throughput per kernel and shape: horizontal bars (GOP/s, log), one group per op and shape,
# colour = ISA family, bars = 95% rank CI of the median time, kernel name at the bar's end.
load "paper/gp/common.gp"
set title sprintf("Throughput per kernel and shape — %s", machine) noenhanced
set xlabel "throughput (GOP/s, log scale; bars: 95% CI of the median)"
set logscale x
set format x "10^{%T}"
set xrange [tp_gmin:tp_gmax]
set yrange [tp_xmax+0.8:-0.8]
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 7 : 11)
set grid xtics noytics lc rgb "#dddddd"
set key bottom right box opaque width 1 samplen 1.5 font ",".(term eq "pdf" ? 7 : 11)
if (tp_n == 0) { set label 1 "no timed kernel rows in kernels.csv" at graph 0.5, 0.5 center }
plot data."/throughput.dat" using (tp_gmin):1:(tp_gmin):2:($1-0.42):($1+0.42):5 with boxxyerror lc rgb variable notitle, \
     "" using 2:1:3:4 with xerrorbars pt -1 lc rgb "black" lw 0.8 notitle, \
     "" using ($4*1.08):1:6 with labels left noenhanced font ",".(term eq "pdf" ? 5 : 8) tc rgb "#333333" notitle, \
     data."/throughput_tics.dat" using (NaN):1:ytic(2) notitle, \
     for [i=1:words(tp_fam_names)] NaN with boxes lc rgb word(tp_fam_colors, i) title word(tp_fam_names, i)
