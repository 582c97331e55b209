# `jlcache precompile` and FastEverywhere.precompile_if_stale against real
# Julia: one julia launch for a stale chain, single flight across 8
# concurrent runs, a racing `using`, --timeout killing the whole process
# group, and a failing package reported with Julia's error text.
#
# Every package's source appends a line to a marker file while Julia
# generates its cache (jl_generating_output): the number of lines is the
# number of times it was compiled, and each line carries the chain of
# ancestor processes (pid:comm ...), so the julia jlcache launched is the
# ancestor just below the jlcache process.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

const MARKS = mkpath(joinpath(TMP, "marks"))
const UUIDS = Dict("ChainA" => "7a0c1e2d-0000-4000-8000-00000000c001",
                   "ChainB" => "7a0c1e2d-0000-4000-8000-00000000c002",
                   "ChainC" => "7a0c1e2d-0000-4000-8000-00000000c003",
                   "Sleepy" => "7a0c1e2d-0000-4000-8000-00000000c004",
                   "Boom"   => "7a0c1e2d-0000-4000-8000-00000000c005")

function marked_source(name, markdir; uses=String[], extra="")
    """
    module $name
    $(join(("using $u" for u in uses), "\n"))
    if ccall(:jl_generating_output, Cint, ()) == 1
        let chain = String[], p = getpid()
            while p > 1
                comm = try strip(read("/proc/\$p/comm", String)) catch; "?" end
                push!(chain, string(p, ":", comm))
                stat = read("/proc/\$p/stat", String)
                p = parse(Int, split(stat[findlast(')', stat)+2:end])[2])
            end
            open(joinpath($(repr(markdir)), $(repr(name))), "a") do io
                println(io, join(chain, " "))
            end
        end
    end
    $extra
    f() = 1
    end
    """
end

# A fresh scenario: its own dev dir, env, depot and marker dir.
function scenario(tag; names=["ChainA", "ChainB", "ChainC"], extra=Dict{String,String}())
    root = mkpath(joinpath(TMP, tag))
    marks = mkpath(joinpath(root, "marks"))
    deps = Dict("ChainA" => ["ChainB"], "ChainB" => ["ChainC"])
    pkgs = Tuple{Pkg,String}[]
    for n in names
        ds = [d for d in get(deps, n, String[]) if d in names]
        p = Pkg(name=n, uuid=UUIDS[n], deps=[d => UUIDS[d] for d in ds],
                source=marked_source(n, marks; uses=ds, extra=get(extra, n, "")))
        path = joinpath(root, "dev", n)
        write_package(path, p)
        push!(pkgs, (p, path))
    end
    envdir = write_environment(joinpath(root, "env"), pkgs)
    depot = mkpath(joinpath(root, "depot"))
    env = julia_env(; depots=[depot], project=envdir, extra=Dict("JLCACHE_TEST_RUN" => "$tag-$(getpid())"))
    ids = [(n, UUIDS[n]) for n in names]
    return (; root, marks, envdir, depot, env, ids)
end

marks_of(s, name) = (f = joinpath(s.marks, name); isfile(f) ? readlines(f) : String[])

# The launched julia per compile: the ancestor whose parent is `launcher`
# (a comm name, or a pid as a string).
function launch_pids(s, names; launcher="jlcache")
    pids = Set{String}()
    for n in names, line in marks_of(s, n)
        chain = split(line)
        for i in 1:length(chain)-1
            pid, comm = split(chain[i+1], ':'; limit=2)
            if comm == launcher || pid == launcher
                push!(pids, first(split(chain[i], ':')))
                break
            end
        end
    end
    return pids
end

# Processes whose environment carries this scenario's JLCACHE_TEST_RUN.
function procs_of(s)
    tag = "JLCACHE_TEST_RUN=" * s.env["JLCACHE_TEST_RUN"]
    found = Int[]
    for d in readdir("/proc")
        pid = tryparse(Int, d)
        (pid === nothing || pid == getpid()) && continue
        env = try read("/proc/$d/environ", String) catch; continue end
        any(==(tag), split(env, '\0')) && push!(found, pid)
    end
    return found
end

precompile_cmd(s, args...) = setenv(`$CLI precompile $(collect(args))`, s.env)

