# Claim x machine: one row per hypothesis, one column per machine; inside a cell one box
# per aggregate row (kernel or thread count), colour = verdict, letter = its initial.
load "paper/gp/common.gp"
set title "Verdicts: claim x machine" noenhanced
set xrange [-0.55:nm-0.45]
set yrange [mx_n-0.5:-0.5]
unset grid
set border 0
set rmargin 10
set tics scale 0
set ytics noenhanced font ",".(term eq "pdf" ? 6 : 9)
unset xtics
set x2tics () noenhanced font ",".(term eq "pdf" ? 6 : 9) rotate by 20 left
do for [i=0:nm-1] { set x2tics add (value(sprintf("m_name_%d", i)) i) }
set key below horizontal maxcols 2 font ",".(term eq "pdf" ? 6 : 10)
fs = term eq "pdf" ? 5 : 8
plot data."/matrix.dat" using (($1+$2)/2):(($3+$4)/2):1:2:3:4:5 with boxxyerror lc rgb variable fs solid 0.9 noborder notitle, \
     "" using (($1+$2)/2):(($3+$4)/2):6 with labels font ",".fs tc rgb "white" notitle, \
     data."/matrix_tics.dat" using (NaN):1:ytic(2) notitle, \
     NaN with boxes lc rgb "#1a9850" title "S supported", \
     NaN with boxes lc rgb "#d73027" title "F falsified", \
     NaN with boxes lc rgb "#e6ab02" title "I inconclusive", \
     NaN with boxes lc rgb "#999999" title "U untestable"
