# First use costs no compilation of FastEverywhere (issue 12): in a new julia
# with 2 workers and fresh caches, the first `FastEverywhere.@everywhere using`
# of the session must not compile any method of FastEverywhere, on the master
# (--trace-compile=stderr, between two markers) or on a worker (each worker's
# own --trace-compile file, whole life). Everything it runs must come from
# FastEverywhere's package image (src/workload.jl) or, on a worker without
# FastEverywhere, from expressions that need none of its code.
#
# Two orders, because they put different code on the workers:
#   early  `using FastEverywhere` before addprocs: the workers never load it;
#   late   after addprocs: Distributed's callback loads it on every worker,
#          whose compiled functions then answer.
# A third run checks src/warmup.jl: once this process has compiled
# Distributed's message path in the background (late order, waited for), the
# first line compiles nothing of Distributed's on the master either.
# No timing is asserted (the machine may be busy); the steps' times are
# printed for the log. The markers are written in one piece each: the
# background warm-up's trace lines may otherwise land between a marker and
# its newline.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

const FE = joinpath(REPO, "julia_bindings", "FastEverywhere")
const BEGIN = "LATENCY-FIRST-USE-BEGIN"
const END = "LATENCY-FIRST-USE-END"
# Waits, without sending a message, until this process's warm-up has ended.
const WAIT_WARM = "timedwait(() -> FastEverywhere.WARMED[][2] > 0, 60.0; pollint=0.05)"

function first_use_code(order::String, worker_trace::String)
    load_fe = "using FastEverywhere"
    # One addprocs per worker: each gets its own trace file.
    add = "for i in 1:2; addprocs(1; exeflags=[\"--trace-compile=$(worker_trace)-\$i\"]); end"
    # "warmed": late, then the warm-up waited for before the line.
    wait_warm = order == "warmed" ? WAIT_WARM : ""
    return """
        using Distributed
        $(order == "early" ? load_fe : add)
        $(order == "early" ? add : load_fe)
        $wait_warm
        write(stderr, "\\n$BEGIN\\n")
        FastEverywhere.@everywhere using LatTiny
        write(stderr, "\\n$END\\n")
        $WAIT_WARM
        println("WARMED ", FastEverywhere.WARMED[])
        println("LOADED ", all(p -> remotecall_fetch(Core.eval, p, Main, :(isdefined(Main, :LatTiny))), procs()))
        println("STEPS ", join(["\$k=\$(round(Int, 1000v))ms" for (k, v) in FastEverywhere.last_timings()], " "))
        rmprocs(workers())
        """
end

# Trace lines naming `name`, between the markers.
function master_lines(stderr_text::AbstractString, name::AbstractString)
    b = findfirst("\n$BEGIN\n", stderr_text)
    e = findfirst("\n$END\n", stderr_text)
    (b === nothing || e === nothing || last(b) > first(e)) && return nothing
    lines = split(stderr_text[last(b)+1:first(e)-1], '\n')
    return [l for l in lines if startswith(l, "precompile(") && occursin(name, l)]
end

RealJulia.finish_suite("latency") do
    depot = mkpath(joinpath(TMP, "depot"))
    tiny = Pkg(name="LatTiny", uuid="7a0c1e2d-0000-4000-8000-0000000a7001",
               source="module LatTiny\nf() = 1\nend\n")
    envdir, _ = one_package_environment(tiny)
    env = julia_env(; depots=[depot], project=envdir,
                    extra=Dict("JULIA_LOAD_PATH" => join(["@", FE, "@stdlib"], PATHSEP)))
    # Caches fresh before the first use: FastEverywhere's own image (with its
    # precompile workload) and the package's.
    ok, out, err = run_julia("using FastEverywhere, LatTiny"; env)
    @test ok
    ok || println(out, err)

    for order in ("early", "late", "warmed")
        @testset "$order: first @everywhere using compiles nothing of FastEverywhere" begin
            traces = mkpath(joinpath(TMP, "traces-$order"))
            ok, out, err = run_julia(first_use_code(order, joinpath(traces, "worker"));
                                     env, flags=["--trace-compile=stderr"])
            @test ok
            ok || println("child failed:\n", out, "\n", err)
            @test occursin("LOADED true", out)
            steps = match(r"STEPS (.*)", out)
            @test steps !== nothing && occursin("sent=", steps.captures[1])   # the concurrent path ran
            steps === nothing || println("  $order, first use: ", steps.captures[1])
            ours = master_lines(err, "FastEverywhere")
            @test ours !== nothing
            if ours !== nothing
                isempty(ours) || println("compiled on the master at first use:\n  ", join(ours, "\n  "))
                @test isempty(ours)
            end
            warmed = match(r"WARMED \((\d+), ", out)
            @test warmed !== nothing && parse(Int, warmed.captures[1]) > 0   # the warm-up ran here
            if order == "warmed"
                # Distributed's side of the line was compiled ahead (warmup.jl).
                distributed = master_lines(err, "Distributed.")
                @test distributed !== nothing
                if distributed !== nothing
                    isempty(distributed) ||
                        println("Distributed compiled on the master after the warm-up:\n  ", join(distributed, "\n  "))
                    @test isempty(distributed)
                end
            end
            files = readdir(traces; join=true)
            @test length(files) == 2
            for f in files
                lines = readlines(f)
                @test !isempty(lines)   # the worker traced (it compiled something of Distributed's)
                theirs = filter(l -> occursin("FastEverywhere", l), lines)
                isempty(theirs) || println("compiled on a worker:\n  ", join(theirs, "\n  "))
                @test isempty(theirs)
            end
        end
    end
end
