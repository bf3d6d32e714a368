# Several machines side by side: every speedup hypothesis (aggregate figure, bar = CI), one
# group per hypothesis and kernel, one bar per machine that has it (colour = machine).
load "paper/gp/common.gp"
set title "Speedup hypotheses per machine (median paired ratio, CI bars)" noenhanced
set xlabel "speedup of subject over baseline (x, log)"
set logscale x
set format x "%g"
set xrange [sk_xmin:sk_xmax]
set yrange [sk_ymax+0.7:-0.7]
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 6 : 10)
set grid xtics noytics lc rgb "#dddddd"
set key bottom right vertical box opaque noenhanced font ",".(term eq "pdf" ? 7 : 11)
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "black" dt 2
plot data."/speedups.dat" using 2:1:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($1-0.4):($1+0.4):5 \
         with boxxyerror lc rgb variable notitle, \
     "" using 2:1:3:4 with xerrorbars pt -1 lc rgb "#333333" lw 0.8 notitle, \
     data."/speedups_tics.dat" using (NaN):1:ytic(2) notitle, \
     for [i=0:sk_nm-1] NaN with boxes lc rgb value(sprintf("sk_color_%d", i)) title value(sprintf("sk_name_%d", i))
