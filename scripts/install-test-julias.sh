#!/usr/bin/env bash
# Installs the real-Julia test instruments of a shared/julia folder and prints
# one julia path a line (the value for JLCACHE_TEST_JULIAS, joined by ':').
#   scripts/install-test-julias.sh SHARED_JULIA_DIR DEST
# The instruments dlopen the unversioned libpcre2-8.so, which Debian ships in
# libpcre2-dev; without it they die at start-up ("could not load library
# libpcre2-8"), so it is installed here with them.
set -euo pipefail
src=${1:?usage: install-test-julias.sh SHARED_JULIA_DIR DEST}
dest=${2:?usage: install-test-julias.sh SHARED_JULIA_DIR DEST}
if ! dpkg-query -W -f='${Status}' libpcre2-dev 2>/dev/null | grep -q "install ok installed"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libpcre2-dev >&2
fi
bash "$src/install.sh" "$dest"
