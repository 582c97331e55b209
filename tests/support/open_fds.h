// TEST-ONLY: how many descriptors this process has open, for tests that
// check nothing is left open.
#pragma once

namespace jlcache::test_support {

// Entries of /proc/self/fd (without the one used to list them); -1 when it
// cannot be listed.
int OpenFdCount();

}  // namespace jlcache::test_support
