#!/usr/bin/env bash
# Regenerates the bundled example (examples/) with a real Julia:
#   - three registry-style packages (Words <- Greetings <- Hello) under
#     examples/depot/packages/NAME/SLUG, with real git tree hashes in the manifest;
#   - their caches (pkgimages: .ji + .so) written by that Julia itself
#     (`using Hello` with examples/project active);
#   - examples/runtime.toml written by `jlcache probe --julia JULIA`.
# Everything is built from scratch in a temporary directory, checked there, moved
# into place, and checked again at its final path (which also proves the depot is
# relocatable: Julia 1.11 records sources as @depot/... with content hashes).
# The script ends by asserting that Julia's own Base.isprecompiled and
# `jlcache status` both say all three packages are fresh.
#
#   scripts/make_example.sh [JULIA [JLCACHE]]
#
# JULIA defaults to $JULIA, else `julia` on PATH; JLCACHE (the CLI) to $JLCACHE,
# else build/jlcache. The example is meant to be written by Julia 1.11.7
# (README); another version works but changes what the README shows.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
julia=${1:-${JULIA:-julia}}
jlcache=${2:-${JLCACHE:-$repo/build/jlcache}}
julia=$(command -v "$julia") || { echo "make_example: julia not found: ${1:-${JULIA:-julia}}" >&2; exit 2; }
jlcache=$(cd "$(dirname "$jlcache")" && pwd)/$(basename "$jlcache")
[[ -x $jlcache ]] || { echo "make_example: jlcache CLI not executable: $jlcache" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jlcache-make-example.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# Runs a command with no inherited JULIA_* variable, the example's depot first
# (the trailing ':' keeps the bundled stdlib depots visible) and offline Pkg.
# $1: the example directory; the rest: the command.
in_example() {
  local ex=$1; shift
  local unset_args=() v
  for v in $(compgen -e); do
    [[ $v == JULIA_* || $v == JLCACHE_RUNTIME ]] && unset_args+=(-u "$v")
  done
  env "${unset_args[@]}" JULIA_DEPOT_PATH="$ex/depot:" JULIA_PKG_OFFLINE=true "$@"
}

# Asserts, in a fresh julia and with jlcache, that all three packages are fresh.
check_fresh() {
  local ex=$1
  # shellcheck disable=SC2016  # Julia source
  in_example "$ex" "$julia" --startup-file=no --history-file=no --project="$ex/project" -e '
    ok = true
    for (name, uuid) in [("Words", "2d9c8f1e-4b7a-4c3e-9f1d-0a1b2c3d4e5f"),
                         ("Greetings", "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"),
                         ("Hello", "8b7a6f5e-4d3c-4b2a-9f8e-7d6c5b4a3f2e")]
        fresh = Base.isprecompiled(Base.PkgId(Base.UUID(uuid), name); ignore_loaded=true)
        println("julia isprecompiled ", name, ": ", fresh)
        global ok &= fresh
    end
    ok || exit(1)' || { echo "make_example: Julia says the example is not precompiled ($ex)" >&2; exit 1; }
  in_example "$ex" "$jlcache" status --no-write --runtime "$ex/runtime.toml" --project="$ex/project" ||
    { echo "make_example: jlcache says the example is not fresh ($ex)" >&2; exit 1; }
}

ex=$tmp/examples
mkdir -p "$ex/depot" "$ex/project"

# 1. Sources, project and manifest. The slug directory is Julia's own
#    Base.version_slug of the package's uuid and git tree hash.
# shellcheck disable=SC2016  # Julia source: $ is Julia's interpolation
in_example "$ex" "$julia" --startup-file=no --history-file=no -e '
  import Pkg
  ex = ARGS[1]
  pkgs = [
    ("Words", "2d9c8f1e-4b7a-4c3e-9f1d-0a1b2c3d4e5f", String[],
     "const WORDS = [\"hello\", \"world\"]\nword(i) = WORDS[i]\n"),
    ("Greetings", "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", ["Words"],
     "greeting() = join(Words.WORDS, \", \")\n"),
    ("Hello", "8b7a6f5e-4d3c-4b2a-9f8e-7d6c5b4a3f2e", ["Greetings"],
     "main() = println(Greetings.greeting())\n"),
  ]
  uuid_of = Dict(n => u for (n, u, _, _) in pkgs)
  manifest = "julia_version = \"$(VERSION)\"\nmanifest_format = \"2.0\"\n"
  for (name, uuid, deps, body) in pkgs
    global manifest
    stage = joinpath(ex, "stage", name)
    mkpath(joinpath(stage, "src"))
    proj = "name = \"$name\"\nuuid = \"$uuid\"\nversion = \"1.0.0\"\n"
    isempty(deps) || (proj *= "\n[deps]\n" * join(["$d = \"$(uuid_of[d])\"\n" for d in deps]))
    write(joinpath(stage, "Project.toml"), proj)
    write(joinpath(stage, "src", "$name.jl"),
          "module $name\n" * join(["using $d\n" for d in deps]) * "include(\"impl.jl\")\nend # module\n")
    write(joinpath(stage, "src", "impl.jl"), body)
    tree = bytes2hex(Pkg.GitTools.tree_hash(stage))
    slug = Base.version_slug(Base.UUID(uuid), Base.SHA1(tree))
    mkpath(joinpath(ex, "depot", "packages", name))
    mv(stage, joinpath(ex, "depot", "packages", name, slug))
    manifest *= "\n[[deps.$name]]\n"
    isempty(deps) || (manifest *= "deps = [" * join(repr.(deps), ", ") * "]\n")
    manifest *= "git-tree-sha1 = \"$tree\"\nuuid = \"$uuid\"\nversion = \"1.0.0\"\n"
  end
  rm(joinpath(ex, "stage"); recursive=true)
  write(joinpath(ex, "project", "Project.toml"), "[deps]\nHello = \"$(uuid_of["Hello"])\"\n")
  write(joinpath(ex, "project", "Manifest.toml"), manifest)
' "$ex"

# 2. Caches, written by Julia itself while loading Hello (and its chain).
in_example "$ex" "$julia" --startup-file=no --history-file=no --project="$ex/project" -e 'using Hello; Hello.main()'

# 3. The runtime profile of that Julia, probed with the example depot first so
#    the caches' clone-target blobs are judged. --no-write: no probe cache in
#    the depot.
in_example "$ex" "$jlcache" probe --julia "$julia" --force --no-write -o "$ex/runtime.toml"
if grep -q -- "$tmp" "$ex/runtime.toml" "$ex/project/Manifest.toml"; then
  echo "make_example: a temporary path leaked into the example:" >&2
  grep -n -- "$tmp" "$ex/runtime.toml" "$ex/project/Manifest.toml" >&2
  exit 1
fi
# Nothing but the packages and the caches belongs in the depot (no logs,
# registries or memos).
for entry in "$ex/depot"/* "$ex/depot"/.[!.]*; do
  [[ -e $entry ]] || continue
  case ${entry##*/} in
    packages|compiled) ;;
    *) echo "make_example: unexpected in the depot: ${entry##*/}" >&2; exit 1 ;;
  esac
done

check_fresh "$ex"

# 4. Replace examples/ and check again at the final path.
rm -rf -- "$repo/examples"
mv -- "$ex" "$repo/examples"
check_fresh "$repo/examples"
echo "make_example: examples/ regenerated by $("$julia" --startup-file=no -e 'print(VERSION)') ($julia)"
