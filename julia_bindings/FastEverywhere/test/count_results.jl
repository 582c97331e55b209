# Shared with the real-Julia suites (tests/julia/support.jl includes this file).
# Passed and failed (errors included) of a finished DefaultTestSet and its
# children; Test's own get_test_counts changed shape between 1.10 and 1.11.
function count_results(ts::Test.DefaultTestSet)
    passed, failed = ts.n_passed, 0
    for r in ts.results
        if r isa Test.DefaultTestSet
            p, f = count_results(r)
            passed += p
            failed += f
        elseif r isa Test.Fail || r isa Test.Error
            failed += 1
        end
    end
    return passed, failed
end
