"""
    PrecompileEntry

One package of a [`PrecompileReport`](@ref): its `result` (`:fresh`,
`:stale`, `:unknown`, `:failed` or `:timeout`) and its final `verdict`.
"""
struct PrecompileEntry
    package::String
    result::Symbol
    verdict::Verdict
end

"""
    PrecompileReport

What [`FastEverywhere.precompile_if_stale`](@ref) did: each package's final
state, whether this call `launched` julia, the child's `exit_status` (-1 when
none ran) and the tail of its output.
"""
struct PrecompileReport
    entries::Vector{PrecompileEntry}
    launched::Bool
    exit_status::Int
    output_tail::String
end

allfresh(r::PrecompileReport) = all(e -> e.result === :fresh, r.entries)

const PRECOMPILE_RESULTS = Dict(LibJlcache.JLCACHE_PRECOMPILE_FRESH => :fresh,
                                LibJlcache.JLCACHE_PRECOMPILE_STALE => :stale,
                                LibJlcache.JLCACHE_PRECOMPILE_UNKNOWN => :unknown,
                                LibJlcache.JLCACHE_PRECOMPILE_FAILED => :failed,
                                LibJlcache.JLCACHE_PRECOMPILE_TIMEOUT => :timeout)

const RESULT_COLORS = Dict(:fresh => :green, :stale => :yellow, :unknown => :red,
                           :failed => :red, :timeout => :red)

function Base.show(io::IO, ::MIME"text/plain", r::PrecompileReport)
    print(io, "PrecompileReport: ", r.launched ? "julia ran (exit status $(r.exit_status))" :
                                    "nothing to compile")
    for e in r.entries
        print(io, "\n  ", e.package, ": ")
        printstyled(io, e.result; color=RESULT_COLORS[e.result])
        if e.result !== :fresh && !isempty(e.verdict.reasons)
            print(io, " — ", first(e.verdict.reasons).code, ": ", first(e.verdict.reasons).detail)
        end
    end
    if !allfresh(r) && !isempty(r.output_tail)
        print(io, "\n  output (tail):\n")
        for line in split(rstrip(r.output_tail), '\n')
            print(io, "    ", line, '\n')
        end
    end
end

"""
    FastEverywhere.precompile_if_stale(pkgs...; timeout=0, jobs=0, wait_for_other_runner=true)
        -> PrecompileReport

Makes `pkgs` (names, `Symbol`s, `UUID`s or `PkgId`s; none = the whole
environment) and everything they depend on fresh: one quick check, and only if
something is stale, one `julia` run that precompiles the stale roots. Across
processes sharing a depot, a lock in the first depot elects one runner; the
others wait for it (with `wait_for_other_runner=true`) and re-check, so a stale
package is compiled once.

`timeout` (seconds, 0 = none) bounds the child and the wait; `jobs` sets
`JULIA_NUM_PRECOMPILE_TASKS` for the child (0 = Julia's default).
"""
function precompile_if_stale(pkgs...; timeout::Real=0, jobs::Integer=0,
                             wait_for_other_runner::Bool=true, runtime::RuntimeInfo=_here())
    _require_library()
    names = String[_package_arg(p) for p in pkgs]
    return _precompile(_session_for(runtime), names; timeout, jobs, wait_for_other_runner)
end

function _precompile(session::Session, names::Vector{String}; timeout::Real=0, jobs::Integer=0,
                     wait_for_other_runner::Bool=true)
    options = Ref(LibJlcache.jlcache_precompile_options(
        LibJlcache.JLCACHE_PRECOMPILE_OPTIONS_VERSION, Cdouble(timeout),
        Int32(wait_for_other_runner), Int32(jobs), Cdouble(0), C_NULL, C_NULL))
    out = Ref{Ptr{LibJlcache.jlcache_precompile_report}}(C_NULL)
    cnames = [Base.cconvert(Cstring, n) for n in names]
    _with_session(session) do sp
        rc = GC.@preserve names cnames options out begin
            ptrs = Cstring[Base.unsafe_convert(Cstring, c) for c in cnames]
            GC.@preserve ptrs begin
                names_ptr = isempty(ptrs) ? Ptr{Cstring}(C_NULL) : pointer(ptrs)
                options_ptr = Base.unsafe_convert(Ptr{LibJlcache.jlcache_precompile_options}, options)
                out_ptr = Base.unsafe_convert(Ptr{Ptr{LibJlcache.jlcache_precompile_report}}, out)
                n = Csize_t(length(ptrs))
                _gc_safe(() -> LibJlcache.jlcache_session_precompile(sp, names_ptr, n, options_ptr, out_ptr))
            end
        end
        _check(rc, :jlcache_session_precompile)
    end
    report = out[]
    try
        n = Int(LibJlcache.jlcache_precompile_report_count(report))
        entries = PrecompileEntry[]
        for i in 0:n-1
            result = get(PRECOMPILE_RESULTS, LibJlcache.jlcache_precompile_report_result_at(report, Csize_t(i)),
                         :unknown)
            vptr = LibJlcache.jlcache_precompile_report_verdict_at(report, Csize_t(i))
            verdict = vptr == C_NULL ? Verdict("", nothing, :unknown, nothing, Reason[]) : _read_verdict(vptr)
            push!(entries, PrecompileEntry(verdict.package, result, verdict))
        end
        return PrecompileReport(entries, LibJlcache.jlcache_precompile_report_launched(report) != 0,
                                Int(LibJlcache.jlcache_precompile_report_exit_status(report)),
                                something(_maybe_string(LibJlcache.jlcache_precompile_report_output_tail(report)), ""))
    finally
        LibJlcache.jlcache_precompile_report_free(report)
    end
end

# One line per package that is not fresh, for warnings.
function _summary(r::PrecompileReport)
    parts = String[]
    for e in r.entries
        e.result === :fresh && continue
        reason = isempty(e.verdict.reasons) ? "" : " ($(first(e.verdict.reasons).code): $(first(e.verdict.reasons).detail))"
        push!(parts, "$(e.package) $(e.result)$(reason)")
    end
    if r.launched && r.exit_status != 0
        tail = split(rstrip(r.output_tail), '\n')
        push!(parts, "julia exited with status $(r.exit_status); last output: " *
                     join(tail[max(1, end - 4):end], " | "))
    end
    return join(parts, "; ")
end
