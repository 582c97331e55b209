# Several machines, simulated on this one (issue 14). A "host" is a process
# tree in a UTS namespace of its own (tests/julia/simulated_host.sh): its
# gethostname() differs, everything else (network, files, pids) is shared, so
# a Distributed worker started there through `addprocs(exename=wrapper)`
# connects back over loopback exactly as a worker on another node would, and
# FastEverywhere groups it as another machine. Each host may have its own
# depot (JULIA_DEPOT_PATH) and its own JLCACHE_LIB.
#
# Every package's source appends "host depot check_bounds" to a marker file
# while Julia generates its cache (jl_generating_output), so the lines count
# the compiles and say where each ran. Checked:
#   1. own depots, stale on host B only: one compile, in B's depot, on B;
#      A's compiled/ untouched; Foo loaded on all three processes;
#   2. one shared depot, stale: one compile in total;
#   3. a host without the library: one warning naming it; the others still
#      load at once (a rendezvous in __init__ proves the master and the host-B
#      worker were inside the load together; the library-less worker's load
#      starts after the master's ended, Distributed's order);
#   4. a worker with --check-bounds=yes: its own group and its own cache;
#   5. a holder of the precompile lock on another host that crashed: waited
#      for while its lock is younger than 5 x stale_age, taken over after;
#   6. 16 ranks of `jlcache precompile` at once over 4 hosts on one depot
#      (an MPI-style prologue, a shell loop): one julia compile, all exit 0.
# Julia's own isprecompiled judges every depot afterwards. No timing is
# asserted; the 16-rank times are printed (benchmarks/ranks_prologue.sh
# measures them for RESULTS.md).
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

const FE = joinpath(REPO, "julia_bindings", "FastEverywhere")
const SIMHOST = joinpath(@__DIR__, "simulated_host.sh")
const HERE = gethostname()
const q = Base.shell_escape_posixly
const DOLLAR = string(Char(0x24))           # sh's "$", spelled so for the syntax check
const ALL_ARGS = string('"', DOLLAR, "@", '"')   # sh's "$@"

# Each host's workers are started through a wrapper: the real julia in the
# host's namespace with the host's variables.
function host_wrapper(host::String; vars::Vector{String}=String[])
    path = joinpath(mkpath(joinpath(TMP, "hosts")), "$host.sh")
    # (Lines joined, not one string literal: the syntax check's grammar
    # misreads shell text such as "$@" inside Julia strings.)
    write(path, join(["#!/bin/sh", join([q(SIMHOST); q(host); q.(vars); "--"; q(JULIA); ALL_ARGS], " "), ""], "\n"))
    chmod(path, 0o755)
    return path
end

depot_vars(depots::Vector{String}) = ["JULIA_DEPOT_PATH=" * join(depots, PATHSEP) * PATHSEP]

# FastEverywhere's own cache, compiled once into a depot every scenario lists
# last: the scenarios' first depots then only gain the packages under test.
const TOOLS_DEPOT = mkpath(joinpath(TMP, "tools-depot"))

# The processes on the hosts named in `rendezvous` wait for each other inside
# __init__: each announces itself with a file, then waits up to 60 s for the
# others'. All say "met" only if their loads overlapped.
function rendezvous_init(name::String, marks::String, rendezvous::Vector{String})
    hosts, logfile = repr(rendezvous), repr(joinpath(marks, name * ".init"))
    dir = repr(joinpath(marks, "rendezvous"))
    return join([
        "function __init__()",
        "    log(word) = open(io -> println(io, word, ' ', gethostname(), ' ', getpid()), $logfile, \"a\")",
        "    log(\"start\")",
        "    me = gethostname()",
        "    if me in $hosts",
        "        dir = mkpath($dir)",
        "        touch(joinpath(dir, me))",
        "        deadline = time() + 60",
        "        while !all(h -> isfile(joinpath(dir, h)), $hosts) && time() < deadline",
        "            sleep(0.05)",
        "        end",
        "        log(all(h -> isfile(joinpath(dir, h)), $hosts) ? \"met\" : \"alone\")",
        "    end",
        "    log(\"end\")",
        "end",
        ""], "\n")
end

function marked_source(name::String, marks::String; rendezvous::Vector{String}=String[])
    init = isempty(rendezvous) ? "" : rendezvous_init(name, marks, rendezvous)
    return """
        module $name
        if ccall(:jl_generating_output, Cint, ()) == 1
            open(joinpath($(repr(marks)), $(repr(name))), "a") do io
                println(io, gethostname(), " ", DEPOT_PATH[1], " ", Base.JLOptions().check_bounds)
            end
        end
        $init
        f() = 1
        end
        """
end

