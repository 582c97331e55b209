#!/usr/bin/env bash
# Runs one real-Julia suite:  tests/julia/run_suite.sh SUITE JULIA BUILD_DIR
# SUITE is a file tests/julia/test_SUITE.jl. It runs in a new julia with
#   JLCACHE_LIB   BUILD_DIR/libjlcache.so     JLCACHE_CLI  BUILD_DIR/jlcache
#   JLCACHE_REPO  this checkout               JLCACHE_TEST_JULIA  JULIA
#   JLCACHE_TEST_TMP  a new temporary directory, removed afterwards
# and no inherited JULIA_DEPOT_PATH / JULIA_LOAD_PATH / JULIA_PROJECT, so a
# developer's own depot is never read or written. The suite's last line is
# "SUITE (julia V): N passed, M failed".
set -euo pipefail
suite=${1:?usage: run_suite.sh SUITE JULIA BUILD_DIR}
julia=${2:?usage: run_suite.sh SUITE JULIA BUILD_DIR}
build=$(cd "${3:?usage: run_suite.sh SUITE JULIA BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jlcache-$suite.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
unset JULIA_DEPOT_PATH JULIA_LOAD_PATH JULIA_PROJECT JLCACHE_RUNTIME
export JLCACHE_LIB="$build/libjlcache.so" JLCACHE_CLI="$build/jlcache" JLCACHE_REPO="$repo" \
       JLCACHE_TEST_JULIA="$julia" JLCACHE_TEST_TMP="$tmp"
# Julia's own workers and precompile children must find this julia first.
export PATH="$(dirname "$julia"):$PATH"
"$julia" --startup-file=no --history-file=no "$repo/tests/julia/test_$suite.jl"
