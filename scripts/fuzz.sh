#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs one for N
# seconds (default 60) on a scratch copy of its seed corpus.
# Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#        JLCACHE_FUZZ_TARGET=status_memo scripts/fuzz.sh ...   (default: header)
# Targets (tests/fuzz/): header, status_memo, environment.
# Findings (crash-*, leak-*, timeout-*) are left in build-fuzz/findings/.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build="$here/build-fuzz"
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DJLCACHE_FUZZ=ON \
  -DJLCACHE_BUILD_TESTS=OFF -DJLCACHE_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
target=${JLCACHE_FUZZ_TARGET:-header}
cmake --build "$build" --target "${target}_fuzzer" -j2
work="$build/corpus-work-$target"
mkdir -p "$work" "$build/findings"
cp "$here"/tests/fuzz/corpus/"$target"/* "$work"/
cd "$build/findings"
exec "$build/tests/fuzz/${target}_fuzzer" -max_total_time="$seconds" -max_len=65536 \
  -timeout=10 -rss_limit_mb=2048 "$@" "$work"
