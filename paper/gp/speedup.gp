# Every speedup hypothesis (aggregate rows: the worst shape's median paired ratio), grouped
# by hypothesis; each bar names subject vs baseline and its context, bars = rank CI, the
# black tick = the claim's threshold, colour = the subject's ISA.
load "paper/gp/common.gp"
set title sprintf("Speedup hypotheses — %s", machine) noenhanced
set xlabel "speedup of subject over baseline (x, log; bar: CI; black tick: the claim's threshold)"
set logscale x
set format x "%g"
set xrange [sp_xmin:sp_xmax]
set yrange [sp_ymax+0.7:-0.7]
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 7 : 11)
set grid xtics noytics lc rgb "#dddddd"
set key top right box opaque width 1 samplen 1.5 font ",".(term eq "pdf" ? 7 : 11)
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "black" dt 2
plot data."/speedup.dat" using 2:1:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($1-0.38):($1+0.38):5 \
         with boxxyerror lc rgb variable notitle, \
     "" using 2:1:3:4 with xerrorbars pt -1 lc rgb "#333333" lw 0.8 notitle, \
     "" using 7:1:(0):(0.45) with vectors nohead lc rgb "black" lw 2.5 notitle, \
     "" using 7:1:(0):(-0.45) with vectors nohead lc rgb "black" lw 2.5 notitle, \
     "" using ((($4 > $7 ? $4 : $7))*1.12):1:6 with labels left noenhanced font ",".(term eq "pdf" ? 6 : 9) \
         tc rgb "#333333" notitle, \
     data."/speedup_tics.dat" using (NaN):1:ytic(2) notitle, \
     for [i=1:words(sp_fam_names)] NaN with boxes lc rgb word(sp_fam_colors, i) title word(sp_fam_names, i)
