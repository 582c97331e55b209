#!/usr/bin/env bash
# Prints the julia executables the real-Julia suites run on, one a line:
# JLCACHE_TEST_JULIAS (executable paths separated by ':'), else `julia` on
# PATH, else nothing. A listed julia that does not start is reported on
# stderr and exits 1, so a broken instrument fails the run instead of
# silently skipping it.
set -euo pipefail
list=()
if [ -n "${JLCACHE_TEST_JULIAS:-}" ]; then
  IFS=: read -r -a list <<<"$JLCACHE_TEST_JULIAS"
elif command -v julia >/dev/null 2>&1; then
  list=("$(command -v julia)")
fi
status=0
for j in "${list[@]}"; do
  [ -n "$j" ] || continue
  if "$j" --startup-file=no --history-file=no -e 'nothing' >/dev/null 2>&1; then
    echo "$j"
  else
    echo "find_julias: $j does not start" >&2
    status=1
  fi
done
exit $status