RealJulia.finish_suite("precompile") do
    chain = ["ChainA", "ChainB", "ChainC"]

    @testset "stale chain, one launch" begin
        s = scenario("chain")
        @test !any(values(isprecompiled_all(s.ids; env=s.env)))
        ok, out, err, code = run_cmd(precompile_cmd(s))
        @test code == 0
        code == 0 || println(out, err)
        @test all(n -> length(marks_of(s, n)) == 1, chain)
        @test length(launch_pids(s, chain)) == 1
        @test all(values(isprecompiled_all(s.ids; env=s.env)))
        # Nothing stale: no launch at all.
        ok, out, err, code = run_cmd(precompile_cmd(s))
        @test code == 0
        @test all(n -> length(marks_of(s, n)) == 1, chain)
    end

    @testset "FastEverywhere.precompile_if_stale" begin
        s = scenario("fe")
        fe = joinpath(REPO, "julia_bindings", "FastEverywhere")
        code = """
            pushfirst!(LOAD_PATH, $(repr(fe)))
            using FastEverywhere
            println("PID=", getpid())
            r = FastEverywhere.precompile_if_stale("ChainA", "ChainB", "ChainC")
            show(stdout, MIME"text/plain"(), r); println()
            println("ALLFRESH=", all(e -> e.result === :fresh, r.entries))
            println("LAUNCHED=", r.launched)
            """
        ok, out, err = run_julia(code; env=s.env)
        @test ok
        ok || println(out, err)
        m = match(r"PID=(\d+)", out)
        @test occursin("ALLFRESH=true", out)
        @test occursin("LAUNCHED=true", out)
        @test all(n -> length(marks_of(s, n)) == 1, chain)
        m === nothing || @test length(launch_pids(s, chain; launcher=m.captures[1])) == 1
        @test all(values(isprecompiled_all(s.ids; env=s.env)))
    end

    @testset "8 concurrent jlcache precompile" begin
        s = scenario("concurrent")
        outs = [IOBuffer() for _ in 1:8]
        procs = [run(pipeline(ignorestatus(precompile_cmd(s)); stdout=outs[i], stderr=outs[i]); wait=false)
                 for i in 1:8]
        foreach(wait, procs)
        codes = [p.exitcode for p in procs]
        @test all(==(0), codes)
        all(==(0), codes) || foreach(o -> println(String(take!(o))), outs)
        counts = Dict(n => length(marks_of(s, n)) for n in chain)
        @test all(n -> counts[n] == 1, chain)
        all(n -> counts[n] == 1, chain) || println("compile counts: ", counts)
        texts = [String(take!(o)) for o in outs]
        # Single flight: one run launched julia; the others waited for it and
        # took the clone targets it learned from the probe cache.
        nlaunch = count(t -> occursin("julia ran for", t), texts)
        @test nlaunch == 1
        nlaunch == 1 || foreach(println, texts)
        @test length(launch_pids(s, chain)) == 1
        @test all(values(isprecompiled_all(s.ids; env=s.env)))
    end

    @testset "julia using races jlcache precompile" begin
        s = scenario("race"; names=["ChainC"])
        u = run(pipeline(ignorestatus(setenv(`$JULIA --startup-file=no -e 'using ChainC; print(ChainC.f())'`, s.env));
                         stdout=IOBuffer(), stderr=IOBuffer()); wait=false)
        j = run(pipeline(ignorestatus(precompile_cmd(s)); stdout=IOBuffer(), stderr=IOBuffer()); wait=false)
        wait(u); wait(j)
        @test u.exitcode == 0
        @test j.exitcode == 0
        @test isprecompiled_all(s.ids; env=s.env)["ChainC"]
        code, v, raw = jlcache_status(; env=s.env)
        @test get(v, "ChainC", raw) == "fresh"
        # Julia's pidfile lock should make it compile once; twice is allowed
        # by Julia (a stale-lock takeover), so only reported.
        n = length(marks_of(s, "ChainC"))
        n == 1 || println("race: ChainC compiled $n times")
    end

    @testset "--timeout kills the process group" begin
        s = scenario("timeout"; names=["Sleepy"],
                     extra=Dict("Sleepy" => "ccall(:jl_generating_output, Cint, ()) == 1 && sleep(30)"))
        t0 = time()
        ok, out, err, code = run_cmd(precompile_cmd(s, "--timeout", "1"))
        el = time() - t0
        @test code == 3
        code == 3 || println(out, err)
        @test el < 20
        @test occursin(r"Sleepy: (\e\[\d+m)?timeout", out)
        sleep(0.5)
        left = procs_of(s)
        @test isempty(left)
        isempty(left) || (println("left over: ", left); foreach(p -> try run(`kill -9 $p`) catch end, left))
    end

    @testset "failing package" begin
        s = scenario("boom"; names=["Boom"],
                     extra=Dict("Boom" => "error(\"boom-marker\")"))
        ok, out, err, code = run_cmd(precompile_cmd(s))
        @test code == 1
        @test occursin(r"Boom: (\e\[\d+m)?failed", out)
        @test occursin("boom-marker", out * err)
        occursin("boom-marker", out * err) || println(out, err)
        @test isprecompiled_all(s.ids; env=s.env)["Boom"] == false
    end

    @testset "failing dependency in a chain" begin
        # ChainC fails; ChainB and ChainA depend on it and cannot be fresh.
        s = scenario("chainboom"; extra=Dict("ChainC" => "error(\"boom-marker\")"))
        ok, out, err, code = run_cmd(precompile_cmd(s))
        @test code == 1
        @test occursin("boom-marker", out * err)
        @test length(launch_pids(s, chain)) <= 1
        @test !any(values(isprecompiled_all(s.ids; env=s.env)))
        code2, v, raw = jlcache_status(; env=s.env)
        @test all(n -> get(v, n, "") != "fresh", chain)
        # Fixed source: the next run compiles the chain, once each.
        src = joinpath(s.root, "dev", "ChainC", "src", "ChainC.jl")
        write(src, marked_source("ChainC", s.marks)); touch_later(src)
        ok, out, err, code = run_cmd(precompile_cmd(s))
        @test code == 0
        code == 0 || println(out, err)
        @test all(values(isprecompiled_all(s.ids; env=s.env)))
        @test length(marks_of(s, "ChainA")) == 1
        @test length(marks_of(s, "ChainB")) == 1
    end
end
