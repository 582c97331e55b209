"""
    FastEverywhere

A drop-in `@everywhere` that loads packages on the calling process and all
workers at the same time, after making sure (once per group of processes that
share a depot) that their precompile caches are fresh. Built on libjlcache,
which answers "is this package's cache stale?" exactly as Julia would, without
running Julia.

    using Distributed
    using FastEverywhere: @everywhere

Also: [`FastEverywhere.isstale`](@ref), [`FastEverywhere.precompile_if_stale`](@ref),
[`FastEverywhere.status`](@ref). Nothing is exported, so `@everywhere` never
clashes with Distributed's.

The library is `ENV["JLCACHE_LIB"]` if set, otherwise `libjlcache` from the
system library search path; see [`FastEverywhere.library_path`](@ref).
"""
module FastEverywhere

# Imported, not `using`: Distributed exports its own @everywhere, which this
# module defines under the same name.
import Distributed
import Libdl

include("LibJlcache.jl")

include("errors.jl")
include("library.jl")
include("runtime.jl")
include("callbacks.jl")
include("session.jl")
include("verdicts.jl")
include("precompile.jl")
include("everywhere.jl")
include("warmup.jl")
include("workload.jl")

function __init__()
    # Everything that depends on the running process is (re)made lazily:
    # the library lookup, the callback pointers, the sessions.
    LIBRARY_STATE[] = nothing
    PROCESS_FACTS[] = nothing
    PROBE_SCRIPT[] = nothing
    CLONE_TARGETS_CALLBACK[] = C_NULL
    PREFERENCES_HASH_CALLBACK[] = C_NULL
    empty!(SESSIONS)
    empty!(WORKER_FACTS)
    empty!(TIMINGS)   # the precompile workload's, saved in the image
    # Distributed's message path, compiled in the background (warmup.jl).
    _start_warming()
    return nothing
end

end # module FastEverywhere
