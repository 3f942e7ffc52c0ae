#!/usr/bin/env bash
# Start-up time of the console: from launch to the line "[hotcode] loaded pingpong 1.0.0" (the first module
# loaded, so the runtime has started and its extender is open), with empty input (Gogo then stops Felix).
#
# usage: bench/startup.sh [--runs N] [--console] [--jar RUNTIME_JAR] [-- JVM flags...]
#   default: 5 runs of the console's java command line (as ./hotcode runs it, without the script's JDK search)
#   --console: time `echo "" | ./hotcode` itself (JDK search included); no --jar or JVM flags then
#   --jar: start this runtime jar instead of runtime.bundle/target/hotcode.runtime.jar (to compare two builds)
#   JVM flags, e.g. -Dhotcode.warmup=false
# Prints each run's milliseconds, then the median, min and max and the load average. Needs `./hotcode build` first.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
RUNS=5; CONSOLE=0; JAR=""; FLAGS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    --console) CONSOLE=1 ;;
    --jar) JAR="$(readlink -f "$2")"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; FLAGS=("$@"); break ;;
    *) echo "bench/startup.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
# the JDK as bench/run.sh finds it (21 or newer is needed)
JAVA_HOME="${JAVA_HOME:-}"
if [[ -z "$JAVA_HOME" || ! -x "$JAVA_HOME/bin/java" ]]; then
  for c in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [[ -x "$c/bin/javac" ]] && { JAVA_HOME="$c"; break; }
  done
fi
JV="$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')"
JFLAGS=()
[[ "${JV%%.*}" -ge 24 ]] && JFLAGS=(--sun-misc-unsafe-memory-access=allow)
FELIX="$ROOT/target/felix/org.apache.felix.main.jar"
[[ -f "$FELIX" && -f "$ROOT/runtime.bundle/target/hotcode.runtime.jar" ]] || { echo "run ./hotcode build first" >&2; exit 1; }
PROPS="$ROOT/cnf/run/console.properties"
if [[ -n "$JAR" ]]; then
  [[ -f "$JAR" ]] || { echo "bench/startup.sh: no runtime jar $JAR" >&2; exit 1; }
  PROPS="$(mktemp --suffix=.properties)"
  trap 'rm -f "$PROPS"' EXIT
  sed "s|file:\${hotcode.root}/runtime.bundle/target/hotcode.runtime.jar|file:$JAR|" "$ROOT/cnf/run/console.properties" > "$PROPS"
fi

# Milliseconds from launch to the line, or "none" when the console ended without printing it.
one_run() {
  local t0 line
  t0=$EPOCHREALTIME
  while IFS= read -r line; do
    if [[ "$line" == *"[hotcode] loaded pingpong 1.0.0"* ]]; then
      awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'
      cat > /dev/null # let the console finish: the next run starts once this JVM has exited
      return
    fi
  done < <(if [[ $CONSOLE -eq 1 ]]; then
             echo "" | "$ROOT/hotcode" 2>/dev/null
           else
             cd "$ROOT" && echo "" | "$JAVA_HOME/bin/java" ${JFLAGS[@]+"${JFLAGS[@]}"} ${FLAGS[@]+"${FLAGS[@]}"} \
               "-Dhotcode.root=$ROOT" "-Dfelix.config.properties=file:$PROPS" -jar "$FELIX" 2>/dev/null
           fi)
  echo none
}

times=()
for ((i = 1; i <= RUNS; i++)); do
  ms="$(one_run)"
  echo "run $i: $ms ms"
  [[ "$ms" == none ]] || times+=("$ms")
done
[[ ${#times[@]} -gt 0 ]] || { echo "no run printed the line" >&2; exit 1; }
printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END {
  m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
  printf "median %.0f ms (min %d, max %d, %d runs)\n", m, a[1], a[NR], NR }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
