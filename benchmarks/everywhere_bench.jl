# `@everywhere using` on N processes against one process's `using` (issue 12).
#
#   julia --startup-file=no benchmarks/everywhere_bench.jl BUILD_DIR [RUNS=5] [WORKERS=1,2,4] [OUT.tsv] [CASES]
#
# Generates, in a temporary directory, a heavy package (thousands of types and
# methods with precompile statements, and work in __init__) and a chain (a package over two
# dependencies, one a weak dependency with an extension), an environment with
# both, and a depot where they are compiled. Then, for each package and each
# worker count N, each case RUNS times, every run a new julia, interleaved
# (run 1 of every case, then run 2, ...), the line timed inside the process:
#   single      one process's `using P` (the yardstick)
#   floor       N+1 independent `julia -e 'using P'` started at once; the
#               slowest line counts (the hardware floor for N+1 loads)
#   dist        Distributed's `@everywhere using P` after addprocs(N)
#   fe          FastEverywhere's `@everywhere using P` (first use in the
#               session; `using FastEverywhere` is timed apart, as fe_using;
#               FastEverywhere's own work before the loads is fe_decide)
#   dist_noop / fe_noop  the same line again (already loaded everywhere)
#   dist_stale / fe_stale  the first line after editing P's source (the
#               edit is a new comment: P must be compiled again); the number
#               of compiles of P is counted per run and must be 1
#   fe_exename  fe with workers started through a wrapper script as
#               `exename` (as a cluster launcher would), N=1 only
#   dist_settled / fe_settled  dist and fe with a 3 s pause before the line
#               (after addprocs, and after `using FastEverywhere`), as when
#               a user types it: the workers have started, and
#               FastEverywhere's background warm-ups have ended
# CASES (comma-separated) runs only those; by default every case above but
# the settled ones (which add ~40% to a ~60 min run).
# Prints a table of medians (ms) and writes every sample to OUT.tsv as it is taken
# (benchmarks/plot_everywhere.py tables and plots any such file, even a partial one).
# Needs the julia running it (its binary is used for every child) and
# BUILD_DIR/libjlcache.so.
using Printf, Statistics

const BUILD = abspath(ARGS[1])
const RUNS = length(ARGS) >= 2 ? parse(Int, ARGS[2]) : 5
const NS = length(ARGS) >= 3 ? parse.(Int, split(ARGS[3], ',')) : [1, 2, 4]
const OUT = length(ARGS) >= 4 ? ARGS[4] : ""
const ONLY = length(ARGS) >= 5 ? split(ARGS[5], ',') : nothing
const ALL_CASES = ["single", "floor", "dist", "fe", "fe_exename", "dist_settled", "fe_settled", "dist_stale", "fe_stale"]
const CHOSEN = ONLY === nothing ? filter(c -> !endswith(c, "_settled"), ALL_CASES) : ONLY
let unknown = setdiff(CHOSEN, ALL_CASES)
    isempty(unknown) || error("unknown case(s) $(join(unknown, ", ")); known: $(join(ALL_CASES, ", "))")
end
const JULIA = joinpath(Sys.BINDIR, Base.julia_exename())
const FE = abspath(joinpath(@__DIR__, "..", "julia_bindings", "FastEverywhere"))
const WORK = mktempdir()
const MARKS = mkpath(joinpath(WORK, "marks"))
# Iterations of Heavy's __init__ loop: ~1.2 s on this machine, so that one
# load takes >= 1.5 s as issue 12 asks (JLCACHE_BENCH_HEAVY_INIT overrides).
const HEAVY_INIT = parse(Int, get(ENV, "JLCACHE_BENCH_HEAVY_INIT", "120000000"))

# ------------------------------------------------------------- the packages

function package!(name, uuid; body, deps=Pair{String,String}[], weak=Pair{String,String}[],
                  exts=Pair{String,String}[])
    dir = mkpath(joinpath(WORK, "dev", name, "src"))
    open(joinpath(WORK, "dev", name, "Project.toml"), "w") do io
        println(io, "name = \"$name\"\nuuid = \"$uuid\"\nversion = \"0.1.0\"")
        isempty(deps) || (println(io, "\n[deps]"); foreach(d -> println(io, "$(d[1]) = \"$(d[2])\""), deps))
        isempty(weak) || (println(io, "\n[weakdeps]"); foreach(d -> println(io, "$(d[1]) = \"$(d[2])\""), weak))
        isempty(exts) || (println(io, "\n[extensions]"); foreach(e -> println(io, "$(e[1]) = \"$(e[2])\""), exts))
    end
    write(joinpath(dir, "$name.jl"), body)
    return joinpath(dir, "$name.jl")
