# Decode step time by batch (median, measured on an H100 80GB HBM3, driver 580.159.04).
# Render: gnuplot -e 'fmt="png"' decode_step_ms.gp
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "decode_step_ms.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "decode_step_ms.png" }
set title "Llama-2 decode step time (dummy weights, 128-token contexts)"
set xlabel "batch (agents decoding together)"
set ylabel "ms per step"
set logscale xy
set key top left
set grid
plot "decode_step_ms.dat" index 0 using 2:3 with linespoints title "7B bf16", \
     "" index 1 using 2:3 with linespoints title "13B bf16", \
     "" index 2 using 2:3 with linespoints title "70B 8-bit"
