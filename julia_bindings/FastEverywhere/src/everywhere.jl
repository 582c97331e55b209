# `@everywhere`: Distributed's macro, with `using`/`import` loaded on every
# process at the same time instead of the caller first.
#
# What Distributed does (stdlib/Distributed/src/macros.jl at 1.10.4 48d4fd48;
# JuliaLang/Distributed.jl src/macros.jl at 6e9c901f, the 1.11+ home):
#   1. the `using`/`import` statements run on the calling process, in the
#      calling module, before anything else;
#   2. that load fires Distributed._require_callback (pushed onto
#      Base.package_callbacks by init_multi at the first addprocs): on
#      process 1, for a package newly loaded at top level, it sends
#      `Base.require(pkgid)` to EVERY other process (a closure, through
#      remotecall_wait) and waits;
#   3. remotecall_eval(Main, procs, expression) runs the whole expression on
#      `procs`, the caller last.
# The caller's load is the whole cost of step 1, and the workers' loads only
# start after it: about twice one process's load time.
#
# What this macro does for an expression with `using`/`import`:
#   0. when every package is already loaded on the caller (the no-op case),
#      one round trip, as Distributed's: each target worker runs the
#      expression if it has the packages too, the caller runs it last; only
#      workers that lacked a package go on to the steps below (the
#      expression runs once per process either way);
#   a. the same processes load the same packages as above: the caller always;
#      the targets; and, exactly when Distributed's callback would fire, every
#      other process (`Base.require(pkgid)`, errors logged, not thrown, as
#      Base.run_package_callbacks does);
#   b. processes are grouped by their runtime (all of it but the pid:
#      machine, installation, flags, depot and load path, active project;
#      group_key); each group's packages are made fresh by
#      precompile_if_stale once, groups in parallel;
#   c. load requests go to every worker of a fresh group as one
#      remotecall(Core.eval, pid, Main, expr) each (Core.eval of calls to
#      Base.require: nothing new to compile on the worker), sent by the
#      caller itself, one after the other, THEN the caller starts its own
#      load. remotecall returns once Distributed has flushed the message
#      (send_msg_ ends with flush(io), which waits for libuv's write
#      callback): the request is in the kernel before the caller's load,
#      which does not yield, begins. (An earlier version waited for each
#      worker to acknowledge through a RemoteChannel: a round trip, and on
#      first use ~1 s of compiling Distributed's RemoteChannel code on both
#      sides; another sent from tasks with remotecall_fetch, see _send_load.)
#      The caller then waits for each Future;
#   d. the caller's own load runs with Distributed._require_callback removed
#      from Base.package_callbacks (see `_without_require_callback`);
#   e. workers of groups that stayed stale or unknown (or any group when
#      libjlcache is unavailable) load after the caller, Distributed's order,
#      with one @warn naming them and why;
#   f. load errors are collected per pid (RemoteException, the caller's own
#      too) and thrown as one CompositeException; otherwise step 3 runs as
#      Distributed runs it, and its value is returned.

# Same traversal as Distributed.extract_imports (not public, so not called).
_extract_imports!(imports, x) = imports
function _extract_imports!(imports, ex::Expr)
    if Meta.isexpr(ex, (:import, :using))
        push!(imports, ex)
    elseif Meta.isexpr(ex, :let)
        _extract_imports!(imports, ex.args[2])
    elseif Meta.isexpr(ex, (:toplevel, :block))
        for arg in ex.args
            _extract_imports!(imports, arg)
        end
    end
    return imports
end
_extract_imports(ex) = _extract_imports!(Any[], ex)

# Root package names of import statements: `using A.B, C: f` -> [:A, :C].
# Relative imports (`using .M`) name modules, not packages, and are skipped.
function _package_roots(imports)
    roots = Symbol[]
    for imp in imports
        for arg in imp.args
            path = arg
            Meta.isexpr(path, :(:)) && (path = path.args[1])
            Meta.isexpr(path, :as) && (path = path.args[1])
            Meta.isexpr(path, :.) && !isempty(path.args) || continue
            root = path.args[1]
            (root isa Symbol && root !== :. && !(root in (:Base, :Core, :Main))) || continue
            root in roots || push!(roots, root)
        end
    end
    return roots
