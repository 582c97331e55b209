# `jlcache probe` (lib/env/probe_script.jl run by lib/env/probe.cc) must give
# the runtime FastEverywhere.runtime_info() (julia_bindings/FastEverywhere/
# src/runtime.jl, which evaluates the same script, fetched from the library
# with jlcache_probe_script) builds in-process in the same julia, key by key:
# the library's parse of the script's output equals what FastEverywhere
# reports; and
# `jlcache status` with julia on PATH and no --runtime works out of the box.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test, TOML

const FE = joinpath(REPO, "julia_bindings", "FastEverywhere")

# runtime_info() of a child julia loading FastEverywhere, as a Dict in the
# profile's key names.
function fasteverywhere_runtime(env)
    out = joinpath(TMP, "fe-$(rand(UInt32)).toml")
    code = """
        using FastEverywhere, TOML
        r = FastEverywhere.runtime_info()
        d = Dict{String,Any}()
        for k in (:julia_version, :git_branch, :git_commit, :os, :arch, :julia_bin, :image_file,
                  :cpu_target, :stdlib_dir, :build_stdlib_dir, :bindir, :pkgimages)
            d[string(k)] = getfield(r, k)
        end
        d["pointer_size"] = r.pointer_size
        d["cache_flags"] = Int(r.cache_flags)
        d["sysimage_modules"] = sort([string(n, "|", u, "|0x", string(UInt128(hi) << 64 | lo; base=16, pad=32))
                                      for (n, u, hi, lo) in r.sysimage_modules])
        open(io -> TOML.print(io, d), $(repr(out)), "w")
        """
    ok, o, e = run_julia(code; env, flags=["--project=$FE"])
    ok || error("FastEverywhere child failed:\n$o\n$e")
    return TOML.parsefile(out)
end

function jlcache_probe(env; force=true)
    out = joinpath(TMP, "probe-$(rand(UInt32)).toml")
    flags = force ? ["--force"] : String[]
    ok, o, e, code = run_cmd(setenv(`$CLI probe --julia $JULIA $flags -o $out`, env))
    ok || error("jlcache probe failed ($code):\n$o\n$e")
    d = TOML.parsefile(out)
    d["sysimage_modules"] = sort([string(m["name"], "|", get(m, "uuid", ""), "|", m["build_id"])
                                  for m in d["sysimage_modules"]])
    return d
end

function compare_profiles(env)
    fe = fasteverywhere_runtime(env)
    pr = jlcache_probe(env)
    for (k, v) in fe
        @testset "$k" begin
            @test haskey(pr, k)
            @test get(pr, k, nothing) == v
            get(pr, k, nothing) == v || println("DIFF $k: probe=$(repr(get(pr, k, nothing))) fasteverywhere=$(repr(v))")
        end
    end
end

RealJulia.finish_suite("probe") do
    depot = mkpath(joinpath(TMP, "depot"))
    # FastEverywhere's own project; its caches go to this depot.
    env = julia_env(; depots=[depot], project=FE)
    @testset "default environment" begin
        compare_profiles(env)
    end
    @testset "JULIA_CPU_TARGET set" begin
        env2 = julia_env(; depots=[depot], project=FE, extra=Dict("JULIA_CPU_TARGET" => "generic"))
        compare_profiles(env2)
    end
    @testset "JULIA_CPU_TARGET set but empty" begin
        # compilecache_path hashes the variable's value, "" included.
        env3 = julia_env(; depots=[depot], project=FE, extra=Dict("JULIA_CPU_TARGET" => ""))
        compare_profiles(env3)
    end
    @testset "cached profile follows JULIA_CPU_TARGET" begin
        # Without --force the profile cached in the depot is reused; one
        # probed without JULIA_CPU_TARGET must not answer for a run with it.
        d3 = mkpath(joinpath(TMP, "depot3"))
        plain = jlcache_probe(julia_env(; depots=[d3], project=FE); force=false)
        gen = jlcache_probe(julia_env(; depots=[d3], project=FE,
                                      extra=Dict("JULIA_CPU_TARGET" => "generic")); force=false)
        @test plain["cpu_target"] == "native"
        @test gen["cpu_target"] == "generic"
        again = jlcache_probe(julia_env(; depots=[d3], project=FE); force=false)
        @test again["cpu_target"] == "native"
    end
    @testset "status out of the box" begin
        p = Pkg(name="ProbeA", uuid="7a0c1e2d-0000-4000-8000-00000000b001",
                source="module ProbeA\nf() = 1\nend\n")
        envdir = first(one_package_environment(p))
        d2 = mkpath(joinpath(TMP, "depot2"))
        e = julia_env(; depots=[d2], project=envdir)
        code, v, raw = jlcache_status(; env=e)
        @test get(v, "ProbeA", raw) == "stale"
        ok = first(run_julia("using ProbeA"; env=e))
        @test ok
        code, v, raw = jlcache_status(; env=e)
        @test get(v, "ProbeA", raw) == "fresh"
        @test code == 0
    end
    @testset "status agrees with Julia under JULIA_CPU_TARGET" begin
        # Caches compiled without the variable (this julia cannot compile
        # under JULIA_CPU_TARGET=generic: "Unable to find compatible target in
        # cached code image"), then checked with and without it: jlcache
        # (julia on PATH, no --runtime) must say fresh exactly when
        # Base.isprecompiled does.
        p = Pkg(name="ProbeCpu", uuid="7a0c1e2d-0000-4000-8000-00000000b002",
                source="module ProbeCpu\nf() = 1\nend\n")
        envdir = first(one_package_environment(p; tag="cpu"))
        d4 = mkpath(joinpath(TMP, "depot4"))
        gen = julia_env(; depots=[d4], project=envdir, extra=Dict("JULIA_CPU_TARGET" => "generic"))
        plain = julia_env(; depots=[d4], project=envdir)
        ok = first(run_julia("using ProbeCpu"; env=plain))
        @test ok
        for (label, e) in (("generic", gen), ("unset", plain))
            truth = isprecompiled_all([("ProbeCpu", p.uuid)]; env=e)["ProbeCpu"]
            code, v, raw = jlcache_status(; env=e)
            @test get(v, "ProbeCpu", raw) == (truth ? "fresh" : "stale")
            get(v, "ProbeCpu", raw) == (truth ? "fresh" : "stale") ||
                println("cpu target $label: julia says $truth, jlcache:\n$raw")
        end
    end
end