const UUID_SERIAL = Ref(0)
next_uuid() = "7a0c1e2d-0000-4000-8000-0000000c1" * lpad(UUID_SERIAL[] += 1, 3, '0')

# A scenario: packages (marked) in an environment of their own.
function scenario(tag::String, names::Vector{String}; rendezvous::Vector{String}=String[])
    root = mkpath(joinpath(TMP, tag))
    marks = mkpath(joinpath(root, "marks"))
    pkgs = Tuple{Pkg,String}[]
    for n in names
        p = Pkg(name=n, uuid=next_uuid(),
                source=marked_source(n, marks; rendezvous))
        push!(pkgs, (p, write_package(joinpath(root, "dev", n), p)))
    end
    envdir = write_environment(joinpath(root, "env"), pkgs)
    ids = [(p.name, p.uuid) for (p, _) in pkgs]
    depot(name) = mkpath(joinpath(root, "depot-$name"))
    return (; root, marks, envdir, ids, depot)
end

env_for(s, first_depot::String; extra=Dict{String,String}()) =
    julia_env(; depots=[first_depot, TOOLS_DEPOT], project=s.envdir,
              extra=merge(Dict("JULIA_LOAD_PATH" => join(["@", FE, "@stdlib"], PATHSEP)), extra))

compiles(s, name) = (f = joinpath(s.marks, name); isfile(f) ? readlines(f) : String[])
init_log(s, name) = (f = joinpath(s.marks, "$name.init"); isfile(f) ? readlines(f) : String[])

# Fresh in `depot`: compiled there by a plain julia (without loading it, so
# no __init__ runs), and the marker reset.
function compile_in!(s, name, depot)
    ok, out, err = run_julia("Base.compilecache(Base.identify_package($(repr(name))))"; env=env_for(s, depot))
    ok || error("compiling $name in $depot failed:\n$out\n$err")
    rm(joinpath(s.marks, name); force=true)
end

# A master julia that adds `workers` (exename, exeflags) one by one, then runs
# `FastEverywhere.@everywhere using Pkg` and says on which host each process
# is and whether it has the package.
function run_master(s, pkg::String, depot::String, workers::Vector{Tuple{String,Vector{String}}})
    code = """
        using Distributed, FastEverywhere
        for (exe, flags) in $(repr(workers))
            addprocs(1; exename=exe, exeflags=flags)
        end
        where(p) = remotecall_fetch(Core.eval, p, Main, :(string(gethostname(), ",", myid())))
        println("HOSTS ", join([string(p, "=", where(p)) for p in procs()], " "))
        FastEverywhere.@everywhere using $pkg
        has(p) = remotecall_fetch(Core.eval, p, Main, :(isdefined(Main, $(repr(Symbol(pkg))))))
        println("LOADED ", join([string(p, "=", has(p)) for p in procs()], " "))
        rmprocs(workers())
        """
    ok, out, err = run_julia(code; env=env_for(s, depot))
    ok || println("master failed:\n", out, "\n", err)
    hosts = Dict{Int,String}()
    m = match(r"HOSTS (.*)", out)
    m === nothing || for kv in split(m.captures[1])
        p, rest = split(kv, '='; limit=2)
        host, id = split(rest, ',')
        parse(Int, id) == parse(Int, p) && (hosts[parse(Int, p)] = host)
    end
    m = match(r"LOADED (.*)", out)
    loaded = m === nothing ? Dict{Int,Bool}() :
             Dict(parse(Int, a) => parse(Bool, b) for (a, b) in (split(kv, '=') for kv in split(m.captures[1])))
    warnings = [w.match for w in eachmatch(r"Warning: FastEverywhere[^└]*", err)]
    return (; ok, out, err, hosts, loaded, warnings)
end

# Paths, inodes and sizes under dir: a compile writes new files (renamed
# into place), while loading a cache only touches its mtime (Julia does,
# base/loading.jl 1.11.7 lines 1808 and 2017).
snapshot(dir) = isdir(dir) ? sort!([(joinpath(r, f), stat(joinpath(r, f)).inode, filesize(joinpath(r, f)))
                                    for (r, _, fs) in walkdir(dir) for f in fs]) : []

jlcache_precompile(s, depot, args...) =
    run_cmd(setenv(`$CLI precompile --json $(collect(args))`, env_for(s, depot)))
json_bool(text, key) = (m = match(Regex("\"$key\": (true|false)"), text); m === nothing ? nothing : m.captures[1] == "true")

function namespaces_work()
    ok, out, err = run_cmd(`$SIMHOST jlc-probe -- hostname`)
    ok && strip(out) == "jlc-probe" && return ""
    return "cannot give a process its own hostname with unshare --uts (" * strip(out * " " * err) * ")"
end

