# Roofline: measured read ceilings per memory level and measured peaks; every timed kernel
# a point numbered by kernel (the key on the right; a number is written once where points
# of one kernel coincide), colour = ISA; the ceilings' key under the kernels'.
load "paper/gp/common.gp"
set title sprintf("Roofline from measured ceilings — %s", machine) noenhanced
set xlabel "arithmetic intensity (ops/byte, log)"
set ylabel "throughput (GOP/s, log)"
set logscale xy
set xrange [rf_xmin:rf_xmax]
set yrange [rf_ymin:rf_ymax]
set format x "10^{%T}"
set format y "10^{%T}"
set rmargin at screen 0.70
set grid xtics ytics lc rgb "#eeeeee"
fs = term eq "pdf" ? 7 : 9
# the kernel key: number, name, in the kernel's colour, right of the plot
step = (term eq "pdf" ? 0.13 : 0.125) / h
set label 100 "kernels" at screen 0.72, screen 0.93 font ",".(fs+1)
set key at screen 0.99, screen 0.93-(rf_k+1.5)*step right top samplen 2 spacing 0.85 font ",".fs
do for [i=1:rf_k] {
    set label 100+i sprintf("%2d  %s", i, value(sprintf("rf_kname_%d", i))) at screen 0.72, screen 0.93-i*step \
        noenhanced font ",".fs tc rgb value(sprintf("rf_kcol_%d", i))
}
plot for [i=0:rf_n-1] data."/roof_ceilings.dat" index i using 1:2 with lines lw 1.2 \
         lc rgb value(sprintf("rf_color_%d", i)) dt value(sprintf("rf_dash_%d", i)) \
         title value(sprintf("rf_title_%d", i)), \
     data."/roof_points.dat" using 1:($4 == 1 ? $2 : NaN):3 with points pt 7 ps 0.55 lc rgb variable notitle, \
     "" using 1:($4 > 1 ? $2 : NaN):3 with points pt 9 ps 0.75 lc rgb variable notitle, \
     "" using 1:2:6:3 with labels offset 0.4,0.3 left font ",".fs tc rgb variable notitle, \
     NaN with points pt 7 ps 0.55 lc rgb "black" title "kernel, 1 thread", \
     NaN with points pt 9 ps 0.75 lc rgb "black" title "kernel, T > 1"
