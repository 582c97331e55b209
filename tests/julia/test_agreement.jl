# Agreement suite: real Julia writes the caches and real
# Base.isprecompiled(pkg; ignore_loaded=true), in a fresh default-flags julia,
# is the truth; `jlcache status --json` (julia on PATH, no --runtime) must give
# the same verdict for every package at every step.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

uuid(n) = "7a0c1e2d-0000-4000-8000-00000000b$(lpad(n, 3, '0'))"
const PRINTF = ("Printf", "de0858da-6303-5e67-8744-51eddeeeb8d7")
const UNICODE = ("Unicode", "4ec0a83e-493e-50e2-b9ac-8f72acf5a8f5")

struct Counts
    steps::Base.RefValue{Int}
    verdicts::Base.RefValue{Int}
    wrong::Base.RefValue{Int}
    unknown::Base.RefValue{Int}
    missing::Base.RefValue{Int}
end
const COUNTS = Counts(Ref(0), Ref(0), Ref(0), Ref(0), Ref(0))
# (step, package) pairs known to diverge, each listed in docs/real-julia.md.
const BROKEN = Set{Tuple{String,String}}()

function check_step(step::AbstractString, ids; env, args=String[])
    COUNTS.steps[] += 1
    label = step
    step = lpad(COUNTS.steps[], 2, '0') * " " * step
    truth = isprecompiled_all(ids; env)
    code, v, raw = jlcache_status(; env, args)
    println("step ", rpad(step, 48), join(["$n=$(truth[n] ? "T" : "F")/$(get(v, n, "missing"))" for (n, _) in ids], " "))
    get(ENV, "AGREEMENT_RAW", "") == step && println(raw)
    @testset "$step" begin
        for (name, _) in ids
            verdict = get(v, name, "missing")
            COUNTS.verdicts[] += 1
            verdict == "unknown" && (COUNTS.unknown[] += 1)
            # jlcache lists an extension only once a cache of its parent names
            # it (docs/staleness.md, unknown_extension_uuid); an unlisted
            # package agrees only where Julia says it is not precompiled.
            verdict == "missing" && (COUNTS.missing[] += 1)
            agree = (verdict == "fresh") == truth[name]
            agree || (COUNTS.wrong[] += 1)
            if (label, name) in BROKEN
                @test_broken agree
            else
                agree || println("DIVERGENCE at step '$step': $name julia=$(truth[name]) jlcache=$verdict\n$raw")
                @test agree
            end
        end
    end
    return truth, v
end

function load!(names; env, flags=String[])
    ok, out, err = run_julia("using " * join(names, ", "); env, flags)
    ok || error("julia failed loading $names:\n$out\n$err")
end

