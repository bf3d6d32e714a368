# Speedup over the scalar baseline per op and shape: median paired ratio, bars = rank CI.
load "paper/gp/common.gp"
set title sprintf("Speedup over the scalar baseline — %s", machine) noenhanced
set ylabel "speedup over scalar (x, log scale)"
set logscale y
set xrange [-0.8:sp_xmax+0.8]
set xtics rotate by 30 right noenhanced
set key top left horizontal samplen 1.5
set boxwidth 0.8
if (sp_n == 0) { set label 1 "no speedup hypothesis against a scalar baseline" at graph 0.5, 0.5 center; set yrange [0.5:10] }
plot data."/speedup.dat" using 1:2:5 with boxes lc rgb variable notitle, \
     "" using 1:2:3:4 with yerrorbars lc rgb "black" pt -1 lw 0.8 notitle, \
     data."/speedup_tics.dat" using 1:(NaN):xtic(2) notitle, \
     1 with lines lc rgb "black" dt 2 title "1x (scalar)", \
     for [i=1:words(sp_fam_names)] NaN with boxes lc rgb word(sp_fam_colors, i) title word(sp_fam_names, i)