end

"""
    @everywhere [procs()] expr

Distributed's `@everywhere`, with one difference: `using` and `import`
(also inside a `begin` block) load on every process **at the same time**
instead of on the calling process first, after making sure, once per group of
processes sharing a depot, that the packages' precompile caches are fresh.

    using Distributed
    using FastEverywhere: @everywhere
    addprocs(4)
    @everywhere using MyPackage          # loads on 5 processes concurrently

Expressions without `using`/`import` go to `Distributed.@everywhere`
unchanged. Errors are collected into a `CompositeException` naming each pid.
Without libjlcache, or where a group's caches stay stale or unknown after
precompiling, that group loads in Distributed's order (with one warning).
"""
macro everywhere(ex)
    procs = GlobalRef(Distributed, :procs)
    return esc(:($(@__MODULE__).@everywhere $procs() $ex))
end

macro everywhere(procs, ex)
    imports = _extract_imports(ex)
    isempty(imports) && return esc(:($(Distributed).@everywhere $procs $ex))
    # Like Distributed: the include path of the file being expanded travels
    # with the expression, and `$x` in the expression interpolates the
    # caller's local x (Expr(:quote) evaluated in the caller's scope).
    source_path = get(task_local_storage(), :SOURCE_PATH, nothing)
    return :($(_everywhere_with_imports)($__module__, $(esc(procs)), $(QuoteNode(imports)),
                                         $(esc(Expr(:quote, ex))), $(QuoteNode(source_path))))
end

function _everywhere_with_imports(mod::Module, procs, imports::Vector{Any}, ex, source_path)
    fullex = Expr(:toplevel, :(task_local_storage()[:SOURCE_PATH] = $source_path), ex)
    importex = Expr(:toplevel, imports...)
    names = _package_roots(imports)
    if isempty(names)
        return _distributed_order(mod, procs, importex, fullex)
    end
    if _all_loaded_here(mod, names)
        procs = _run_where_loaded(mod, procs, importex, fullex, names)
        isempty(procs) && return nothing
    end
    if !library_available()
        _warn_library_unavailable()
        return _distributed_order(mod, procs, importex, fullex)
    end
    return _concurrent_order(mod, procs, importex, fullex, names)
end

# ------------------------------------------------------------ already loaded

# Every package already loaded here: Distributed's callback would not
# broadcast, and this process has nothing to load.
function _all_loaded_here(mod::Module, names::Vector{Symbol})
    for n in names
        id = Base.identify_package(mod, String(n))
        (id === nothing || !Base.root_module_exists(id)) && return false
    end
    return true
end

# Evaluated by a worker: the caller's expression, only if every package is
# already loaded there too (as its own `using` would resolve it); "1" when it
# ran, else "0". No loop and no closure, so the worker interprets it, and the
# answer is a String, whose serialization the runtime question already
# compiled there (a Bool's costs ~180 ms on first use; measured on 1.11.7).
# Base.identify_package_env is what `require` itself calls, so it is usually
# compiled already (identify_package is not: ~20 ms); older Base lacks it.
function _if_loaded_request(names::Vector{Symbol}, fullex::Expr)
    # Symbols, Strings, Exprs and one QuoteNode only: see _facts_question.
    check = true
    for n in reverse(names)
        name = String(n)
        one = Expr(:if, Expr(:call, _dotted(:Core, :isdefined), :Base, Expr(:quote, :identify_package_env)),
                   _loaded_check(:identify_package_env, name, true), _loaded_check(:identify_package, name, false))
        check = check === true ? one : Expr(:&&, one, check)
    end
    run = Expr(:block, Expr(:call, _dotted(:Core, :eval), :Main, QuoteNode(fullex)), "1")
    return Expr(:toplevel, Expr(:if, check, run, "0"))
end

# `M.f` as the parser writes it, without a GlobalRef (see _facts_question).
_dotted(m::Symbol, f::Symbol) = Expr(:., m, Expr(:quote, f))

