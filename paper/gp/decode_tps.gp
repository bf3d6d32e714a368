# Model level: decode tokens/s per configuration (model, weights, threads; median and
# 95% rank CI over the decode tokens), colour = weight configuration; the black tick is
# the per-token roofline bound (bytes one token reads / the read ceiling of the level
# they live in), the label the fraction of it reached.
load "paper/gp/common.gp"
set title sprintf("Decode tokens/s and the per-token roofline bound — %s", machine) noenhanced
set xlabel "decode tokens/s (log; bar: CI; black tick: roofline bound)"
set logscale x
set format x "10^{%T}"
set xrange [dt_xmin:dt_xmax]
set yrange [dt_ymax+0.7:-0.7]
set ytics scale 0 noenhanced font ",".(term eq "pdf" ? 7 : 11)
set grid xtics noytics lc rgb "#dddddd"
set key bottom right box opaque width 1 samplen 1.5 font ",".(term eq "pdf" ? 7 : 11)
fs = term eq "pdf" ? 6 : 9
plot data."/decode_tps.dat" using 2:1:(dt_xmin):2:($1-0.38):($1+0.38):5 with boxxyerror lc rgb variable notitle, \
     "" using 2:1:3:4 with xerrorbars pt -1 lc rgb "#333333" lw 0.8 notitle, \
     "" using 7:1:(0):(0.45) with vectors nohead lc rgb "black" lw 2.5 notitle, \
     "" using 7:1:(0):(-0.45) with vectors nohead lc rgb "black" lw 2.5 notitle, \
     "" using ((($7 > $4 ? $7 : $4))*1.15):1:6 with labels left noenhanced font ",".fs tc rgb "#333333" notitle, \
     data."/decode_tps_tics.dat" using (NaN):1:ytic(2) notitle, \
     for [i=1:words(dt_wnames)] NaN with boxes lc rgb word(dt_wcolors, i) title word(dt_wnames, i)
