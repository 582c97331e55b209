# Distributed's message path, compiled ahead in the background.
#
# Distributed compiles its handling of each message kind the first time a
# process sends or gets one. On 1.11.7, in the first `@everywhere using`
# (FastEverywhere's `remotecall_fetch` and `remotecall` of `Core.eval(Main,
# ::Expr)`, a Future's fetch, String answers) that was ~20 methods on the
# caller (`remotecall_fetch` and its keyword body, `serialize_msg`, `put!`,
# ...) and ~15 on each worker (`handle_msg` for the kind, the closures it
# runs in a task, `deliver_result`, `schedule_call`), ~300 ms of the line.
# Those methods belong to Distributed's image, so FastEverywhere's image
# cannot carry their native code (a package image keeps native code only
# for code instances it owns). So every process that loads FastEverywhere
# compiles them in a task of its own, one signature at a time, yielding in
# between: the caller while it waits anyway (for `addprocs`, or for
# Distributed's package callback loading FastEverywhere on the workers), a
# worker right after that callback loaded it there. The closures are found
# in the typed code of the methods that make them, and keyword bodies with
# Base.bodyfunction: their names are Distributed's own and change between
# versions.
#
# Compiling is all it does: no message, no state of Distributed touched. Any
# failure (another Distributed, renamed internals) only means less compiled
# ahead. tests/julia/test_latency.jl checks with --trace-compile that, once
# the caller's warm-up has ended, the first `@everywhere using` compiles
# nothing of Distributed's on the caller.

# Empty keyword arguments, as a deserialized message holds them.
const _NO_KWARGS = typeof(Base.pairs((;)))

# A function's signature, and its keyword body's when it has one.
function _with_keyword_body!(sigs::Vector{Any}, @nospecialize(sig))
    push!(sigs, sig)
    try
        body = Base.bodyfunction(which(sig))
        body === nothing || push!(sigs, Tuple{Core.Typeof(body),_NO_KWARGS,sig.parameters...})
    catch
    end
    return sigs
end

# What process 1 sends and receives, over streams of type IOT (LocalManager's
# and SSHManager's are TCPSockets; a custom ClusterManager's may differ).
function _caller_signatures!(sigs::Vector{Any}, ::Type{IOT}) where {IOT}
    D = Distributed
    S, RRID, Worker = D.ClusterSerializer{IOT}, D.RRID, D.Worker
    _with_keyword_body!(sigs, Tuple{typeof(D.remotecall_fetch),Function,Worker,Module,Vararg{Any}})
    _with_keyword_body!(sigs, Tuple{typeof(D.remotecall),Function,Worker,Module,Vararg{Any}})
    _with_keyword_body!(sigs, Tuple{typeof(D.remotecall_fetch),Function,Worker,RRID})
    append!(sigs, Any[
        Tuple{typeof(D.serialize_msg),S,D.CallMsg{:call_fetch}},
        Tuple{typeof(D.serialize_msg),S,D.CallMsg{:call}},
        Tuple{typeof(D.serialize),S,Tuple{Module,Expr}},
        Tuple{typeof(D.serialize),S,Tuple{RRID}},
        Tuple{typeof(D.serialize),S,Tuple{RRID,Int}},
        Tuple{typeof(D.serialize),S,Tuple{Vector{Any}}},
        Tuple{typeof(D.serialize),S,Bool},
        Tuple{typeof(D.flush_gc_msgs),Worker},
        Tuple{typeof(D.flush_gc_msgs)},
        Tuple{typeof(D.process_worker),D.Future},   # a Future's finalizer
        Tuple{typeof(take!),Channel{Any}},
        Tuple{Type{Some},String},
        # This module's own calls that Base's image holds without native
        # code (so this image cannot either).
        Tuple{typeof(push!),Vector{Symbol},Symbol},
        Tuple{typeof(Base._array_for),Type{Tuple{Symbol,Base.PkgId}},Base.HasShape{1},Tuple{Base.OneTo{Int}}},
    ])
    return sigs
end

# What a worker receives from process 1 and answers, over its own streams.
function _worker_signatures!(sigs::Vector{Any}, master)
    D = Distributed
    R, W = typeof(master.r_stream), typeof(master.w_stream)
    S = typeof(master.w_serializer)
    H, V, RRID = D.MsgHeader, VersionNumber, D.RRID
    append!(sigs, Any[
        Tuple{typeof(D.handle_msg),D.CallMsg{:call_fetch},H,R,W,V},
        Tuple{typeof(D.handle_msg),D.CallMsg{:call},H,R,W,V},
        Tuple{Type{D.CallMsg{:call_fetch}},Function,Tuple{Module,Expr},_NO_KWARGS},
        Tuple{Type{D.CallMsg{:call}},Function,Tuple{Module,Expr},_NO_KWARGS},
        Tuple{Type{D.CallMsg{:call_fetch}},Function,Tuple{RRID},_NO_KWARGS},
        Tuple{typeof(D.deliver_result),W,Symbol,RRID,String},
        Tuple{typeof(D.serialize_msg),S,D.ResultMsg},
        Tuple{typeof(D.serialize),S,String},
        Tuple{typeof(getproperty),D.RemoteValue,Symbol},
    ])
    # What a worker's own `using` resolves names with (the no-op line's check).
    isdefined(Base, :identify_package_env) &&
        push!(sigs, Tuple{typeof(Base.identify_package_env),Module,String})
    return sigs
end

