#!/usr/bin/env bash
# Throughput of rewindmq's RocketMQ remoting facade against Apache RocketMQ,
# both driven by the official Apache RocketMQ Java client. See README.md.
#
#   run.sh --binary PATH_TO_rewindmq [--messages N] [--out DIR]
#          [--messages-1k N] [--threads 16] [--producers 4] [--e2e-rate 2000]
#          [--e2e-seconds 10] [--searches 2000] [--phase-timeout-s 600]
#          [--systems rewindmq,apache] [--repo M2_DIR] [--build-dir DIR] [--no-netns]
#
# --messages     100 B messages produced, consumed and searched (default 200000)
# --messages-1k  1 KiB messages produced (default messages / 2)
# --out          where results.json and results.txt go (default bench/remoting/latest)
# --systems      which systems to run, in this order (default rewindmq,apache)
# --repo         Maven local repository (default <checkout>/build/m2)
# --build-dir    classes, classpath and the Apache jars (default <checkout>/build/bench-remoting)
# --no-netns     do not run the servers in a private network namespace (see README.md)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

binary=${REWINDMQ_BINARY:-}
out=$here/latest
repo=$root/build/m2
build=$root/build/bench-remoting
systems=rewindmq,apache
netns=1
bench_args=()

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --repo) repo=${2:?}; shift 2 ;;
    --build-dir) build=${2:?}; shift 2 ;;
    --systems) systems=${2:?}; shift 2 ;;
    --no-netns) netns=0; shift ;;
    --messages|--messages-1k|--threads|--producers|--e2e-rate|--e2e-seconds|--searches|--phase-timeout-s|--seed|--warmup)
      bench_args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
done

command -v mvn >/dev/null || { echo "run.sh: mvn not found (Debian: apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
command -v java >/dev/null || { echo "run.sh: java not found" >&2; exit 1; }
if [[ ,$systems, == *,rewindmq,* ]]; then
  [ -n "$binary" ] || { echo "run.sh: --binary PATH_TO_rewindmq is required" >&2; usage; }
  [ -x "$binary" ] || { echo "run.sh: $binary is not an executable file" >&2; exit 1; }
fi

mkdir -p "$repo" "$build" "$out"
repo=$(cd "$repo" && pwd)
build=$(cd "$build" && pwd)
out=$(cd "$out" && pwd)

mvn_common=(-B -q -Dstyle.color=never "-Dmaven.repo.local=$repo")

echo "== building the driver and resolving the Apache servers (Maven, into $repo)" >&2
mvn "${mvn_common[@]}" -f "$here/pom.xml" "-Dbench.build.dir=$build/target" compile \
  org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath "-Dmdep.outputFile=$build/classpath.txt"
rm -rf "$build/apache/lib.new"
mvn "${mvn_common[@]}" -f "$here/apache/pom.xml" \
  org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DincludeScope=runtime "-DoutputDirectory=$build/apache/lib.new"
rm -rf "$build/apache/lib"
mv "$build/apache/lib.new" "$build/apache/lib"
cp_driver="$build/target/classes:$(cat "$build/classpath.txt")"

work=$(mktemp -d "${TMPDIR:-/tmp}/rewindmq-remoting-bench.XXXXXX")
status=1

# Stops, by PID, every server any driver run started (the driver stops them
# itself; this catches a driver that died or was killed).
stop_leftovers() {
  local f pid
  for f in "$work"/*/pids; do
    [ -f "$f" ] || continue
    while read -r pid; do
      [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "run.sh: server $pid ignored SIGTERM for 20 s: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done <"$f"
  done
}
on_exit() {
  stop_leftovers
  if [ "$status" = 0 ]; then
    rm -rf "$work"
  else
    echo "run.sh: failed or incomplete; logs and data kept in $work" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The Apache 4.9 name server and broker have no bind-address setting: they
# listen on every interface. Run the servers and the client in a private
# network namespace whose only interface is loopback, so nothing is reachable
# from outside the machine.
wrap=()
if [ "$netns" = 1 ]; then
  if unshare -n true 2>/dev/null; then
    wrap=(unshare -n -- bash -c 'ip link set lo up && exec "$@"' netns)
  else
    echo "run.sh: cannot create a network namespace (unshare -n); run as root, or pass --no-netns" >&2
    echo "        (the Apache servers would then listen on 0.0.0.0)" >&2
    exit 1
  fi
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load average before: $load_before; work folder $work" >&2
if [[ ,$systems, == *,rewindmq,* ]]; then
  cp "$binary" "$work/rewindmq-bin"
  chmod +x "$work/rewindmq-bin"
fi

rc_all=0
IFS=, read -r -a sys_list <<<"$systems"
for s in "${sys_list[@]}"; do
  mkdir -p "$work/$s/client-home"
  echo "== $s" >&2
  set +e
  timeout --kill-after=30 5400 "${wrap[@]}" java -Xms256m -Xmx1g \
    "-Duser.home=$work/$s/client-home" \
    "-Drocketmq.client.logRoot=$work/$s/client-logs" -Drocketmq.client.logLevel=WARN \
    -Drocketmq.client.logUseSlf4j=false \
    -cp "$cp_driver" org.rewindmq.bench.remoting.Bench \
    --system "$s" --work "$work/$s" --json "$work/$s.json" \
    --binary "$work/rewindmq-bin" --apache-lib "$build/apache/lib" "${bench_args[@]}"
  rc=$?
  set -e
  [ "$rc" = 0 ] || { echo "== $s: driver exit status $rc" >&2; rc_all=1; }
  stop_leftovers
done

cmd="bench/remoting/run.sh --binary $binary"
[ ${#bench_args[@]} -gt 0 ] && cmd+=" ${bench_args[*]}"
java -cp "$cp_driver" org.rewindmq.bench.remoting.Report --out "$out" \
  --rewindmq "$work/rewindmq.json" --apache "$work/apache.json" \
  --command "$cmd" --load-before "$load_before"
echo "== wrote $out/results.txt and $out/results.json" >&2
status=$rc_all
exit "$rc_all"
