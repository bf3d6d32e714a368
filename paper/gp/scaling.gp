# Thread scaling: speedup(T) = efficiency(T) * T from the scaling hypotheses, with the ideal line.
load "paper/gp/common.gp"
set title sprintf("Thread scaling — %s", machine) noenhanced
set xlabel "threads"
set ylabel "speedup over 1 thread (x)"
set xrange [0.8:sc_tmax+0.2]
set yrange [0:sc_ymax]  # superlinear points (cache effects) stay visible
set xtics 1
set key top left samplen 2 noenhanced
if (sc_n == 0) { set label 1 "no scaling hypothesis measured" at graph 0.5, 0.5 center }
# series side by side at each thread count (dx apart) so their intervals do not hide each other
dx(i) = (i - (sc_n - 1) / 2.0) * 0.04
plot x with lines lc rgb "black" dt 2 title "ideal (speedup = T)", \
     0.5*x with lines lc rgb "#aaaaaa" dt 3 title "50% efficiency", \
     for [i=0:sc_n-1] data."/scaling.dat" index i using ($1+dx(i)):2 with linespoints lw 1.5 pt 7 ps 0.7 \
         lc rgb value(sprintf("sc_color_%d", i)) dt int(i%4+1) title value(sprintf("sc_title_%d", i)), \
     for [i=0:sc_n-1] data."/scaling.dat" index i using ($1+dx(i)):2:3:4 with yerrorbars pt 7 ps 0.5 \
         lc rgb value(sprintf("sc_color_%d", i)) notitle
