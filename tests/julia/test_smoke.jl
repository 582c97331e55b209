# The smallest real-Julia check: one package compiled by real Julia is fresh
# for Julia and for `jlcache status` (julia on PATH, no --runtime), and an
# edit makes both say stale.
include(joinpath(@__DIR__, "support.jl"))
using .RealJulia, Test

RealJulia.finish_suite("smoke") do
    depot = mkpath(joinpath(TMP, "depot"))
    p = Pkg(name="SmokeA", uuid="7a0c1e2d-0000-4000-8000-00000000a001",
            source="module SmokeA\nf() = 1\nend\n")
    envdir, src = one_package_environment(p)
    env = julia_env(; depots=[depot], project=envdir)
    ids = [("SmokeA", p.uuid)]
    @test isprecompiled_all(ids; env)["SmokeA"] == false
    code, v, raw = jlcache_status(; env)
    @test get(v, "SmokeA", raw) == "stale"
    ok, out, err = run_julia("using SmokeA"; env)
    @test ok
    @test isprecompiled_all(ids; env)["SmokeA"] == true
    code, v, raw = jlcache_status(; env)
    @test get(v, "SmokeA", raw) == "fresh"
    code == 0 || println(raw)
    write(src, "module SmokeA\nf() = 2\nend\n"); touch_later(src)
    @test isprecompiled_all(ids; env)["SmokeA"] == false
    code, v, raw = jlcache_status(; env)
    @test get(v, "SmokeA", raw) == "stale"
end
