# The runtime profile jlcache needs, read from a live Julia process.
#
# The fixed facts of a process (version, binary, sysimage modules, cache
# flags, CPU target, ...) are collected by libjlcache's own probe script
# (lib/env/probe_script.jl, handed out by `jlcache_probe_script()`): one
# script for the library's `jlcache probe` and for this package, so the two
# cannot drift apart. The script is fetched while this package precompiles
# (the library is then an include_dependency, so a changed library
# recompiles this package) and compiled into `_probe_process()`; at run time
# the loaded library's script is compared with it, and a different one is
# evaluated instead. Where the library is not found while precompiling, the
# script is fetched and evaluated on first use.
#
# The probes are expressions: `@everywhere` asks workers that may not have
# FastEverywhere loaded, so the same code is evaluated there with
# `Core.eval(Main, probe)` (the remotecall_eval path). They use only Base.
# Facts and where they come from: see lib/env/probe_script.jl and
# docs/runtime-profile.md (verified against Julia's base/ and src/, see
# docs/julia-internals.md). The process's identity (hostname, pid) is added
# here: it is not a fact of the runtime.

# The script's text output ("JLCACHE <key> <hex or number>..." lines) as the
# NamedTuple RuntimeInfo takes. Only Base, fully qualified: it is evaluated
# in a worker's Main.
const _DECODE_PROBE_OUTPUT = quote
    function (text::Base.String)
        fields = Base.Dict{Base.String,Base.String}()
        modules = Base.Tuple{Base.String,Base.String,Base.UInt64,Base.UInt64}[]
        unhex(h) = Base.String(Base.hex2bytes(h))
        for line in Base.eachsplit(text, '\n')
            Base.startswith(line, "JLCACHE ") || continue
            f = Base.split(line, ' ')
            Base.length(f) >= 2 || continue
            if f[2] == "sysimage" && Base.length(f) >= 5
                id = Base.parse(Base.UInt128, f[5])
                Base.push!(modules, (unhex(f[3]), f[4] == "-" ? "" : Base.String(f[4]),
                                     Base.UInt64(id >> 64), Base.UInt64(id & 0xffffffffffffffff)))
            else
                fields[Base.String(f[2])] = Base.length(f) >= 3 ? Base.String(f[3]) : ""
            end
        end
        Base.haskey(fields, "done") || Base.error("FastEverywhere: incomplete output of jlcache's probe script")
        str(k) = unhex(Base.get(fields, k, ""))
        (hostname = Base.gethostname(),
         pid = Base.Int(Base.getpid()),
         julia_version = str("version"),
         git_branch = str("git_branch"),
         git_commit = str("git_commit"),
         os = str("os"),
         arch = str("arch"),
         pointer_size = Base.parse(Base.Int, fields["pointer_size"]),
         julia_bin = str("julia_bin"),
         image_file = str("image_file"),
         cpu_target = str("cpu_target"),
         stdlib_dir = str("stdlib_dir"),
         build_stdlib_dir = str("build_stdlib_dir"),
         bindir = str("bindir"),
         use_pkgimages = Base.parse(Base.Int, fields["pkgimages"]),
         cache_flags = Base.parse(Base.UInt8, fields["cache_flags"]),
         sysimage_modules = modules)
    end
end

# The expression that runs the probe script (the parsed text of
# jlcache_probe_script(), an anonymous function f(io, scan_depots)) for this
# process's facts only, and decodes what it printed. `inline`: the script's
# function is spliced in (compiled with the method that holds it); otherwise
# it is evaluated in a fresh module (whose names are Base's whatever the
# caller's Main holds) and called in the newest world.
function _process_probe(script, inline::Bool)
    call = inline ? Expr(:call, script, :buf, false) :
           :(Base.invokelatest(Core.eval(Base.Module(:JlcacheProbe), $(QuoteNode(script))), buf, false))
    return quote
        let buf = Base.IOBuffer()
            $call
            ($_DECODE_PROBE_OUTPUT)(Base.String(Base.take!(buf)))
        end
    end
end

_parse_probe_script(text::String) = Meta.parse(text)

# The script of the library found while precompiling, or nothing.
function _probe_script_at_build()
    ccall(:jl_generating_output, Cint, ()) == 1 || return nothing
    handle, path, _ = _open_library()
    handle === nothing && return nothing
    fn = Libdl.dlsym(handle, :jlcache_probe_script; throw_error=false)
    fn === nothing && return nothing
    include_dependency(path)
    return unsafe_string(ccall(fn, Cstring, ()))
end

const PROBE_SCRIPT_AT_BUILD = _probe_script_at_build()
const PROBE_EXPR_AT_BUILD = PROBE_SCRIPT_AT_BUILD === nothing ? nothing :
                            _parse_probe_script(PROBE_SCRIPT_AT_BUILD)

if PROBE_EXPR_AT_BUILD === nothing
    _probe_process_built() = error("FastEverywhere: no probe script was found while precompiling")
