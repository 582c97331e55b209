# The runtime profile jlcache needs, read from a live Julia process.
#
# The probes are expressions, not functions: `@everywhere` asks workers that
# may not have FastEverywhere loaded, so the same code is evaluated there with
# `Core.eval(Main, probe)` (the remotecall_eval path) and compiled here into
# `_probe_process()` / `_probe_environment()`. They use only Base.
#
# Facts and where they come from (verified against base/ and src/ at Julia
# 1.10.4 48d4fd48 and 1.11.7 4d2dcd0d, see docs/julia-internals.md):
#   julia_version   jl_ver_string(): JULIA_VERSION_STRING, what write_header
#                   stores (VERSION may carry a build number on dev builds)
#   git_branch/commit  Base.GIT_VERSION_INFO.branch/.commit (jl_git_branch/_commit)
#   os, arch        Sys.KERNEL ("Linux", "Darwin", "NT"), Sys.ARCH: JL_BUILD_UNAME/_ARCH
#   julia_bin, image_file  Base.JLOptions() fields (C strings)
#   cpu_target      ENV["JULIA_CPU_TARGET"] if set, else JLOptions().cpu_target,
#                   exactly as compilecache_path hashes it
#   stdlib_dir, build_stdlib_dir, bindir  Sys.STDLIB, Sys.BUILD_STDLIB_PATH, Sys.BINDIR
#   pkgimages       JLOptions().use_pkgimages: 0 no, 1 yes, 2 existing (1.11+)
#   cache_flags     ccall(:jl_cache_flags, UInt8, ())
#   sysimage modules  Base._sysimage_modules (filled from loaded_modules in
#                   Base.__init__), each with Base.module_build_id split in halves

# Facts fixed for the life of a process: asked once per worker.
const PROCESS_PROBE = quote
    let opts = Base.JLOptions(),
        cpu_env = Base.get(Base.ENV, "JULIA_CPU_TARGET", nothing),
        sysimage_ids = Base.isdefined(Base, :_sysimage_modules) ? Base.copy(Base._sysimage_modules) :
                       Base.collect(Base.keys(Base.loaded_modules)),
        modules = Base.Tuple{Base.String,Base.String,Base.UInt64,Base.UInt64}[]
        for m in (Core, Base, Main)
            id = Base.PkgId(m)
            id in sysimage_ids || Base.pushfirst!(sysimage_ids, id)
        end
        for id in sysimage_ids
            m = Base.get(Base.loaded_modules, id, nothing)
            m === nothing && continue
            build_id = Base.module_build_id(m)
            Base.push!(modules, (id.name, id.uuid === nothing ? "" : Base.string(id.uuid),
                                 Base.UInt64(build_id >> 64), Base.UInt64(build_id & 0xffffffffffffffff)))
        end
        (hostname = Base.gethostname(),
         pid = Base.getpid(),
         julia_version = Base.unsafe_string(ccall(:jl_ver_string, Cstring, ())),
         git_branch = Base.GIT_VERSION_INFO.branch,
         git_commit = Base.GIT_VERSION_INFO.commit,
         os = Base.string(Base.Sys.KERNEL),
         arch = Base.string(Base.Sys.ARCH),
         pointer_size = Base.Sys.WORD_SIZE ÷ 8,
         julia_bin = opts.julia_bin == C_NULL ? "" : Base.unsafe_string(opts.julia_bin),
         image_file = opts.image_file == C_NULL ? "" : Base.unsafe_string(opts.image_file),
         cpu_target = cpu_env !== nothing ? Base.String(cpu_env) :
                      opts.cpu_target == C_NULL ? "" : Base.unsafe_string(opts.cpu_target),
         stdlib_dir = Base.Sys.STDLIB,
         build_stdlib_dir = Base.Sys.BUILD_STDLIB_PATH,
         bindir = Base.Sys.BINDIR,
         use_pkgimages = Base.Int(opts.use_pkgimages),
         cache_flags = ccall(:jl_cache_flags, UInt8, ()),
         sysimage_modules = modules)
    end
end

# Facts a process may change (Pkg.activate, pushfirst!(DEPOT_PATH, ...)):
# asked on every `@everywhere`. No loop and no ccall, so the interpreter runs
# it on a worker without compiling anything.
const ENVIRONMENT_PROBE = quote
    (depot_path = Base.copy(Base.DEPOT_PATH),
     load_path = Base.load_path(),
     active_project = Base.something(Base.active_project(), ""))
end

@eval _probe_process() = $PROCESS_PROBE
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
Base.:(==)(a::RuntimeInfo, b::RuntimeInfo) =
    all(getfield(a, f) == getfield(b, f) for f in fieldnames(RuntimeInfo))
Base.hash(r::RuntimeInfo, h::UInt) =
    foldl((acc, f) -> hash(getfield(r, f), acc), fieldnames(RuntimeInfo); init=hash(:RuntimeInfo, h))

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

# Processes with the same key share compiled caches, so one precompile serves
# them all: same machine, same first depot (where caches are written), same
# julia binary, same cache flags.
group_key(r::RuntimeInfo) = (r.hostname, isempty(r.depot_path) ? "" : r.depot_path[1], r.julia_bin, r.cache_flags)

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
