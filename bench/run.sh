#!/usr/bin/env bash
# Hotcode benchmarks side by side with the peers (Erlang, plain-JVM baseline, Pekko).
#
# usage: bench/run.sh [--quick] [--reps N] [--forks N] [--peers all|none|erlang[,java-baseline][,pekko]|erlang-servers]
#                     [--groups pingpong,oneway,ring,spawn,dsu,servers,calls,release] [--no-jmh] [--no-build] [--out DIR]
#                     [-- key=value ...]   (extra settings for the driver, e.g. spawn.n=100000 dsu.rounds=5)
#   default: REPS=3 FORKS=3, all peers (run-all.sh, ~6 min), JMH, ~10 min in all
#   --quick: REPS=1 FORKS=1, Erlang peer only, fewer upgrade rounds, no JMH (~2 min)
# REPS/FORKS also come from the environment (REPS=5 FORKS=2 bench/run.sh).
# Fork 1 runs every group; forks 2..FORKS re-run the messaging groups (pingpong, oneway, ring) in fresh JVMs,
# as the peers do. Raw output, RESULT lines, the table and the upgrade timeline go to bench/results/<UTC stamp>/.
# The servers group's Erlang reference (bench/erlang/servers.escript) runs with the erlang peer, or alone with
# --peers erlang-servers (e.g. bench/run.sh --groups servers --peers erlang-servers --no-jmh).
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
PEERS_DIR="${PEERS_DIR:-/work/shared/peers}"
REPS="${REPS:-3}"; FORKS="${FORKS:-3}"; PEERS="all"; BENCH_GROUPS_ALL="pingpong,oneway,ring,spawn,dsu,servers,calls,release"
BENCH_GROUPS="$BENCH_GROUPS_ALL"; JMH=1; BUILD=1; QUICK=0; OUT=""; EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; REPS=1; FORKS=1; PEERS="erlang"; JMH=0 ;;
    --reps) REPS="$2"; shift ;;
    --forks) FORKS="$2"; shift ;;
    --peers) PEERS="$2"; shift ;;
    --groups) BENCH_GROUPS="$2"; shift ;;
    --no-jmh) JMH=0 ;;
    --no-build) BUILD=0 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; EXTRA+=("$@"); break ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $QUICK -eq 1 ]] && EXTRA=(dsu.rounds=4 dsu.purges=1 servers.rounds=2 release.rounds=2 "${EXTRA[@]+"${EXTRA[@]}"}")

# ------------------------------------------------------------------ JDK + build
JAVA_HOME="${JAVA_HOME:-}"
if [[ -z "$JAVA_HOME" || ! -x "$JAVA_HOME/bin/java" ]]; then
  for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [[ -x "$c/bin/javac" ]] && { JAVA_HOME="$c"; break; }
  done
fi
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
JV="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
JFLAGS=()
[[ "${JV%%.*}" -ge 24 ]] && JFLAGS=(--sun-misc-unsafe-memory-access=allow)
[[ "${JV%%.*}" -ge 24 && "${MAVEN_OPTS:-}" != *sun-misc-unsafe* ]] && export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow"

RUNTIME_JAR="$ROOT/runtime.bundle/target/hotcode.runtime.jar"
WORKLOADS_JAR="$ROOT/bench/workloads/target/hotcode.bench-1.0.0.jar"
V1_JAR="$ROOT/bench/module.v1/target/hotcode.bench.dsu-1.0.0.jar"
V2_JAR="$ROOT/bench/module.v2/target/hotcode.bench.dsu-2.0.0.jar"
SRV1_JAR="$ROOT/bench/server.v1/target/hotcode.bench.server-1.0.0.jar"
SRV2_JAR="$ROOT/bench/server.v2/target/hotcode.bench.server-2.0.0.jar"
SRVFAILMID_JAR="$ROOT/bench/server.v2.failmid/target/hotcode.bench.server-2.0.1-failmid.jar"
SRVFAILLAST_JAR="$ROOT/bench/server.v2.faillast/target/hotcode.bench.server-2.0.2-faillast.jar"
RUNNER_CP="$ROOT/bench/runner/target/classes:$ROOT/bench/runner/target/lib/*"
JMH_CP="$ROOT/bench/jmh/target/classes:$ROOT/bench/jmh/target/lib/*"
needs_build() {
  local j
  for j in "$RUNTIME_JAR" "$WORKLOADS_JAR" "$V1_JAR" "$V2_JAR" "$SRV1_JAR" "$SRV2_JAR" "$SRVFAILMID_JAR" "$SRVFAILLAST_JAR" "$ROOT/bench/runner/target/lib" "$ROOT/bench/jmh/target/lib"; do
    [[ -e "$j" ]] || return 0
  done
  # a source newer than the jar built from it
  [[ -n "$(find "$ROOT/runtime.bundle/src/main" "$ROOT/runtime.bundle/bnd.bnd" -newer "$RUNTIME_JAR" -print -quit)" ]] && return 0
  [[ -n "$(find "$ROOT/bench" -path '*/target' -prune -o -path "$ROOT/bench/results" -prune -o \( -name '*.java' -o -name 'bnd.bnd' -o -name pom.xml \) -newer "$WORKLOADS_JAR" -print -quit)" ]] && return 0
  return 1
}
if [[ $BUILD -eq 1 ]] && needs_build; then
  echo "# building (mvn package of the runtime and bench modules, tests skipped)"
  (cd "$ROOT" && mvn -q -B -Dmaven.test.skip=true package -pl bench/runner,bench/jmh -am) || { echo "bench/run.sh: build failed" >&2; exit 1; }
