// The explicit touch Julia performs on the cache it accepts (isprecompiled and
// loading do it; it moves the cache to the front of the candidate order and
// protects it from eviction). jlcache only does it when asked.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace jlcache {

// Sets the file's mtime to now. A read-only depot is not an error, as in Julia.
absl::Status TouchCache(const std::string& path);

}  // namespace jlcache
