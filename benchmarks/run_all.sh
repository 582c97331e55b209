#!/usr/bin/env bash
# Builds what the benchmarks need and runs all of them (issue 7), writing raw
# results to benchmarks/results/ and the scaling plot to benchmarks/scaling.png.
#
#   benchmarks/run_all.sh            # everything (about 10-15 min on 2 cores)
#   FILTER=Status111 benchmarks/run_all.sh   # only matching bench_status rows
#   SKIP_LATENCY=1 SKIP_PROCESS=1 benchmarks/run_all.sh
#
# Environment: BUILD (default build-bench), BUILD_LATENCY (build-bench-latency),
# OUT (benchmarks/results), JOBS (2), RUNS (20, for the process driver),
# JLCACHE_BENCH_DIR (where worlds are generated; default /tmp).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
BUILD_LATENCY=${BUILD_LATENCY:-$ROOT/build-bench-latency}
OUT=${OUT:-$ROOT/benchmarks/results}
JOBS=${JOBS:-2}
RUNS=${RUNS:-20}
FILTER=${FILTER:-.}
mkdir -p "$OUT"

echo "== building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DJLCACHE_BUILD_TESTS=ON \
  -DJLCACHE_BUILD_BENCHMARKS=ON -DJLCACHE_IO_LATENCY=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target bench_status bench_process gen_env profile_status jlcache_cli

if [[ -z "${SKIP_LATENCY:-}" ]]; then
  # JLCACHE_IO_LATENCY is a PUBLIC definition of jlcache_core: its own build dir.
  echo "== building the latency-injecting variant in $BUILD_LATENCY"
  cmake -S "$ROOT" -B "$BUILD_LATENCY" -DCMAKE_BUILD_TYPE=Release -DJLCACHE_BUILD_TESTS=ON \
    -DJLCACHE_BUILD_BENCHMARKS=ON -DJLCACHE_IO_LATENCY=ON >/dev/null
  cmake --build "$BUILD_LATENCY" -j"$JOBS" --target bench_status
fi

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "kernel: $(uname -srm)"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "compiler: $(${CXX:-c++} --version | head -1)"
} | tee "$OUT/machine.txt"

echo "== bench_status"
# (the latency rows exist only in the latency build)
"$BUILD/benchmarks/bench_status" --benchmark_filter="$FILTER" \
  --benchmark_out="$OUT/bench_status.json" --benchmark_out_format=json \
  --benchmark_counters_tabular=false | tee "$OUT/bench_status.txt"

if [[ -z "${SKIP_LATENCY:-}" ]]; then
  echo "== bench_status, 200 us injected per stat/open"
  "$BUILD_LATENCY/benchmarks/bench_status" --benchmark_filter='Latency' \
    --benchmark_out="$OUT/bench_latency.json" --benchmark_out_format=json | tee "$OUT/bench_latency.txt"
fi

if [[ -z "${SKIP_PROCESS:-}" ]]; then
  echo "== whole process: jlcache status, $RUNS runs"
  "$BUILD/benchmarks/bench_process" --runs "$RUNS" --layout 1.11 | tee "$OUT/bench_process_111.txt" || true
  "$BUILD/benchmarks/bench_process" --runs "$RUNS" --layout 1.10 | tee "$OUT/bench_process_110.txt" || true
fi

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/machine.txt"

if grep -q BM_Scaling111 "$OUT/bench_status.json"; then
  echo "== scaling plot"
  # The first Python that has matplotlib (pyenv shims often lack Debian's).
  PY=python3
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null; then PY=$p; break; fi
  done
  "$PY" "$ROOT/benchmarks/plot_scaling.py" "$OUT/bench_status.json" \
    -o "$ROOT/benchmarks/scaling.png" | tee "$OUT/scaling.txt"
fi
echo "raw results in $OUT"