end

# Counts compiles: one line per cache generation.
marker(name) = """
    if ccall(:jl_generating_output, Cint, ()) == 1
        open(io -> println(io, getpid()), $(repr(joinpath(MARKS, name))), "a")
    end
    """

# Concrete types and methods with precompile statements: what a load must
# deserialize and insert. (Parametric ones compile for minutes here.)
function types_and_methods(prefix, n)
    io = IOBuffer()
    for i in 1:n
        println(io, "struct $(prefix)$(i)\n    a::Int\n    b::Float64\n    c::String\nend")
        println(io, "f$(i)(x::$(prefix)$(i)) = x.a + x.b + length(x.c)")
        println(io, "g$(i)(x::$(prefix)$(i), y::Int) = $(prefix)$(i)(x.a + y, x.b * y, string(x.c, y))")
        println(io, "Base.show(io::IO, x::$(prefix)$(i)) = print(io, \"$(prefix)$(i)(\", x.a, \")\")")
        println(io, "precompile(f$(i), ($(prefix)$(i),)); precompile(g$(i), ($(prefix)$(i), Int)); precompile(show, (IO, $(prefix)$(i)))")
    end
    return String(take!(io))
end

# Work at load time, as packages that build tables in __init__ do: a fixed
# number of iterations (not a time), so the same on every process.
init_work(iterations) = """
    const INIT_RESULT = Ref(0.0)
    function __init__()
        s = 0.0
        for i in 1:$(iterations)
            s += sin(i)
        end
        INIT_RESULT[] = s
    end
    """

const UUIDS = Dict("Heavy" => "7a0c1e2d-0000-4000-8000-00000000b001",
                   "ChainTop" => "7a0c1e2d-0000-4000-8000-00000000b002",
                   "ChainDep" => "7a0c1e2d-0000-4000-8000-00000000b003",
                   "ChainWeak" => "7a0c1e2d-0000-4000-8000-00000000b004")
package!("Heavy", UUIDS["Heavy"];
    body="module Heavy\n$(marker("Heavy"))\n$(types_and_methods("H", 1500))\n$(init_work(HEAVY_INIT))\nend\n")
package!("ChainDep", UUIDS["ChainDep"];
    body="module ChainDep\n$(marker("ChainDep"))\n$(types_and_methods("D", 400))\nend\n")
package!("ChainWeak", UUIDS["ChainWeak"];
    body="module ChainWeak\n$(marker("ChainWeak"))\n$(types_and_methods("W", 100))\nend\n")
mkpath(joinpath(WORK, "dev", "ChainTop", "ext"))
write(joinpath(WORK, "dev", "ChainTop", "ext", "ChainTopWeakExt.jl"),
      "module ChainTopWeakExt\nusing ChainTop, ChainWeak\n$(marker("ChainTopWeakExt"))\nChainTop.top(::ChainWeak.W1) = 2\nend\n")
package!("ChainTop", UUIDS["ChainTop"];
    deps=["ChainDep" => UUIDS["ChainDep"]], weak=["ChainWeak" => UUIDS["ChainWeak"]],
    exts=["ChainTopWeakExt" => "ChainWeak"],
    body="module ChainTop\nusing ChainDep\n$(marker("ChainTop"))\n$(types_and_methods("T", 400))\ntop(x) = 1\nend\n")

const ENVDIR = mkpath(joinpath(WORK, "env"))
write(joinpath(ENVDIR, "Project.toml"),
      "[deps]\n" * join(["$n = \"$(UUIDS[n])\"" for n in ("Heavy", "ChainTop", "ChainWeak")], "\n") * "\n")
