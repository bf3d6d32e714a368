# Several machines side by side: read ceilings and peaks per machine (1 thread and all threads).
load "paper/gp/common.gp"
set multiplot layout 1,2 title "Measured ceilings per machine" noenhanced
set style data histograms
set style histogram clustered gap 1
set logscale y
set xtics noenhanced
set key top right noenhanced font ",".(term eq "pdf" ? 6 : 10)
pal = "#1f5fb4 #d62728 #2ca02c #8e44ad #ff8c00 #17a2b8 #8c564b #e377c2"
set title "read bandwidth per level"
set ylabel "read ceiling (GB/s, log)"
if (cl_levels > 0) {
plot for [i=0:cl_nm-1] for [j=0:1] data."/ceilings.dat" every ::0::(cl_levels-1) using 2+2*i+j:xtic(1) \
     lc rgb word(pal, i%8+1) fs solid (j == 0 ? 0.45 : 0.9) \
     title value(sprintf("cl_name_%d", i)).(j == 0 ? " 1T" : " all T")
} else { set label 1 "no read ceilings" at graph 0.5,0.5 center; plot NaN notitle; unset label 1 }
set title "peak compute"
set ylabel "peak (GFLOP/s or GOP/s, log)"
if (cl_peaks > 0) {
plot for [i=0:cl_nm-1] for [j=0:1] data."/ceilings.dat" every ::cl_levels::(cl_levels+cl_peaks-1) using 2+2*i+j:xtic(1) \
     lc rgb word(pal, i%8+1) fs solid (j == 0 ? 0.45 : 0.9) \
     title value(sprintf("cl_name_%d", i)).(j == 0 ? " 1T" : " all T")
} else { set label 1 "no peaks" at graph 0.5,0.5 center; plot NaN notitle }
unset multiplot
