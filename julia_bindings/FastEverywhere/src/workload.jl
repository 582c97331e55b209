# Precompiling FastEverywhere's own work, so that the first `@everywhere using`
# of a session compiles nothing of ours (issue 12: 5+ s of the first call were
# compiling this module's code on the master and on the workers).
#
# While this package precompiles (jl_generating_output), the code below runs
# the `@everywhere` path as far as it can without workers, network or the
# library: this process alone loading a package of the system image (so the
# library is not asked), a runtime question to a pid that does not exist (the
# request is built and fails before any I/O), the load requests of a
# worker. What a workload cannot reach (the library calls,
# the answers of a real worker) is covered by explicit `precompile`
# statements. Everything compiled here is saved in the package image; the
# test tests/julia/test_latency.jl checks with --trace-compile that a first
# `@everywhere using` compiles no method of FastEverywhere, on the master or
# on a worker.

const _NO_SUCH_PID = typemax(Int) ÷ 2

function _precompile_workload()
    me = Distributed.myid()
    # The macro, both forms, and the import analysis.
    macroexpand(@__MODULE__, :(@everywhere import Libdl))
    macroexpand(@__MODULE__, :(@everywhere [1] begin using Libdl end))
    _package_roots(_extract_imports(:(begin using A.B, C; using F: f; import D as E; using .R end)))

    # This process alone: Libdl is in the system image, so there is nothing
    # for jlcache to check (no library call), and it is already loaded here.
    imports = _extract_imports(:(import Libdl))
    importex = Expr(:toplevel, imports...)
    # (What the caller's expression then runs everywhere must not bind
    # anything in Main: this process's Main is closed while precompiling.)
    fullex = Expr(:toplevel, :(task_local_storage()[:SOURCE_PATH] = nothing), nothing)
    if Base.in_sysimage(Base.PkgId(Libdl))   # else the library would be asked
        _concurrent_order(@__MODULE__, [me], importex, fullex, _package_roots(imports))
    end
    # Already loaded here (the no-op path), and its request to a worker.
    if _all_loaded_here(@__MODULE__, [:Libdl])
        _run_where_loaded(@__MODULE__, [me], importex, fullex, [:Libdl])
    end
    _ask_if_loaded(_NO_SUCH_PID, _if_loaded_request([:Libdl], fullex))
    precompile(Tuple{_Call{typeof(_ask_if_loaded),Tuple{Int,Expr}}})
    fetch(_async(_eval_there, _NO_SUCH_PID, fullex))
    last_timings()

    # Runtimes: this process, and a pid nobody has (the question fails).
    # They need the library's probe script (lib/env/probe_script.jl), fetched
    # while precompiling when the library is found (runtime.jl).
    if PROBE_SCRIPT_AT_BUILD !== nothing
        runtimes = _runtimes([me, _NO_SUCH_PID])
        here = _here()
        here == runtimes[me] && hash(here) isa UInt
        # A worker's answers: FastEverywhere's (a String), or the probes'.
        r = RuntimeInfo(_decode_facts(_worker_facts_for(1))...)
        r == here   # (the tests check that it round-trips; precompiling must not fail on it)
        RuntimeInfo(_probe_process(), _decode_facts(_worker_facts_for(0))[2])
        _facts_question(true); _facts_request(true)
        RuntimeInfo(_probe_process(), _probe_environment())
        sessions = Dict{RuntimeInfo,Int}(r => 1)
        get(sessions, here, 0)
        groups = _groups([me, _NO_SUCH_PID], runtimes)
        foreach(_describe, groups)
        _prepare_groups(groups, String[])
        _clone_callback_exact(r, here) && _preferences_callback_exact(r, here)
    end

    # A worker's load requests, failing to be sent (no such pid).
    pkgids = Base.PkgId[Base.PkgId(Libdl)]
    for target in (true, false)
        request = _load_request(target, [:Libdl], pkgids)
        _finish_load(_NO_SUCH_PID, _send_load(_NO_SUCH_PID, request))
    end
    return nothing
end

