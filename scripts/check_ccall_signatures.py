#!/usr/bin/env python3
"""Checks the Julia raw layer against the C ABI header.

julia_bindings/FastEverywhere/src/LibJlcache.jl mirrors include/jlcache.h one
to one with `ccall`. Julia only notices a mismatch when the call runs, on a
user's machine, and a wrong integer width there corrupts memory silently. This
script makes the mismatch a test failure here:

  - every JLCACHE_API function has exactly one `ccall((:name, lib), ...)`, and
    every ccall names a function of the header (renamed/missing functions);
  - argument counts, and each argument's and the return value's type: integer
    widths and signedness (Int32 vs Int64), size_t as Csize_t (never UInt64),
    double as Cdouble, char* as Cstring, pointer depth and pointee;
  - struct mirrors: field count, order, names and types;
  - enum constants and JLCACHE_ABI_VERSION: same values;
  - typedef aliases (`const jlcache_status = Int32`);
  - every `@cfunction(f, Ret, (Args...))` tagged with a callback typedef name
    (e.g. `# jlcache_clone_targets_fn`) against that typedef.

Usage:
  python3 scripts/check_ccall_signatures.py [--header H] [--julia F] [--src-dir D]
  python3 scripts/check_ccall_signatures.py --self-test

Standard library only. Exit 0 clean, 1 mismatches (or a failed self-test),
2 unreadable input.
"""

import argparse
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_HEADER = os.path.join(REPO_ROOT, "include", "jlcache.h")
DEFAULT_JULIA = os.path.join(REPO_ROOT, "julia_bindings", "FastEverywhere", "src", "LibJlcache.jl")

# C scalar types -> canonical kind. Julia spellings below map to the same kinds.
C_SCALARS = {
    "int32_t": "i32", "uint32_t": "u32", "int64_t": "i64", "uint64_t": "u64",
    "uint8_t": "u8", "int8_t": "i8", "uint16_t": "u16", "int16_t": "i16",
    "size_t": "size_t", "double": "f64", "float": "f32", "void": "void", "char": "char",
}
# Only exact-width spellings: `Int` or `UInt` (machine words) never match a
# fixed-width C type, and `UInt64` never matches size_t.
JULIA_SCALARS = {
    "Int32": "i32", "Cint": "i32", "UInt32": "u32", "Cuint": "u32",
    "Int64": "i64", "Clonglong": "i64", "UInt64": "u64", "Culonglong": "u64",
    "UInt8": "u8", "Cuchar": "u8", "Int8": "i8", "UInt16": "u16", "Cushort": "u16",
    "Int16": "i16", "Cshort": "i16", "Csize_t": "size_t", "Cdouble": "f64",
    "Float64": "f64", "Cfloat": "f32", "Float32": "f32", "Cvoid": "void",
    "Cchar": "char", "Cstring": "cstring",
}


class Problems:
    def __init__(self):
        self.items = []

    def add(self, msg):
        self.items.append(msg)


# ----------------------------------------------------------------- C side

def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def split_top(text, sep=","):
    """Splits on sep outside (), {}, [] and string literals."""
    parts, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts]


