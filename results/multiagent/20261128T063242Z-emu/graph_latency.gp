# graph_latency: rendered to graph_latency.png and graph_latency.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "graph_latency.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "graph_latency.png" }
set title 'Agent graphs: one round, Omega runtime vs HTTP/1.1 loopback'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set ylabel 'latency p50 (us)'
set logscale y
set grid ytics
set xtics rotate by -30
plot 'graphs.dat' using 3:xtic(1) title 'Omega runtime (policy on)', '' using 4 title 'HTTP/1.1'
