#!/usr/bin/env bash
# Runs the FastEverywhere Julia tests against a built libjlcache.
#
#   scripts/run_julia_tests.sh BUILD_DIR
#
# BUILD_DIR is a CMake build directory of this repository (the library is
# BUILD_DIR/libjlcache.so, or .dylib). Without `julia` on PATH this prints
# exactly "FastEverywhere tests: skipped (no julia on PATH)" and exits 0: a
# skip, never reported as a pass.
set -euo pipefail

if ! command -v julia >/dev/null 2>&1; then
  echo "FastEverywhere tests: skipped (no julia on PATH)"
  exit 0
fi

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(cd "$1" && pwd)"
lib=""
for candidate in "$build_dir/libjlcache.so" "$build_dir/libjlcache.dylib" "$build_dir/lib/libjlcache.so"; do
  if [[ -e "$candidate" ]]; then
    lib="$candidate"
    break
  fi
done
if [[ -z "$lib" ]]; then
  echo "run_julia_tests: no libjlcache in $build_dir (build the 'jlcache' target first)" >&2
  exit 2
fi

package="$repo_root/julia_bindings/FastEverywhere"
echo "FastEverywhere tests: $(julia --version), JLCACHE_LIB=$lib"
JLCACHE_LIB="$lib" exec julia --startup-file=no --project="$package" "$package/test/runtests.jl"
