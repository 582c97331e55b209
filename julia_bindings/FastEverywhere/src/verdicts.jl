"""
    Reason

One reason jlcache rejected a cache (or the package): a stable `code` such as
`"file_changed"` or `"dep_stale"`, a one-sentence `detail`, and when relevant
the `cache` file and the `dependency` ("Name [uuid]") concerned.
"""
struct Reason
    code::String
    detail::String
    cache::Union{String,Nothing}
    dependency::Union{String,Nothing}
end

"""
    Verdict

Would a fresh Julia process of this runtime find a usable precompile cache for
the package? `kind` is `:fresh`, `:stale` or `:unknown` ("cannot decide" is
never reported as fresh). `cache` is the cache a fresh verdict chose;
`reasons` say why candidates were rejected.

    julia> FastEverywhere.isstale("Example")
    Example [7876af07-990d-54b4-ab0e-23690620f79a]: stale
      file_changed  src/Example.jl changed since the cache was written
                    cache: ~/.julia/compiled/v1.10/Example/3o6Ty_abc.ji
"""
struct Verdict
    package::String
    uuid::Union{Base.UUID,Nothing}
    kind::Symbol
    cache::Union{String,Nothing}
    reasons::Vector{Reason}
end

isfresh(v::Verdict) = v.kind === :fresh

const VERDICT_KINDS = Dict(LibJlcache.JLCACHE_FRESH => :fresh, LibJlcache.JLCACHE_STALE => :stale,
                           LibJlcache.JLCACHE_UNKNOWN => :unknown)

# Reads a verdict without taking ownership of it.
function _read_verdict(v::Ptr{LibJlcache.jlcache_verdict})
    kind = get(VERDICT_KINDS, LibJlcache.jlcache_verdict_kind(v), :unknown)
    package = something(_maybe_string(LibJlcache.jlcache_verdict_package(v)), "")
    uuid_text = _maybe_string(LibJlcache.jlcache_verdict_uuid(v))
    uuid = uuid_text === nothing ? nothing : Base.UUID(uuid_text)
    cache = _maybe_string(LibJlcache.jlcache_verdict_cache(v))
    n = LibJlcache.jlcache_verdict_reason_count(v)
    reasons = Reason[]
    out = Ref{LibJlcache.jlcache_reason}()
    for i in 0:Int(n)-1
        _check(LibJlcache.jlcache_verdict_reason_at(v, Csize_t(i), out), :jlcache_verdict_reason_at)
        r = out[]
        push!(reasons, Reason(something(_maybe_string(r.code), ""), something(_maybe_string(r.detail), ""),
                              _maybe_string(r.cache), _maybe_string(r.dependency)))
    end
    return Verdict(package, uuid, kind, cache, reasons)
end

const KIND_COLORS = Dict(:fresh => :green, :stale => :yellow, :unknown => :red)
const KIND_MARKS = Dict(:fresh => "✓", :stale => "✗", :unknown => "?")

Base.show(io::IO, v::Verdict) = print(io, "Verdict(", repr(v.package), ", :", v.kind, ")")

function Base.show(io::IO, ::MIME"text/plain", v::Verdict)
    print(io, v.package)
    v.uuid === nothing || print(io, " [", v.uuid, "]")
    print(io, ": ")
    printstyled(io, v.kind; color=KIND_COLORS[v.kind], bold=true)
    if v.kind === :fresh && v.cache !== nothing
        print(io, "\n  cache: ", Base.contractuser(v.cache))
    end
    width = isempty(v.reasons) ? 0 : maximum(r -> textwidth(r.code), v.reasons)
    for r in v.reasons
        print(io, "\n  ")
        printstyled(io, rpad(r.code, width); color=:cyan)
        print(io, "  ", r.detail)
        indent = " "^(width + 4)
        r.dependency === nothing || print(io, "\n", indent, "dependency: ", r.dependency)
        r.cache === nothing || print(io, "\n", indent, "cache: ", Base.contractuser(r.cache))
    end
end

_package_arg(p::AbstractString) = String(p)
_package_arg(p::Symbol) = String(p)
_package_arg(p::Base.UUID) = string(p)
_package_arg(p::Base.PkgId) = p.uuid === nothing ? p.name : string(p.uuid)
_package_arg(m::Module) = _package_arg(Base.PkgId(m))

