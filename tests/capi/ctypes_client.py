#!/usr/bin/env python3
"""Exercises libjlcache's C ABI from Python (ctypes), on a copy of the bundled
example depot: fresh verdicts, a stale chain after an edit, errors with
messages, the header reader, and agreement with `jlcache status --json`.

usage: ctypes_client.py BUILD_DIR/libjlcache.so REPO_ROOT
Ends with "ctypes client: N passed, M failed"; exit status 1 on any failure.
"""
import ctypes as C
import json
import os
import shutil
import subprocess
import sys
import tempfile

FRESH, STALE, UNKNOWN = 0, 1, 2
ABI_VERSION = 2
SESSION_OPTIONS_VERSION = 1
E_PACKAGE_NOT_FOUND = 10


class SessionOptions(C.Structure):
    _fields_ = [("version", C.c_uint32), ("project", C.c_char_p), ("io_threads", C.c_int32),
                ("no_write", C.c_int32), ("memo_path", C.c_char_p)]


class Reason(C.Structure):
    _fields_ = [("code", C.c_char_p), ("detail", C.c_char_p), ("cache", C.c_char_p),
                ("dependency", C.c_char_p)]


def bind(lib):
    P = C.c_void_p
    sigs = {
        "jlcache_abi_version": (C.c_int32, []),
        "jlcache_last_error": (C.c_char_p, []),
        "jlcache_status_name": (C.c_char_p, [C.c_int32]),
        "jlcache_runtime_from_file": (C.c_int32, [C.c_char_p, C.POINTER(P)]),
        "jlcache_runtime_add_string": (C.c_int32, [P, C.c_char_p, C.c_char_p]),
        "jlcache_runtime_free": (None, [P]),
        "jlcache_session_options_init": (C.c_int32, [C.POINTER(SessionOptions), C.c_uint32]),
        "jlcache_probe_script": (C.c_char_p, []),
        "jlcache_session_open": (C.c_int32, [P, C.POINTER(SessionOptions), C.POINTER(P)]),
        "jlcache_session_free": (None, [P]),
        "jlcache_session_clear_memo": (None, [P]),
        "jlcache_session_isstale": (C.c_int32, [P, C.c_char_p, C.POINTER(P)]),
        "jlcache_session_status": (C.c_int32, [P, C.POINTER(P)]),
        "jlcache_verdict_kind": (C.c_int32, [P]),
        "jlcache_verdict_package": (C.c_char_p, [P]),
        "jlcache_verdict_cache": (C.c_char_p, [P]),
        "jlcache_verdict_reason_count": (C.c_size_t, [P]),
        "jlcache_verdict_reason_at": (C.c_int32, [P, C.c_size_t, C.POINTER(Reason)]),
        "jlcache_verdict_free": (None, [P]),
        "jlcache_verdict_list_count": (C.c_size_t, [P]),
        "jlcache_verdict_list_at": (P, [P, C.c_size_t]),
        "jlcache_verdict_list_free": (None, [P]),
        "jlcache_header_open": (C.c_int32, [C.c_char_p, C.POINTER(P)]),
        "jlcache_header_julia_version": (C.c_char_p, [P]),
        "jlcache_header_crc_ok": (C.c_int32, [P]),
        "jlcache_header_free": (None, [P]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args


def main():
    lib_path, root = sys.argv[1], sys.argv[2]
    lib = C.CDLL(lib_path)
    bind(lib)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(("ok   " if ok else "FAIL ") + name + ("" if ok else f"  ({detail})"))

    check(f"ABI version is {ABI_VERSION}", lib.jlcache_abi_version() == ABI_VERSION)
    check("the probe script is Julia that prints JLCACHE lines",
          b"JLCACHE" in (lib.jlcache_probe_script() or b""))
    unknown = SessionOptions()
    check("options_init refuses an unknown version",
          lib.jlcache_session_options_init(C.byref(unknown), 99) == 1)
    work = tempfile.mkdtemp(prefix="jlcache-ctypes-")
    try:
        shutil.copytree(os.path.join(root, "examples"), os.path.join(work, "example"))
        ex = os.path.join(work, "example")
        depot = os.path.join(ex, "depot")

        def open_session():
            rt = C.c_void_p()
            st = lib.jlcache_runtime_from_file(os.path.join(ex, "runtime.toml").encode(), C.byref(rt))
            assert st == 0, lib.jlcache_last_error()
            assert lib.jlcache_runtime_add_string(rt, b"depot_path", depot.encode()) == 0
            opts = SessionOptions()
            assert lib.jlcache_session_options_init(C.byref(opts), SESSION_OPTIONS_VERSION) == 0
            opts.project = os.path.join(ex, "project").encode()
            opts.io_threads = 2
            opts.no_write = 1
            s = C.c_void_p()
            st = lib.jlcache_session_open(rt, C.byref(opts), C.byref(s))
            lib.jlcache_runtime_free(rt)
            assert st == 0, lib.jlcache_last_error()
            return s

        def verdict_of(s, pkg):
            v = C.c_void_p()
            st = lib.jlcache_session_isstale(s, pkg.encode(), C.byref(v))
            if st != 0:
                return st, None, []
            kind = lib.jlcache_verdict_kind(v)
            codes = []
            for i in range(lib.jlcache_verdict_reason_count(v)):
                r = Reason()
                assert lib.jlcache_verdict_reason_at(v, i, C.byref(r)) == 0
                codes.append(r.code.decode())
            lib.jlcache_verdict_free(v)
            return st, kind, codes

        s = open_session()
        for pkg in ("Words", "Greetings", "Hello"):
            st, kind, codes = verdict_of(s, pkg)
            check(f"{pkg} is fresh", st == 0 and kind == FRESH, f"status {st} kind {kind} {codes}")

        lst = C.c_void_p()
        check("session_status succeeds", lib.jlcache_session_status(s, C.byref(lst)) == 0)
        n = lib.jlcache_verdict_list_count(lst)
        names = sorted(lib.jlcache_verdict_package(lib.jlcache_verdict_list_at(lst, i)).decode()
                       for i in range(n))
        check("session_status lists the three packages", names == ["Greetings", "Hello", "Words"], names)
        check("out-of-range list index is NULL", lib.jlcache_verdict_list_at(lst, n) is None)
        lib.jlcache_verdict_list_free(lst)

        st, _, _ = verdict_of(s, "NoSuchPackage")
        msg = lib.jlcache_last_error().decode()
        check("unknown package is JLCACHE_E_PACKAGE_NOT_FOUND", st == E_PACKAGE_NOT_FOUND, st)
        check("the error has a message", "NoSuchPackage" in msg, msg)
        check("status names are stable", lib.jlcache_status_name(st) == b"package_not_found")

        # Edit Words: it and everything above it become stale.
        words_dir = os.path.join(depot, "packages", "Words")
        impl = os.path.join(words_dir, os.listdir(words_dir)[0], "src", "impl.jl")
        with open(impl, "a") as f:
            f.write("# edited\n")
        lib.jlcache_session_clear_memo(s)
        st, kind, codes = verdict_of(s, "Words")
        check("edited Words is stale with file_changed", kind == STALE and codes == ["file_changed"], codes)
        st, kind, codes = verdict_of(s, "Hello")
        check("Hello is stale because of a dependency", kind == STALE and "dep_stale" in codes, codes)
        lib.jlcache_session_free(s)

        # The CLI says the same.
        cli = os.path.join(os.path.dirname(lib_path), "jlcache")
        if os.path.exists(cli):
            env = dict(os.environ, JULIA_DEPOT_PATH=depot)
            out = subprocess.run([cli, "status", "--json", "--no-write", "--runtime",
                                  os.path.join(ex, "runtime.toml"),
                                  "--project=" + os.path.join(ex, "project")],
                                 env=env, capture_output=True, text=True)
            try:
                cli_kinds = {p["name"]: p["verdict"] for p in json.loads(out.stdout)["packages"]}
            except (ValueError, KeyError) as e:
                cli_kinds = {"error": str(e) + out.stderr}
            s = open_session()
            ours = {p: ["fresh", "stale", "unknown"][verdict_of(s, p)[1]] for p in ("Words", "Greetings", "Hello")}
            lib.jlcache_session_free(s)
            check("CLI and C ABI agree", cli_kinds == ours, f"{cli_kinds} vs {ours}")
            check("CLI exits 1 when something is stale", out.returncode == 1, out.returncode)

        # The header reader.
        h = C.c_void_p()
        hello_dir = os.path.join(depot, "compiled", "v1.11", "Hello")
        ji = [f for f in os.listdir(hello_dir) if f.endswith(".ji")][0]
        st = lib.jlcache_header_open(os.path.join(hello_dir, ji).encode(), C.byref(h))
        check("header opens", st == 0, lib.jlcache_last_error())
        if st == 0:
            check("header reports Julia 1.11.7", lib.jlcache_header_julia_version(h) == b"1.11.7")
            check("header CRC verifies", lib.jlcache_header_crc_ok(h) == 1)
            lib.jlcache_header_free(h)
        st = lib.jlcache_header_open(os.path.join(ex, "runtime.toml").encode(), C.byref(h))
        check("a non-cache file is a clean error", st != 0 and len(lib.jlcache_last_error()) > 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    passed = sum(results)
    failed = len(results) - passed
    print(f"ctypes client: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
