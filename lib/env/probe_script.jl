# jlcache probe: the facts of a Julia installation and process for a runtime
# profile. The script is one anonymous function, f(io::IO, scan_depots::Bool),
# which prints them to io, one per line, as `JLCACHE <key> <fields...>`.
# Strings are printed as hex of their UTF-8 bytes so no value needs quoting.
# With scan_depots it also lists, for the caches of this Julia line in the
# depots, the clone targets this process accepts and the preference hashes
# (what `jlcache probe` records); without, only the facts.
#
# This is the one copy of the runtime facts: the build embeds this file
# (lib/env/probe_script.cc.in); lib/env/probe.cc runs
#   julia --startup-file=no --history-file=no -e "(<this script>)(stdout, true)"
# and parses the output (ParseProbeOutput, jlcache_runtime_from_probe_output);
# FastEverywhere gets the text from jlcache_probe_script() and evaluates it
# in-process and on workers with scan_depots = false. A worker without
# FastEverywhere compiles it, so the facts part stays small; the depot scan
# is behind an inference barrier and is compiled only when it runs.
# tests/support/fake_julia speaks the same protocol.
function (io::IO, scan_depots::Bool)
    hx(s) = bytes2hex(Vector{UInt8}(codeunits(string(s))))
    emit(key, fields...) = println(io, "JLCACHE ", key, (string(" ", f) for f in fields)...)
    cstr(p) = p == C_NULL ? "" : unsafe_string(p)
    emit("protocol", 1)
    # The string cache headers record (jl_ver_string: the VERSION file, e.g.
    # "1.12.0-DEV"), not Base.VERSION, which adds a commit count on dev builds.
    emit("version", hx(unsafe_string(ccall(:jl_ver_string, Cstring, ()))))
    emit("git_branch", hx(Base.GIT_VERSION_INFO.branch))
    emit("git_commit", hx(Base.GIT_VERSION_INFO.commit))
    emit("os", hx(Sys.KERNEL))
    emit("arch", hx(Sys.ARCH))
    emit("pointer_size", Sys.WORD_SIZE ÷ 8)
    opts = Base.JLOptions()
    emit("julia_bin", hx(cstr(opts.julia_bin)))
    emit("image_file", hx(cstr(opts.image_file)))
    # As compilecache_path hashes it: JULIA_CPU_TARGET when set, else the option.
    # Set but empty is hashed as "", so the "native" default is the option's only.
    cpu = get(ENV, "JULIA_CPU_TARGET", nothing)
    if cpu === nothing
        cpu = cstr(opts.cpu_target)
        isempty(cpu) && (cpu = "native")
    end
    emit("cpu_target", hx(cpu))
    emit("stdlib_dir", hx(Sys.STDLIB))
    emit("bindir", hx(Sys.BINDIR))
    if isdefined(Sys, :BUILD_STDLIB_PATH)
        emit("build_stdlib_dir", hx(Sys.BUILD_STDLIB_PATH))
    end
    emit("pkgimages", Int(opts.use_pkgimages))
    emit("cache_flags", Int(ccall(:jl_cache_flags, UInt8, ())))
    hash_form = applicable(Base.compilecache_path, Base.PkgId(Base.UUID(UInt128(1)), "X"), UInt64(0))
    emit("preferences_name_form", hash_form ? "hash" : "blob")
    for pkg in Base._sysimage_modules
        mod = Base.root_module(pkg)
        id = Base.module_build_id(mod)
        emit("sysimage", hx(pkg.name), pkg.uuid === nothing ? "-" : string(pkg.uuid),
             string("0x", string(id, base = 16, pad = 32)))
    end
    for depot in DEPOT_PATH
        emit("depot", hx(depot))
    end
    if scan_depots
        # Called through an inference barrier: compiling the facts (on a worker
        # that evaluates this text) does not compile the scan.
        scan = function ()
        # Every cache of this Julia line in the depots: the distinct clone-target
        # blobs and, for hash-era headers, the distinct (uuid, preference names).
        files = String[]
        for depot in DEPOT_PATH
            dir = joinpath(depot, "compiled", string("v", VERSION.major, ".", VERSION.minor))
            isdir(dir) || continue
            for entry in readdir(dir; join = true)
                if isdir(entry)
                    for f in readdir(entry; join = true)
                        endswith(f, ".ji") && push!(files, f)
                    end
                elseif endswith(entry, ".ji")
                    push!(files, entry)
                end
            end
        end
        blobs = Set{Vector{UInt8}}()
        prefs_seen = Set{Tuple{Base.UUID, Vector{String}}}()
        for f in files
            header = try
                Base.parse_cache_header(f)
            catch
                continue
            end
            modules = header[1]
            uuid = isempty(modules) ? nothing : first(modules).first.uuid
            names = nothing
            for x in header[5:end]
                if x isa Vector{UInt8}
                    isempty(x) || push!(blobs, x)
                elseif x isa Vector{String}
                    names = x
                end
            end
            if names !== nothing && uuid !== nothing
                push!(prefs_seen, (uuid, names))
            end
        end
        for blob in blobs
            reason = ccall(:jl_check_pkgimage_clones, Any, (Ptr{Cchar},), blob)
            emit("clone", bytes2hex(blob), reason === nothing ? 1 : 0)
        end
        if hash_form
            for (uuid, names) in prefs_seen
                h = Base.get_preferences_hash(uuid, names)
                list = isempty(names) ? "-" : join((hx(n) for n in names), ",")
                emit("prefhash", string(uuid), string("0x", string(h, base = 16, pad = 16)), list)
            end
        end
        end
        Base.inferencebarrier(scan)()
    end
    emit("done")
    return nothing
end