RealJulia.finish_suite("agreement") do
    dev = joinpath(TMP, "dev")
    depot = mkpath(joinpath(TMP, "depot1"))
    C = Pkg(name="AgC", uuid=uuid(1), source="module AgC\nc() = 1\nend\n")
    B = Pkg(name="AgB", uuid=uuid(2), deps=["AgC" => uuid(1)],
            source="module AgB\nusing AgC\nb() = AgC.c() + 1\nend\n")
    A = Pkg(name="AgA", uuid=uuid(3), deps=["AgB" => uuid(2)],
            source="module AgA\nusing AgB\na() = AgB.b() + 1\nend\n")
    P = Pkg(name="AgPref", uuid=uuid(4), source="""
        module AgPref
        const MODE = begin
            Base.record_compiletime_preference(Base.UUID("$(uuid(4))"), "mode")
            get(Base.get_preferences(Base.UUID("$(uuid(4))")), "mode", "default")
        end
        end
        """)
    I = Pkg(name="AgInc", uuid=uuid(5), source="""
        module AgInc
        const DATA = joinpath(@__DIR__, "data.txt")
        include_dependency(DATA)
        const TEXT = read(DATA, String)
        end
        """, files=Dict("src/data.txt" => "hello\n"))
    W = Pkg(name="AgWeak", uuid=uuid(6), source="module AgWeak\nw() = 1\nend\n")
    E = Pkg(name="AgExt", uuid=uuid(7), project_extra="""
        [weakdeps]
        AgWeak = "$(uuid(6))"

        [extensions]
        AgExtWeakExt = "AgWeak"
        """, files=Dict("ext/AgExtWeakExt.jl" =>
            "module AgExtWeakExt\nusing AgExt, AgWeak\ng() = AgWeak.w()\nend\n"),
        source="module AgExt\nf() = 1\nend\n")
    S = Pkg(name="AgStd", uuid=uuid(8), deps=[PRINTF[1] => PRINTF[2]],
            source="module AgStd\nusing Printf\ns() = @sprintf(\"%d\", 1)\nend\n")
    D = Pkg(name="AgDir", uuid=uuid(9), source="""
        module AgDir
        const D = joinpath(@__DIR__, "assets")
        include_dependency(D)
        const N = length(readdir(D))
        end
        """, files=Dict("src/assets/one.txt" => "1\n"))
    R = Pkg(name="AgRel", uuid=uuid(10), source="module AgRel\ninclude(\"part.jl\")\nend\n",
            files=Dict("src/part.jl" => "r() = 1\n"))
    M = Pkg(name="AgMtime", uuid=uuid(11), source="""
        module AgMtime
        include_dependency(joinpath(@__DIR__, "mt.txt"); track_content=false)
        end
        """, files=Dict("src/mt.txt" => "m\n"))
    pkgs = [C, B, A, P, I, W, E, S, D, R, M]
    paths = Dict(p.name => joinpath(dev, p.name) for p in pkgs)
    foreach(p -> write_package(paths[p.name], p), pkgs)
    envdir = write_environment(joinpath(TMP, "env1"), [(p, paths[p.name]) for p in pkgs];
        stdlibs=[PRINTF, UNICODE],
        extra_manifest=Dict("AgExt" => "weakdeps = [\"AgWeak\"]\n\n    [deps.AgExt.extensions]\n    AgExtWeakExt = \"AgWeak\"\n"))
    # The stdlib entry names its own dependency, as Pkg writes it.
    mf = joinpath(envdir, "Manifest.toml")
    write(mf, replace(read(mf, String), "[[deps.Printf]]\n" => "[[deps.Printf]]\ndeps = [\"Unicode\"]\n"))
    ext_uuid = string(Base.uuid5(Base.UUID(E.uuid), "AgExtWeakExt"))
    ids = [[(p.name, p.uuid) for p in pkgs]; [("AgExtWeakExt", ext_uuid), PRINTF, UNICODE]]
    names = [p.name for p in pkgs]
    env = julia_env(; depots=[depot], project=envdir)
    src(p) = joinpath(paths[p.name], "src", "$(p.name).jl")
    prefs = joinpath(envdir, "LocalPreferences.toml")

    check_step("nothing compiled", ids; env)
    load!(["AgC"]; env)
    check_step("leaf AgC compiled", ids; env)
    load!(names; env)
    check_step("everything compiled", ids; env)

    # Chain edits
    write(src(C), "module AgC\nc() = 10\nend\n"); touch_later(src(C))
    check_step("AgC source edited", ids; env)
    load!(["AgC"]; env)
    check_step("only AgC recompiled (partial)", ids; env)
    load!(["AgA"]; env)
    check_step("chain recompiled (full)", ids; env)
    touch_later(src(B); seconds=20)
    check_step("AgB touched without edit", ids; env)
    write(src(B), B.source * "# comment\n"); touch_later(src(B); seconds=30)
    check_step("AgB edited (comment)", ids; env)
    write(src(B), B.source); touch_later(src(B); seconds=40)
    check_step("AgB reverted", ids; env)
    load!(["AgA"]; env)
    check_step("chain recompiled after revert", ids; env)

    # Compile-time preferences
    write(prefs, "[AgPref]\nmode = \"fast\"\n")
    check_step("preference set", ids; env)
    load!(["AgPref"]; env)
    check_step("recompiled with preference", ids; env)
    write(prefs, "[AgPref]\nmode = \"slow\"\n")
    check_step("preference changed", ids; env)
    load!(["AgPref"]; env)
    check_step("recompiled with changed preference", ids; env)
    write(prefs, "[AgPref]\nother = 1\nmode = \"slow\"\n")
    check_step("unrelated preference added", ids; env)
    rm(prefs)
    check_step("preference file removed", ids; env)
    load!(["AgPref"]; env)
    check_step("recompiled without preferences", ids; env)

    # include_dependency
    data = joinpath(paths["AgInc"], "src", "data.txt")
    touch_later(data; seconds=50)
    check_step("include_dependency touched", ids; env)
    write(data, "changed\n"); touch_later(data; seconds=60)
    check_step("include_dependency edited", ids; env)
    load!(["AgInc"]; env)
    check_step("AgInc recompiled", ids; env)
    rm(data)
    check_step("include_dependency deleted", ids; env)
    write(data, "changed\n")
    load!(["AgInc"]; env)
    check_step("include_dependency restored, recompiled", ids; env)

    # Extensions
    extsrc = joinpath(paths["AgExt"], "ext", "AgExtWeakExt.jl")
    write(extsrc, "module AgExtWeakExt\nusing AgExt, AgWeak\ng() = AgWeak.w() + 1\nend\n")
    touch_later(extsrc; seconds=70)
    check_step("extension source edited", ids; env)
    load!(["AgExt", "AgWeak"]; env)
    check_step("extension recompiled", ids; env)
    write(src(W), "module AgWeak\nw() = 2\nend\n"); touch_later(src(W); seconds=80)
    check_step("trigger AgWeak edited", ids; env)
    load!(["AgExt", "AgWeak"]; env)
    check_step("trigger recompiled", ids; env)

    # Stdlib dependency
    write(src(S), replace(S.source, "end\n" => "t() = 2\nend\n")); touch_later(src(S); seconds=90)
    check_step("AgStd edited", ids; env)
    load!(["AgStd"]; env)
    check_step("AgStd recompiled against bundled Printf", ids; env)

    # Deleted .ji / native library
    compiled = joinpath(depot, "compiled", "v$(VERSION.major).$(VERSION.minor)")
    for f in readdir(joinpath(compiled, "AgC"); join=true)
        endswith(f, ".ji") && rm(f)
    end
    check_step("AgC .ji deleted", ids; env)
    load!(["AgA"]; env)
    check_step("recompiled after .ji deletion", ids; env)
    for f in readdir(joinpath(compiled, "AgB"); join=true)
        endswith(f, "." * Base.Libc.Libdl.dlext) && rm(f)
    end
    check_step("AgB native library deleted", ids; env)
    load!(["AgA"]; env)
    check_step("recompiled after .so deletion", ids; env)

    # Other flags: wipe A's chain caches, compile under flags, check default.
    for (i, flags) in enumerate([["--check-bounds=yes"], ["-O1"], ["--pkgimages=no"], ["-g2"]])
        for n in ("AgA", "AgB", "AgC")
            rm(joinpath(compiled, n); recursive=true, force=true)
        end
        load!(["AgA"]; env, flags)
        check_step("chain compiled with $(flags[1])", ids; env)
    end
    load!(["AgA"]; env)
    check_step("default caches alongside flagged ones", ids; env)

    # An included file, a tracked directory, preferences in Project.toml,
    # a package whose manifest path moves.
    part = joinpath(paths["AgRel"], "src", "part.jl")
    write(part, "r() = 2\n"); touch_later(part; seconds=120)
    check_step("included part.jl edited", ids; env)
    load!(["AgRel"]; env)
    check_step("AgRel recompiled", ids; env)
    write(joinpath(paths["AgDir"], "src", "assets", "two.txt"), "2\n")
    touch_later(joinpath(paths["AgDir"], "src", "assets"); seconds=130)
    check_step("file added to include_dependency directory", ids; env)
    load!(["AgDir"]; env)
    check_step("AgDir recompiled", ids; env)
    write(joinpath(paths["AgDir"], "src", "assets", "two.txt"), "22\n")
    check_step("file in tracked directory edited", ids; env)
    projfile = joinpath(envdir, "Project.toml")
    projtext = read(projfile, String)
    write(projfile, projtext * "\n[preferences.AgPref]\nmode = \"fast\"\n")
    check_step("Project.toml preference = an already-compiled value", ids; env)
    write(projfile, projtext * "\n[preferences.AgPref]\nmode = \"proj\"\n")
    check_step("Project.toml preference = a new value", ids; env)
    load!(["AgPref"]; env)
    check_step("recompiled with Project.toml preference", ids; env)
    write(prefs, "[AgPref]\nmode = \"local\"\n")
    check_step("LocalPreferences.toml overrides Project.toml", ids; env)
    rm(prefs); write(projfile, projtext)
    check_step("all preferences removed again", ids; env)
    newrel = joinpath(TMP, "dev2", "AgRel")
    mkpath(dirname(newrel)); cp(paths["AgRel"], newrel)
    write(mf, replace(read(mf, String), repr(paths["AgRel"]) => repr(newrel)))
    check_step("AgRel copied, manifest points at the copy", ids; env)
    load!(["AgRel"]; env)
    check_step("AgRel recompiled at its new path", ids; env)
    write(mf, replace(read(mf, String), repr(newrel) => repr(paths["AgRel"])))
    check_step("manifest points back at the original AgRel", ids; env)

    load!(["AgRel"]; env)
    check_step("AgRel recompiled at its original path", ids; env)
    link = joinpath(TMP, "devlink")
    symlink(paths["AgRel"], link)
    write(mf, replace(read(mf, String), repr(paths["AgRel"]) => repr(link)))
    check_step("manifest reaches AgRel through a symlink", ids; env)
    write(mf, replace(read(mf, String), repr(link) => repr(paths["AgRel"])))
    check_step("manifest path without the symlink again", ids; env)

    # include_dependency(...; track_content=false) is tracked by mtime.
    mt = joinpath(paths["AgMtime"], "src", "mt.txt")
    touch_later(mt; seconds=140)
    check_step("mtime-tracked dependency touched", ids; env)
    load!(["AgMtime"]; env)
    check_step("AgMtime recompiled", ids; env)

    # Preferences from a lower environment of the load path (@v#.#).
    globalenv = mkpath(joinpath(depot, "environments", "v$(VERSION.major).$(VERSION.minor)"))
    # Base reads an environment's preferences only for packages it names.
    write(joinpath(globalenv, "Project.toml"),
          "[deps]\nAgPref = \"$(P.uuid)\"\n\n[preferences.AgPref]\nmode = \"global\"\n")
    check_step("preference from the @v#.# environment", ids; env)
    load!(["AgPref"]; env)
    check_step("recompiled with the @v#.# preference", ids; env)
    write(prefs, "[AgPref]\nmode = \"fast\"\n")
    check_step("active project's preference overrides @v#.#", ids; env)
    rm(prefs); rm(joinpath(globalenv, "Project.toml"))
    check_step("@v#.# preference removed", ids; env)

    # A second environment (AgC and AgB only) sharing the depot and the sources.
    env2dir = write_environment(joinpath(TMP, "env2"), [(C, paths["AgC"]), (B, paths["AgB"])])
    env2 = julia_env(; depots=[depot], project=env2dir)
    ids2 = [("AgC", C.uuid), ("AgB", B.uuid)]
    check_step("second environment sharing depot", ids2; env=env2)
    write(src(C), "module AgC\nc() = 11\nend\n"); touch_later(src(C); seconds=100)
    load!(["AgB"]; env=env2)
    check_step("env2 recompiled after AgC edit", ids2; env=env2)
    check_step("env1 after env2 recompiled", ids; env)

    # Stacked depots: a new empty first depot over the populated one
    top = mkpath(joinpath(TMP, "depot0"))
    envs = julia_env(; depots=[top, depot], project=envdir)
    check_step("stacked depots (empty top)", ids; env=envs)
    write(src(A), A.source * "# x\n"); touch_later(src(A); seconds=110)
    load!(["AgA"]; env=envs)
    check_step("stacked depots, AgA recompiled into top", ids; env=envs)

    # Moved depot
    load!(names; env)
    check_step("all fresh before move", ids; env)
    moved = joinpath(TMP, "depot1-moved")
    mv(depot, moved)
    envm = julia_env(; depots=[moved], project=envdir)
    check_step("depot moved", ids; env=envm)
    envms = julia_env(; depots=[top, moved], project=envdir)
    check_step("depot moved under stacked top", ids; env=envms)

    println("agreement counts (julia $(VERSION)): steps=$(COUNTS.steps[]) verdicts=$(COUNTS.verdicts[]) wrong=$(COUNTS.wrong[]) unknown=$(COUNTS.unknown[]) missing=$(COUNTS.missing[])")
end