# The signatures to compile in this process: the caller's side on process 1,
# a worker's side elsewhere (once process 1 is connected).
function _message_path_signatures()
    D = Distributed
    sigs = Any[]
    if D.myid() == 1
        streams = Any[D.Sockets.TCPSocket]
        for w in values(D.map_pid_wrkr)
            w isa D.Worker && isdefined(w, :w_stream) && (T = typeof(w.w_stream); any(==(T), streams) || push!(streams, T))
        end
        foreach(T -> _caller_signatures!(sigs, T), streams)
    else
        master = get(D.map_pid_wrkr, 1, nothing)
        master isa D.Worker || return sigs
        _worker_signatures!(sigs, master)
    end
    # Both sides: a Future's value and a String answer arriving, and the
    # first statement of every expression `@everywhere` runs.
    append!(sigs, Any[
        Tuple{typeof(put!),D.RemoteValue,String},
        Tuple{typeof(put!),Channel{Any},String},
        Tuple{typeof(task_local_storage)},
        Tuple{typeof(get),IdDict{Any,Any},Any,Any},
    ])
    return sigs
end

# A closure made in Distributed's code: a function type with captured
# fields, named by lowering ("#117#119"). (A named function's type is
# "#f" too, but has no fields.)
_is_closure_type(@nospecialize(T)) =
    T isa DataType && isconcretetype(T) && T <: Function && fieldcount(T) > 0 &&
    startswith(String(nameof(T)), "#")

_widened(@nospecialize(t)) = Core.Compiler.widenconst(t)

function _argument_type(ci::Core.CodeInfo, @nospecialize(x))
    x isa Core.SSAValue && return _widened(ci.ssavaluetypes[x.id])
    x isa Core.SlotNumber && return _widened(ci.slottypes[x.id])
    x isa Core.Argument && return _widened(ci.slottypes[x.n])
    x isa GlobalRef && return isconst(x.mod, x.name) ? Core.Typeof(getglobal(x.mod, x.name)) : Any
    x isa QuoteNode && return Core.Typeof(x.value)
    return Core.Typeof(x)
end

# Where a closure's code runs: its own call (Tuple{C}), and calls of
# Distributed's functions that get one as an argument (schedule_call,
# run_work_thunk). Pushes those signatures, found in the typed body of `sig`.
function _closure_signatures!(found::Vector{Any}, @nospecialize(sig))
    for (ci, _) in Base.code_typed_by_type(sig; optimize=false)
        ci isa Core.CodeInfo || continue
        for (i, st) in enumerate(ci.code)
            Meta.isexpr(st, :(=)) && (st = st.args[2])
            st isa Expr || continue
            if st.head === :new
                T = _widened(ci.ssavaluetypes[i])
                _is_closure_type(T) && push!(found, Tuple{T})
            elseif st.head === :call && !isempty(st.args)
                types = Any[_argument_type(ci, a) for a in st.args]
                types[1] isa DataType && parentmodule(types[1]) === Distributed || continue
                any(_is_closure_type, @view types[2:end]) || continue
                all(isconcretetype, types) && push!(found, Tuple{types...})
            end
        end
    end
    return found
end

# Where closures are looked for: below the message handlers and the
# garbage-collection messages, in closures, and in calls given one.
_leads_to_closures(@nospecialize(sig)) =
    sig <: Tuple{Union{typeof(Distributed.handle_msg),typeof(Distributed.flush_gc_msgs),typeof(Distributed.process_worker)},Vararg} ||
    any(_is_closure_type, sig.parameters)

# (Types compare by identity here: a Set{Any} of them would compile its
# hashing for every one.)
function _seen(seen::Vector{Any}, @nospecialize(sig))
    for s in seen
        s === sig && return true
    end
    return false
end

# (signatures compiled, seconds) of this process's warm-up, for tests and
# benchmarks; (0, 0.0) until it ends, and where it does not run.
const WARMED = Ref((0, 0.0))

# Compiles the message path, one signature at a time, yielding between them
# so that a message that arrives meanwhile (the answer to Distributed's
# package callback that loaded this module, above all) is not held up.
# Returns how many signatures compiled. Never throws: it runs in a task of
# its own, and nobody waits for it. `compile=false` only lists them: the
# precompile workload must not compile Distributed's methods into this
# package's image, where they would be kept as code without native code,
# and a later `precompile` of them would then do nothing.
function _warm_message_path(compile::Bool=true)::Int
    t0 = time_ns()
    compiled = 0
    try
        pending = _message_path_signatures()
        compile || return length(pending)
        seen = Any[]
        while !isempty(pending) && length(seen) < 48 && !WARMING_CANCELLED[]
            sig = popfirst!(pending)
            _seen(seen, sig) && continue
            push!(seen, sig)
            yield()
            try
                precompile(sig) && (compiled += 1)
                _leads_to_closures(sig) && _closure_signatures!(pending, sig)
            catch
            end
        end
    catch
    end
    WARMED[] = (compiled, (time_ns() - t0) / 1e9)
    return compiled
end

# FASTEVERYWHERE_WARMUP=0 turns it off (to measure without it).
_warming_wanted() = ccall(:jl_generating_output, Cint, ()) == 0 && get(ENV, "FASTEVERYWHERE_WARMUP", "1") != "0"

const WARMING_CANCELLED = Threads.Atomic{Bool}(false)

# From __init__: compile the message path in a task of its own (on another
# thread where Julia has several).
function _start_warming()
    WARMING_CANCELLED[] = false
    _warming_wanted() && _spawn(_warm_message_path)
    return nothing
end

# Called by a worker that loads this module in the middle of an
# `@everywhere` (the runtime question, see _facts_question): the line's own
# messages compile what they need as they come, and a warm-up beside them
# would only take the worker's thread from its load (measured on 1.11.7,
# FastEverywhere loaded before addprocs: first line ~110 ms slower with it).
_cancel_warming() = (WARMING_CANCELLED[] = true; nothing)
