# Shared by the real-Julia suites (tests/julia/test_*.jl), which
# tests/julia/run_suite.sh starts with JLCACHE_LIB, JLCACHE_CLI, JLCACHE_REPO,
# JLCACHE_TEST_JULIA and JLCACHE_TEST_TMP set. Everything a suite writes goes
# under JLCACHE_TEST_TMP; child julias get explicit depots and projects.
module RealJulia

using Test

export TMP, JULIA, CLI, LIB, REPO, PATHSEP, julia_version_string,
       Pkg, write_package, write_environment, one_package_environment, julia_env, run_julia, run_cmd,
       isprecompiled_all, jlcache_status, count_results, finish_suite, touch_later

const TMP = ENV["JLCACHE_TEST_TMP"]
const JULIA = ENV["JLCACHE_TEST_JULIA"]
const CLI = ENV["JLCACHE_CLI"]
const LIB = ENV["JLCACHE_LIB"]
const REPO = ENV["JLCACHE_REPO"]
const PATHSEP = Sys.iswindows() ? ";" : ":"
julia_version_string() = string(VERSION)

# A package to write: name, uuid, deps (name => uuid), source text of
# src/<name>.jl, extra Project.toml text, and extra files (relative path => text).
Base.@kwdef struct Pkg
    name::String
    uuid::String
    version::String = "0.1.0"
    deps::Vector{Pair{String,String}} = Pair{String,String}[]
    source::String = "module $name\nend\n"
    project_extra::String = ""
    files::Dict{String,String} = Dict{String,String}()
end

function write_package(dir::AbstractString, p::Pkg)
    mkpath(joinpath(dir, "src"))
    open(joinpath(dir, "Project.toml"), "w") do io
        println(io, "name = \"$(p.name)\"\nuuid = \"$(p.uuid)\"\nversion = \"$(p.version)\"\n")
        if !isempty(p.deps)
            println(io, "[deps]")
            foreach(d -> println(io, "$(d.first) = \"$(d.second)\""), p.deps)
            println(io)
        end
        print(io, p.project_extra)
    end
    write(joinpath(dir, "src", "$(p.name).jl"), p.source)
    for (rel, text) in p.files
        mkpath(dirname(joinpath(dir, rel)))
        write(joinpath(dir, rel), text)
    end
    return dir
end

# Project.toml + Manifest.toml (format 2.0) for developed packages.
# `pkgs` are (Pkg, path) pairs; `direct` names the project's [deps];
# `stdlibs` are (name, uuid) pairs of stdlibs used by the packages;
# `extra_manifest` is appended to each entry by name (e.g. weakdeps tables).
function write_environment(envdir::AbstractString, pkgs::Vector{<:Tuple{Pkg,String}};
                           direct::Vector{String}=[p.name for (p, _) in pkgs],
                           stdlibs::Vector{Tuple{String,String}}=Tuple{String,String}[],
                           extra_manifest::Dict{String,String}=Dict{String,String}())
    mkpath(envdir)
    uuid_of = Dict(p.name => p.uuid for (p, _) in pkgs)
    for (n, u) in stdlibs
        uuid_of[n] = u
    end
    open(joinpath(envdir, "Project.toml"), "w") do io
        println(io, "[deps]")
        foreach(n -> println(io, "$n = \"$(uuid_of[n])\""), direct)
    end
    open(joinpath(envdir, "Manifest.toml"), "w") do io
        println(io, "julia_version = \"$(VERSION)\"\nmanifest_format = \"2.0\"\n")
        for (p, path) in pkgs
            println(io, "[[deps.$(p.name)]]")
            isempty(p.deps) || println(io, "deps = [", join(repr.(first.(p.deps)), ", "), "]")
            println(io, "path = $(repr(path))")
            println(io, "uuid = \"$(p.uuid)\"")
            println(io, "version = \"$(p.version)\"")
            print(io, get(extra_manifest, p.name, ""))
            println(io)
        end
        for (n, u) in stdlibs
            println(io, "[[deps.$n]]\nuuid = \"$u\"\nversion = \"$(VERSION.major).$(VERSION.minor).0\"\n")
        end
    end
    return envdir
end

