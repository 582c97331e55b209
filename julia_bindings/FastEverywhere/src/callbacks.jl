# The two questions only the running Julia can answer exactly, handed to
# libjlcache as C callbacks.
#
# jlcache calls them from its own I/O threads or from the calling thread (one
# at a time; a remembered status asks the clone-target question again on the
# calling thread before it is reused). A `@cfunction`
# entered on a thread Julia did not start adopts that thread (jl_adopt_thread,
# emitted by codegen since 1.9; src/llvm-ptls.cpp at 1.10.4). While the Julia
# thread that called into jlcache waits in C it must be in a GC-safe state, or
# a collection started by the callback would wait for it forever: see
# `_gc_safe` in session.jl.
#
# Neither callback may throw into C: every error becomes "cannot tell".

# jlcache_clone_targets_fn: 1 accepted, 0 rejected, -1 cannot tell.
# Base.check_clone_targets does exactly this ccall on the blob read from the
# header (base/loading.jl at 1.10.4 and 1.11.7: jl_check_pkgimage_clones takes
# a Ptr{Cchar} and returns `nothing` or a rejection reason).
function _clone_targets_callback(user_data::Ptr{Cvoid}, blob::Ptr{UInt8}, len::Csize_t)::Int32
    try
        (blob == C_NULL || len == 0) && return Int32(-1)
        targets = copy(unsafe_wrap(Array, blob, Int(len)))
        rejection = ccall(:jl_check_pkgimage_clones, Any, (Ptr{Cchar},), targets)
        return rejection === nothing ? Int32(1) : Int32(0)
    catch
        return Int32(-1)
    end
end

# jlcache_preferences_hash_fn: Base.get_preferences_hash(uuid, names), the
# value Julia compares with the header's prefs_hash (base/loading.jl).
function _preferences_hash_callback(user_data::Ptr{Cvoid}, uuid::Cstring, names::Ptr{Cstring},
                                    n_names::Csize_t, out_hash::Ptr{UInt64})::Int32
    try
        out_hash == C_NULL && return Int32(1)
        pkg_uuid = uuid == C_NULL ? nothing : Base.UUID(unsafe_string(uuid))
        prefs_names = String[unsafe_string(unsafe_load(names, i)) for i in 1:Int(n_names)]
        unsafe_store!(out_hash, Base.get_preferences_hash(pkg_uuid, prefs_names)::UInt64)
        return Int32(0)
    catch
        return Int32(1)
    end
end

const CLONE_TARGETS_CALLBACK = Ref{Ptr{Cvoid}}(C_NULL)
const PREFERENCES_HASH_CALLBACK = Ref{Ptr{Cvoid}}(C_NULL)

# Function pointers are only valid in the process that made them, so they are
# made on first use, never stored in the package image.
function _callback_pointers()
    if CLONE_TARGETS_CALLBACK[] == C_NULL
        # jlcache_clone_targets_fn
        CLONE_TARGETS_CALLBACK[] = @cfunction(_clone_targets_callback, Int32, (Ptr{Cvoid}, Ptr{UInt8}, Csize_t))
        # jlcache_preferences_hash_fn
        PREFERENCES_HASH_CALLBACK[] = @cfunction(_preferences_hash_callback, Int32,
                                                 (Ptr{Cvoid}, Cstring, Ptr{Cstring}, Csize_t, Ptr{UInt64}))
    end
    return CLONE_TARGETS_CALLBACK[], PREFERENCES_HASH_CALLBACK[]
end
