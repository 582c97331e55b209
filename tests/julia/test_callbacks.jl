# Issue 11 item 5: the two questions only Julia can answer (clone targets,
# preference hashes), asked of a real Julia three ways, must give one verdict:
#   (a) Julia itself: Base.isprecompiled(pkg; ignore_loaded=true), fresh process;
#   (b) `jlcache status --json`, julia on PATH: the probe's records
#       (accepted/rejected_clone_targets, [[preference_hashes]]);
#   (c) FastEverywhere in a fresh julia: the in-process runtime, whose
#       @cfunction callbacks (src/callbacks.jl) call jl_check_pkgimage_clones
#       and Base.get_preferences_hash from jlcache's threads.
# Then (c) again with `julia -t 2` and under addprocs(2), with a deadline, so a
# deadlock or crash of a callback entered on a jlcache thread fails the suite.
#
# A rejected clone-target blob: on this kind of machine no JULIA_CPU_TARGET
# gives one. The compiling process intersects the target's features with the
# host's (sapphirerapids, "haswell,+amx-tile", "haswell,+avx512fp16" all
# produce blobs the default julia accepts), and targets below the sysimage's
# (core2, generic, x86-64-v2: "Unable to find compatible target in cached code
# image" / "Your CPU does not support the CX16 instruction") cannot compile at
# all. So one cache is compiled under JULIA_CPU_TARGET=sapphirerapids (a
# different, accepted blob), and the rejected one is a real cache whose blob is
# rewritten to enable every feature bit (file CRC recomputed): the suite checks
# that this julia's own jl_check_pkgimage_clones and Base.isprecompiled refuse it.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

const FE = joinpath(REPO, "julia_bindings", "FastEverywhere")
uuid(i) = "7a0c1e2d-0000-4000-8000-0000000cb0" * lpad(string(i), 2, '0')
const OTHER_CPU_TARGET = "sapphirerapids"
const DEADLINE = 240   # seconds for each threaded / Distributed child

# --- the rejected blob -------------------------------------------------------

# The clone-target blob of a .ji, as Julia reads it.
function clone_targets(ji)
    open(ji) do io
        Base.isvalid_cache_header(io) == 0 && error("not a valid cache: $ji")
        h = Base.parse_cache_header(io, ji)
        return h[7]::Vector{UInt8}
    end
end

# Blob layout (Base.parse_image_targets, base/loading.jl at 1.11.7): int32
# ntargets; per target int32 flags, int32 nwords, nwords en-feature words,
# nwords dis-feature words, int32 name length, name, int32 ext-features
# length, ext features.
function enable_all_features(blob::Vector{UInt8})
    b = copy(blob)
    rd(pos) = Int(reinterpret(UInt32, b[pos:pos+3])[1])
    pos = 1
    n = rd(pos); pos += 4
    for _ in 1:n
        pos += 4                      # flags
        nw = rd(pos); pos += 4
        b[pos:pos+4nw-1] .= 0xff      # every feature enabled
        pos += 4nw
        b[pos:pos+4nw-1] .= 0x00      # none disabled
        pos += 4nw
        pos += 4 + rd(pos)            # name
        pos += 4 + rd(pos)            # ext features
    end
    pos == length(b) + 1 || error("unexpected clone-target layout")
    return b
end

# Rewrites the blob inside the .ji and its trailing CRC-32C (isvalid_file_crc).
function reject_clone_targets!(ji)
    old = clone_targets(ji)
    new = enable_all_features(old)
    bytes = read(ji)
    r = findall(old, bytes)
    length(r) == 1 || error("clone-target blob found $(length(r)) times in $ji")
    bytes[r[1]] = new
    crc = Base._crc32c(view(bytes, 1:length(bytes)-4))
    bytes[end-3:end] = reinterpret(UInt8, [htol(crc)])
    chmod(ji, 0o644)
    write(ji, bytes)
    return new
end

julia_accepts(blob) = ccall(:jl_check_pkgimage_clones, Any, (Ptr{Cchar},), blob) === nothing

# --- the three verdict sources -----------------------------------------------

verdict_of(fresh::Bool) = fresh ? "fresh" : "stale"

