# toolcall_latency: rendered to toolcall_latency.png and toolcall_latency.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "toolcall_latency.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "toolcall_latency.png" }
set title 'Tool-calling latency per agent request, enforcement off vs on'
set ylabel 'microseconds'
set logscale y
set style data boxplot
set style boxplot nooutliers
set style fill solid 0.4
set xtics ('tools/call, off' 1, 'tools/call, on' 2, 'round, off' 3, 'round, on' 4)
plot 'call_off.dat' using (1):1 notitle, 'call_on.dat' using (2):1 notitle, \
     'round_off.dat' using (3):1 notitle, 'round_on.dat' using (4):1 notitle

