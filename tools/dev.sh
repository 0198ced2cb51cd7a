#!/usr/bin/env bash
# The one entry point for building, testing and running rewindmq from a
# checkout on Debian 12. Installs what it needs (as root, or through sudo).
#
#   tools/dev.sh run [rewindmq flags]  build (release) and start the broker;
#                                      data in ./rewindmq-data unless
#                                      --data-dir says otherwise
#   tools/dev.sh test                  build (release) and run every test
#   tools/dev.sh asan                  build with ASan+UBSan and run every test
#   tools/dev.sh bench [filter]        build (release) and run the storage
#                                      benchmarks
#   tools/dev.sh crash [cycles]        build (release) and run the HTTP crash
#                                      harness (default 100 kill/restart cycles)
#   tools/dev.sh compare [args]        build (release) and run the side-by-side
#                                      rewind benchmark against Redis Streams
#                                      and NATS JetStream (bench/compare)
#   tools/dev.sh fuzz [regex]          clang build with -Wthread-safety and the
#                                      libFuzzer fuzzers, each run for
#                                      FUZZ_SECONDS (tools/fuzz.sh)
#   tools/dev.sh deps                  only install the Debian packages
#
# Environment: BUILD_ROOT (default ./build), JOBS (default nproc).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_ROOT=${BUILD_ROOT:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}
# ccache keys on paths relative to the checkout, so another clone of the
# same sources (CI's fresh clone, say) reuses what this machine compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

PACKAGES=(
  g++ cmake ninja-build pkg-config git ccache
  librocksdb-dev libprotobuf-dev protobuf-compiler libabsl-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-format python3-venv prometheus-cpp-dev prometheus
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  # node and npm run the DMS SDK end-to-end tests (tests/dms_sdk).
  local node_packages=()
  if ! command -v node >/dev/null; then
    node_packages=(nodejs npm)
  elif ! command -v npm >/dev/null; then
    node_packages=(npm)
  fi
  if [ ${#node_packages[@]} -gt 0 ]; then
    echo "== installing: ${node_packages[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${node_packages[@]}"
  fi
  # Java with Maven and Go run the official RocketMQ clients' end-to-end
  # tests (tests/remoting_java, tests/remoting_go).
  local client_packages=()
  command -v java >/dev/null || client_packages+=(default-jdk-headless)
  command -v mvn >/dev/null || client_packages+=(maven)
  command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || client_packages+=(golang-go)
  if [ ${#client_packages[@]} -gt 0 ]; then
    echo "== installing: ${client_packages[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${client_packages[@]}"
  fi
}

# The official RocketMQ clients, pinned by tests/remoting_go/go.sum and
# tests/remoting_java/pom.xml, downloaded once into the build folder
# (build/gomod, build/m2) so the tests themselves run offline. Each is
# fetched again only when its pin file is newer than its stamp.
install_rocketmq_clients() {
  local stamp=$BUILD_ROOT/gomod/.fetched
  if [ ! -f "$stamp" ] || [ "$ROOT/tests/remoting_go/go.sum" -nt "$stamp" ]; then
    echo "== fetching the Go RocketMQ client (tests/remoting_go)"
    "$ROOT/tests/remoting_go/run.sh" --fetch-only --cache "$BUILD_ROOT/gomod"
    touch "$stamp"
  fi
  stamp=$BUILD_ROOT/m2/.fetched
  if [ ! -f "$stamp" ] || [ "$ROOT/tests/remoting_java/pom.xml" -nt "$stamp" ]; then
    for v in 4.9.8 5.3.1; do
      echo "== fetching the Java RocketMQ client $v (tests/remoting_java)"
      "$ROOT/tests/remoting_java/run.sh" --fetch-only --repo "$BUILD_ROOT/m2" --rocketmq-version "$v"
    done
    touch "$stamp"
  fi
}

# The npm packages of tests/dms_sdk and tests/tdmq_sdk (package-lock.json),
# when node_modules is missing or older than the lock file; and the Huawei
# Cloud Java, Python and Go SDKs pinned by tests/dms_sdk_{java,python,go}
# and the Tencent Cloud Python SDKs of tests/tdmq_sdk_python, into the build
# folder (build/m2, build/pyvenv-*, build/gomod) so the tests run offline.
install_node_modules() {
  "$ROOT/tests/dms_sdk/install.sh"
  "$ROOT/tests/tdmq_sdk/install.sh"
  "$ROOT/tests/dms_sdk_java/run.sh" --fetch-only --repo "$BUILD_ROOT/m2"
  "$ROOT/tests/dms_sdk_python/install.sh" --venv "$BUILD_ROOT/pyvenv-dms-sdk"
  "$ROOT/tests/tdmq_sdk_python/install.sh" --venv "$BUILD_ROOT/pyvenv-tdmq-sdk"
  "$ROOT/tests/dms_sdk_go/run.sh" --fetch-only --cache "$BUILD_ROOT/gomod"
}

# configure_and_build DIR [cmake args...]
configure_and_build() {
  local dir=$1
  shift
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # The RocketMQ client tests share one download cache per build root.
  cmake -S "$ROOT" -B "$dir" -G Ninja "${launcher[@]}" \
    -DRMQ_GO_MODCACHE="$BUILD_ROOT/gomod" -DRMQ_GO_BUILDCACHE="$BUILD_ROOT/gocache" \
    -DRMQ_MAVEN_REPO="$BUILD_ROOT/m2" -DRMQ_REMOTING_JAVA_OFFLINE=ON \
    "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

run_tests() {
  local dir=$1
  install_node_modules
  install_rocketmq_clients
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --timeout 1200
}

cmd=${1:-test}
shift || true
case "$cmd" in
  deps)
    install_deps
    ;;
  run)
    install_deps
    configure_and_build "$BUILD_ROOT/release" -DCMAKE_BUILD_TYPE=Release -DRMQ_BUILD_BENCHMARKS=OFF
    exec "$BUILD_ROOT/release/broker/server/rewindmq" "$@"
    ;;
  test)
    install_deps
    configure_and_build "$BUILD_ROOT/release" -DCMAKE_BUILD_TYPE=Release
    run_tests "$BUILD_ROOT/release"
    ;;
  asan)
    install_deps
    # -g1: line tables are all the sanitizer reports need, at a fraction of
    # the compile time of full debug information.
    configure_and_build "$BUILD_ROOT/asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
      -DRMQ_SANITIZE=ON -DRMQ_BUILD_BENCHMARKS=OFF
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      RMQ_SANITIZED=1 run_tests "$BUILD_ROOT/asan"
    ;;
  bench)
    install_deps
    configure_and_build "$BUILD_ROOT/release" -DCMAKE_BUILD_TYPE=Release
    "$BUILD_ROOT/release/bench/storage_benchmark" --benchmark_filter="${1:-.}"
    ;;
  crash)
    install_deps
    configure_and_build "$BUILD_ROOT/release" -DCMAKE_BUILD_TYPE=Release
    node tests/crash_http/crash_harness.mjs \
      --binary "$BUILD_ROOT/release/broker/server/rewindmq" --cycles "${1:-100}"
    ;;
  compare)
    install_deps
    configure_and_build "$BUILD_ROOT/release" -DCMAKE_BUILD_TYPE=Release
    exec bench/compare/run.sh --binary "$BUILD_ROOT/release/broker/server/rewindmq" "$@"
    ;;
  fuzz)
    exec "$ROOT/tools/fuzz.sh" "$@"
    ;;
  *)
    echo "usage: tools/dev.sh run|test|asan|bench|crash|compare|fuzz|deps" >&2
    exit 2
    ;;
esac
