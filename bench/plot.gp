# Stream throughput and inter-message gaps around upgrades and purges (bench/run.sh renders it when gnuplot exists).
# usage: gnuplot -e "dir='<results dir>'" bench/plot.gp
if (!exists("dir")) dir = "."
set terminal pngcairo size 1400,800 noenhanced font ",10"
set output dir."/dsu-timeline.png"
set datafile separator whitespace
set multiplot layout 2,1 title "Hotcode: message stream to a server that re-enters benchdsu:server/8 by qualified call on every message\n(1 ms buckets; dashed: update start (blue), all 10k workers answered on new code (green), purge of 10k (red))"
ev = dir."/dsu-timeline.events.tsv"
st = dir."/dsu-timeline.stream.tsv"
set xlabel "time since the upgrade test started, ms"
set grid
stats st using 1 nooutput
set xrange [STATS_min:STATS_max]
stats st using 2 nooutput
ymax = STATS_max * 1.1
set yrange [0:ymax]
set ylabel "messages per ms"
plot st using 1:2 with lines lc rgb "#444444" title "messages received per ms", \
     ev using (strcol(2) eq "update_start" ? $1 : 1/0):(0):(0):(ymax) with vectors nohead dt 2 lc rgb "blue" title "update", \
     ev using (strcol(2) eq "all_pongs" ? $1 : 1/0):(0):(0):(ymax) with vectors nohead dt 2 lc rgb "dark-green" title "all 10k on new code", \
     ev using (strcol(2) eq "purge_start" ? $1 : 1/0):(0):(0):(ymax) with vectors nohead dt 2 lc rgb "red" title "purge"
set logscale y
set yrange [0.1:1e6]
set ylabel "largest inter-message gap in the ms, us (log)"
plot st using 1:($3 > 0 ? $3 : 1/0) with impulses lc rgb "#444444" title "max gap", \
     ev using (strcol(2) eq "update_start" ? $1 : 1/0):(0.1):(0):(1e6) with vectors nohead dt 2 lc rgb "blue" notitle, \
     ev using (strcol(2) eq "all_pongs" ? $1 : 1/0):(0.1):(0):(1e6) with vectors nohead dt 2 lc rgb "dark-green" notitle, \
     ev using (strcol(2) eq "purge_start" ? $1 : 1/0):(0.1):(0):(1e6) with vectors nohead dt 2 lc rgb "red" notitle
unset multiplot
