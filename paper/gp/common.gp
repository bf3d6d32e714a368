# Shared by every figure script.  Called as
#   gnuplot -e "data='DIR'; out='FILE-WITHOUT-EXT'; term='pdf|png'; w=5.5; h=3.2" paper/gp/X.gp
# DIR holds the .dat files and vars.gp written by paper/prepare.py.
if (!exists("w")) w = 5.5
if (!exists("h")) h = 3.2
if (term eq "pdf") {
    set terminal pdfcairo enhanced color size w*1in, h*1in font "Sans,8" linewidth 1
    set output out.".pdf"
} else {
    set terminal pngcairo enhanced color size int(w*170), int(h*170) font "Sans,12" linewidth 1.6
    set output out.".png"
}
load data."/vars.gp"
set datafile commentschars "#"
set border 3 lw 0.8
set tics nomirror out scale 0.6
set grid ytics lc rgb "#dddddd" lw 0.6
set key noenhanced
set style fill solid 0.85 border -1
# an empty data file still gives an axis: this draws nothing
nothing(x) = NaN
