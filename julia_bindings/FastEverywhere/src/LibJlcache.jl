"""
    LibJlcache

The raw layer: one Julia function per C function of `include/jlcache.h`, same
name, same argument order, exact C types. Structs mirror the header's structs
field by field. Nothing here allocates handles behind your back or converts
results; the idiomatic layer (`FastEverywhere`) does that.

`scripts/check_ccall_signatures.py` checks this file against the header (names,
argument counts, widths, struct layouts, enum values, callback typedefs), and a
GoogleTest wraps that check, so a changed C signature breaks the C++ build's
tests rather than a user's Julia session.

Types follow the header: `int32_t` → `Int32`, `uint32_t` → `UInt32`,
`int64_t` → `Int64`, `uint64_t` → `UInt64`, `uint8_t` → `UInt8`,
`size_t` → `Csize_t`, `double` → `Cdouble`, `const char*`/`char*` → `Cstring`,
`T*` → `Ptr{T}`, a callback typedef → `Ptr{Cvoid}`.

The library is the non-constant global [`libjlcache`](@ref), a path set by
`FastEverywhere` once it has found and validated the library (see
`FastEverywhere.library_path`). Calling any function here before that is an
error from `ccall` ("could not load library").
"""
module LibJlcache

"""
Path of the loaded libjlcache, set by `FastEverywhere` (`set_library_path!`).
A non-constant global: each `ccall` site resolves it once, on first use.
"""
global libjlcache::String = ""

set_library_path!(path::String) = (global libjlcache = path; nothing)

# ------------------------------------------------------------------ status

const JLCACHE_ABI_VERSION = Int32(2)

const jlcache_status = Int32
const JLCACHE_OK = Int32(0)
const JLCACHE_E_INVALID_ARGUMENT = Int32(1)
const JLCACHE_E_IO = Int32(2)
const JLCACHE_E_NOT_FOUND = Int32(3)
const JLCACHE_E_PERMISSION = Int32(4)
const JLCACHE_E_SYMLINK_LOOP = Int32(5)
const JLCACHE_E_CORRUPT_CACHE = Int32(6)
const JLCACHE_E_UNSUPPORTED = Int32(7)
const JLCACHE_E_TOML = Int32(8)
const JLCACHE_E_MANIFEST_MISSING = Int32(9)
const JLCACHE_E_PACKAGE_NOT_FOUND = Int32(10)
const JLCACHE_E_NOT_INSTALLED = Int32(11)
const JLCACHE_E_RUNTIME = Int32(12)
const JLCACHE_E_TIMEOUT = Int32(13)
const JLCACHE_E_CHILD_FAILED = Int32(14)
const JLCACHE_E_INTERNAL = Int32(15)

jlcache_abi_version() =
    ccall((:jlcache_abi_version, libjlcache), Int32, ())

jlcache_version_string() =
    ccall((:jlcache_version_string, libjlcache), Cstring, ())

jlcache_status_name(status) =
    ccall((:jlcache_status_name, libjlcache), Cstring, (jlcache_status,), status)

jlcache_last_error() =
    ccall((:jlcache_last_error, libjlcache), Cstring, ())

jlcache_string_free(s) =
    ccall((:jlcache_string_free, libjlcache), Cvoid, (Cstring,), s)

# ----------------------------------------------------------- cache headers

mutable struct jlcache_header end

jlcache_header_open(path, out) =
    ccall((:jlcache_header_open, libjlcache), jlcache_status,
          (Cstring, Ptr{Ptr{jlcache_header}}), path, out)

jlcache_header_parse(data, len, out) =
    ccall((:jlcache_header_parse, libjlcache), jlcache_status,
          (Ptr{Cvoid}, Csize_t, Ptr{Ptr{jlcache_header}}), data, len, out)

jlcache_header_free(header) =
    ccall((:jlcache_header_free, libjlcache), Cvoid, (Ptr{jlcache_header},), header)

jlcache_header_to_json(header, out_json) =
    ccall((:jlcache_header_to_json, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Ptr{Cstring}), header, out_json)

jlcache_header_format_version(h) =
    ccall((:jlcache_header_format_version, libjlcache), Int32, (Ptr{jlcache_header},), h)

