# A jlcache session for one runtime, owned by Julia (freed by a finalizer).

mutable struct Session
    ptr::Ptr{LibJlcache.jlcache_session}
    runtime::RuntimeInfo
    clone_callback::Bool
    preferences_callback::Bool
    lock::ReentrantLock
end

function _free!(s::Session)
    if s.ptr != C_NULL
        LibJlcache.jlcache_session_free(s.ptr)
        s.ptr = C_NULL
    end
    return nothing
end

"""
    Session(runtime = runtime_info(); clone_callback, preferences_callback)

Opens a libjlcache session that answers for `runtime`. The callbacks ask this
process (its CPU, its preferences); they are registered only where this
process's answer is the runtime's answer (by default: exactly when `runtime`
describes a process like this one). Without a callback, jlcache answers from
what it can read, and says "unknown" where it cannot.
"""
function Session(r::RuntimeInfo=runtime_info();
                 clone_callback::Bool=_clone_callback_exact(r, _here()),
                 preferences_callback::Bool=_preferences_callback_exact(r, _here()))
    rt = _new_runtime_handle(r)
    out = Ref{Ptr{LibJlcache.jlcache_session}}(C_NULL)
    try
        _check(LibJlcache.jlcache_session_open(rt, C_NULL, out), :jlcache_session_open)
    finally
        LibJlcache.jlcache_runtime_free(rt)
    end
    s = Session(out[], r, clone_callback, preferences_callback, ReentrantLock())
    finalizer(_free!, s)
    clone_fn, prefs_fn = _callback_pointers()
    if clone_callback
        _check(LibJlcache.jlcache_session_set_clone_targets_callback(s.ptr, clone_fn, C_NULL),
               :jlcache_session_set_clone_targets_callback)
    end
    if preferences_callback
        _check(LibJlcache.jlcache_session_set_preferences_hash_callback(s.ptr, prefs_fn, C_NULL),
               :jlcache_session_set_preferences_hash_callback)
    end
    return s
end

# This process's fixed facts, probed once (they cannot change).
const PROCESS_FACTS = Ref{Any}(nothing)
function _here()
    facts = PROCESS_FACTS[]
    if facts === nothing
        facts = PROCESS_FACTS[] = _probe_process()
    end
    return RuntimeInfo(facts, _probe_environment())
end

# Sessions are cheap to keep and keep their content-hash memo, so one is kept
# per runtime (environment included: a Pkg.activate gets a new one).
const SESSIONS = Dict{RuntimeInfo,Session}()
const SESSIONS_LOCK = ReentrantLock()
const MAX_SESSIONS = 8

function _session_for(r::RuntimeInfo)
    lock(SESSIONS_LOCK) do
        s = get(SESSIONS, r, nothing)
        if s === nothing
            # Dropped sessions are freed by their finalizers once no task uses them.
            length(SESSIONS) >= MAX_SESSIONS && empty!(SESSIONS)
            s = SESSIONS[r] = Session(r)
        end
        s
    end
end

# Runs f(session_ptr) with the session locked and its verdict memo cleared, so
# files edited since the last call are seen (the content-hash memo stays: it
# is keyed by size and mtime).
function _with_session(f, s::Session)
    lock(s.lock) do
        s.ptr == C_NULL && error("FastEverywhere: session was freed")
        LibJlcache.jlcache_session_clear_memo(s.ptr)
        f(s.ptr)
    end
end

# Calls f() with this thread in a GC-safe state, for the jlcache calls that
# may run our callbacks on jlcache's threads (jlcache_session_isstale, jlcache_session_status,
# jlcache_session_precompile). f must only make the ccall: every argument already
# converted and rooted by the caller, nothing allocated. Same technique as
# CUDA.jl's gcsafe_ccall; jl_gc_safe_enter/leave are exported by libjulia
# (src/jlapi.c at 1.10.4 and 1.11.7).
@inline function _gc_safe(f)
    state = ccall(:jl_gc_safe_enter, Int8, ())
    try
        return f()
    finally
        ccall(:jl_gc_safe_leave, Cvoid, (Int8,), state)
    end
end
