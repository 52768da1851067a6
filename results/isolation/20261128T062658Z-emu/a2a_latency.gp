# a2a_latency: rendered to a2a_latency.png and a2a_latency.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "a2a_latency.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "a2a_latency.png" }
set title 'Agent-to-agent round trip: Omega channels vs HTTP/1.1 over loopback'
set xlabel 'message bytes'
set ylabel 'latency p50 (us)'
set logscale xy
set grid
set key top left
set format x '%.0s%cB'
plot 'a2a.dat' using 1:2 with linespoints lw 2 title 'Omega runtime (policy hook on)', \
     'a2a.dat' using 1:4 with linespoints lw 2 title 'HTTP/1.1 loopback TCP'