"""
    FastEverywhere.isstale(pkg) -> Verdict

Asks libjlcache whether a fresh process of *this* Julia, in *this*
environment, would have to recompile `pkg` (a name, `Symbol`, `UUID`,
`Base.PkgId` or loaded `Module`), counting every dependency. Nothing is
compiled or loaded. Agrees with `Base.isprecompiled(pkg; ignore_loaded=true)`
run in a fresh process; not with this session's own view, which trusts what
it has already loaded.

Throws `JlcacheError` (e.g. `package_not_found`) and `LibraryUnavailable`.
"""
function isstale(pkg; runtime::RuntimeInfo=_here())
    _require_library()
    name = _package_arg(pkg)
    out = Ref{Ptr{LibJlcache.jlcache_verdict}}(C_NULL)
    _with_session(_session_for(runtime)) do sp
        rc = GC.@preserve name out begin
            cname = Base.unsafe_convert(Cstring, Base.cconvert(Cstring, name))
            outp = Base.unsafe_convert(Ptr{Ptr{LibJlcache.jlcache_verdict}}, out)
            _gc_safe(() -> LibJlcache.jlcache_session_isstale(sp, cname, outp))
        end
        _check(rc, :jlcache_session_isstale)
    end
    v = out[]
    try
        return _read_verdict(v)
    finally
        LibJlcache.jlcache_verdict_free(v)
    end
end

"""
    EnvironmentStatus

The verdict of every package of the environment's manifest, as returned by
[`FastEverywhere.status`](@ref). Iterate it, index it by position or by name.
"""
struct EnvironmentStatus <: AbstractVector{Verdict}
    verdicts::Vector{Verdict}
end

Base.size(s::EnvironmentStatus) = size(s.verdicts)
Base.getindex(s::EnvironmentStatus, i::Int) = s.verdicts[i]
function Base.getindex(s::EnvironmentStatus, name::Union{AbstractString,Symbol})
    i = findfirst(v -> v.package == String(name), s.verdicts)
    i === nothing && throw(KeyError(name))
    return s.verdicts[i]
end

function Base.show(io::IO, ::MIME"text/plain", s::EnvironmentStatus)
    counts = Dict(k => count(v -> v.kind === k, s.verdicts) for k in (:fresh, :stale, :unknown))
    print(io, "Precompile caches: ", counts[:fresh], " fresh, ", counts[:stale], " stale, ",
          counts[:unknown], " unknown")
    width = isempty(s.verdicts) ? 0 : maximum(v -> textwidth(v.package), s.verdicts)
    for v in sort(s.verdicts; by=v -> (v.kind === :fresh, v.package))
        print(io, "\n  ")
        printstyled(io, KIND_MARKS[v.kind], " "; color=KIND_COLORS[v.kind])
        print(io, rpad(v.package, width), "  ")
        printstyled(io, v.kind; color=KIND_COLORS[v.kind])
        if v.kind !== :fresh && !isempty(v.reasons)
            print(io, ": ", first(v.reasons).code, " — ", first(v.reasons).detail)
            length(v.reasons) > 1 && print(io, " (+", length(v.reasons) - 1, " more)")
        end
    end
end

"""
    FastEverywhere.status() -> EnvironmentStatus

Verdicts for every package of the active environment's manifest, in one pass
(shared dependencies are checked once).
"""
function status(; runtime::RuntimeInfo=_here())
    _require_library()
    out = Ref{Ptr{LibJlcache.jlcache_verdict_list}}(C_NULL)
    _with_session(_session_for(runtime)) do sp
        rc = GC.@preserve out begin
            outp = Base.unsafe_convert(Ptr{Ptr{LibJlcache.jlcache_verdict_list}}, out)
            _gc_safe(() -> LibJlcache.jlcache_session_status(sp, outp))
        end
        _check(rc, :jlcache_session_status)
    end
    list = out[]
    try
        n = Int(LibJlcache.jlcache_verdict_list_count(list))
        verdicts = Verdict[]
        for i in 0:n-1
            v = LibJlcache.jlcache_verdict_list_at(list, Csize_t(i))
            v == C_NULL || push!(verdicts, _read_verdict(v))
        end
        return EnvironmentStatus(verdicts)
    finally
        LibJlcache.jlcache_verdict_list_free(list)
    end
end
