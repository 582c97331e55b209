module Greetings
using Words
include("impl.jl")
end # module
