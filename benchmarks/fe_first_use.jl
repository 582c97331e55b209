# The first `@everywhere using Tiny` of a session, timed inside a new julia
# (issue 12; results in RESULTS.md section 9).
#
#   julia --startup-file=no fe_first_use.jl MODE NWORKERS [TRACEDIR]
#
# MODE: fe (FastEverywhere loaded after addprocs, so Distributed's callback
# loads it on the workers too), fe-early (loaded before addprocs: the workers
# never load it), fe-settled (as fe, with a 3 s pause before the line, as
# when a user types it: the background warm-ups have ended), dist
# (Distributed's @everywhere). Needs an environment on
# the load path with a tiny package `Tiny` and FastEverywhere, caches fresh,
# and JLCACHE_LIB. TRACEDIR (may be "") gives the workers --trace-compile.
# Prints "RESULT ..." (using FastEverywhere, the first line, a second no-op
# line) and, for FastEverywhere, "STEPS ..." (FastEverywhere.last_timings(),
# ms from the start of its concurrent path).
mode, n, tracedir = ARGS[1], parse(Int, ARGS[2]), get(ARGS, 3, "")
using Distributed
ms(t) = round((time_ns() - t) / 1e6, digits=1)
flags = isempty(tracedir) ? `` : `--trace-compile=$(joinpath(tracedir, "worker.txt"))`
# fe-early: FastEverywhere loaded before addprocs, so not on the workers;
# fe: loaded after, so Distributed's callback loads it on the workers too.
early = mode == "fe-early"
tload_early = early ? (t0 = time_ns(); @eval using FastEverywhere; ms(t0)) : 0.0
addprocs(n; exeflags=flags)
if mode != "dist"
    t0 = time_ns(); @eval using FastEverywhere; tload = early ? tload_early : ms(t0)
    mode == "fe-settled" && sleep(3)
    t0 = time_ns(); Core.eval(Main, :(FastEverywhere.@everywhere using Tiny)); tline = ms(t0)
    if isdefined(FastEverywhere, :last_timings)
        println("STEPS ", join(["$k=$(round(v*1000, digits=1))" for (k, v) in FastEverywhere.last_timings()], " "))
    end
    t0 = time_ns(); Core.eval(Main, :(FastEverywhere.@everywhere using Tiny)); tnoop = ms(t0)
    println("RESULT $mode n=$n using_FE=$(tload)ms first_line=$(tline)ms noop=$(tnoop)ms")
    # Each worker's background warm-up: (signatures compiled, seconds), (0, 0.0) if it never ended.
    isdefined(FastEverywhere, :WARMED) && println("WARMED ", join(
        [string(remotecall_fetch(Core.eval, p, Main, :(let m = get(Base.loaded_modules, $(Base.PkgId(FastEverywhere)), nothing)
                                  m === nothing ? (0, 0.0) : m.WARMED[]
                              end)))
         for p in workers()], " "))
else
    t0 = time_ns(); Core.eval(Main, :(@everywhere using Tiny)); tline = ms(t0)
    t0 = time_ns(); Core.eval(Main, :(@everywhere using Tiny)); tnoop = ms(t0)
    println("RESULT dist n=$n first_line=$(tline)ms noop=$(tnoop)ms")
end
@assert all(p -> remotecall_fetch(Core.eval, p, Main, :(isdefined(Main, :Tiny))), procs())