# One package under TMP/dev<tag> and an environment TMP/env<tag> that holds
# it; returns the environment's directory and the package's source file.
function one_package_environment(p::Pkg; tag::AbstractString="")
    dir = write_package(joinpath(TMP, "dev" * tag, p.name), p)
    envdir = write_environment(joinpath(TMP, "env" * tag), [(p, dir)])
    return envdir, joinpath(dir, "src", "$(p.name).jl")
end

# Environment for a child julia or jlcache: the given depots (the bundled
# depot kept through the trailing separator, so stdlib caches are reused),
# the project, and nothing inherited that could point at a user's depot.
function julia_env(; depots::Vector{String}, project::AbstractString, extra=Dict{String,String}())
    env = Dict{String,String}()
    for k in ("PATH", "HOME", "TMPDIR", "LANG", "JLCACHE_LIB")
        haskey(ENV, k) && (env[k] = ENV[k])
    end
    env["JULIA_DEPOT_PATH"] = join(depots, PATHSEP) * PATHSEP
    env["JULIA_PROJECT"] = project
    env["JULIA_PKG_OFFLINE"] = "true"
    merge!(env, extra)
    return env
end

# Runs a command; returns (ok, stdout, stderr).
function run_cmd(cmd::Cmd)
    out, err = IOBuffer(), IOBuffer()
    p = run(pipeline(ignorestatus(cmd); stdout=out, stderr=err))
    return success(p), String(take!(out)), String(take!(err)), p.exitcode
end

run_julia(code::AbstractString; env, flags::Vector{String}=String[]) =
    run_cmd(setenv(`$JULIA --startup-file=no --history-file=no $flags -e $code`, env))

# Julia's own verdict, Base.isprecompiled(pkg; ignore_loaded=true), for each
# (name, uuid) in a fresh process started with `flags`.
function isprecompiled_all(names_uuids::Vector{Tuple{String,String}}; env, flags::Vector{String}=String[])
    code = """
        for (name, uuid) in $(repr(names_uuids))
            id = Base.PkgId(Base.UUID(uuid), name)
            println(name, "=", Base.isprecompiled(id; ignore_loaded=true))
        end
        """
    ok, out, err = run_julia(code; env, flags)
    ok || error("reference julia failed:\n$out\n$err")
    result = Dict{String,Bool}()
    for line in split(strip(out), '\n')
        name, value = split(strip(line), '=')
        result[name] = parse(Bool, value)
    end
    return result
end

# `jlcache status --json` for the environment `env` describes, using the
# julia on PATH (JLCACHE_TEST_JULIA's directory comes first there) unless
# `args` says otherwise. Returns (exitcode, name => verdict, raw json text).
function jlcache_status(; env, args::Vector{String}=String[])
    ok, out, err, code = run_cmd(setenv(`$CLI status --json $args`, env))
    verdicts = Dict{String,String}()
    for m in eachmatch(r"\"name\": \"([^\"]+)\",\s*\"uuid\": \"[^\"]*\",\s*\"verdict\": \"([a-z_]+)\"", out)
        verdicts[m.captures[1]] = m.captures[2]
    end
    return code, verdicts, out * err
end

# Moves a file's mtime forward so mtime-based checks see a change.
function touch_later(path; seconds=5)
    t = round(Int, time()) + seconds
    ccall(:utime, Cint, (Cstring, Ptr{NTuple{2,Int}}), path, Ref((t, t)))
    return path
end

include(joinpath(@__DIR__, "..", "..", "julia_bindings", "FastEverywhere", "test", "count_results.jl"))

# Runs `body` inside a top-level testset named `suite`, prints the closing
# line run_suite.sh promises, and exits 1 on any failure.
function finish_suite(body, suite::AbstractString)
    ts = Test.DefaultTestSet("$suite (julia $(VERSION))")
    Test.push_testset(ts)
    try
        body()
    catch e
        Test.record(ts, Test.Error(:nontest_error, Expr(:tuple), e, Base.current_exceptions(), LineNumberNode(0)))
    finally
        Test.pop_testset()
    end
    passed, failed = count_results(ts)
    try
        Test.print_test_results(ts)
    catch
    end
    println("$suite (julia $(VERSION)): $passed passed, $failed failed")
    exit(failed == 0 ? 0 : 1)
end

end # module
