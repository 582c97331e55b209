#!/usr/bin/env bash
# Runs the FastEverywhere Julia tests against a built libjlcache.
#
#   scripts/run_julia_tests.sh BUILD_DIR [JULIA]
#
# BUILD_DIR is a CMake build directory of this repository (the library is
# BUILD_DIR/libjlcache.so). JULIA defaults to `julia` on PATH; without one
# this prints "FastEverywhere tests: skipped (no julia on PATH)" and exits 0:
# a skip, never reported as a pass. The tests run in a temporary depot
# (the bundled depot of that julia stays on the depot path for its stdlib
# caches); a developer's own depot is not touched.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 BUILD_DIR [JULIA]" >&2
  exit 2
fi
julia=${2:-$(command -v julia || true)}
if [[ -z "$julia" ]]; then
  echo "FastEverywhere tests: skipped (no julia on PATH)"
  exit 0
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(cd "$1" && pwd)"
lib="$build_dir/libjlcache.so"
if [[ ! -e "$lib" ]]; then
  echo "run_julia_tests: no libjlcache in $build_dir (build the 'jlcache' target first)" >&2
  exit 2
fi

package="$repo_root/julia_bindings/FastEverywhere"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fasteverywhere-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
unset JULIA_LOAD_PATH JULIA_PROJECT JLCACHE_RUNTIME
export JULIA_DEPOT_PATH="$tmp/depot:" JULIA_PKG_OFFLINE=true
export PATH="$(dirname "$julia"):$PATH"
echo "FastEverywhere tests: $("$julia" --version), JLCACHE_LIB=$lib"
JLCACHE_LIB="$lib" "$julia" --startup-file=no --project="$package" "$package/test/runtests.jl"