fi

# ------------------------------------------------------------------ output
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="${OUT:-$ROOT/bench/results/$STAMP}"
mkdir -p "$OUT"
{
  echo "# host: $(nproc) cpus, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "# java: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "# hotcode git: $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && [[ -n "$(git status --porcelain runtime.bundle 2>/dev/null)" ]] && echo ' (runtime.bundle has uncommitted changes)')"
  echo "# command: bench/run.sh reps=$REPS forks=$FORKS peers=$PEERS groups=$BENCH_GROUPS jmh=$JMH extra=${EXTRA[*]+${EXTRA[*]}}"
} | tee "$OUT/host.txt"

# ------------------------------------------------------------------ Hotcode (inside Felix)
JAVA_BENCH=("$JAVA_HOME/bin/java" -Xms4g -Xmx8g ${JFLAGS[@]+"${JFLAGS[@]}"} ${HOTCODE_BENCH_JVM_FLAGS:-} -cp "$RUNNER_CP"
  hotcode.bench.runner.BenchMain runtime="$RUNTIME_JAR" workloads="$WORKLOADS_JAR" v1="$V1_JAR" v2="$V2_JAR" reps="$REPS"
  srv1="$SRV1_JAR" srv2="$SRV2_JAR" srvfailmid="$SRVFAILMID_JAR" srvfaillast="$SRVFAILLAST_JAR")
# The host's core-to-core round trip before each fork and peer (hotcode.bench.runner.CoreToCore): on a VM it
# changes from minute to minute, and every message exchange between two carriers or schedulers pays it.
c2c() { # $1 what runs next
  [[ "$(nproc)" -ge 2 ]] || return 0 # one CPU: no two cores to measure between
  timeout 90 "$JAVA_HOME/bin/java" -cp "$RUNNER_CP" hotcode.bench.runner.CoreToCore 1000000 "before $1" 2>&1 \
    | tee -a "$OUT/host-c2c.txt" || true
}
hotcode_fork() { # $1 fork number, $2 groups
  echo "== hotcode fork $1 ($2) $(date -u +%H:%M:%S)"
  c2c "hotcode fork $1 ($2) $(date -u +%H:%M:%S)"
  "${JAVA_BENCH[@]}" groups="$2" cache="$OUT/felix-cache-$1" timeline="$OUT/dsu-timeline" \
    ${EXTRA[@]+"${EXTRA[@]}"} >>"$OUT/hotcode.log" 2>>"$OUT/hotcode.stderr.log" || echo "# hotcode fork $1 FAILED (exit $?), see hotcode.log" | tee -a "$OUT/hotcode.log"
  rm -rf "$OUT/felix-cache-$1"
}
t0=$(date +%s)
: > "$OUT/hotcode.log"; : > "$OUT/hotcode.stderr.log"
hotcode_fork 1 "$BENCH_GROUPS"
MSG_GROUPS="$(echo "$BENCH_GROUPS" | tr ',' '\n' | grep -E '^(pingpong|oneway|ring)$' | paste -sd, || true)"
for ((f = 2; f <= FORKS; f++)); do
  [[ -n "$MSG_GROUPS" ]] && hotcode_fork "$f" "$MSG_GROUPS"
