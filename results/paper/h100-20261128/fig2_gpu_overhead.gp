# fig2_gpu_overhead: rendered to fig2_gpu_overhead.png and fig2_gpu_overhead.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "fig2_gpu_overhead.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "fig2_gpu_overhead.png" }
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set ylabel "%"
set title "GPU utilisation overhead of isolation\ncuda; NVIDIA H100 80GB HBM3, 580.159.04, 81559 MiB; a2402f9; 2026-11-28" noenhanced
set key top left
plot 'fig2_gpu_overhead.dat' using 2:xtic(1) title "baseline", '' using 3 title "Omega"

