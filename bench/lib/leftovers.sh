# Sourced by the benchmark scripts (bench/compare/run.sh, bench/soak/run.sh).
#
# stop_leftovers PIDFILE TIMEOUT_S
#   PIDFILE holds one line per process a benchmark driver started,
#   "PID NAME", and one per data folder it made, "dir PATH". Every process
#   that is still the one recorded (its /proc comm matches NAME; PIDs get
#   reused) gets SIGTERM, then SIGKILL after TIMEOUT_S seconds. Folders that
#   still exist are left in the array LEFTOVER_DIRS for the caller to name.
#   Removes PIDFILE.
stop_leftovers() {
  local pidfile=$1 timeout_s=$2
  local pid name
  LEFTOVER_DIRS=()
  while read -r pid name; do
    [ -n "$pid" ] || continue
    if [ "$pid" = dir ]; then
      [ -d "$name" ] && LEFTOVER_DIRS+=("$name")
      continue
    fi
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name:0:15}" ] || continue
    echo "stopping leftover $name (pid $pid)" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq $((timeout_s * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done <"$pidfile"
  rm -f "$pidfile"
}
