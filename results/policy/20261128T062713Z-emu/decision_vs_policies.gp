# decision_vs_policies: rendered to decision_vs_policies.png and decision_vs_policies.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "decision_vs_policies.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "decision_vs_policies.png" }
set title 'Policy decision latency (1,000 entities, MCP tools/call)'
set xlabel 'policies'
set ylabel 'latency (us)'
set logscale xy
set key top left
set xrange [7:1400]
set grid
plot 'decision_vs_policies.dat' using 1:2 with linespoints lw 2 title 'omega p50', '' using 1:3 with linespoints dt 2 title 'omega p99', '' using 1:4 with linespoints lw 2 title 'cedar-wasm p50', '' using 1:5 with linespoints dt 2 title 'cedar-wasm p99'

