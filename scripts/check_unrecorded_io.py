#!/usr/bin/env python3
"""Fails when code in lib/ reads the file system without a query's journal.

    check_unrecorded_io.py LIB_DIR

A remembered status answer is replayed by re-stating what its query's
journal recorded (lib/core/file_journal.h), so a read that a verdict depends
on but that bypasses the journal would let a stale answer be replayed as
fresh. Inside a query every read goes through the query's FileAccess
(`files.Stat(...)`, `q.env().Stat(...)`); the free wrappers of
lib/core/file_io.h and `FileAccess()` record nothing. Each use of them in lib/
must carry "// outside any query: <why>" on its line.
"""
import pathlib
import re
import sys

FREE = re.compile(r"(?<![\w.>:])(StatPath|StatIfExists|PathExists|IsFile|IsDir|ReadFile|"
                  r"ReadFilePrefix|Crc32cOfFile|ListDir|RealPath)\(|FileAccess\(\)")
MARK = "// outside any query:"


def self_test():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        bad = pathlib.Path(d, "x.cc")
        bad.write_text("auto a = files.Stat(p);\nauto b = ReadFile(p);\nFileAccess().Stat(p);\n"
                       "auto c = StatPath(p);  // outside any query: why\n")
        found = scan(pathlib.Path(d))
        assert [p.split(":")[1] for p in found] == ["2", "3"], found
    print("unrecorded io self-test: ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    problems = scan(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "lib"))
    for p in problems:
        print(p)
    print(f"unrecorded io: {len(problems)} problem(s)")
    return 1 if problems else 0


def scan(root):
    problems = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".cc", ".h") or path.name.startswith("file_io."):
            continue
        in_class_resolver = path.name.startswith("resolver.")  # Resolver::IsDir is journaled
        for no, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//", 1)[0]
            for m in FREE.finditer(code):
                if in_class_resolver and m.group(1) == "IsDir":
                    continue
                if MARK not in line:
                    problems.append(f"{path}:{no}: unrecorded read outside file_io: {line.strip()}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