write(joinpath(ENVDIR, "Manifest.toml"), """
    julia_version = "$(VERSION)"
    manifest_format = "2.0"

    [[deps.Heavy]]
    path = $(repr(joinpath(WORK, "dev", "Heavy")))
    uuid = "$(UUIDS["Heavy"])"
    version = "0.1.0"

    [[deps.ChainDep]]
    path = $(repr(joinpath(WORK, "dev", "ChainDep")))
    uuid = "$(UUIDS["ChainDep"])"
    version = "0.1.0"

    [[deps.ChainWeak]]
    path = $(repr(joinpath(WORK, "dev", "ChainWeak")))
    uuid = "$(UUIDS["ChainWeak"])"
    version = "0.1.0"

    [[deps.ChainTop]]
    deps = ["ChainDep"]
    path = $(repr(joinpath(WORK, "dev", "ChainTop")))
    uuid = "$(UUIDS["ChainTop"])"
    version = "0.1.0"
    weakdeps = ["ChainWeak"]

        [deps.ChainTop.extensions]
        ChainTopWeakExt = "ChainWeak"
    """)

const DEPOT = mkpath(joinpath(WORK, "depot"))
const ENV_VARS = Dict("JULIA_DEPOT_PATH" => DEPOT * ":", "JULIA_PROJECT" => ENVDIR,
                      "JULIA_LOAD_PATH" => join(["@", FE, "@stdlib"], ":"),
                      "JLCACHE_LIB" => joinpath(BUILD, "libjlcache.so"), "JULIA_PKG_OFFLINE" => "true",
                      "PATH" => Sys.BINDIR * ":" * ENV["PATH"], "HOME" => get(ENV, "HOME", WORK))
cmd(code) = setenv(`$JULIA --startup-file=no --history-file=no -e $code`, ENV_VARS)

const WRAPPER = joinpath(WORK, "launcher.sh")
write(WRAPPER, "#!/bin/sh\n# a cluster launcher's stand-in\nexec $(Base.shell_escape_posixly(JULIA)) \"\$@\"\n")
chmod(WRAPPER, 0o755)

# The line for each package: `using ChainTop, ChainWeak` loads the chain and
# its extension.
const LINES = Dict("Heavy" => "using Heavy", "Chain" => "using ChainTop, ChainWeak")
const EDITS = Dict("Heavy" => "Heavy", "Chain" => "ChainDep")   # whose source a stale case edits

# ------------------------------------------------------------- the cases

ms(t) = (time_ns() - t) / 1e6
timed(label, line) = "t0 = time_ns(); $line; println(\"$label \", (time_ns() - t0) / 1e6)"

function case_code(case, pkg, n)
    line = LINES[pkg]
    if case == "single"
        return timed("T", line)
    elseif case in ("dist", "dist_stale", "dist_settled")
        return """
            using Distributed
            addprocs($n)
            $(case == "dist_settled" ? "sleep(3)" : "")
            $(timed("T", "@everywhere $line"))
            $(timed("NOOP", "@everywhere $line"))
            """
    else
        exename = case == "fe_exename" ? ", exename=$(repr(WRAPPER))" : ""
        return """
            using Distributed
            addprocs($n$exename)
            $(timed("USING", "using FastEverywhere"))
            $(case == "fe_settled" ? "sleep(3)" : "")
            $(timed("T", "FastEverywhere.@everywhere $line"))
            steps = Dict(FastEverywhere.last_timings())
            println("DECIDE ", 1000 * get(steps, :sent, NaN))
            $(timed("NOOP", "FastEverywhere.@everywhere $line"))
            """
    end
end

parse_value(out, key) = (m = match(Regex("^$key ([0-9.eE+-]+|NaN)\$", "m"), out); m === nothing ? NaN : parse(Float64, m.captures[1]))

function run_one(case, pkg, n)
    if case == "floor"
        outs = [IOBuffer() for _ in 1:n+1]
        ps = [run(pipeline(cmd(timed("T", LINES[pkg])); stdout=o, stderr=devnull); wait=false) for o in outs]
        foreach(wait, ps)
        all(success, ps) || error("floor run failed")
        return Dict("T" => maximum(parse_value(String(take!(o)), "T") for o in outs))
    end
    stale = endswith(case, "_stale")
    if stale
        f = joinpath(WORK, "dev", EDITS[pkg], "src", "$(EDITS[pkg]).jl")
        open(io -> println(io, "# edit $(time_ns())"), f, "a")
        rm(joinpath(MARKS, EDITS[pkg]); force=true)
    end
    out, err = IOBuffer(), IOBuffer()
    p = run(pipeline(ignorestatus(cmd(case_code(case, pkg, n))); stdout=out, stderr=err))
    o = String(take!(out))
    success(p) || error("$case $pkg n=$n failed:\n$o\n$(String(take!(err)))")
    r = Dict(k => parse_value(o, k) for k in ("T", "NOOP", "USING", "DECIDE"))
    if stale
        f = joinpath(MARKS, EDITS[pkg])
        r["COMPILES"] = isfile(f) ? length(readlines(f)) : 0
    end
    return r
