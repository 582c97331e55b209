# Finding libjlcache. One chain, decided once per process:
#   1. the environment variable JLCACHE_LIB, if set and non-empty: a path (or a
#      name dlopen understands). If it cannot be loaded, the library is
#      unavailable; the system search path is NOT tried, so a test or a user
#      who points JLCACHE_LIB somewhere gets exactly that library or none.
#   2. otherwise "libjlcache" through the system library search path (where
#      `cmake --install` puts it, e.g. /usr/local/lib; run `ldconfig` after).
# A library whose jlcache_abi_version() differs from the one this package was
# written for is treated as unavailable.

struct LibraryState
    path::String    # "" when unavailable
    problem::String # why it is unavailable; "" when it is fine
end

const LIBRARY_LOCK = ReentrantLock()
const LIBRARY_STATE = Ref{Union{Nothing,LibraryState}}(nothing)

# (handle, path, "") for a loadable libjlcache of this package's ABI, else
# (nothing, "", why not). Touches no state: also used while precompiling.
function _open_library()
    requested = get(ENV, "JLCACHE_LIB", "")
    source = isempty(requested) ? "libjlcache (system library search path)" : "JLCACHE_LIB=$(requested)"
    candidate = isempty(requested) ? "libjlcache" : requested
    handle = Libdl.dlopen(candidate, Libdl.RTLD_LAZY | Libdl.RTLD_LOCAL; throw_error=false)
    handle === nothing && return (nothing, "", "cannot load $(source)")
    path = Libdl.dlpath(handle)
    abi_fn = Libdl.dlsym(handle, :jlcache_abi_version; throw_error=false)
    abi_fn === nothing && return (nothing, "", "$(path) has no jlcache_abi_version: not libjlcache")
    abi = ccall(abi_fn, Int32, ())
    if abi != LibJlcache.JLCACHE_ABI_VERSION
        return (nothing, "", "$(path) has ABI version $(abi); this FastEverywhere needs " *
                             "$(LibJlcache.JLCACHE_ABI_VERSION)")
    end
    return (handle, path, "")
end

function _find_library()::LibraryState
    handle, path, problem = _open_library()
    handle === nothing && return LibraryState("", problem)
    LibJlcache.set_library_path!(path)
    return LibraryState(path, "")
end

function _library_state()::LibraryState
    state = LIBRARY_STATE[]
    state === nothing || return state
    return lock(LIBRARY_LOCK) do
        s = LIBRARY_STATE[]
        if s === nothing
            s = try
                _find_library()
            catch err
                LibraryState("", "loading libjlcache failed: " * sprint(showerror, err))
            end
            LIBRARY_STATE[] = s
        end
        s
    end
end

"""
    FastEverywhere.library_path() -> Union{String,Nothing}

The path of the libjlcache this process uses, or `nothing` when it cannot be
loaded (see [`FastEverywhere.library_problem`](@ref)). Looked up once per
process: `ENV["JLCACHE_LIB"]` if set, otherwise `libjlcache` on the system
library search path.
"""
function library_path()
    s = _library_state()
    return isempty(s.path) ? nothing : s.path
end

"""
    FastEverywhere.library_problem() -> String

Why libjlcache is unavailable, or `""` when it is loaded.
"""
library_problem() = _library_state().problem

library_available() = !isempty(_library_state().path)

function _require_library()
    s = _library_state()
    isempty(s.path) && throw(LibraryUnavailable(s.problem))
    return s.path
end

"""
    FastEverywhere.jlcache_version() -> VersionNumber

Version of the loaded libjlcache.
"""
jlcache_version() = (_require_library(); VersionNumber(unsafe_string(LibJlcache.jlcache_version_string())))

function _warn_library_unavailable()
    @warn "FastEverywhere: libjlcache is not available ($(library_problem())); `@everywhere` " *
          "loads packages in Distributed's order (the caller first, then the workers). Set " *
          "JLCACHE_LIB to the library's path, or install it where the system finds it." maxlog = 1 _id = :fasteverywhere_no_library
end
