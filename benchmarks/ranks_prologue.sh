#!/usr/bin/env bash
# A job prologue on a shared depot (issue 14): R ranks spread over H
# simulated hosts run `jlcache precompile` at once, against one process
# doing the same work alone. Each run starts from an empty depot (no probe
# cache, nothing compiled), so it pays one julia probe and one compile.
#
#   benchmarks/ranks_prologue.sh JULIA BUILD_DIR [RANKS=16] [HOSTS=4] [RUNS=5]
#
# Prints one line per run and the medians; single and ranks runs alternate,
# so load on the machine hits both alike. Hosts are UTS namespaces
# (tests/julia/simulated_host.sh); without them the ranks run on this host.
set -euo pipefail
julia=$(realpath "${1:?usage: ranks_prologue.sh JULIA BUILD_DIR [RANKS] [HOSTS] [RUNS]}")
build=$(realpath "${2:?usage: ranks_prologue.sh JULIA BUILD_DIR [RANKS] [HOSTS] [RUNS]}")
ranks=${3:-16} hosts=${4:-4} runs=${5:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
cli="$build/jlcache"
simhost="$repo/tests/julia/simulated_host.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/jlcache-ranks.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Two small packages, one using the other, in an environment of their own.
uuid_a=7a0c1e2d-0000-4000-8000-0000000ba001 uuid_b=7a0c1e2d-0000-4000-8000-0000000ba002
for p in RankA RankB; do
  mkdir -p "$work/dev/$p/src"
done
printf 'name = "RankA"\nuuid = "%s"\nversion = "0.1.0"\n\n[deps]\nRankB = "%s"\n' $uuid_a $uuid_b > "$work/dev/RankA/Project.toml"
printf 'name = "RankB"\nuuid = "%s"\nversion = "0.1.0"\n' $uuid_b > "$work/dev/RankB/Project.toml"
printf 'module RankA\nusing RankB\nf() = RankB.g() + 1\nprecompile(f, ())\nend\n' > "$work/dev/RankA/src/RankA.jl"
printf 'module RankB\ng() = 1\nend\n' > "$work/dev/RankB/src/RankB.jl"
mkdir -p "$work/env"
printf '[deps]\nRankA = "%s"\n' $uuid_a > "$work/env/Project.toml"
cat > "$work/env/Manifest.toml" <<EOF
julia_version = "$("$julia" --startup-file=no -e 'print(VERSION)')"
manifest_format = "2.0"

[[deps.RankA]]
deps = ["RankB"]
path = "$work/dev/RankA"
uuid = "$uuid_a"
version = "0.1.0"

[[deps.RankB]]
path = "$work/dev/RankB"
uuid = "$uuid_b"
version = "0.1.0"
EOF

export PATH="$(dirname "$julia"):$PATH" JULIA_PROJECT="$work/env" JULIA_PKG_OFFLINE=true
unset JULIA_LOAD_PATH JLCACHE_RUNTIME
use_hosts=1
[ "$("$simhost" jlc-bench -- hostname 2>/dev/null)" = jlc-bench ] || use_hosts=0

now() { date +%s.%N; }
# run_single DEPOT / run_ranks DEPOT: seconds, or "fail".
run_single() {
  local t0 t1
  t0=$(now)
  JULIA_DEPOT_PATH="$1:" "$cli" precompile > "$1.out" 2>&1 || { echo fail; return; }
  t1=$(now)
  echo "$t1 - $t0" | bc
}
run_ranks() {
  local t0 t1 i failed=0 job
  t0=$(now)
  for i in $(seq 1 "$ranks"); do
    if ((use_hosts)); then
      JULIA_DEPOT_PATH="$1:" "$simhost" "node$((i % hosts))" -- "$cli" precompile --json > "$1.rank$i" 2>&1 &
    else
      JULIA_DEPOT_PATH="$1:" "$cli" precompile --json > "$1.rank$i" 2>&1 &
    fi
  done
  for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
  t1=$(now)
  launched=$(grep -l '"launched": true' "$1".rank* | wc -l)
  ((failed == 0 && launched == 1)) || { echo "fail($failed failed, $launched launched)"; return; }
  echo "$t1 - $t0" | bc
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "ranks=$ranks hosts=$hosts (namespaces: $([ $use_hosts = 1 ] && echo yes || echo no)) runs=$runs julia=$julia"
singles=() multis=()
for r in $(seq 1 "$runs"); do
  s=$(run_single "$work/single-$r")
  m=$(run_ranks "$work/ranks-$r")
  echo "run $r: one process ${s} s, $ranks ranks ${m} s"
  [[ $s == fail* || $m == fail* ]] && { echo "a run failed"; exit 1; }
  singles+=("$s") multis+=("$m")
done
ms=$(printf '%s\n' "${singles[@]}" | median)
mm=$(printf '%s\n' "${multis[@]}" | median)
echo "median: one process $ms s, $ranks ranks $mm s, ratio $(echo "scale=3; $mm / $ms" | bc)"
