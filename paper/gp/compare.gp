# Several machines side by side: read ceilings and peaks per machine (1 thread and all threads).
load "paper/gp/common.gp"
set multiplot layout 1,2 title "Measured ceilings per machine" noenhanced
set style data histograms
set style histogram clustered gap 1
set logscale y
set xtics noenhanced
set key top right noenhanced font ",".(term eq "pdf" ? 6 : 10)
set title "read bandwidth per level"
set ylabel "read ceiling (GB/s, log)"
plot for [i=0:nm-1] for [j=0:1] data."/ceilings.dat" every ::0::3 using 2+2*i+j:xtic(1) \
     lc rgb word("#1f5fb4 #d62728 #2ca02c #8e44ad #ff8c00", i+1) fs solid (j == 0 ? 0.45 : 0.9) \
     title value(sprintf("m_name_%d", i)).(j == 0 ? " 1T" : " all T")
set title "peak compute"
set ylabel "peak (GFLOP/s or GOP/s, log)"
plot for [i=0:nm-1] for [j=0:1] data."/ceilings.dat" every ::4::5 using 2+2*i+j:xtic(1) \
     lc rgb word("#1f5fb4 #d62728 #2ca02c #8e44ad #ff8c00", i+1) fs solid (j == 0 ? 0.45 : 0.9) \
     title value(sprintf("m_name_%d", i)).(j == 0 ? " 1T" : " all T")
unset multiplot
