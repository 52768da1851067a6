# fig1_per_token: rendered to fig1_per_token.png and fig1_per_token.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "fig1_per_token.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "fig1_per_token.png" }
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set ylabel "ms"
set title "Per-token inference latency: plain CVM vs confidential + policy\ncuda; NVIDIA H100 80GB HBM3, 580.159.04, 81559 MiB; a2402f9; 2026-11-28" noenhanced
set key top left
plot 'fig1_per_token.dat' using 2:xtic(1) title "baseline", '' using 3 title "Omega"