# `let v = Base.lookup(Main, name); v !== nothing && Base.root_module_exists(id) end`,
# where id is v, or v[1] when the lookup also returns the environment.
function _loaded_check(lookup::Symbol, name::String, with_env::Bool)
    v = gensym(:found)
    id = with_env ? Expr(:ref, v, 1) : v
    return Expr(:let, Expr(:(=), v, Expr(:call, _dotted(:Base, lookup), :Main, name)),
                Expr(:&&, Expr(:call, :!==, v, :nothing), Expr(:call, _dotted(:Base, :root_module_exists), id)))
end

# A worker's answer to _if_loaded_request: the String, or its exception.
# remotecall_fetch, not remotecall + fetch: its message path is the one the
# runtime question already compiled on both sides (a Future's fetch compiles
# more on the worker at first use).
function _ask_if_loaded(p::Int, request::Expr)
    try
        return Distributed.remotecall_fetch(Core.eval, p, Main, request)
    catch err
        return _pid_exception(p, err, catch_backtrace())
    end
end

# The no-op case in one round trip, as Distributed's own `@everywhere`: the
# caller's imports (nothing to load), each target worker runs the expression
# if it has the packages, this process runs it last. Returns the workers that
# still need the packages loaded (nothing ran there); the expression has run
# everywhere else, exactly once. Errors of the expression are thrown as
# Distributed throws them, after every process ran.
function _run_where_loaded(mod::Module, procs, importex::Expr, fullex::Expr, names::Vector{Symbol})
    Core.eval(mod, importex)
    me = Distributed.myid()
    targets = unique!(Int[p for p in procs])
    request = _if_loaded_request(names, fullex)
    asked = Tuple{Int,Task}[(p, _async(_ask_if_loaded, p, request)) for p in targets if p != me]
    yield()   # let the requests go out before this process runs the expression
    errors = Any[]
    me in targets && try
        Core.eval(Main, fullex)
    catch err
        push!(errors, _pid_exception(me, err, catch_backtrace()))
    end
    remaining = Int[]
    for (p, t) in asked
        answer = fetch(t)
        if answer isa Distributed.RemoteException
            push!(errors, answer)
        elseif answer != "1"
            push!(remaining, p)
        end
    end
    isempty(errors) || throw(CompositeException(errors))
    return remaining
end

# Exactly what Distributed.@everywhere does.
function _distributed_order(mod::Module, procs, importex, fullex)
    Core.eval(mod, importex)
    return Distributed.remotecall_eval(Main, procs, fullex)
end

# ------------------------------------------------------------------ runtimes

# Process facts of each worker, asked once per pid (pids are never reused).
const WORKER_FACTS = Dict{Int,Any}()

# A task's body as a named callable instead of a closure: a closure's type
# is known only to the code that makes it, so no precompile statement can
# name it, and the first `@everywhere` would compile it. Every task this
# module starts is one of these (workload.jl precompiles them).
struct _Call{F,A<:Tuple} <: Function
    f::F
    args::A
end
(c::_Call)() = c.f(c.args...)
_async(f, args...) = schedule(Task(_Call(f, args)))
function _spawn(f, args...)
    t = Task(_Call(f, args))
    t.sticky = false
    return schedule(t)
end

