# Error per kernel against the float64 oracle (log): one row per kernel, one point per shape.
# Left: gauge (reductions), right: max ULP (elementwise).  Colour = ISA.  An exact result
# (error 0) has no place on a log axis: it is drawn at the left edge as a triangle.
load "paper/gp/common.gp"
set multiplot layout 1,2 title sprintf("Error against the float64 oracle — %s (one point per shape)", machine) noenhanced
set logscale x
set format x "10^{%T}"
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 6 : 10)
set grid xtics noytics lc rgb "#dddddd"
set key below horizontal maxcols 6 samplen 1 font ",".(term eq "pdf" ? 6 : 9)
set bmargin 5
set title "reductions: max gauge" noenhanced
set xlabel "max gauge |y-z| / (2^{-24} {/Symbol S}|W||x|)" enhanced
set xrange [err_gauge_xmin:err_gauge_xmax]
set yrange [err_gauge_n-0.5:-0.5]
if (gauge_guard_min == gauge_guard_min) { set arrow 1 from gauge_guard_min, graph 0 to gauge_guard_min, graph 1 nohead dt 2 lc rgb "black" }
if (err_gauge_n == 0) {
    set label 1 "no gauge rows in kernels.csv" at graph 0.5,0.5 center; set yrange [1:-1]; unset ytics
    plot NaN notitle
} else {
plot data."/err_gauge.dat" using ($4 == 0 ? $2 : NaN):1:3 with points pt 7 ps 0.6 lc rgb variable notitle, \
     "" using ($4 < 0 ? $2 : NaN):1:3 with points pt 4 ps 0.7 lc rgb variable notitle, \
     data."/err_gauge_tics.dat" using (NaN):1:ytic(2) notitle, \
     NaN with lines dt 2 lc rgb "black" title sprintf("tightest guard %g", gauge_guard_min), \
     NaN with points pt 4 lc rgb "black" title (err_gauge_nzero > 0 ? "exact (0), at the edge" : "")
}
unset label 1; unset arrow 1
set title "elementwise: max ULP"
set xlabel "max error (ULP of the f32 result)"
set xrange [err_ulp_xmin:err_ulp_xmax]
set yrange [err_ulp_n-0.5:-0.5]
if (ulp_claim == ulp_claim) { set arrow 2 from ulp_claim, graph 0 to ulp_claim, graph 1 nohead dt 2 lc rgb "black" }
if (err_ulp_n == 0) {
    set label 1 "no ULP rows in kernels.csv" at graph 0.5,0.5 center; set yrange [1:-1]; unset ytics
    plot NaN notitle, for [i=1:words(err_fam_names)] NaN with points pt 7 lc rgb word(err_fam_colors, i) title word(err_fam_names, i)
} else {
plot data."/err_ulp.dat" using ($4 == 0 ? $2 : NaN):1:3 with points pt 7 ps 0.6 lc rgb variable notitle, \
     "" using ($4 < 0 ? $2 : NaN):1:3 with points pt 4 ps 0.7 lc rgb variable notitle, \
     data."/err_ulp_tics.dat" using (NaN):1:ytic(2) notitle, \
     NaN with lines dt 2 lc rgb "black" title sprintf("claimed %g ULP", ulp_claim), \
     NaN with points pt 4 lc rgb "black" title (err_ulp_nzero > 0 ? "exact (0), at the edge" : ""), \
     for [i=1:words(err_fam_names)] NaN with points pt 7 lc rgb word(err_fam_colors, i) title word(err_fam_names, i)
}
unset multiplot
