# size: rendered to size.png and size.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "size.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "size.png" }
set title 'Provenance log size, 100 agents'
set xlabel 'decisions per second (all agents)'
set ylabel 'bytes per 1,000 decisions'
set logscale x
set key top right
set grid
plot 'size_vs_rate.dat' using 1:2 with linespoints title 'records', 'size_vs_rate.dat' using 1:3 with linespoints title 'records + 32-byte I/O digest', 8192 with lines dashtype 2 title 'target 8 KB'