# The questions a worker evaluates to describe itself; `need_process` adds
# the fixed facts to the environment. Two of them, because on first use the
# shape of a request costs compile time: Distributed compiles its serializer
# on this process, and its deserializer on the worker, for every type a
# request holds (GlobalRef, Bool, Char, UInt64 cost ~150-200 ms there;
# measured on 1.11.7).
#
# _facts_question: Symbols, Strings, Ints and Exprs only, which the first
# remote call of a session compiles anyway. Where FastEverywhere is loaded on
# the worker, or can be loaded without compiling (Base.isprecompiled there),
# its compiled `_worker_facts_for` answers; elsewhere the answer is "".
# The statements of the outer `toplevel` have no loop and no ccall, so the
# worker interprets them, each in the newest world (the second sees what the
# first loaded).
function _facts_question(need_process::Bool)
    base(f) = _dotted(:Base, f)
    uuid = string(Base.PkgId(@__MODULE__).uuid)
    # (Built where used: a name bound in the worker's Main would stay there.)
    fe() = Expr(:call, base(:PkgId), Expr(:call, base(:UUID), uuid), "FastEverywhere")
    # Loaded here, mid-line: no background warm-up beside the line (warmup.jl).
    cancel = Expr(:call, base(:invokelatest),
                  Expr(:call, _dotted(:Core, :getglobal), Expr(:call, base(:root_module), fe()),
                       Expr(:quote, :_cancel_warming)))
    load = Expr(:try,
                Expr(:||, Expr(:call, base(:root_module_exists), fe()),
                     Expr(:||, Expr(:call, base(:!), Expr(:call, base(:isprecompiled), fe())),
                          Expr(:block, Expr(:call, base(:require), fe()), cancel, true))),
                false, Expr(:block, 0))
    name = Expr(:quote, :_worker_facts_for)
    usable = Expr(:&&, Expr(:call, base(:root_module_exists), fe()),
                  Expr(:call, _dotted(:Core, :isdefined), Expr(:call, base(:root_module), fe()), name))
    answer = Expr(:if, usable,
                  Expr(:call, base(:invokelatest),
                       Expr(:call, _dotted(:Core, :getglobal), Expr(:call, base(:root_module), fe()), name),
                       Int(need_process)),
                  "")
    return Expr(:toplevel, load, answer)
end

# _facts_request: the probes themselves, evaluated on the worker as they are
# (which compiles them there), for a worker without FastEverywhere.
function _facts_request(need_process::Bool)
    probe = need_process ? Expr(:tuple, _process_probe_request(), ENVIRONMENT_PROBE) : ENVIRONMENT_PROBE
    return Expr(:toplevel, Expr(:call, GlobalRef(Core, :eval), :Main, QuoteNode(probe)))
end

# Runs on a worker that has FastEverywhere loaded (see _facts_question). The
# answer is one String: the probes' NamedTuples would cost, on first use, a
# compilation of Distributed's serializer for their types on the worker and
# of the deserializer here (~0.9-2.5 s measured on 1.11.7); a String's is
# shared with every other call. (An Int argument: a Bool in the request would
# cost its own serializer.)
_worker_facts_for(need_process::Int) = _worker_facts(need_process != 0)
_worker_facts(need_process::Bool) =
    _encode_facts(need_process ? _probe_process() : nothing, _probe_environment())

function _encode_facts(process, env)::String
    parts = String[]
    if process === nothing
        push!(parts, "E")
    else
        p = process
        push!(parts, "P", String(p.hostname), string(p.pid), String(p.julia_version), String(p.git_branch),
              String(p.git_commit), String(p.os), String(p.arch), string(p.pointer_size), String(p.julia_bin),
              String(p.image_file), String(p.cpu_target), String(p.stdlib_dir), String(p.build_stdlib_dir),
              String(p.bindir), string(p.use_pkgimages), string(p.cache_flags), string(length(p.sysimage_modules)))
        for (name, uuid, hi, lo) in p.sysimage_modules
            push!(parts, String(name), String(uuid), string(hi), string(lo))
        end
    end
    push!(parts, string(length(env.depot_path)))
    foreach(x -> push!(parts, String(x)), env.depot_path)
    push!(parts, string(length(env.load_path)))
    foreach(x -> push!(parts, String(x)), env.load_path)
    push!(parts, String(env.active_project))
    return join(parts, _FACT_SEP)
end

