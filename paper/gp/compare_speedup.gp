# Several machines side by side: every speedup hypothesis (aggregate figure, bars = CI).
load "paper/gp/common.gp"
set title "Speedup hypotheses per machine (median paired ratio, CI bars)" noenhanced
set style data histograms
set style histogram errorbars gap 1 lw 0.8
set logscale y
set ylabel "speedup (x, log)"
set xtics rotate by 30 right noenhanced font ",".(term eq "pdf" ? 6 : 10)
set key top right noenhanced
if (sk_n == 0) { set label 1 "no speedup hypotheses" at graph 0.5,0.5 center }
plot for [i=0:nm-1] data."/speedups.dat" using 2+3*i:3+3*i:4+3*i:xtic(1) \
     lc rgb word("#1f5fb4 #d62728 #2ca02c #8e44ad #ff8c00", i+1) title value(sprintf("m_name_%d", i))
