# rate: rendered to rate.png and rate.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "rate.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "rate.png" }
set title 'Provenance log append rate (fsync on)'
set ylabel 'records per second'
set logscale y
set style fill solid 0.6
set boxwidth 0.6
set grid y
unset key
plot 'append_rate.dat' using 0:2:xtic(1) with boxes, 1000000 with lines dashtype 2