# (process facts or nothing, environment facts), as RuntimeInfo takes them.
function _decode_facts(text::String)
    parts = String[String(x) for x in split(text, _FACT_SEP)]
    i = Ref(1)
    next!() = (x = parts[i[]]; i[] += 1; x)
    process = nothing
    if next!() == "P"
        hostname, pid, version, branch, commit, os, arch = next!(), parse(Int, next!()), next!(), next!(),
                                                           next!(), next!(), next!()
        pointer_size, julia_bin, image_file, cpu_target = parse(Int, next!()), next!(), next!(), next!()
        stdlib_dir, build_stdlib_dir, bindir = next!(), next!(), next!()
        use_pkgimages, cache_flags, n = parse(Int, next!()), parse(UInt8, next!()), parse(Int, next!())
        modules = Tuple{String,String,UInt64,UInt64}[]
        for _ in 1:n
            push!(modules, (next!(), next!(), parse(UInt64, next!()), parse(UInt64, next!())))
        end
        process = (hostname=hostname, pid=pid, julia_version=version, git_branch=branch, git_commit=commit,
                   os=os, arch=arch, pointer_size=pointer_size, julia_bin=julia_bin, image_file=image_file,
                   cpu_target=cpu_target, stdlib_dir=stdlib_dir, build_stdlib_dir=build_stdlib_dir,
                   bindir=bindir, use_pkgimages=use_pkgimages, cache_flags=cache_flags, sysimage_modules=modules)
    end
    depot_path = String[next!() for _ in 1:parse(Int, next!())]
    load_path = String[next!() for _ in 1:parse(Int, next!())]
    env = (depot_path=depot_path, load_path=load_path, active_project=next!())
    i[] == length(parts) + 1 || error("FastEverywhere: malformed runtime answer from a worker")
    return process, env
end

# RuntimeInfo of pid p (asked), or the exception that prevented asking it.
function _ask_runtime(p::Int)
    try
        facts = get(WORKER_FACTS, p, nothing)
        need = facts === nothing
        reply = Distributed.remotecall_fetch(Core.eval, p, Main, _facts_question(need))
        if reply == ""                 # no FastEverywhere there: ask the probes
            reply = Distributed.remotecall_fetch(Core.eval, p, Main, _facts_request(need))
        end
        if reply isa String            # FastEverywhere's _worker_facts
            process, env = _decode_facts(reply)
            need && (facts = process)
        elseif need                    # the probes themselves
            facts, env = reply
        else
            env = reply
        end
        need && (WORKER_FACTS[p] = facts)
        return RuntimeInfo(facts, env)
    catch err
        return err
    end
end

# RuntimeInfo of each pid, or the exception that prevented asking it.
function _runtimes(pids::Vector{Int})
    me = Distributed.myid()
    result = Dict{Int,Any}()
    live = Distributed.procs()
    filter!(kv -> kv.first in live, WORKER_FACTS)
    tasks = Tuple{Int,Task}[(p, _async(_ask_runtime, p)) for p in pids if p != me]
    for (p, t) in tasks
        result[p] = fetch(t)
    end
    me in pids && (result[me] = _here())
    return result
end

struct ProcessGroup
    key::Any
    members::Vector{Int}   # in load order; members[1] is the leader
    runtime::Union{RuntimeInfo,Nothing}
    problem::String        # why the runtime is unknown
end

function _groups(loaders::Vector{Int}, runtimes::Dict{Int,Any})
    groups = ProcessGroup[]
    index = Dict{String,Int}()
    for p in loaders
        r = runtimes[p]
        if r isa RuntimeInfo
            key = group_key(r)
            i = get(index, key, 0)
            if i == 0
                push!(groups, ProcessGroup(key, [p], r, ""))
                index[key] = length(groups)
            else
                push!(groups[i].members, p)
            end
        else
            push!(groups, ProcessGroup((:unknown, p), [p], nothing,
                                       "could not ask process $(p) for its runtime: " * sprint(showerror, r)))
        end
    end
    return groups
end

function _describe(g::ProcessGroup)
    pids = length(g.members) == 1 ? "process $(g.members[1])" : "processes $(join(g.members, ", "))"
    g.runtime === nothing && return pids
    return "$(pids) on $(g.runtime.hostname) (depot $(isempty(g.runtime.depot_path) ? "?" : g.runtime.depot_path[1]))"
end

# -------------------------------------------------------------- precompiling

# (fresh::Bool, why not)
const Outcome = Tuple{Bool,String}

# Runs on a group's leader when it is on another machine (its depot is not
# ours to read): FastEverywhere there, with that process's own callbacks.
function _prepare_here(names::Vector{String})::Outcome
    library_available() || return (false, "libjlcache is not available on $(gethostname()): $(library_problem())")
    try
        report = precompile_if_stale(names...)
        return allfresh(report) ? (true, "") : (false, _summary(report))
    catch err
        return (false, sprint(showerror, err))
    end
