#!/usr/bin/env bash
# End-to-end test of the rewindmq DMS for RocketMQ facade with the official
# Huawei Cloud Java SDK (Maven + JUnit 5). See README.md.
#
#   run.sh --fetch-only [--repo M2_DIR] [--build-dir DIR]
#   run.sh --binary PATH_TO_rewindmq [--repo M2_DIR] [--build-dir DIR] [-- EXTRA_MAVEN_ARGS...]
#
# --binary      the rewindmq binary (default: $REWINDMQ_BINARY, which ctest sets).
# --repo        Maven local repository (default: <checkout>/build/m2).
# --build-dir   where Maven writes classes and reports (default:
#               <checkout>/build/dms-sdk-java; with --fetch-only, a temporary
#               directory removed afterwards).
# --fetch-only  resolve every dependency and plugin into --repo (go-offline,
#               test-compile and the server-less SampleOutputTest, which pulls in
#               Surefire's JUnit provider), when the repository lacks them or
#               pom.xml changed since; needs no binary. The test itself runs
#               with mvn -o and needs no network.
# Arguments after -- go to mvn as they are, e.g. -- -Dtest=SignedModeTest.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

binary=${REWINDMQ_BINARY:-}
repo=$root/build/m2
fetch_only=0
build_dir=
extra=()

usage() {
  sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --repo) repo=${2:?--repo needs a directory}; shift 2 ;;
    --fetch-only) fetch_only=1; shift ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage ;;
  esac
done

if ! command -v mvn >/dev/null; then
  echo "run.sh: mvn not found (Debian: apt-get install maven default-jdk-headless)" >&2
  exit 1
fi

mkdir -p "$repo"
repo=$(cd "$repo" && pwd)
if [ -z "$build_dir" ]; then
  if [ "$fetch_only" = 1 ]; then
    build_dir=$(mktemp -d)
    trap 'rm -rf "$build_dir"' EXIT
  else
    build_dir=$root/build/dms-sdk-java
  fi
fi
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

mvn_args=(-B -q -f "$here/pom.xml" -Dstyle.color=never
  "-Dmaven.repo.local=$repo" "-Drmq.build.dir=$build_dir")

if [ "$fetch_only" = 1 ]; then
  stamp=$repo/.fetched-dms-sdk-java
  if [ -f "$stamp" ] && [ "$stamp" -nt "$here/pom.xml" ]; then
    exit 0
  fi
  echo "== resolving the Huawei Cloud Java SDK and all plugins into $repo"
  mvn "${mvn_args[@]}" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline
  mvn "${mvn_args[@]}" test-compile
  mvn "${mvn_args[@]}" test -Dtest=SampleOutputTest -Dsurefire.failIfNoSpecifiedTests=false
  touch "$stamp"
  echo "== done: $repo is ready for offline runs"
  exit 0
fi

if [ -z "$binary" ]; then
  echo "run.sh: --binary PATH_TO_rewindmq (or REWINDMQ_BINARY) is required, or --fetch-only" >&2
  usage
fi
if [ ! -x "$binary" ]; then
  echo "run.sh: $binary is not an executable file" >&2
  exit 1
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

echo "== rewindmq DMS e2e with the Huawei Cloud Java SDK: binary $binary, reports in $build_dir"
reports=$build_dir/surefire-reports
rm -rf "$reports"
start=$(date +%s)
status=0
mvn "${mvn_args[@]}" -o test "-Drewindmq.binary=$binary" ${extra[@]+"${extra[@]}"} || status=$?
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
