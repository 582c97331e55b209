module Words
include("impl.jl")
end # module