end

function _prepare_group(g::ProcessGroup, names::Vector{String}, here::RuntimeInfo)::Outcome
    g.runtime === nothing && return (false, g.problem)
    isempty(names) && return (true, "")
    if g.runtime.hostname == here.hostname
        # Same machine: this process reads the group's depot itself. Callbacks
        # are registered only where this process's answer is the group's.
        try
            report = _precompile(_session_for(g.runtime), names)
            return allfresh(report) ? (true, "") : (false, _summary(report))
        catch err
            return (false, sprint(showerror, err))
        end
    end
    leader = g.members[1]
    fe = Base.PkgId(@__MODULE__)
    request = :(let m = Base.require($fe)
                    Base.invokelatest(m._prepare_here, $names)
                end)
    try
        return Distributed.remotecall_fetch(Core.eval, leader, Main, request)::Outcome
    catch err
        return (false, "FastEverywhere could not check caches on $(g.runtime.hostname) " *
                       "(process $(leader)): " * sprint(showerror, err))
    end
end

_prepare_into!(outcomes::Vector{Outcome}, i::Int, g::ProcessGroup, names::Vector{String}, here::RuntimeInfo) =
    (outcomes[i] = _prepare_group(g, names, here); nothing)

# Groups in parallel: remote machines first (their requests go out, then
# they run on their own), then this machine's, each on a thread of its own
# when Julia has several (the jlcache call blocks its thread, GC-safe).
function _prepare_groups(groups::Vector{ProcessGroup}, names::Vector{String})
    here = _here()
    outcomes = Vector{Outcome}(undef, length(groups))
    remote_first = sortperm(groups; by=g -> g.runtime !== nothing && g.runtime.hostname == here.hostname)
    tasks = Task[]
    for i in remote_first
        g = groups[i]
        # The jlcache call of this machine's groups blocks its thread (GC-safe):
        # a task of its own, on another thread when Julia has several.
        local_group = g.runtime !== nothing && g.runtime.hostname == here.hostname
        push!(tasks, (local_group ? _spawn : _async)(_prepare_into!, outcomes, i, g, names, here))
    end
    foreach(wait, tasks)
    return outcomes
end

# ------------------------------------------------------------------- loading

# Distributed._require_callback is removed from Base.package_callbacks while
# the caller loads, and put back where it was afterwards. Suppressed, not
# tolerated as a no-op, because it is not one: it would run after our
# concurrent loads have been sent, as one remotecall_wait per worker of a
# fresh closure; the worker can only take it after its own load (its message
# task cannot run during the load), then compiles it, and only then answers.
# The caller's load would end one round trip plus that compilation after the
# slowest worker, and a worker failure would surface as Base's "Error during
# package callback" log instead of in our CompositeException. Its effect
# (every other process loads the package) is done by this module instead.
# Nested or concurrent uses share one removal (depth counted). Known limit:
# another task running `using` on this process meanwhile does not broadcast.
const CALLBACK_LOCK = ReentrantLock()
const CALLBACK_DEPTH = Ref(0)
const REMOVED_CALLBACKS = Tuple{Int,Any}[]

function _without_require_callback(f)
    lock(CALLBACK_LOCK) do
        if CALLBACK_DEPTH[] == 0
            cbs = Base.package_callbacks
            for i in length(cbs):-1:1
                if cbs[i] === Distributed._require_callback
                    pushfirst!(REMOVED_CALLBACKS, (i, cbs[i]))
                    deleteat!(cbs, i)
                end
            end
        end
        CALLBACK_DEPTH[] += 1
    end
    try
        return f()
    finally
        lock(CALLBACK_LOCK) do
            CALLBACK_DEPTH[] -= 1
            if CALLBACK_DEPTH[] == 0
                for (i, cb) in REMOVED_CALLBACKS
                    insert!(Base.package_callbacks, min(i, length(Base.package_callbacks) + 1), cb)
                end
                empty!(REMOVED_CALLBACKS)
            end
        end
    end
