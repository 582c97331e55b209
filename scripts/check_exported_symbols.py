#!/usr/bin/env python3
"""Checks that libjlcache exports exactly the functions include/jlcache.h declares.

The shared library is built with -fvisibility=hidden and JLCACHE_API marking
the C ABI, and links its static rooms with --exclude-libs,ALL. A slip in any
of those (a missing JLCACHE_API, a C++ symbol leaking out of a room, a header
function never defined) shows up here as a difference between

  - the names declared `JLCACHE_API ... jlcache_x(` in the header, and
  - the dynamic symbols `nm -D --defined-only` lists as defined code or data,
    leaving out the linker's own markers (_init, _fini, _edata, ...).

Usage: check_exported_symbols.py LIBRARY [--header H] [--nm NM]
Exit 0 when the two sets are equal, 1 otherwise (both differences printed),
2 when the inputs cannot be read.
"""

import argparse
import os
import re
import subprocess
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINKER_MARKERS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def declared(header_text):
    text = re.sub(r"/\*.*?\*/", " ", header_text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    # JLCACHE_API <return type> [*]name(   -- the return type may span tokens.
    return set(re.findall(r"\bJLCACHE_API\b[^;(]*?\b(jlcache_\w+)\s*\(", text))


def exported(library, nm):
    out = subprocess.run([nm, "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name = parts[-1].split("@")[0]
        if name in LINKER_MARKERS:
            continue
        names.add(name)
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("library")
    ap.add_argument("--header", default=os.path.join(REPO_ROOT, "include", "jlcache.h"))
    ap.add_argument("--nm", default="nm")
    a = ap.parse_args()
    try:
        with open(a.header, encoding="utf-8") as f:
            want = declared(f.read())
        have = exported(a.library, a.nm)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"check_exported_symbols: {e}", file=sys.stderr)
        return 2
    if not want:
        print("check_exported_symbols: no JLCACHE_API functions found in the header", file=sys.stderr)
        return 2
    missing = sorted(want - have)
    extra = sorted(have - want)
    for n in missing:
        print(f"declared in {os.path.basename(a.header)} but not exported: {n}")
    for n in extra:
        print(f"exported but not declared in {os.path.basename(a.header)}: {n}")
    print(f"{len(want)} declared, {len(have)} exported, {len(missing) + len(extra)} problem(s)")
    return 1 if missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