done
if [[ $JMH -eq 1 ]]; then
  echo "== hotcode JMH (qualified vs local call, outside OSGi) $(date -u +%H:%M:%S)"
  "$JAVA_HOME/bin/java" ${JFLAGS[@]+"${JFLAGS[@]}"} -cp "$JMH_CP" org.openjdk.jmh.Main CallBench \
    -jvmArgsAppend "${JFLAGS[*]-}" -rf csv -rff "$OUT/jmh.csv" >"$OUT/jmh.log" 2>&1 || echo "# JMH failed, see jmh.log"
  if [[ -f "$OUT/jmh.csv" ]]; then
    python3 - "$OUT/jmh.csv" >>"$OUT/hotcode.log" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    name = "jmh_" + r["Benchmark"].rsplit(".", 1)[1] + "_call_outside_process_ns"
    s, e = float(r["Score"]), float(r["Score Error (99.9%)"] or 0)
    print(f"RESULT hotcode {name:40s} median={s:.4g} min={s - e:.4g} max={s + e:.4g} unit=ns runs=[{s:.4g}]")
PY
  fi
fi
grep -E '^(RESULT|# hotcode)' "$OUT/hotcode.log" > "$OUT/hotcode.txt" || true
echo "# hotcode wall seconds: $(( $(date +%s) - t0 ))" | tee -a "$OUT/hotcode.txt"
grep '^RESULT' "$OUT/hotcode.txt" | sed 's/ runs=.*//' || true

# ------------------------------------------------------------------ peers
if [[ "$PEERS" == "all" ]]; then
  echo "== peers: run-all.sh $REPS $FORKS $(date -u +%H:%M:%S)"
  c2c "peers run-all.sh $(date -u +%H:%M:%S)"
  PEERS_RESULTS="$OUT/peers" bash "$PEERS_DIR/run-all.sh" "$REPS" "$FORKS" > "$OUT/peers-run-all.log" 2>&1 || echo "# run-all.sh failed, see peers-run-all.log"
  for f in "$OUT"/peers/*/*.txt; do [[ -e "$f" ]] && cp "$f" "$OUT/"; done
elif [[ "$PEERS" != "none" ]]; then
  for s in ${PEERS//,/ }; do
    [[ "$s" == "erlang-servers" ]] && continue # only the servers group's Erlang reference (below)
    echo "== peer $s $(date -u +%H:%M:%S)"
    c2c "peer $s $(date -u +%H:%M:%S)"
    p0=$(date +%s)
    bash "$PEERS_DIR/$s/run.sh" "$REPS" "$FORKS" > "$OUT/$s.txt" 2>&1 || echo "# peer $s failed, see $s.txt"
    echo "# $s wall seconds: $(( $(date +%s) - p0 ))" >> "$OUT/$s.txt"
  done
fi

# ------------------------------------------------------------------ Erlang reference for the servers group
# bench/erlang/servers.escript: 10k gen_servers, sys:suspend / code:load_binary / sys:change_code / sys:resume
if [[ ",$BENCH_GROUPS," == *",servers,"* && ( "$PEERS" == "all" || ",$PEERS," == *",erlang,"* || ",$PEERS," == *",erlang-servers,"* ) ]]; then
  if command -v escript >/dev/null; then
    kv() { local a d="$2"; for a in ${EXTRA[@]+"${EXTRA[@]}"}; do [[ "$a" == "$1="* ]] && d="${a#*=}"; done; echo "$d"; }
    echo "== erlang servers reference (bench/erlang/servers.escript) $(date -u +%H:%M:%S)"
    escript "$ROOT/bench/erlang/servers.escript" "$(kv servers.rounds 5)" "$(kv servers.n 10000)" "$(kv servers.clients 32)" \
      > "$OUT/erlang-servers.txt" 2>&1 || echo "# erlang servers reference failed, see erlang-servers.txt"
  else
    echo "# escript not found: no Erlang reference for the servers group"
  fi
fi

# ------------------------------------------------------------------ table + plot
[[ "$PEERS" == "all" ]] && c2c "the table (after the peers) $(date -u +%H:%M:%S)"
python3 "$ROOT/bench/summarize.py" "$OUT" | tee "$OUT/table.txt"
if compgen -G "$OUT/erlang.txt" >/dev/null; then
  python3 "$PEERS_DIR/summarize.py" "$OUT" > "$OUT/peers-summary.txt" 2>/dev/null || true
fi
if [[ -f "$OUT/dsu-timeline.stream.tsv" ]] && command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$OUT'" "$ROOT/bench/plot.gp" 2>"$OUT/plot.log" && echo "# plot: $OUT/dsu-timeline.png"
fi
if [[ -f "$OUT/servers-latency.tsv" ]] && command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$OUT'" "$ROOT/bench/plot-servers.gp" 2>>"$OUT/plot.log" && echo "# plot: $OUT/servers-latency.png"
fi
echo "# results: $OUT"