jlcache_header_layout(h) =
    ccall((:jlcache_header_layout, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_julia_version(h) =
    ccall((:jlcache_header_julia_version, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_git_branch(h) =
    ccall((:jlcache_header_git_branch, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_git_commit(h) =
    ccall((:jlcache_header_git_commit, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_os(h) =
    ccall((:jlcache_header_os, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_arch(h) =
    ccall((:jlcache_header_arch, libjlcache), Cstring, (Ptr{jlcache_header},), h)

jlcache_header_flags(h) =
    ccall((:jlcache_header_flags, libjlcache), UInt8, (Ptr{jlcache_header},), h)

jlcache_header_checksum(h) =
    ccall((:jlcache_header_checksum, libjlcache), UInt64, (Ptr{jlcache_header},), h)

jlcache_header_crc_ok(h) =
    ccall((:jlcache_header_crc_ok, libjlcache), Int32, (Ptr{jlcache_header},), h)

jlcache_header_pkgimage_crc(h) =
    ccall((:jlcache_header_pkgimage_crc, libjlcache), UInt32, (Ptr{jlcache_header},), h)

jlcache_header_clone_targets_size(h) =
    ccall((:jlcache_header_clone_targets_size, libjlcache), UInt64, (Ptr{jlcache_header},), h)

jlcache_header_check_native_library(h, so_path, out_match) =
    ccall((:jlcache_header_check_native_library, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Cstring, Ptr{Int32}), h, so_path, out_match)

struct jlcache_module
    name::Cstring
    uuid::Cstring
    build_id_hi::UInt64
    build_id_lo::UInt64
end

# `module` is a Julia keyword, so the C field `module` is spelled `module_`.
struct jlcache_include
    path::Cstring
    fsize::Int64
    hash::Int64
    mtime::Cdouble
    module_::Cstring
    submodule_path::Cstring
    tracked_by_content::Int32
    is_include::Int32
end

struct jlcache_requires
    module_::Cstring
    submodule_path::Cstring
    name::Cstring
    uuid::Cstring
end

jlcache_header_module_count(h) =
    ccall((:jlcache_header_module_count, libjlcache), Csize_t, (Ptr{jlcache_header},), h)

jlcache_header_module_at(h, i, out) =
    ccall((:jlcache_header_module_at, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Csize_t, Ptr{jlcache_module}), h, i, out)

jlcache_header_required_count(h) =
    ccall((:jlcache_header_required_count, libjlcache), Csize_t, (Ptr{jlcache_header},), h)

jlcache_header_required_at(h, i, out) =
    ccall((:jlcache_header_required_at, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Csize_t, Ptr{jlcache_module}), h, i, out)

jlcache_header_include_count(h) =
    ccall((:jlcache_header_include_count, libjlcache), Csize_t, (Ptr{jlcache_header},), h)

jlcache_header_include_at(h, i, out) =
    ccall((:jlcache_header_include_at, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Csize_t, Ptr{jlcache_include}), h, i, out)

jlcache_header_requires_count(h) =
    ccall((:jlcache_header_requires_count, libjlcache), Csize_t, (Ptr{jlcache_header},), h)

jlcache_header_requires_at(h, i, out) =
    ccall((:jlcache_header_requires_at, libjlcache), jlcache_status,
          (Ptr{jlcache_header}, Csize_t, Ptr{jlcache_requires}), h, i, out)

# ----------------------------------------------------------------- runtime

mutable struct jlcache_runtime end

jlcache_runtime_from_file(path, out) =
    ccall((:jlcache_runtime_from_file, libjlcache), jlcache_status,
          (Cstring, Ptr{Ptr{jlcache_runtime}}), path, out)

jlcache_runtime_new(out) =
    ccall((:jlcache_runtime_new, libjlcache), jlcache_status,
          (Ptr{Ptr{jlcache_runtime}},), out)

jlcache_runtime_free(rt) =
    ccall((:jlcache_runtime_free, libjlcache), Cvoid, (Ptr{jlcache_runtime},), rt)

jlcache_runtime_set_string(rt, key, value) =
    ccall((:jlcache_runtime_set_string, libjlcache), jlcache_status,
          (Ptr{jlcache_runtime}, Cstring, Cstring), rt, key, value)

jlcache_runtime_set_int(rt, key, value) =
    ccall((:jlcache_runtime_set_int, libjlcache), jlcache_status,
          (Ptr{jlcache_runtime}, Cstring, Int64), rt, key, value)

jlcache_runtime_add_string(rt, key, value) =
    ccall((:jlcache_runtime_add_string, libjlcache), jlcache_status,
          (Ptr{jlcache_runtime}, Cstring, Cstring), rt, key, value)

jlcache_runtime_add_sysimage_module(rt, name, uuid, build_id_hi, build_id_lo) =
    ccall((:jlcache_runtime_add_sysimage_module, libjlcache), jlcache_status,
          (Ptr{jlcache_runtime}, Cstring, Cstring, UInt64, UInt64),
          rt, name, uuid, build_id_hi, build_id_lo)

jlcache_runtime_validate(rt) =
    ccall((:jlcache_runtime_validate, libjlcache), jlcache_status, (Ptr{jlcache_runtime},), rt)

jlcache_probe_script() =
    ccall((:jlcache_probe_script, libjlcache), Cstring, ())

jlcache_runtime_from_probe_output(text, len, out) =
    ccall((:jlcache_runtime_from_probe_output, libjlcache), jlcache_status,
          (Cstring, Csize_t, Ptr{Ptr{jlcache_runtime}}), text, len, out)

# ----------------------------------------------------------------- session

mutable struct jlcache_session end

const JLCACHE_SESSION_OPTIONS_VERSION = UInt32(1)

struct jlcache_session_options
    version::UInt32
    project::Cstring
    io_threads::Int32
    no_write::Int32
    memo_path::Cstring
end

jlcache_session_options_init(options, version) =
    ccall((:jlcache_session_options_init, libjlcache), jlcache_status,
          (Ptr{jlcache_session_options}, UInt32), options, version)

jlcache_session_open(rt, options, out) =
    ccall((:jlcache_session_open, libjlcache), jlcache_status,
          (Ptr{jlcache_runtime}, Ptr{jlcache_session_options}, Ptr{Ptr{jlcache_session}}),
          rt, options, out)

jlcache_session_free(s) =
    ccall((:jlcache_session_free, libjlcache), Cvoid, (Ptr{jlcache_session},), s)

jlcache_session_clear_memo(s) =
    ccall((:jlcache_session_clear_memo, libjlcache), Cvoid, (Ptr{jlcache_session},), s)

# Callback typedefs, as `@cfunction` must spell them:
#   jlcache_clone_targets_fn:    Int32 (Ptr{Cvoid}, Ptr{UInt8}, Csize_t)
#   jlcache_preferences_hash_fn: Int32 (Ptr{Cvoid}, Cstring, Ptr{Cstring}, Csize_t, Ptr{UInt64})
#   jlcache_progress_fn:         Cvoid (Ptr{Cvoid}, Cstring)
# The checker compares every `@cfunction` tagged with one of these names.

jlcache_session_set_clone_targets_callback(s, fn, user_data) =
    ccall((:jlcache_session_set_clone_targets_callback, libjlcache), jlcache_status,
          (Ptr{jlcache_session}, Ptr{Cvoid}, Ptr{Cvoid}), s, fn, user_data)

jlcache_session_set_preferences_hash_callback(s, fn, user_data) =
    ccall((:jlcache_session_set_preferences_hash_callback, libjlcache), jlcache_status,
          (Ptr{jlcache_session}, Ptr{Cvoid}, Ptr{Cvoid}), s, fn, user_data)

# ---------------------------------------------------------------- verdicts

const jlcache_verdict_kind_t = Int32
const JLCACHE_FRESH = Int32(0)
const JLCACHE_STALE = Int32(1)
const JLCACHE_UNKNOWN = Int32(2)

mutable struct jlcache_verdict end
mutable struct jlcache_verdict_list end

struct jlcache_reason
    code::Cstring
    detail::Cstring
    cache::Cstring
    dependency::Cstring
end

jlcache_session_isstale(s, package, out) =
    ccall((:jlcache_session_isstale, libjlcache), jlcache_status,
          (Ptr{jlcache_session}, Cstring, Ptr{Ptr{jlcache_verdict}}), s, package, out)

jlcache_session_status(s, out) =
    ccall((:jlcache_session_status, libjlcache), jlcache_status,
          (Ptr{jlcache_session}, Ptr{Ptr{jlcache_verdict_list}}), s, out)

jlcache_verdict_touch(v) =
    ccall((:jlcache_verdict_touch, libjlcache), jlcache_status, (Ptr{jlcache_verdict},), v)

jlcache_verdict_free(v) =
    ccall((:jlcache_verdict_free, libjlcache), Cvoid, (Ptr{jlcache_verdict},), v)

jlcache_verdict_kind(v) =
    ccall((:jlcache_verdict_kind, libjlcache), jlcache_verdict_kind_t, (Ptr{jlcache_verdict},), v)

jlcache_verdict_package(v) =
    ccall((:jlcache_verdict_package, libjlcache), Cstring, (Ptr{jlcache_verdict},), v)

jlcache_verdict_uuid(v) =
    ccall((:jlcache_verdict_uuid, libjlcache), Cstring, (Ptr{jlcache_verdict},), v)

jlcache_verdict_cache(v) =
    ccall((:jlcache_verdict_cache, libjlcache), Cstring, (Ptr{jlcache_verdict},), v)

jlcache_verdict_reason_count(v) =
    ccall((:jlcache_verdict_reason_count, libjlcache), Csize_t, (Ptr{jlcache_verdict},), v)

jlcache_verdict_reason_at(v, i, out) =
    ccall((:jlcache_verdict_reason_at, libjlcache), jlcache_status,
          (Ptr{jlcache_verdict}, Csize_t, Ptr{jlcache_reason}), v, i, out)

jlcache_verdict_to_json(v, out_json) =
    ccall((:jlcache_verdict_to_json, libjlcache), jlcache_status,
          (Ptr{jlcache_verdict}, Ptr{Cstring}), v, out_json)

jlcache_verdict_list_count(l) =
    ccall((:jlcache_verdict_list_count, libjlcache), Csize_t, (Ptr{jlcache_verdict_list},), l)

jlcache_verdict_list_at(l, i) =
    ccall((:jlcache_verdict_list_at, libjlcache), Ptr{jlcache_verdict},
          (Ptr{jlcache_verdict_list}, Csize_t), l, i)

jlcache_verdict_list_free(l) =
    ccall((:jlcache_verdict_list_free, libjlcache), Cvoid, (Ptr{jlcache_verdict_list},), l)

# -------------------------------------------------------------- precompile

const jlcache_precompile_result = Int32
const JLCACHE_PRECOMPILE_FRESH = Int32(0)
const JLCACHE_PRECOMPILE_STALE = Int32(1)
const JLCACHE_PRECOMPILE_UNKNOWN = Int32(2)
const JLCACHE_PRECOMPILE_FAILED = Int32(3)
const JLCACHE_PRECOMPILE_TIMEOUT = Int32(4)

const JLCACHE_PRECOMPILE_OPTIONS_VERSION = UInt32(1)

struct jlcache_precompile_options
    version::UInt32
    timeout_seconds::Cdouble
    wait_for_other_runner::Int32
    jobs::Int32
    lock_stale_age::Cdouble
    progress::Ptr{Cvoid}
    progress_user_data::Ptr{Cvoid}
end

jlcache_precompile_options_init(options, version) =
    ccall((:jlcache_precompile_options_init, libjlcache), jlcache_status,
          (Ptr{jlcache_precompile_options}, UInt32), options, version)

mutable struct jlcache_precompile_report end

jlcache_session_precompile(s, names, n, options, out) =
    ccall((:jlcache_session_precompile, libjlcache), jlcache_status,
          (Ptr{jlcache_session}, Ptr{Cstring}, Csize_t, Ptr{jlcache_precompile_options},
           Ptr{Ptr{jlcache_precompile_report}}),
          s, names, n, options, out)

jlcache_precompile_report_free(r) =
    ccall((:jlcache_precompile_report_free, libjlcache), Cvoid,
          (Ptr{jlcache_precompile_report},), r)

jlcache_precompile_report_count(r) =
    ccall((:jlcache_precompile_report_count, libjlcache), Csize_t,
          (Ptr{jlcache_precompile_report},), r)

jlcache_precompile_report_result_at(r, i) =
    ccall((:jlcache_precompile_report_result_at, libjlcache), jlcache_precompile_result,
          (Ptr{jlcache_precompile_report}, Csize_t), r, i)

jlcache_precompile_report_verdict_at(r, i) =
    ccall((:jlcache_precompile_report_verdict_at, libjlcache), Ptr{jlcache_verdict},
          (Ptr{jlcache_precompile_report}, Csize_t), r, i)

jlcache_precompile_report_launched(r) =
    ccall((:jlcache_precompile_report_launched, libjlcache), Int32,
          (Ptr{jlcache_precompile_report},), r)

jlcache_precompile_report_exit_status(r) =
    ccall((:jlcache_precompile_report_exit_status, libjlcache), Int32,
          (Ptr{jlcache_precompile_report},), r)

jlcache_precompile_report_output_tail(r) =
    ccall((:jlcache_precompile_report_output_tail, libjlcache), Cstring,
          (Ptr{jlcache_precompile_report},), r)

end # module LibJlcache
