#!/bin/sh
# Runs a command as if on another machine:
#   simulated_host.sh HOST [VAR=VALUE ...] -- COMMAND [ARG ...]
# The command runs in a UTS namespace of its own whose hostname is HOST, so
# gethostname() there says HOST, while the network, the file system and the
# process table stay shared: a Distributed worker started this way connects
# back over loopback as a worker on another node would. VAR=VALUE pairs are
# set for the command only (each host's JULIA_DEPOT_PATH, JLCACHE_LIB, ...).
# Not root: --map-root-user makes the namespace possible without privilege.
# Exit 97 when the namespace or the hostname cannot be set up.
set -eu
host=${1:?usage: simulated_host.sh HOST [VAR=VALUE ...] -- COMMAND [ARG ...]}
shift
set -- "$host" "$@"
map=
[ "$(id -u)" = 0 ] || map=--map-root-user
# Inside: set the name, drop HOST and the "--", then env runs the rest.
exec unshare --uts $map /bin/sh -c '
  hostname "$1" 2>/dev/null || { echo "simulated_host.sh: cannot set the hostname $1" >&2; exit 97; }
  shift
  vars=
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case $1 in *=*) ;; *) echo "simulated_host.sh: $1 is not VAR=VALUE" >&2; exit 97 ;; esac
    export "$1"
    shift
  done
  [ $# -gt 1 ] || { echo "simulated_host.sh: no command after --" >&2; exit 97; }
  shift
  exec "$@"' sh "$@" || exit 97
