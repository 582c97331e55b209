#!/usr/bin/env bash
# Runs every test jlcache has, and ends with one summary line
# "tests: N passed, M failed". Exit status is non-zero on any failure.
#
#   scripts/test.sh            full run: build + GoogleTest suite, the same
#                              suite under ASan+UBSan, the C and Python ABI
#                              clients, the Julia syntax and ccall checks, and
#                              the Julia package tests (or their skip notice)
#   scripts/test.sh --quick    skip the sanitizer build
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0
failed=0
failures=()

note() { printf '\n==== %s\n' "$*"; }
# step NAME CMD...: a single pass/fail check.
step() {
  local name=$1
  shift
  note "$name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}
# ctest_suite NAME BUILD_DIR: counts every GoogleTest case.
ctest_suite() {
  local name=$1 dir=$2 log
  note "$name"
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 600 2>&1 | tee "$log"
  local line total nfail
  line=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$log" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
    failures+=("$name (no ctest summary)")
  else
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfail))
    failed=$((failed + nfail))
    ((nfail == 0)) || failures+=("$name ($nfail failed)")
  fi
  rm -f "$log"
}

note "build (RelWithDebInfo, -Wall -Wextra)"
if ! scripts/build.sh build; then
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
ctest_suite "GoogleTest suite" build

if ((!quick)); then
  note "build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  if scripts/build.sh build-asan -DJLCACHE_SANITIZE=ON -DJLCACHE_BUILD_BENCHMARKS=OFF; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest_suite "GoogleTest suite under ASan+UBSan" build-asan
  else
    failed=$((failed + 1))
    failures+=("sanitizer build")
  fi
fi

if [ -x build/tests/jlcache_c_client ]; then
  step "C client over the ABI" build/tests/jlcache_c_client tests/fixtures/julia-1.10.4/depot-plain/compiled/v1.10/Ay/sULHP_aYN2H.ji
fi
step "install, then build against it with pkg-config and find_package" \
  tests/install/consume.sh build tests/fixtures/julia-1.10.4/depot-plain/compiled/v1.10/Ay/sULHP_aYN2H.ji
if [ -f tests/capi/ctypes_client.py ]; then
  step "Python ctypes client over the ABI" python3 tests/capi/ctypes_client.py build/libjlcache.so "$ROOT"
fi
if [ -f scripts/check_julia_syntax.mjs ]; then
  [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
  step "Julia syntax check (self-test)" node scripts/check_julia_syntax.mjs --self-test
  step "Julia syntax check (every .jl file)" node scripts/check_julia_syntax.mjs
fi
if [ -f scripts/check_ccall_signatures.py ]; then
  step "ccall signatures match jlcache.h (self-test)" python3 scripts/check_ccall_signatures.py --self-test
  step "ccall signatures match jlcache.h" python3 scripts/check_ccall_signatures.py
fi
# counted_step NAME CMD...: a check whose last "WORD: N passed, M failed"
# line is added to the totals (a non-zero exit with no failure counted
# still counts as one failure).
counted_step() {
  local name=$1 log line p f rc
  shift
  note "$name"
  log=$(mktemp)
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[^ ]+( \(julia [^)]*\))?: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  p=0 f=0
  if [ -n "$line" ]; then
    p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  fi
  ((rc != 0 && f == 0)) && f=1
  passed=$((passed + p))
  failed=$((failed + f))
  ((f == 0)) || failures+=("$name ($f failed)")
}

# Real Julia: JLCACHE_TEST_JULIAS (paths separated by ':'), else julia on PATH.
note "real-Julia suites"
if ! julias=$(scripts/find_julias.sh); then
  failed=$((failed + 1))
  failures+=("a julia in JLCACHE_TEST_JULIAS does not start")
fi
if [ -z "$julias" ]; then
  echo "FastEverywhere tests: skipped (no julia: set JLCACHE_TEST_JULIAS or put julia on PATH)"
  for s in tests/julia/test_*.jl; do
    s=$(basename "$s" .jl)
    echo "real-Julia suite ${s#test_}: skipped (no julia)"
  done
fi
declare -A julia_versions=()
while read -r j; do
  [ -n "$j" ] || continue
  v=$("$j" --startup-file=no -e 'print(VERSION)')
  julia_versions[$v]=1
  counted_step "FastEverywhere.jl tests (julia $v)" scripts/run_julia_tests.sh build "$j"
  for s in tests/julia/test_*.jl; do
    s=$(basename "$s" .jl)
    counted_step "real-Julia suite ${s#test_} (julia $v)" tests/julia/run_suite.sh "${s#test_}" "$j" build
  done
done <<<"$julias"
((${#julia_versions[@]})) && echo "real-Julia suites ran on julia: ${!julia_versions[*]}"

echo
if ((failed)); then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "tests: $passed passed, $failed failed"
((failed == 0))