function _precompile_statements()
    # Serialization and Sockets are Distributed's dependencies, not ours:
    # reached through it.
    Serializer = Distributed.ClusterSerializer{Distributed.Sockets.TCPSocket}
    Socket = Distributed.Sockets.TCPSocket
    all_facts = Tuple{ProcessFacts,typeof(_probe_environment())}
    env_facts = typeof(_probe_environment())
    # Callers' spellings of `procs`.
    for P in (Vector{Int}, Int, UnitRange{Int})
        precompile(_everywhere_with_imports, (Module, P, Vector{Any}, Expr, Nothing))
        precompile(_everywhere_with_imports, (Module, P, Vector{Any}, Expr, String))
        precompile(_concurrent_order, (Module, P, Expr, Expr, Vector{Symbol}))
        precompile(_distributed_order, (Module, P, Expr, Expr))
        precompile(_run_where_loaded, (Module, P, Expr, Expr, Vector{Symbol}))
        precompile(Distributed.remotecall_eval, (Module, P, Expr))
        precompile(_eval_everywhere, (P, Expr))
    end
    # The library (a workload would need it, and would write to the depot).
    precompile(last_timings, ())
    precompile(library_available, ())
    precompile(_find_library, ())
    precompile(_warn_library_unavailable, ())
    precompile(_session_for, (RuntimeInfo,))
    precompile(Session, (RuntimeInfo,))
    precompile(_new_runtime_handle, (RuntimeInfo,))
    precompile(_callback_pointers, ())
    precompile(_clone_targets_callback, (Ptr{Cvoid}, Ptr{UInt8}, Csize_t))
    precompile(_preferences_hash_callback, (Ptr{Cvoid}, Cstring, Ptr{Cstring}, Csize_t, Ptr{UInt64}))
    precompile(_precompile, (Session, Vector{String}))
    precompile(_prepare_group, (ProcessGroup, Vector{String}, RuntimeInfo))
    precompile(_prepare_here, (Vector{String},))
    precompile(_read_verdict, (Ptr{LibJlcache.jlcache_verdict},))
    precompile(_summary, (PrecompileReport,))
    precompile(allfresh, (PrecompileReport,))
    precompile(_free!, (Session,))
    # A worker's answer arriving here, and (where FastEverywhere is loaded
    # on the worker) leaving there.
    for T in (all_facts, env_facts)
        precompile(put!, (Distributed.RemoteValue, T))
        precompile(put!, (Channel{Any}, T))
        precompile(Distributed.serialize, (Serializer, T))
        precompile(Distributed.deliver_result, (Socket, Symbol, Distributed.RRID, T))
    end
    precompile(_worker_facts, (Bool,))
    # A worker's side of the message path, where FastEverywhere is loaded
    # there. Only these two stick in this image (on 1.11.7): handle_msg,
    # deliver_result and task_local_storage exist in Distributed's and Base's
    # images without native code, and a package image does not save native
    # code for another image's code instances (they still compile at first
    # use; see benchmarks/RESULTS.md section 11).
    precompile(Distributed.CallMsg{:call_fetch},
               (Function, Tuple{Module,Expr}, Base.Pairs{Symbol,Union{},Tuple{},NamedTuple{(),Tuple{}}}))
    precompile(Distributed.del_clients, (Vector{Any},))
    precompile(_worker_facts_for, (Int,))
    precompile(_facts_question, (Bool,))
    precompile(_facts_request, (Bool,))
    # A sent load, and its Future.
    precompile(_send_load, (Int, Expr))
    precompile(_finish_load, (Int, Distributed.Future))
    precompile(_finish_load, (Int, Distributed.RemoteException))
    precompile(Distributed.remotecall, (typeof(Core.eval), Int, Module, Expr))
    precompile(fetch, (Distributed.Future,))
    precompile(_eval_there, (Int, Expr))
    precompile(Distributed.remotecall_fetch, (typeof(Core.eval), Int, Module, Expr))
    # A worker compiling Distributed's side ahead (warmup.jl); what it
    # compiles is Distributed's, this is the code that asks for it.
    _warm_message_path(false)   # lists the signatures, compiles none of them
    precompile(_warm_message_path, ())
    precompile(_start_warming, ())
    precompile(_cancel_warming, ())
    precompile(_message_path_signatures, ())
    precompile(_closure_signatures!, (Vector{Any}, Any))
    precompile(_argument_type, (Core.CodeInfo, Any))
    precompile(_is_closure_type, (Any,))
    precompile(_leads_to_closures, (Any,))
    precompile(_seen, (Vector{Any}, Any))
    precompile(any, (typeof(_is_closure_type), Core.SimpleVector))
    precompile(_spawn, (typeof(_warm_message_path),))
    precompile(Tuple{_Call{typeof(_warm_message_path),Tuple{}}})
    return nothing
end

if ccall(:jl_generating_output, Cint, ()) == 1
    _precompile_workload()
    _precompile_statements()
end