else
    @eval _probe_process_built() = $(_process_probe(PROBE_EXPR_AT_BUILD, true))
end

# What the script prints, decoded (the type the precompile statements name).
const ProcessFacts = @NamedTuple{hostname::String, pid::Int, julia_version::String, git_branch::String,
                                 git_commit::String, os::String, arch::String, pointer_size::Int,
                                 julia_bin::String, image_file::String, cpu_target::String,
                                 stdlib_dir::String, build_stdlib_dir::String, bindir::String,
                                 use_pkgimages::Int, cache_flags::UInt8,
                                 sysimage_modules::Vector{Tuple{String,String,UInt64,UInt64}}}

# The loaded library's probe script (once per process; __init__ resets it).
# While this package precompiles, the one fetched then, without asking the
# library (the workload must not depend on it).
const PROBE_SCRIPT = Ref{Union{Nothing,String}}(nothing)
function _probe_script()::String
    script = PROBE_SCRIPT[]
    script === nothing || return script
    if ccall(:jl_generating_output, Cint, ()) == 1 && PROBE_SCRIPT_AT_BUILD !== nothing
        return PROBE_SCRIPT_AT_BUILD
    elseif library_available()
        script = unsafe_string(LibJlcache.jlcache_probe_script())
    elseif PROBE_SCRIPT_AT_BUILD !== nothing
        script = PROBE_SCRIPT_AT_BUILD   # the library is gone: the one it had
    else
        _require_library()   # throws LibraryUnavailable
    end
    return PROBE_SCRIPT[] = script
end

_probe_expr(script::String) =
    script == PROBE_SCRIPT_AT_BUILD ? PROBE_EXPR_AT_BUILD : _parse_probe_script(script)

# Facts fixed for the life of a process: asked once per worker.
function _probe_process()::ProcessFacts
    script = _probe_script()
    script == PROBE_SCRIPT_AT_BUILD && return _probe_process_built()
    # A library other than the one this package was precompiled with: its
    # script, evaluated in a module of its own.
    return Core.eval(Base.Module(:JlcacheProbe), _process_probe(_parse_probe_script(script), true))
end

# What a worker evaluates for its fixed facts (see _facts_request).
_process_probe_request() = _process_probe(_probe_expr(_probe_script()), false)

# Facts a process may change (Pkg.activate, pushfirst!(DEPOT_PATH, ...)):
# asked on every `@everywhere`. No loop and no ccall, so the interpreter runs
# it on a worker without compiling anything.
const ENVIRONMENT_PROBE = quote
    (depot_path = Base.copy(Base.DEPOT_PATH),
     load_path = Base.load_path(),
     active_project = Base.something(Base.active_project(), ""))
end

@eval _probe_environment() = $ENVIRONMENT_PROBE

"""
    RuntimeInfo

What jlcache must know about one Julia process to answer as that process
would: the installation (version, binary, sysimage and its modules' build ids,
cache flags, CPU target) and the environment (depot path, load path, active
project). Plain data: it travels between processes.
"""
struct RuntimeInfo
    hostname::String
    os_pid::Int
    julia_version::String
    git_branch::String
    git_commit::String
    os::String
    arch::String
    pointer_size::Int
    julia_bin::String
    image_file::String
    cpu_target::String
    stdlib_dir::String
    build_stdlib_dir::String
    bindir::String
    pkgimages::String          # "yes", "no" or "existing"
    cache_flags::UInt8
    sysimage_modules::Vector{Tuple{String,String,UInt64,UInt64}}  # name, uuid or "", build id hi, lo
    depot_path::Vector{String}
    load_path::Vector{String}
    active_project::String     # "" when there is none
end

# Value semantics (the default would compare the vectors by identity).
# Through group_key (below), which covers every field but the pid.
Base.:(==)(a::RuntimeInfo, b::RuntimeInfo) = a.os_pid == b.os_pid && group_key(a) == group_key(b)
Base.hash(r::RuntimeInfo, h::UInt) = hash(group_key(r), hash(r.os_pid, hash(:RuntimeInfo, h)))

_pkgimages_name(mode::Integer) = mode == 0 ? "no" : mode == 2 ? "existing" : "yes"

function RuntimeInfo(process, env)
    RuntimeInfo(String(process.hostname), Int(process.pid), String(process.julia_version),
                String(process.git_branch), String(process.git_commit), String(process.os),
                String(process.arch), Int(process.pointer_size), String(process.julia_bin),
                String(process.image_file), String(process.cpu_target), String(process.stdlib_dir),
                String(process.build_stdlib_dir), String(process.bindir),
                _pkgimages_name(process.use_pkgimages),
                UInt8(process.cache_flags),
                Tuple{String,String,UInt64,UInt64}[(String(a), String(b), UInt64(c), UInt64(d))
                                                   for (a, b, c, d) in process.sysimage_modules],
                String[String(x) for x in env.depot_path], String[String(x) for x in env.load_path],
                String(env.active_project))