end

# ------------------------------------------------------------- the run

println("julia $(VERSION), $(Sys.CPU_THREADS) CPU threads, runs=$RUNS, workers=$NS, work dir $WORK")
run(pipeline(cmd("using FastEverywhere, Heavy, ChainTop, ChainWeak"); stdout=devnull, stderr=devnull))
samples = Dict{Tuple{String,String,Int,String},Vector{Float64}}()
# Each sample goes to OUT.tsv as it is taken, so a run cut short still leaves its data.
isempty(OUT) || write(OUT, "pkg\tcase\tn\tkey\tvalue_ms\n")
function record!(key, v)
    push!(get!(samples, key, Float64[]), v)
    isempty(OUT) || open(io -> println(io, join(key, '\t'), '\t', v), OUT, "a")
end
cases(n) = filter(c -> (n == 1 || c != "fe_exename") && c in CHOSEN, ALL_CASES)
for run_i in 1:RUNS, pkg in ("Heavy", "Chain"), n in NS, case in cases(n)
    case == "single" && n != first(NS) && continue   # one yardstick per package
    r = run_one(case, pkg, n)
    for (k, v) in r
        isnan(v) || record!((pkg, case, case == "single" ? 0 : n, k), v)
    end
    @printf("run %d %-5s n=%d %-10s T=%8.1f ms%s\n", run_i, pkg, n, case, r["T"],
            haskey(r, "COMPILES") ? "  compiles=$(Int(r["COMPILES"]))" : "")
    flush(stdout)
end

med(key) = haskey(samples, key) ? median(samples[key]) : NaN
println("\nmedians (ms) of $RUNS runs; ratios against the floor for the same number of processes")
@printf("%-6s %2s %9s %9s %9s %9s %7s %7s %9s %9s %9s %9s %9s %7s\n", "pkg", "N", "single", "floor", "dist", "fe",
        "fe/flr", "dist/fe", "fe_decide", "fe_using", "dist_noop", "fe_noop", "d_stale", "f_stale")
for pkg in ("Heavy", "Chain"), n in NS
    s, f = med((pkg, "single", 0, "T")), med((pkg, "floor", n, "T"))
    d, e = med((pkg, "dist", n, "T")), med((pkg, "fe", n, "T"))
    @printf("%-6s %2d %9.1f %9.1f %9.1f %9.1f %7.2f %7.2f %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f\n", pkg, n, s, f, d, e,
            e / f, d / e, med((pkg, "fe", n, "DECIDE")), med((pkg, "fe", n, "USING")),
            med((pkg, "dist", n, "NOOP")), med((pkg, "fe", n, "NOOP")),
            med((pkg, "dist_stale", n, "T")), med((pkg, "fe_stale", n, "T")))
end
for pkg in ("Heavy", "Chain"), n in NS
    d, e = med((pkg, "dist_settled", n, "T")), med((pkg, "fe_settled", n, "T"))
    isnan(d) && isnan(e) && continue
    @printf("%-6s N=%d after a 3 s pause: dist %.1f, fe %.1f (%.2f x floor), fe_decide %.1f, no-op dist / fe %.1f / %.1f ms\n",
            pkg, n, d, e, e / med((pkg, "floor", n, "T")), med((pkg, "fe_settled", n, "DECIDE")),
            med((pkg, "dist_settled", n, "NOOP")), med((pkg, "fe_settled", n, "NOOP")))
end
for pkg in ("Heavy", "Chain")
    e = med((pkg, "fe_exename", 1, "T"))
    isnan(e) || @printf("%-6s fe with a launcher script as exename, N=1: %.1f ms\n", pkg, e)
    for case in ("dist_stale", "fe_stale"), n in NS
        c = get(samples, (pkg, case, n, "COMPILES"), Float64[])
        isempty(c) || println("$pkg $case n=$n compiles per run: ", Int.(c))
    end
end
isempty(OUT) || println("samples: $OUT")
