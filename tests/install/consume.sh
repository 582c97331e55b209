#!/usr/bin/env bash
# Installs a build into a temporary prefix and uses it the two ways a
# downstream project would: pkg-config, and CMake's find_package.
#   tests/install/consume.sh BUILD_DIR CACHE_FILE.ji
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
ji=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir="$prefix/lib"
[ -d "$libdir" ] || libdir=$(dirname "$(find "$prefix" -name libjlcache.so | head -n 1)")
for f in "$prefix/include/jlcache.h" "$libdir/libjlcache.so.2" "$libdir/pkgconfig/jlcache.pc" \
         "$libdir/cmake/jlcache/jlcacheConfig.cmake" "$prefix/bin/jlcache"; do
  [ -e "$f" ] || { echo "not installed: $f"; exit 1; }
done

# pkg-config
PKG_CONFIG_PATH="$libdir/pkgconfig" cc -std=c99 -Wall -Wextra -o "$prefix/by-pkgconfig" \
  "$here/../capi/c_client.c" $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs jlcache)
LD_LIBRARY_PATH="$libdir" "$prefix/by-pkgconfig" "$ji" >/dev/null

# find_package
cmake -S "$here/consumer" -B "$prefix/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/consumer-build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$prefix/consumer-build/consumer" "$ji" >/dev/null
echo "installed jlcache works through pkg-config and find_package"