end

"""
    FastEverywhere.runtime_info() -> RuntimeInfo

This process's runtime, as jlcache is told about it.
"""
runtime_info() = RuntimeInfo(_probe_process(), _probe_environment())

# Between the fields of group_key and of a worker's encoded facts
# (everywhere.jl): in no path, hostname or version string.
const _FACT_SEP = '\0'

# Processes with the same key get the same answer from jlcache, so one check
# (and one precompile) serves them all: everything jlcache is told about a
# process except its pid. A coarser key (machine, first depot, binary, cache
# flags) would check one member's load path, active project, sysimage and
# CPU target for all of them, and a member whose `using` resolves to other
# packages, or whose sysimage differs (`-J`), would load caches nobody
# checked. Groups that share a depot still compile each package once: the
# depot's lock picks one runner (lib/precompile).
# (A String built field by field: a generic fold over the fields, or a
# Tuple of them as a Dict key, compiles hashing and comparison of their types
# at first use, ~0.5 s measured on 1.11.7.)
function group_key(r::RuntimeInfo)::String
    parts = String[r.hostname, r.julia_version, r.git_branch, r.git_commit, r.os, r.arch,
                   string(r.pointer_size), r.julia_bin, r.image_file, r.cpu_target, r.stdlib_dir,
                   r.build_stdlib_dir, r.bindir, r.pkgimages, string(r.cache_flags),
                   string(length(r.sysimage_modules))]
    for (name, uuid, hi, lo) in r.sysimage_modules
        push!(parts, name, uuid, string(hi), string(lo))
    end
    push!(parts, string(length(r.depot_path)))
    append!(parts, r.depot_path)
    push!(parts, string(length(r.load_path)))
    append!(parts, r.load_path)
    push!(parts, r.active_project)
    return join(parts, _FACT_SEP)
end

# Whether this process's callbacks answer exactly for `r`. Clone targets are
# checked by the running julia against the running CPU: same machine, binary,
# sysimage and CPU target. Preference hashes come from the environments on
# the load path: same machine, load path and active project.
function _clone_callback_exact(r::RuntimeInfo, here::RuntimeInfo)
    r.hostname == here.hostname && r.julia_bin == here.julia_bin &&
        r.image_file == here.image_file && r.cpu_target == here.cpu_target
end

function _preferences_callback_exact(r::RuntimeInfo, here::RuntimeInfo)
    r.hostname == here.hostname && r.load_path == here.load_path &&
        r.active_project == here.active_project
end

# A jlcache_runtime built with the setters. Caller frees it with
# jlcache_runtime_free (the session copies what it needs).
function _new_runtime_handle(r::RuntimeInfo)
    _require_library()
    out = Ref{Ptr{LibJlcache.jlcache_runtime}}(C_NULL)
    _check(LibJlcache.jlcache_runtime_new(out), :jlcache_runtime_new)
    rt = out[]
    try
        for (key, value) in (("julia_version", r.julia_version), ("git_branch", r.git_branch),
                             ("git_commit", r.git_commit), ("os", r.os), ("arch", r.arch),
                             ("julia_bin", r.julia_bin), ("image_file", r.image_file),
                             ("cpu_target", r.cpu_target), ("stdlib_dir", r.stdlib_dir),
                             ("build_stdlib_dir", r.build_stdlib_dir), ("bindir", r.bindir),
                             ("pkgimages", r.pkgimages))
            _check(LibJlcache.jlcache_runtime_set_string(rt, key, value), :jlcache_runtime_set_string)
        end
        if !isempty(r.active_project)
            _check(LibJlcache.jlcache_runtime_set_string(rt, "active_project", r.active_project),
                   :jlcache_runtime_set_string)
        end
        _check(LibJlcache.jlcache_runtime_set_int(rt, "pointer_size", Int64(r.pointer_size)),
               :jlcache_runtime_set_int)
        _check(LibJlcache.jlcache_runtime_set_int(rt, "cache_flags", Int64(r.cache_flags)),
               :jlcache_runtime_set_int)
        for depot in r.depot_path
            _check(LibJlcache.jlcache_runtime_add_string(rt, "depot_path", depot), :jlcache_runtime_add_string)
        end
        for env in r.load_path
            _check(LibJlcache.jlcache_runtime_add_string(rt, "load_path", env), :jlcache_runtime_add_string)
        end
        for (name, uuid, hi, lo) in r.sysimage_modules
            uuid_arg = isempty(uuid) ? Cstring(C_NULL) : uuid
            _check(LibJlcache.jlcache_runtime_add_sysimage_module(rt, name, uuid_arg, hi, lo),
                   :jlcache_runtime_add_sysimage_module)
        end
        _check(LibJlcache.jlcache_runtime_validate(rt), :jlcache_runtime_validate)
    catch
        LibJlcache.jlcache_runtime_free(rt)
        rethrow()
    end
    return rt
end
