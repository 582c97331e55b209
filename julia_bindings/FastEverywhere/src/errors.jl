"""
    JlcacheError(status, name, message, call)

A libjlcache call failed. `name` is the stable status name ("package_not_found",
"corrupt_cache", ...) and `message` the library's explanation.
"""
struct JlcacheError <: Exception
    status::Int32
    name::String
    message::String
    call::Symbol
end

function Base.showerror(io::IO, e::JlcacheError)
    print(io, "JlcacheError: ", e.call, " failed (", e.name, "): ", e.message)
end

"""
    LibraryUnavailable(problem)

libjlcache could not be loaded; `problem` says why.
"""
struct LibraryUnavailable <: Exception
    problem::String
end

Base.showerror(io::IO, e::LibraryUnavailable) =
    print(io, "LibraryUnavailable: libjlcache cannot be used: ", e.problem,
          "\nSet ENV[\"JLCACHE_LIB\"] to the library's path before loading FastEverywhere, or install it on the system library search path.")

_maybe_string(s::Cstring) = s == C_NULL ? nothing : unsafe_string(s)

# Must run on the thread of the failed call, before any other jlcache call:
# jlcache_last_error() is thread-local. No yield point lies in between.
function _check(status::Int32, call::Symbol)
    status == LibJlcache.JLCACHE_OK && return nothing
    name = something(_maybe_string(LibJlcache.jlcache_status_name(status)), "status $(status)")
    message = something(_maybe_string(LibJlcache.jlcache_last_error()), "")
    throw(JlcacheError(status, name, message, call))
end
