# Call latency across one upgrade of 10k servers (the last latency round of the servers group).
# usage: gnuplot -e "dir='<results dir>'" bench/plot-servers.gp     (bench/run.sh renders it when gnuplot exists)
if (!exists("dir")) dir = "."
set terminal pngcairo size 1400,600 noenhanced font ",10"
set output dir."/servers-latency.png"
set datafile separator whitespace
ev = dir."/servers-latency.events.tsv"
lt = dir."/servers-latency.tsv"
set title "Hotcode: GenServer.call latency (each dot a call, by its start) across Bundle.update() of 10k servers with a state migration\n(dashed: update() start/end (blue); servers suspended at most from (red) to (green), from the runtime's log)"
set xlabel "call start, ms relative to Bundle.update() start"
set ylabel "call latency, us (log)"
set logscale y
set yrange [1:1e7]
set grid
plot lt using 1:2 with dots lc rgb "#444444" title "call", \
     ev using (strcol(2) eq "update_start" || strcol(2) eq "update_end" ? $1 : 1/0):(1):(0):(1e7) with vectors nohead dt 2 lc rgb "blue" title "update()", \
     ev using (strcol(2) eq "suspend_start" ? $1 : 1/0):(1):(0):(1e7) with vectors nohead dt 2 lc rgb "red" title "suspend (at most from)", \
     ev using (strcol(2) eq "resume_end" ? $1 : 1/0):(1):(0):(1e7) with vectors nohead dt 2 lc rgb "dark-green" title "all resumed"
