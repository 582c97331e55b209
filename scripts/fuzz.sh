#!/bin/sh
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs the header
# fuzzer for N seconds (default 60) on a scratch copy of the seed corpus.
# Usage: scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
# Findings (crash-*, leak-*, timeout-*) are left in build-fuzz/findings/.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
build="$here/build-fuzz"
CC=clang CXX=clang++ cmake -S "$here" -B "$build" -DJLCACHE_FUZZ=ON \
  -DJLCACHE_BUILD_TESTS=OFF -DJLCACHE_BUILD_BENCHMARKS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target header_fuzzer -j2
work="$build/corpus-work"
mkdir -p "$work" "$build/findings"
cp "$here"/tests/fuzz/corpus/header/* "$work"/
cd "$build/findings"
exec "$build/tests/fuzz/header_fuzzer" -max_total_time="$seconds" -max_len=65536 \
  -timeout=10 -rss_limit_mb=2048 "$@" "$work"