end

# The expression a worker evaluates. Targets resolve the names as their own
# `using` will (Base.require(Main, name)); other workers load the caller's
# PkgIds, as Distributed's callback does.
function _load_request(target::Bool, names::Vector{Symbol}, pkgids::Vector{Base.PkgId})
    # Symbols, Strings and Exprs only: see _facts_question.
    base(f) = _dotted(:Base, f)
    statements = Any[]
    if target
        for name in names
            push!(statements, Expr(:call, base(:require), :Main, Expr(:quote, name)))
        end
    else
        for id in pkgids
            pkgid = id.uuid === nothing ? Expr(:call, base(:PkgId), id.name) :
                    Expr(:call, base(:PkgId), Expr(:call, base(:UUID), string(id.uuid)), id.name)
            push!(statements, Expr(:call, base(:require), pkgid))
        end
    end
    push!(statements, "")
    return Expr(:toplevel, statements...)
end

_pid_exception(pid::Int, err, bt) =
    err isa Distributed.RemoteException ? err : Distributed.RemoteException(pid, CapturedException(err, bt))

# Sends a load request; returns once it is written (see c. above): the
# Future of the call, or the exception that prevented sending it.
# (remotecall_fetch in a task, as the runtime question and the final step
# use, would save compiling the Future's fetch path on first use, but a task
# gives no such guarantee: if another task holds the worker's stream while
# its write completes, e.g. Distributed's GC-message task, the request waits
# on the lock, the caller starts its load, which does not yield, and the
# worker only gets the request after it: the loads run one after the other.
# Seen in 2 of 5 benchmark runs.)
function _send_load(pid::Int, request::Expr)
    try
        return Distributed.remotecall(Core.eval, pid, Main, request)
    catch err
        return _pid_exception(pid, err, catch_backtrace())
    end
end

# Waits for a sent load: nothing, or the worker's exception.
function _finish_load(pid::Int, sent)
    sent isa Distributed.Future || return sent
    try
        fetch(sent)   # throws the RemoteException of a failed load
        return nothing
    catch err
        return _pid_exception(pid, err, catch_backtrace())
    end
end

function _load_here(mod::Module, importex)
    try
        _without_require_callback(_Call(Core.eval, (mod, importex)))
        return nothing
    catch err
        return _pid_exception(Distributed.myid(), err, catch_backtrace())
    end
end

# Step 3 after the concurrent loads: Distributed.remotecall_eval(Main, procs,
# fullex), with each worker asked through remotecall_fetch (the message path
# the loads already compiled) instead of remotecall_wait, whose path costs
# ~450 ms of compiling on first use where nothing warmed it (measured on
# 1.11.7: FastEverywhere loaded before addprocs). The worker answers "" (the
# expression's value stays there, as with remotecall_wait). Otherwise as
# Distributed (JuliaLang/Distributed.jl src/macros.jl, remotecall_eval): one
# pid gets the fetched value; for several, the workers' calls go out first,
# this process runs the expression last and throws its own error at once,
# and the workers' errors are thrown as one CompositeException of
# RemoteExceptions, in the order of `procs`.
_eval_everywhere(pid::Int, fullex::Expr) = Distributed.remotecall_eval(Main, pid, fullex)
function _eval_everywhere(procs, fullex::Expr)
    me = Distributed.myid()
    request = Expr(:toplevel, fullex, "")
    runs_here = 0
    asked = Task[]
    for p in procs
        if p == me
            runs_here += 1
        else
            push!(asked, _async(_eval_there, p, request))
        end
    end
    yield()   # let the requests go out before this process runs the expression
    for _ in 1:runs_here
        Core.eval(Main, fullex)
    end
    errors = Any[]
    for t in asked
        err = fetch(t)
        err === nothing || push!(errors, err)
    end
    isempty(errors) || throw(CompositeException(errors))
    return nothing
end

function _eval_there(pid::Int, request::Expr)
    try
        Distributed.remotecall_fetch(Core.eval, pid, Main, request)
        return nothing
    catch err
        return err
    end
end

