#!/usr/bin/env bash
# Builds rewindmq with clang (the -Wthread-safety analysis on, libFuzzer
# fuzzers, ASan+UBSan) and runs every fuzzer for a bounded time, one after
# the other, each on a fresh copy of its committed seed corpus. Installs
# what it needs from Debian (as root, or through sudo), like tools/dev.sh.
#
#   tools/fuzz.sh [REGEX]     run the fuzzers whose name matches REGEX
#                             (default: all), e.g. tools/fuzz.sh dms_
#
# Environment:
#   FUZZ_SECONDS  time per fuzzer (default 60; CI uses 30)
#   BUILD_DIR     build directory (default ./build/fuzz)
#   JOBS          build parallelism (default nproc)
#   FUZZ_ARGS     extra libFuzzer flags, e.g. "-max_len=8192"
#
# The committed corpora (*/fuzz_corpus/*) are never written: what a run
# finds stays in BUILD_DIR/fuzz-runs/<fuzzer>/corpus. A crash, leak,
# timeout or out-of-memory fails the script; the input that caused it is
# saved under BUILD_DIR/fuzz-runs/<fuzzer>/ (crash-*, leak-*, timeout-*,
# oom-*) and can be replayed with `<fuzzer binary> <file>`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/fuzz}
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FILTER=${1:-.}

# clang 14 is Debian 12's clang; libFuzzer and the sanitizer runtimes are in
# libclang-rt-14-dev; llvm provides llvm-symbolizer for readable reports.
PACKAGES=(clang libclang-rt-14-dev llvm)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

"$ROOT/tools/dev.sh" deps
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

echo "== clang build with -Wthread-safety and fuzzers in $BUILD_DIR"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja "${launcher[@]}" \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DRMQ_THREAD_SAFETY=ON -DRMQ_BUILD_FUZZERS=ON -DRMQ_BUILD_BENCHMARKS=OFF >/dev/null
# The server (which links every library, so -Wthread-safety sees all of
# them) and the fuzzers; the unit tests are built and run by dev.sh.
mapfile -t fuzz_targets < <(cut -f1 "$BUILD_DIR/fuzzers.txt" | xargs -r -n1 basename)
cmake --build "$BUILD_DIR" -j "$JOBS" --target rewindmq "${fuzz_targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}
fi

# "<binary><tab><corpus>" lines, written by rmq_fuzzer() in the top
# CMakeLists.txt.
mapfile -t fuzzers < "$BUILD_DIR/fuzzers.txt"
runs=$BUILD_DIR/fuzz-runs
failed=()
summary=()
ran=0
for line in "${fuzzers[@]}"; do
  bin=${line%%$'\t'*}
  seeds=${line#*$'\t'}
  name=$(basename "$bin")
  [[ "$name" =~ $FILTER ]] || continue
  work=$runs/$name
  rm -rf "$work"
  mkdir -p "$work/corpus"
  cp -r "$seeds/." "$work/corpus/"
  echo "== $name: ${FUZZ_SECONDS}s on a copy of ${seeds#"$ROOT"/}"
  rc=0
  # -timeout: one input taking longer than that is a hang.
  # shellcheck disable=SC2086
  (cd "$work" && "$bin" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
     -timeout=30 -rss_limit_mb=4096 -artifact_prefix="$work/" \
     ${FUZZ_ARGS:-} "$work/corpus" </dev/null >"$work/log" 2>&1) || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$work/log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/log" | tail -1)
  ran=$((ran + 1))
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    summary+=("$(printf '%-26s FAILED (exit %s), log: %s' "$name" "$rc" "$work/log")")
    echo "-- $name failed (exit $rc); last lines of $work/log:"
    tail -n 60 "$work/log"
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
      if [ -e "$f" ]; then echo "   artifact: $f"; fi
    done
  else
    summary+=("$(printf '%-26s %10s execs %8s exec/s %6s new units %6s MB peak' \
      "$name" "${execs:-?}" "${speed:-?}" "${units:-?}" "${rss:-?}")")
  fi
done

echo "== fuzzing summary (${FUZZ_SECONDS}s each)"
printf '%s\n' "${summary[@]}"
if [ "$ran" -eq 0 ]; then
  echo "no fuzzer matches '$FILTER'" >&2
  exit 2
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "${#failed[@]} of $ran fuzzers failed: ${failed[*]}" >&2
  exit 1
fi
echo "all $ran fuzzers ran clean"
