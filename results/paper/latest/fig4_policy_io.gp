# fig4_policy_io: rendered to fig4_policy_io.png and fig4_policy_io.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "fig4_policy_io.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "fig4_policy_io.png" }
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set ylabel "ms"
set title "Policy enforcement latency per I/O\nemu; AMD EPYC, 2 CPUs; ab62227; 2026-11-28" noenhanced
set key top left
plot 'fig4_policy_io.dat' using 2:xtic(1) title "baseline", '' using 3 title "Omega"

