# attest_latency: rendered to attest_latency.png and attest_latency.svg by omega bench
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") { set terminal svg size 900,540 dynamic font "sans,12"; set output "attest_latency.svg" } else { set terminal pngcairo size 900,540 font "sans,11"; set output "attest_latency.png" }
set title 'Attestation latency (median, ms)'
set datafile separator ','
set style data histogram
set style fill solid 0.6
set ylabel 'ms'
set xtics rotate by -30
set key off
plot 'summary.csv' using (stringcolumn(1) eq 'model_hash_gbps' ? NaN : $3):xtic(1) every ::1