# (c): FastEverywhere in a fresh julia. Prints "FE name kind" per package with
# the callbacks, and "NOCB name kind" from a session without them.
const FE_STATUS = """
    using FastEverywhere
    const F = FastEverywhere
    r = F._here()
    for v in F.status(; runtime=r)
        println("FE ", v.package, " ", v.kind)
    end
    # The same runtime without callbacks: what jlcache can tell on its own.
    lock(F.SESSIONS_LOCK) do
        F.SESSIONS[r] = F.Session(r; clone_callback=false, preferences_callback=false)
    end
    for v in F.status(; runtime=r)
        println("NOCB ", v.package, " ", v.kind)
    end
    """

function parse_tagged(out, tag)
    d = Dict{String,String}()
    for m in eachmatch(Regex("^$tag (\\S+) (\\S+)\$", "m"), out)
        d[m.captures[1]] = m.captures[2]
    end
    return d
end

function fasteverywhere_status(env; flags=String[])
    ok, out, err, code = run_cmd(setenv(`timeout -k 10 $DEADLINE $JULIA --startup-file=no --history-file=no $flags -e $FE_STATUS`, env))
    ok || println("FastEverywhere child failed ($code):\n$out\n$err")
    return ok, parse_tagged(out, "FE"), parse_tagged(out, "NOCB")
end

# Runs `code` in a julia with two threads under the deadline; it must finish,
# print `marker`, and report for every package the kinds `expected` says.
function expect_threaded_child(code, what, marker; env, ids, expected)
    ok, out, err, rc = run_cmd(setenv(`timeout -k 10 $DEADLINE $JULIA --startup-file=no --history-file=no -t 2 -e $code`, env))
    @test rc != 124 && rc != 137      # not killed by the deadline
    @test ok
    ok || println("$what child failed ($rc):\n$out\n$err")
    @test occursin(marker, out)
    got = parse_tagged(out, "FE")
    for (n, _) in ids
        @test get(got, n, "missing") == expected[n]
    end
end

# Compares (a), (b), (c) for every package; `nocb` says what the session
# without callbacks must answer per package (nothing: not checked).
function check_step(label, ids, env; nocb=Dict{String,String}())
    @testset "$label" begin
        truth = isprecompiled_all(ids; env)
        code, cli, raw = jlcache_status(; env)
        ok, fe, fe_nocb = fasteverywhere_status(env)
        @test ok
        for (name, _) in ids
            want = verdict_of(truth[name])
            @testset "$name" begin
                @test get(cli, name, "missing") == want
                @test get(fe, name, "missing") == want
                get(cli, name, "missing") == want && get(fe, name, "missing") == want ||
                    println("DIVERGENCE [$label] $name: julia=$want cli=$(get(cli, name, "missing")) ",
                            "fasteverywhere=$(get(fe, name, "missing"))\n$raw")
                if haskey(nocb, name)
                    @test get(fe_nocb, name, "missing") == nocb[name]
                end
            end
        end
        return truth
    end
end