const NO_NAMESPACES = namespaces_work()
if !isempty(NO_NAMESPACES)
    println("clusters (julia $(VERSION)): skipped: $(NO_NAMESPACES)")
    exit(0)
end

RealJulia.finish_suite("clusters") do
    # FastEverywhere compiled once, where every scenario's workers find it.
    ok, out, err = run_julia("using FastEverywhere";
                             env=julia_env(; depots=[TOOLS_DEPOT], project=TOOLS_DEPOT,
                                           extra=Dict("JULIA_LOAD_PATH" => join(["@", FE, "@stdlib"], PATHSEP))))
    @test ok
    ok || println(out, err)

    @testset "the wrapper gives a worker another hostname" begin
        s = scenario("wrap", ["CluWrap"])
        r = run_master(s, "CluWrap", s.depot("a"),
                       [(host_wrapper("jlc-wrap"; vars=depot_vars([s.depot("a"), TOOLS_DEPOT])), String[])])
        @test r.ok
        @test r.hosts == Dict(1 => HERE, 2 => "jlc-wrap")
        @test r.loaded == Dict(1 => true, 2 => true)
    end

    @testset "1. own depots, stale on host B only" begin
        s = scenario("own", ["CluOne"])
        a, b = s.depot("a"), s.depot("b")
        compile_in!(s, "CluOne", a)
        @test isprecompiled_all(s.ids; env=env_for(s, a))["CluOne"]
        @test !isprecompiled_all(s.ids; env=env_for(s, b))["CluOne"]
        before = snapshot(joinpath(a, "compiled"))
        hostb = host_wrapper("jlc-hostb"; vars=depot_vars([b, TOOLS_DEPOT]))
        r = run_master(s, "CluOne", a, [(JULIA, String[]), (hostb, String[])])
        @test r.ok
        @test r.hosts == Dict(1 => HERE, 2 => HERE, 3 => "jlc-hostb")
        @test r.loaded == Dict(1 => true, 2 => true, 3 => true)
        @test compiles(s, "CluOne") == ["jlc-hostb $b 0"]
        @test snapshot(joinpath(a, "compiled")) == before
        @test isempty(r.warnings)
        isempty(r.warnings) || println(r.warnings)
        @test isprecompiled_all(s.ids; env=env_for(s, a))["CluOne"]
        @test isprecompiled_all(s.ids; env=env_for(s, b))["CluOne"]
    end

    @testset "2. one shared depot, stale: one compile in total" begin
        s = scenario("shared", ["CluTwo"])
        d = s.depot("shared")
        hostb = host_wrapper("jlc-nfsb"; vars=depot_vars([d, TOOLS_DEPOT]))
        r = run_master(s, "CluTwo", d, [(hostb, String[])])
        @test r.ok
        @test r.hosts == Dict(1 => HERE, 2 => "jlc-nfsb")
        @test r.loaded == Dict(1 => true, 2 => true)
        lines = compiles(s, "CluTwo")
        @test length(lines) == 1
        @test length(lines) == 1 && split(lines[1])[1] in (HERE, "jlc-nfsb") && split(lines[1])[2] == d
        println("  shared depot: compiled by ", join(lines, "; "))
        @test isempty(r.warnings)
        @test isprecompiled_all(s.ids; env=env_for(s, d))["CluTwo"]
    end

    @testset "3. a host without the library falls back alone" begin
        s = scenario("nolib", ["CluThree"]; rendezvous=[HERE, "jlc-libb"])
        a, b, c = s.depot("a"), s.depot("b"), s.depot("c")
        foreach(d -> compile_in!(s, "CluThree", d), (a, b, c))
        hostb = host_wrapper("jlc-libb"; vars=depot_vars([b, TOOLS_DEPOT]))
        hostc = host_wrapper("jlc-nolibc"; vars=[depot_vars([c, TOOLS_DEPOT]); "JLCACHE_LIB=$(TMP)/nowhere/libjlcache.so"])
        r = run_master(s, "CluThree", a, [(hostb, String[]), (hostc, String[])])
        @test r.ok
        @test r.hosts == Dict(1 => HERE, 2 => "jlc-libb", 3 => "jlc-nolibc")
        @test r.loaded == Dict(1 => true, 2 => true, 3 => true)
        @test length(r.warnings) == 1
        w = join(r.warnings, "\n")
        @test occursin("process 3 on jlc-nolibc", w) && occursin("libjlcache is not available on jlc-nolibc", w)
        @test !occursin("jlc-libb", w)
        log = init_log(s, "CluThree")
        @test "met $HERE" in [join(split(l)[1:2], " ") for l in log]
        @test "met jlc-libb" in [join(split(l)[1:2], " ") for l in log]
        @test !any(l -> startswith(l, "alone"), log)
        master_end = findfirst(l -> startswith(l, "end $HERE "), log)
        c_start = findfirst(l -> startswith(l, "start jlc-nolibc "), log)
        @test master_end !== nothing && c_start !== nothing && c_start > master_end
        length(log) == 8 || println("init log:\n  ", join(log, "\n  "))
        @test isempty(compiles(s, "CluThree"))
    end

    @testset "4. other cache flags: own group, own cache" begin
        s = scenario("flags", ["CluFour"])
        a = s.depot("a")
        compile_in!(s, "CluFour", a)
        @test !isprecompiled_all(s.ids; env=env_for(s, a), flags=["--check-bounds=yes"])["CluFour"]
        r = run_master(s, "CluFour", a, [(JULIA, ["--check-bounds=yes"]), (JULIA, String[])])
        @test r.ok
        @test r.loaded == Dict(1 => true, 2 => true, 3 => true)
        @test compiles(s, "CluFour") == ["$HERE $a 1"]
        @test isempty(r.warnings)
        @test isprecompiled_all(s.ids; env=env_for(s, a))["CluFour"]
        @test isprecompiled_all(s.ids; env=env_for(s, a), flags=["--check-bounds=yes"])["CluFour"]
        @test length(filter(f -> endswith(f, ".ji"), readdir(joinpath(a, "compiled", "v$(VERSION.major).$(VERSION.minor)", "CluFour")))) == 2
    end

    @testset "5. a crashed holder on another host" begin
        s = scenario("crash", ["CluFive", "CluSix"])
        d = s.depot("shared")
        # The lock's path, from a run that takes it.
        ok, out, err, code = jlcache_precompile(s, d, "CluSix")
        @test code == 0
        m = match(r"\"lock\": \"([^\"]+)\"", out)
        @test m !== nothing
        lock = m === nothing ? joinpath(d, "none") : String(m.captures[1])
        @test !ispath(lock)
        # Its holder on jlc-gone crashed 30 s ago (> stale_age 10, < 5 x 10):
        # it cannot be probed by pid, so it is alive as far as anyone knows.
        write(lock, "4242 jlc-gone")
        chmod(lock, 0o444)
        touch_later(lock; seconds=-30)   # (an mtime in the past)
        ok, out, err, code = jlcache_precompile(s, d, "CluFive", "--timeout", "3")
        @test code == 3
        @test json_bool(out, "timed_out") == true
        @test read(lock, String) == "4242 jlc-gone"
        @test isempty(compiles(s, "CluFive"))
        # 60 s without a refresh: > 5 x stale_age, taken over.
        touch_later(lock; seconds=-60)
        ok, out, err, code = jlcache_precompile(s, d, "CluFive")
        @test code == 0
        code == 0 || println(out, err)
        @test json_bool(out, "recovered_stale_lock") == true
        @test length(compiles(s, "CluFive")) == 1
        @test !ispath(lock)
        @test isprecompiled_all(s.ids; env=env_for(s, d))["CluFive"]
    end

    @testset "6. 16 ranks on 4 hosts, one depot" begin
        ranks = 16
        s = scenario("ranks", ["CluRankA", "CluRankB"])
        d = s.depot("shared")
        env = env_for(s, d)
        outs = mkpath(joinpath(s.root, "out"))
        # The prologue of an MPI-style job: every rank runs the same command.
        D = DOLLAR
        script = join([
            "for i in $(join(1:ranks, ' ')); do",
            "  $(q(SIMHOST)) node$(D)((i % 4)) -- $(q(CLI)) precompile --json > $(q(outs))/rank$(D)i.out 2>&1 &",
            "done",
            "failed=0",
            "for job in $(D)(jobs -p); do wait $(D)job || failed=$(D)((failed + 1)); done",
            "echo \"failed ranks: $(D)failed\""], "\n")
        t0 = time()
        ok, out, err = run_cmd(setenv(`bash -c $script`, env))
        elapsed = time() - t0
        @test ok
        @test occursin("failed ranks: 0", out)
        rank_outs = [read(joinpath(outs, "rank$i.out"), String) for i in 1:ranks]
        launched = count(o -> json_bool(o, "launched") == true, rank_outs)
        @test launched == 1
        @test length(compiles(s, "CluRankA")) == 1
        @test length(compiles(s, "CluRankB")) == 1
        @test all(values(isprecompiled_all(s.ids; env)))
        # The same work by one process, for the log (not asserted).
        s1 = scenario("single", ["CluRankA", "CluRankB"])
        t0 = time()
        ok1, _, _, code1 = jlcache_precompile(s1, s1.depot("shared"))
        single = time() - t0
        @test code1 == 0
        println("  16 ranks: $(round(elapsed; digits=2)) s, one process: $(round(single; digits=2)) s, ratio $(round(elapsed / single; digits=2))")
    end
end
