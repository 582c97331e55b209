module Hello
using Greetings
include("impl.jl")
end # module
