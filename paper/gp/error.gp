# Error per kernel against the float64 oracle (log): one row per kernel, one point per shape.
# Left: gauge (reductions), right: max ULP (elementwise).  Colour = ISA family.
load "paper/gp/common.gp"
set multiplot layout 1,2 title sprintf("Error against the float64 oracle — %s (one point per shape)", machine) noenhanced
set logscale x
set format x "10^{%T}"
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 6 : 10)
set grid xtics noytics lc rgb "#dddddd"
set key bottom right box opaque samplen 1 font ",".(term eq "pdf" ? 6 : 9)
set title "reductions: max gauge" noenhanced
set xlabel "max gauge |y-z| / (2^{-24} {/Symbol S}|W||x|)" enhanced
set yrange [err_gauge_n-0.5:-0.5]
if (err_gauge_n == 0) { set label 1 "no gauge rows" at graph 0.5,0.5 center; set yrange [1:-1] }
set arrow 1 from gauge_guard_min, graph 0 to gauge_guard_min, graph 1 nohead dt 2 lc rgb "black"
plot data."/err_gauge.dat" using 2:1:3 with points pt 7 ps 0.6 lc rgb variable notitle, \
     data."/err_gauge_tics.dat" using (NaN):1:ytic(2) notitle, \
     NaN with lines dt 2 lc rgb "black" title sprintf("tightest guard %g", gauge_guard_min)
unset label 1; unset arrow 1
set title "elementwise: max ULP"
set xlabel "max error (ULP of the f32 result)"
set yrange [err_ulp_n-0.5:-0.5]
if (err_ulp_n == 0) { set label 1 "no ULP rows" at graph 0.5,0.5 center; set yrange [1:-1] }
if (ulp_claim == ulp_claim) { set arrow 2 from ulp_claim, graph 0 to ulp_claim, graph 1 nohead dt 2 lc rgb "black" }
plot data."/err_ulp.dat" using 2:1:3 with points pt 7 ps 0.6 lc rgb variable notitle, \
     data."/err_ulp_tics.dat" using (NaN):1:ytic(2) notitle, \
     NaN with lines dt 2 lc rgb "black" title sprintf("claimed %g ULP", ulp_claim), \
     for [i=1:words(err_fam_names)] NaN with points pt 7 lc rgb word(err_fam_colors, i) title word(err_fam_names, i)
unset multiplot