# When each step of the last concurrent `@everywhere` on this process ended,
# in seconds after it began: what FastEverywhere itself costs before the
# loads start (the runtimes, the groups, the jlcache check, the
# load requests sent), then the loads. For benchmarks; see `last_timings`.
const TIMINGS = Pair{Symbol,Float64}[]

_mark!(t0::UInt64, step::Symbol) = (push!(TIMINGS, step => (time_ns() - t0) / 1e9); nothing)

"""
    FastEverywhere.last_timings() -> Vector{Pair{Symbol,Float64}}

Seconds from the start of the last `@everywhere` that loaded concurrently on
this process to the end of each of its steps: `:runtimes` (workers asked for
their runtime), `:groups`, `:checked` (jlcache made the caches fresh),
`:sent` (every fast worker's load request is written), `:loaded_here`,
`:loaded` (every process), `:done` (the expression ran everywhere). Empty
before the first such call.
"""
last_timings() = copy(TIMINGS)

function _concurrent_order(mod::Module, procs, importex, fullex, names::Vector{Symbol})
    t0 = time_ns()
    empty!(TIMINGS)
    me = Distributed.myid()
    targets = unique!(Int[p for p in procs])
    identified = [(n, Base.identify_package(mod, String(n))) for n in names]
    newly_loaded = Base.PkgId[id for (_, id) in identified if id !== nothing && !Base.root_module_exists(id)]
    # When Distributed's callback would broadcast (process 1, several
    # processes, a package new here), every process loads.
    broadcast = me == 1 && Distributed.nprocs() > 1 && !isempty(newly_loaded)
    others = broadcast ? sort!(setdiff(Distributed.procs(), targets, [me])) : Int[]
    loaders = vcat(me, setdiff(targets, [me]), others)
    jlcache_names = sort!(unique!(String[String(n) for (n, id) in identified
                                         if id !== nothing && !Base.in_sysimage(id)]))

    runtimes = _runtimes(loaders)
    _mark!(t0, :runtimes)
    groups = _groups(loaders, runtimes)
    _mark!(t0, :groups)
    outcomes = _prepare_groups(groups, jlcache_names)
    _mark!(t0, :checked)
    fast = Set{Int}()
    problems = String[]
    for (g, (ok, why)) in zip(groups, outcomes)
        if ok
            union!(fast, g.members)
        else
            push!(problems, "$(_describe(g)): $(why)")
        end
    end
    if !isempty(problems)
        @warn "FastEverywhere: `@everywhere` loads $(join(names, ", ")) in Distributed's order " *
              "(this process first) for:\n  " * join(problems, "\n  ")
    end

    is_target(p) = p in targets
    fast_workers = Int[p for p in loaders if p != me && p in fast]
    slow_workers = Int[p for p in loaders if p != me && !(p in fast)]
    errors = Dict{Int,Any}()

    # Deliver (written when _send_load returns), then load here.
    sent = Dict{Int,Any}()
    for p in fast_workers
        sent[p] = _send_load(p, _load_request(is_target(p), names, newly_loaded))
    end
    _mark!(t0, :sent)
    here = _async(_load_here, mod, importex)
    err = fetch(here)
    err === nothing || (errors[me] = err)
    _mark!(t0, :loaded_here)
    # Distributed's order for the rest: after this process.
    for p in slow_workers
        sent[p] = _send_load(p, _load_request(is_target(p), names, newly_loaded))
    end
    for p in vcat(fast_workers, slow_workers)
        err = _finish_load(p, sent[p])
        err === nothing || (errors[p] = err)
    end

    # Non-targets only loaded because Distributed's callback would have: their
    # failures are logged, as Base.run_package_callbacks logs them.
    for p in sort!(collect(keys(errors)))
        if !(p == me || is_target(p))
            @error "FastEverywhere: loading on process $(p) (as Distributed's package callback would) failed" exception = errors[p]
            delete!(errors, p)
        end
    end
    _mark!(t0, :loaded)
    isempty(errors) || throw(CompositeException(Any[errors[p] for p in sort!(collect(keys(errors)))]))
    value = _eval_everywhere(procs, fullex)
    _mark!(t0, :done)
    return value
end
