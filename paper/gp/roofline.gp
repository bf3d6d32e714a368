# Roofline: measured read ceilings per memory level and measured peaks, kernels as points.
load "paper/gp/common.gp"
set title sprintf("Roofline from measured ceilings — %s", machine) noenhanced
set xlabel "arithmetic intensity (ops/byte, log)"
set ylabel "throughput (GOP/s, log)"
set logscale xy
set xrange [rf_xmin:rf_xmax]
set yrange [rf_ymin:rf_ymax]
set format x "10^{%T}"
set key outside right top samplen 2 font ",".(term eq "pdf" ? 6 : 10)
set grid xtics ytics lc rgb "#eeeeee"
plot for [i=0:rf_n-1] data."/roof_ceilings.dat" index i using 1:2 with lines lw 1.2 \
         lc rgb value(sprintf("rf_color_%d", i)) dt value(sprintf("rf_dash_%d", i)) \
         title value(sprintf("rf_title_%d", i)), \
     data."/roof_points.dat" using 1:($4 == 1 ? $2 : NaN):3 with points pt 7 ps 0.9 lc rgb variable notitle, \
     "" using 1:($4 > 1 ? $2 : NaN):3 with points pt 9 ps 1.1 lc rgb variable notitle, \
     NaN with points pt 7 lc rgb "black" title "kernel, 1 thread", \
     NaN with points pt 9 lc rgb "black" title "kernel, T > 1", \
     for [i=1:words(rf_fam_names)] NaN with points pt 7 lc rgb word(rf_fam_colors, i) title word(rf_fam_names, i)