class CHeader:
    def __init__(self, text):
        self.text = strip_c_comments(text)
        self.functions = {}   # name -> (ret, [param types])
        self.aliases = {}     # typedef name -> C type text (scalar aliases)
        self.opaque = set()   # typedef struct x x;
        self.structs = {}     # name -> [(field, type)]
        self.callbacks = {}   # name -> (ret, [param types])
        self.constants = {}   # JLCACHE_* -> int
        self._parse()

    def _parse(self):
        t = self.text
        for m in re.finditer(r"#define\s+(JLCACHE_\w+)\s+(-?\d+)\s*$", t, flags=re.M):
            self.constants[m.group(1)] = int(m.group(2))
        for m in re.finditer(r"\benum\s*\{(.*?)\}\s*;", t, flags=re.S):
            for item in split_top(m.group(1)):
                mm = re.match(r"(\w+)\s*=\s*(-?\d+)$", item)
                if mm:
                    self.constants[mm.group(1)] = int(mm.group(2))
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s+(\w+)\s*;", t):
            self.opaque.add(m.group(2))
        for m in re.finditer(r"typedef\s+struct\s*\{(.*?)\}\s*(\w+)\s*;", t, flags=re.S):
            fields = []
            for decl in m.group(1).split(";"):
                decl = " ".join(decl.split())
                if not decl:
                    continue
                fm = re.match(r"(.+?)\s*\b(\w+)$", decl)
                fields.append((fm.group(2), fm.group(1)))
            self.structs[m.group(2)] = fields
        for m in re.finditer(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\((.*?)\)\s*;", t, flags=re.S):
            self.callbacks[m.group(2)] = (m.group(1).strip(), self._params(m.group(3)))
        for m in re.finditer(r"typedef\s+(\w+)\s+(\w+)\s*;", t):
            if m.group(1) != "struct":
                self.aliases[m.group(2)] = m.group(1)
        for m in re.finditer(r"JLCACHE_API\s+([\w\s\*]+?)\s*\b(jlcache_\w+)\s*\((.*?)\)\s*;", t, flags=re.S):
            self.functions[m.group(2)] = (m.group(1).strip(), self._params(m.group(3)))

    @staticmethod
    def _params(text):
        text = " ".join(text.split())
        if text in ("", "void"):
            return []
        types = []
        for p in split_top(text):
            # Drop the parameter name: the last identifier not followed by '*'.
            pm = re.match(r"(.*?[\s\*])(\w+)$", p)
            types.append(pm.group(1).strip() if pm else p)
        return types

    def kind(self, ctype):
        """Canonical (kind, pointer depth) of a C type."""
        t = " ".join(ctype.replace("*", " * ").split())
        depth = t.count("*")
        words = [w for w in t.replace("*", " ").split() if w not in ("const", "struct")]
        if len(words) != 1:
            raise ValueError(f"cannot read C type {ctype!r}")
        base = words[0]
        if base in self.callbacks:
            return ("void", depth + 1)
        if base in self.aliases:
            inner, inner_depth = self.kind(self.aliases[base])
            return (inner, inner_depth + depth)
        if base == "char" and depth >= 1:
            return ("cstring", depth - 1)
        if base in C_SCALARS:
            return (C_SCALARS[base], depth)
        if base in self.opaque or base in self.structs:
            return (base, depth)
        raise ValueError(f"unknown C type {ctype!r}")


# ------------------------------------------------------------- Julia side

def strip_julia_comments(text):
    out = []
    for line in text.split("\n"):
        quote = False
        cut = len(line)
        for i, ch in enumerate(line):
            if ch == '"':
                quote = not quote
            elif ch == "#" and not quote:
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def balanced_call_args(text, start):
    """text[start] is '('; returns (inner text, index after the closing paren)."""
    depth, i, quote = 0, start, False
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quote = not quote
        elif not quote:
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
                if depth == 0:
                    return text[start + 1:i], i + 1
        i += 1
    raise ValueError("unbalanced parentheses")


def tuple_items(text):
    text = text.strip()
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError(f"expected a tuple of types, got {text!r}")
    return [x for x in split_top(text[1:-1]) if x]


class JuliaSide:
    def __init__(self, text, aliases_from=None):
        self.raw = text
        self.text = strip_julia_comments(text)
        self.aliases = {}   # const jlcache_x = Int32
        self.constants = {}
        self.structs = {}   # name -> [(field, type)]
        self.opaque = set()
        self.ccalls = []    # (name, ret, [argtypes], nvalues, line)
        self._parse()

    def _line(self, pos):
        return self.text.count("\n", 0, pos) + 1

    def _parse(self):
        t = self.text
        for m in re.finditer(r"^\s*const\s+(jlcache_\w+)\s*=\s*(\w+)\s*$", t, flags=re.M):
            self.aliases[m.group(1)] = m.group(2)
        for m in re.finditer(r"^\s*const\s+(JLCACHE_\w+)\s*=\s*(?:\w+\()?\s*(-?\d+)\s*\)?\s*$", t, flags=re.M):
            self.constants[m.group(1)] = int(m.group(2))
        for m in re.finditer(r"^\s*mutable\s+struct\s+(\w+)\s+end\b", t, flags=re.M):
            self.opaque.add(m.group(1))
        for m in re.finditer(r"^\s*struct\s+(\w+)\s*\n(.*?)^\s*end\b", t, flags=re.M | re.S):
            fields = []
            for line in m.group(2).split("\n"):
                line = line.strip()
                if not line:
                    continue
                fm = re.match(r"(\w+)\s*::\s*(.+)$", line)
                if not fm:
                    raise ValueError(f"struct {m.group(1)}: cannot read field {line!r}")
                fields.append((fm.group(1), fm.group(2).strip()))
            self.structs[m.group(1)] = fields
        for m in re.finditer(r"\bccall\s*\(", t):
            inner, _ = balanced_call_args(t, m.end() - 1)
            args = split_top(inner)
            line = self._line(m.start())
            fm = re.match(r"\(\s*:(\w+)\s*,\s*(.+)\)$", args[0]) if args else None
            if not fm:
                # ccalls into libjulia (jl_*) are not part of the jlcache ABI.
                continue
            if len(args) < 3:
                raise ValueError(f"line {line}: ccall needs (name, lib), return type, argument types")
            self.ccalls.append((fm.group(1), args[1], tuple_items(args[2]), len(args) - 3, line))

    def kind(self, jtype):
        jtype = jtype.strip()
        m = re.match(r"^Ptr\{(.+)\}$", jtype)
        if m:
            inner, depth = self.kind(m.group(1))
            return (inner, depth + 1)
        if jtype in self.aliases:
            return self.kind(self.aliases[jtype])
        if jtype in JULIA_SCALARS:
            return (JULIA_SCALARS[jtype], 0)
        if jtype in self.structs or jtype in self.opaque:
            return (jtype, 0)
        raise ValueError(f"unknown Julia type {jtype!r}")


def cfunctions(text):
    """@cfunction(f, Ret, (Args...)) tagged by a jlcache_*_fn name in a comment
    on the same line or on the line above."""
    found = []
    lines = text.split("\n")
    for m in re.finditer(r"@cfunction\s*\(", text):
        line_no = text.count("\n", 0, m.start())
        context = lines[line_no] + ("\n" + lines[line_no - 1] if line_no > 0 else "")
        tags = re.findall(r"#.*?\b(jlcache_\w+_fn)\b", context)
        inner, _ = balanced_call_args(text, m.end() - 1)
        args = split_top(strip_julia_comments(inner))
        if len(args) < 3:
            continue
        found.append((tags[0] if tags else None, args[1], tuple_items(args[2]), line_no + 1))
    return found


# ----------------------------------------------------------------- compare

def describe(kind):
    name, depth = kind
    return "Ptr{" * depth + name + "}" * depth if depth else name


def check(header_text, julia_text, extra_sources=(), where="LibJlcache.jl"):
    """Returns (problems, counts)."""
    p = Problems()
    c = CHeader(header_text)
    j = JuliaSide(julia_text)
    if not c.functions:
        p.add("header: no JLCACHE_API functions found")

    def same(ckind_text, jtype, what):
        try:
            ck = c.kind(ckind_text)
        except ValueError as e:
            p.add(f"{what}: {e}")
            return
        try:
            jk = j.kind(jtype)
        except ValueError as e:
            p.add(f"{what}: {e}")
            return
        if ck != jk:
            p.add(f"{what}: C `{ckind_text}` is {describe(ck)}, Julia `{jtype}` is {describe(jk)}")

    # Functions.
    seen = {}
    for name, ret, args, nvalues, line in j.ccalls:
        where_l = f"{where}:{line}: {name}"
        if name in seen:
            p.add(f"{where_l}: second ccall of the same function (first at line {seen[name]})")
            continue
        seen[name] = line
        if name not in c.functions:
            p.add(f"{where_l}: not declared in jlcache.h (renamed or removed?)")
            continue
        cret, cargs = c.functions[name]
        if len(cargs) != len(args):
            p.add(f"{where_l}: {len(args)} argument types, the header has {len(cargs)}")
        elif nvalues != len(args):
            p.add(f"{where_l}: {len(args)} argument types but {nvalues} values passed")
        same(cret, ret, f"{where_l}: return type")
        for i, (ca, ja) in enumerate(zip(cargs, args)):
            same(ca, ja, f"{where_l}: argument {i + 1}")
    for name in sorted(set(c.functions) - set(seen)):
        p.add(f"{where}: no ccall for {name} (declared in jlcache.h)")

    # Structs.
    for name, cfields in c.structs.items():
        if name not in j.structs:
            p.add(f"{where}: struct {name} is not mirrored")
            continue
        jfields = j.structs[name]
        if len(cfields) != len(jfields):
            p.add(f"{where}: struct {name}: {len(jfields)} fields, the header has {len(cfields)}")
            continue
        for i, ((cn, ct), (jn, jt)) in enumerate(zip(cfields, jfields)):
            if jn.rstrip("_") != cn:
                p.add(f"{where}: struct {name}: field {i + 1} is `{jn}`, the header has `{cn}`")
            same(ct, jt, f"{where}: struct {name}.{cn}")
    for name in sorted(set(j.structs) - set(c.structs)):
        p.add(f"{where}: struct {name} is not in jlcache.h")
    for name in sorted(c.opaque - j.opaque):
        p.add(f"{where}: opaque type {name} has no `mutable struct {name} end`")

    # Constants and aliases.
    for name, value in c.constants.items():
        if name not in j.constants:
            p.add(f"{where}: constant {name} is missing")
        elif j.constants[name] != value:
            p.add(f"{where}: {name} = {j.constants[name]}, the header has {value}")
    for name in sorted(set(j.constants) - set(c.constants)):
        p.add(f"{where}: constant {name} is not in jlcache.h")
    for name, jt in j.aliases.items():
        if name not in c.aliases:
            p.add(f"{where}: alias {name} is not a typedef in jlcache.h")
        else:
            same(c.aliases[name], jt, f"{where}: alias {name}")

    # Callbacks.
    ncallbacks = 0
    for src_name, text in extra_sources:
        for tag, ret, args, line in cfunctions(text):
            if tag is None:
                continue
            ncallbacks += 1
            what = f"{src_name}:{line}: @cfunction for {tag}"
            if tag not in c.callbacks:
                p.add(f"{what}: no such callback typedef in jlcache.h")
                continue
            cret, cargs = c.callbacks[tag]
            if len(cargs) != len(args):
                p.add(f"{what}: {len(args)} arguments, the typedef has {len(cargs)}")
                continue
            same(cret, ret, f"{what}: return type")
            for i, (ca, ja) in enumerate(zip(cargs, args)):
                same(ca, ja, f"{what}: argument {i + 1}")
    counts = (len(c.functions), len(c.structs), ncallbacks)
    return p.items, counts


# --------------------------------------------------------------- self-test

MINI_HEADER = """
#define JLCACHE_ABI_VERSION 3
typedef int32_t jlcache_status;
enum { JLCACHE_OK = 0, JLCACHE_E_IO = 2 };
typedef struct jlcache_thing jlcache_thing;
typedef struct {
  uint32_t version;
  const char* module;   /* a Julia keyword */
  double seconds;
  size_t count;
} jlcache_opts;
typedef int32_t (*jlcache_cb_fn)(void* user_data, const uint8_t* blob, size_t len);
JLCACHE_API int32_t jlcache_abi_version(void);
JLCACHE_API jlcache_status jlcache_thing_open(const char* path, const jlcache_opts* o,
                                              jlcache_thing** out);
JLCACHE_API jlcache_status jlcache_set_int(jlcache_thing* t, const char* key, int64_t value);
JLCACHE_API size_t jlcache_count(const jlcache_thing* t);
JLCACHE_API jlcache_status jlcache_names(jlcache_thing* t, const char* const* names, size_t n);
JLCACHE_API jlcache_status jlcache_to_json(const jlcache_thing* t, char** out_json);
JLCACHE_API jlcache_status jlcache_set_cb(jlcache_thing* t, jlcache_cb_fn fn, void* user_data);
"""

MINI_JULIA = """
const JLCACHE_ABI_VERSION = Int32(3)
const jlcache_status = Int32
const JLCACHE_OK = Int32(0)
const JLCACHE_E_IO = Int32(2)
mutable struct jlcache_thing end
struct jlcache_opts
    version::UInt32
    module_::Cstring
    seconds::Cdouble
    count::Csize_t
end
jlcache_abi_version() = ccall((:jlcache_abi_version, lib), Int32, ())
jlcache_thing_open(p, o, out) = ccall((:jlcache_thing_open, lib), jlcache_status,
    (Cstring, Ptr{jlcache_opts}, Ptr{Ptr{jlcache_thing}}), p, o, out)
jlcache_set_int(t, k, v) = ccall((:jlcache_set_int, lib), jlcache_status,
    (Ptr{jlcache_thing}, Cstring, Int64), t, k, v)
jlcache_count(t) = ccall((:jlcache_count, lib), Csize_t, (Ptr{jlcache_thing},), t)
jlcache_names(t, names, n) = ccall((:jlcache_names, lib), jlcache_status,
    (Ptr{jlcache_thing}, Ptr{Cstring}, Csize_t), t, names, n)
jlcache_to_json(t, out) = ccall((:jlcache_to_json, lib), jlcache_status,
    (Ptr{jlcache_thing}, Ptr{Cstring}), t, out)
jlcache_set_cb(t, f, u) = ccall((:jlcache_set_cb, lib), jlcache_status,
    (Ptr{jlcache_thing}, Ptr{Cvoid}, Ptr{Cvoid}), t, f, u)
"""

MINI_CALLBACK = """
ptr = @cfunction(cb, Int32, (Ptr{Cvoid}, Ptr{UInt8}, Csize_t))  # jlcache_cb_fn
"""

# (description, which text, old, new): each mutation must produce a problem.
MUTATIONS = [
    ("renamed C function", "h", "jlcache_count(const", "jlcache_size(const"),
    ("renamed Julia ccall", "j", "(:jlcache_count, lib)", "(:jlcache_cnt, lib)"),
    ("Int64 -> Int32 argument", "j", "Cstring, Int64)", "Cstring, Int32)"),
    ("Csize_t -> UInt64 return (size_t)", "j", "Csize_t, (Ptr{jlcache_thing},)", "UInt64, (Ptr{jlcache_thing},)"),
    ("Csize_t -> Int argument", "j", "Ptr{Cstring}, Csize_t)", "Ptr{Cstring}, Int)"),
    ("dropped argument", "j", "(Ptr{jlcache_thing}, Cstring, Int64), t, k, v)", "(Ptr{jlcache_thing}, Cstring), t, k)"),
    ("extra value passed", "j", "(Ptr{jlcache_thing},), t)", "(Ptr{jlcache_thing},), t, t)"),
    ("pointer depth", "j", "Ptr{Ptr{jlcache_thing}}), p, o, out)", "Ptr{jlcache_thing}), p, o, out)"),
    ("Cdouble -> Float32 field", "j", "seconds::Cdouble", "seconds::Float32"),
    ("Cdouble -> Cdouble, size_t field as UInt64", "j", "count::Csize_t", "count::UInt64"),
    ("swapped fields", "j", "    seconds::Cdouble\n    count::Csize_t", "    count::Csize_t\n    seconds::Cdouble"),
    ("missing field", "j", "    count::Csize_t\n", ""),
    ("enum value", "j", "JLCACHE_E_IO = Int32(2)", "JLCACHE_E_IO = Int32(3)"),
    ("ABI version", "h", "#define JLCACHE_ABI_VERSION 3", "#define JLCACHE_ABI_VERSION 4"),
    ("alias width", "j", "const jlcache_status = Int32", "const jlcache_status = Int64"),
    ("char** as Ptr{UInt8}", "j", "(Ptr{jlcache_thing}, Ptr{Cstring}), t, out)", "(Ptr{jlcache_thing}, Ptr{UInt8}), t, out)"),
    ("C function without ccall", "h", "JLCACHE_API size_t jlcache_count(", "JLCACHE_API size_t jlcache_count(const jlcache_thing* t);\nJLCACHE_API int32_t jlcache_new_fn(void);\nJLCACHE_API size_t jlcache_count2("),
    ("callback width", "c", "Ptr{UInt8}, Csize_t))", "Ptr{UInt8}, Int32))"),
]


def self_test():
    failures = 0
    problems, _ = check(MINI_HEADER, MINI_JULIA, [("mini_callbacks.jl", MINI_CALLBACK)], "mini.jl")
    if problems:
        print("self-test: the matching pair reported problems:")
        for x in problems:
            print("  " + x)
        failures += 1
    for desc, which, old, new in MUTATIONS:
        h, jl, cb = MINI_HEADER, MINI_JULIA, MINI_CALLBACK
        target = {"h": h, "j": jl, "c": cb}[which]
        if old not in target:
            print(f"self-test: mutation '{desc}' does not apply (fixture changed?)")
            failures += 1
            continue
        mutated = target.replace(old, new, 1)
        if which == "h":
            h = mutated
        elif which == "j":
            jl = mutated
        else:
            cb = mutated
        try:
            problems, _ = check(h, jl, [("mini_callbacks.jl", cb)], "mini.jl")
        except ValueError as e:
            problems = [str(e)]
        if not problems:
            print(f"self-test: mutation '{desc}' was NOT detected")
            failures += 1
        else:
            print(f"self-test: '{desc}' detected: {problems[0]}")
    # The real files, if present: they must pass, and renaming one real C
    # function must break them.
    if os.path.exists(DEFAULT_HEADER) and os.path.exists(DEFAULT_JULIA):
        header = open(DEFAULT_HEADER, encoding="utf-8").read()
        julia = open(DEFAULT_JULIA, encoding="utf-8").read()
        renamed = header.replace("jlcache_session_isstale(", "jlcache_is_stale(", 1)
        problems, _ = check(renamed, julia, (), "LibJlcache.jl")
        if not any("jlcache_session_isstale" in x for x in problems):
            print("self-test: renaming jlcache_session_isstale in the real header was NOT detected")
            failures += 1
        else:
            print("self-test: renamed jlcache_session_isstale in the real header detected")
    total = 2 + len(MUTATIONS)
    print(f"ccall-signature-self-test: {total - failures} passed, {failures} failed")
    return 1 if failures else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--header", default=DEFAULT_HEADER)
    ap.add_argument("--julia", default=DEFAULT_JULIA, help="the raw layer (LibJlcache.jl)")
    ap.add_argument("--src-dir", default=None,
                    help="where to look for tagged @cfunction callbacks (default: the raw layer's folder)")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    try:
        header = open(args.header, encoding="utf-8").read()
        julia = open(args.julia, encoding="utf-8").read()
        src_dir = args.src_dir or os.path.dirname(os.path.abspath(args.julia))
        extra = []
        for name in sorted(os.listdir(src_dir)):
            if name.endswith(".jl"):
                with open(os.path.join(src_dir, name), encoding="utf-8") as f:
                    extra.append((name, f.read()))
    except OSError as e:
        print(f"check_ccall_signatures: {e}", file=sys.stderr)
        return 2
    try:
        problems, (nfun, nstruct, ncb) = check(header, julia, extra, os.path.basename(args.julia))
    except ValueError as e:
        print(f"check_ccall_signatures: cannot parse: {e}", file=sys.stderr)
        return 1
    for x in problems:
        print(x)
    print(f"ccall signatures: {nfun} functions, {nstruct} structs, {ncb} callbacks checked; "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
