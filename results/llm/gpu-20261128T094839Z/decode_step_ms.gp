# decode_step_ms: rendered to decode_step_ms.png and decode_step_ms.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "decode_step_ms.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "decode_step_ms.png" }
set title 'Llama-2 decode step time (NVIDIA H200, dummy weights, 128-token contexts)'
set xlabel 'batch (agents decoding together)'
set ylabel 'ms per step'
set logscale xy
set key top left
set grid
plot 'decode_step_ms.dat' index 0 using 1:2 with linespoints lw 2 title 'llama2-7b bf16', 'decode_step_ms.dat' index 1 using 1:2 with linespoints lw 2 title 'llama2-13b bf16', 'decode_step_ms.dat' index 2 using 1:2 with linespoints lw 2 title 'llama2-70b int8'

