#!/usr/bin/env bash
# End-to-end tests of the rewindmq remoting facade with the official Apache
# RocketMQ Java client (Maven + JUnit 5). See README.md.
#
#   run.sh --binary PATH_TO_rewindmq [--repo M2_DIR] [--rocketmq-version V]
#          [--offline] [--build-dir DIR] [-- EXTRA_MAVEN_ARGS...]
#   run.sh --fetch-only [--repo M2_DIR] [--rocketmq-version V] [--build-dir DIR]
#
# --repo          Maven local repository (default: <checkout>/build/m2).
# --rocketmq-version  rocketmq-client version (default 4.9.8; 5.3.1 for the 5.x line).
# --offline       mvn -o: use only what --fetch-only put into --repo.
# --build-dir     where Maven writes classes, reports, client and broker logs
#                 (default: tests/remoting_java/target/rocketmq-V).
# --fetch-only    resolve every dependency and plugin (go-offline, test-compile and
#                 the server-less JsonTest, which pulls in Surefire's JUnit provider)
#                 so that a later --offline run works; needs no binary.
# Arguments after -- go to mvn as they are, e.g. -- -Dtest=ResetTest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

binary=
repo=$root/build/m2
version=4.9.8
offline=0
fetch_only=0
build_dir=
extra=()

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --repo) repo=${2:?--repo needs a directory}; shift 2 ;;
    --rocketmq-version) version=${2:?--rocketmq-version needs a version}; shift 2 ;;
    --offline) offline=1; shift ;;
    --fetch-only) fetch_only=1; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
done

if ! command -v mvn >/dev/null; then
  echo "run.sh: mvn not found (Debian: apt-get install maven openjdk-17-jdk-headless)" >&2
  exit 1
fi

mkdir -p "$repo"
repo=$(cd "$repo" && pwd)
[ -n "$build_dir" ] || build_dir=$here/target/rocketmq-$version
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

mvn_args=(-B -q -f "$here/pom.xml" -Dstyle.color=never
  "-Dmaven.repo.local=$repo" "-Drocketmq.version=$version" "-Drmq.build.dir=$build_dir")
[ "$offline" = 1 ] && mvn_args+=(-o)

if [ "$fetch_only" = 1 ]; then
  echo "== resolving rocketmq-client $version and all plugins into $repo"
  mvn "${mvn_args[@]}" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline
  mvn "${mvn_args[@]}" test-compile
  # Runs both Surefire executions on the server-less JsonTest: resolves the providers.
  mvn "${mvn_args[@]}" test -Dtest=JsonTest -Dsurefire.failIfNoSpecifiedTests=false
  echo "== done: $repo is ready for --offline runs of rocketmq-client $version"
  exit 0
fi

if [ -z "$binary" ]; then
  echo "run.sh: --binary PATH_TO_rewindmq is required" >&2
  usage
fi
if [ ! -x "$binary" ]; then
  echo "run.sh: $binary is not an executable file" >&2
  exit 1
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

echo "== rewindmq remoting e2e: rocketmq-client $version, binary $binary, logs in $build_dir"
reports=$build_dir/surefire-reports
rm -rf "$reports" "$build_dir/broker-logs"
start=$(date +%s)
status=0
# Both Surefire executions (JSON, then binary headers) run even when the first has
# failures; the verdict is taken from the reports below.
mvn "${mvn_args[@]}" test "-Drewindmq.binary=$binary" -Dmaven.test.failure.ignore=true \
  ${extra[@]+"${extra[@]}"} || status=$?
echo

# Surefire's totals, from its XML reports (mvn -q prints only failures).
if [ ! -d "$reports" ]; then
  echo "run.sh: no Surefire reports in $reports" >&2
  [ "$status" != 0 ] || status=1
else
  python3 - "$reports" <<'EOF' || { [ "$status" != 0 ] || status=1; }
import glob, sys, xml.etree.ElementTree as ET
t = f = e = s = 0
for p in sorted(glob.glob(sys.argv[1] + "/TEST-*.xml")):
    r = ET.parse(p).getroot()
    t += int(r.get("tests", 0)); f += int(r.get("failures", 0))
    e += int(r.get("errors", 0)); s += int(r.get("skipped", 0))
    for c in r.iter("testcase"):
        bad = c.find("failure") if c.find("failure") is not None else c.find("error")
        state = "FAIL" if bad is not None else ("SKIP" if c.find("skipped") is not None else "ok")
        print(f"  {state:4} {c.get('classname').rsplit('.', 1)[-1]}.{c.get('name')} ({c.get('time')} s)")
print(f"Tests run: {t}, Failures: {f}, Errors: {e}, Skipped: {s}")
sys.exit(1 if f or e or t == 0 else 0)
EOF
fi
echo "== finished in $(( $(date +%s) - start )) s with status $status (reports: $reports)"
exit $status