RealJulia.finish_suite("callbacks") do
    depot = mkpath(joinpath(TMP, "depot"))
    dev = joinpath(TMP, "dev")
    A = Pkg(name="CbA", uuid=uuid(1), source="module CbA\na() = 1\nend\n")
    C = Pkg(name="CbCpu", uuid=uuid(2), source="module CbCpu\nc() = 2\nend\n")
    R = Pkg(name="CbRej", uuid=uuid(3), source="module CbRej\nr() = 3\nend\n")
    P = Pkg(name="CbPref", uuid=uuid(4), source="""
        module CbPref
        const MODE = begin
            Base.record_compiletime_preference(Base.UUID("$(uuid(4))"), "mode")
            get(Base.get_preferences(Base.UUID("$(uuid(4))")), "mode", "default")
        end
        end
        """)
    pkgs = [A, C, R, P]
    envdir = write_environment(joinpath(TMP, "env"), [(p, write_package(joinpath(dev, p.name), p)) for p in pkgs])
    ids = [(p.name, p.uuid) for p in pkgs]
    prefs = joinpath(envdir, "LocalPreferences.toml")
    # FastEverywhere is loadable from the load path; every source sees the same one.
    env = julia_env(; depots=[depot], project=envdir,
                    extra=Dict("JULIA_LOAD_PATH" => join(["@", FE, "@stdlib"], PATHSEP)))

    write(prefs, "[CbPref]\nmode = \"fast\"\n")
    ok, out, err = run_julia("using CbA, CbRej, CbPref"; env)
    @test ok
    ok || println(out, err)
    ok, out, err = run_julia("using CbCpu"; env=merge(env, Dict("JULIA_CPU_TARGET" => OTHER_CPU_TARGET)))
    @test ok
    ok || println(out, err)
    cache(name) = only(filter(endswith(".ji"), readdir(joinpath(depot, "compiled", "v$(VERSION.major).$(VERSION.minor)", name); join=true)))

    @testset "blobs" begin
        a, c = clone_targets(cache("CbA")), clone_targets(cache("CbCpu"))
        @test a != c                       # a different target was compiled in
        @test julia_accepts(a)
        @test julia_accepts(c)
        rej = reject_clone_targets!(cache("CbRej"))
        @test rej == clone_targets(cache("CbRej"))
        @test !julia_accepts(rej)
        @test Base.isvalid_file_crc(open(cache("CbRej")))
    end

    # Clone targets: accepted (default and other target) and rejected; the
    # preference hash matches the cache. Without callbacks the in-process
    # runtime has no clone-target records, so every pkgimage is unknown.
    t = check_step("compiled; one blob rejected", ids, env;
                   nocb=Dict("CbA" => "unknown", "CbCpu" => "unknown", "CbRej" => "unknown", "CbPref" => "unknown"))
    @test t == Dict("CbA" => true, "CbCpu" => true, "CbRej" => false, "CbPref" => true)

    # Preference hash via the callback: changed, then back to the cached value
    # (a different file with the same preferences: only the hash can tell).
    write(prefs, "[CbPref]\nmode = \"slow\"\n")
    t = check_step("preference changed", ids, env)
    @test t["CbPref"] == false
    write(prefs, "# rewritten\n[CbPref]\nmode = \"fast\"\n")
    t = check_step("preference back to the cached value", ids, env)
    @test t["CbPref"] == true
    expected = Dict(n => verdict_of(t[n]) for (n, _) in ids)

    @testset "julia -t 2: concurrent callers, GC pressure" begin
        code = """
            using FastEverywhere
            const F = FastEverywhere
            @assert Threads.nthreads() == 2
            names = $(repr(first.(ids)))
            results = Vector{Vector{Pair{String,Symbol}}}()
            rlock = ReentrantLock()
            stop = Threads.Atomic{Bool}(false)
            garbage = Threads.@spawn while !stop[]
                x = [rand(100) for _ in 1:1000]; GC.gc(false)
            end
            tasks = [Threads.@spawn begin
                         for k in 1:15
                             v = isodd(k + i) ? [p.package => p.kind for p in F.status()] :
                                                [n => F.isstale(n).kind for n in names]
                             lock(() -> push!(results, v), rlock)
                             GC.gc(k % 5 == 0)
                         end
                     end for i in 1:4]
            foreach(wait, tasks); stop[] = true; wait(garbage)
            seen = Dict{String,Set{Symbol}}()
            for v in results, (n, k) in v
                push!(get!(seen, n, Set{Symbol}()), k)
            end
            println("CALLS ", length(results))
            for (n, ks) in seen
                println("FE ", n, " ", join(sort(string.(collect(ks))), ","))
            end
            """
        expect_threaded_child(code, "julia -t 2", "CALLS 60"; env, ids, expected)
    end

    @testset "addprocs(2): master and workers at once" begin
        code = """
            using Distributed
            addprocs(2; exeflags=["-t", "2"])
            @everywhere using FastEverywhere
            names = $(repr(first.(ids)))
            @everywhere ask() = [(myid(), Threads.threadid(), p.package, p.kind) for k in 1:10 for p in FastEverywhere.status()]
            futures = [remotecall(ask, w) for w in workers() for _ in 1:2]
            here = [Threads.@spawn ask() for _ in 1:2]
            answers = vcat(fetch.(futures)..., fetch.(here)...)
            println("PIDS ", length(unique(first.(answers))))
            seen = Dict{String,Set{Symbol}}()
            for (_, _, n, k) in answers
                push!(get!(seen, n, Set{Symbol}()), k)
            end
            for (n, ks) in seen
                println("FE ", n, " ", join(sort(string.(collect(ks))), ","))
            end
            rmprocs(workers())
            """
        expect_threaded_child(code, "addprocs", "PIDS 3"; env, ids, expected)
    end
end
