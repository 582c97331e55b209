// Which build of jlcache this code is: the version, and the identity of the
// file the code was loaded from (libjlcache.so, or the executable it is
// linked into). Answers remembered on disk are keyed by it, so an upgraded
// or rebuilt jlcache, whose rules may differ, never reuses an old answer.
#pragma once

#include <optional>
#include <string>

namespace jlcache {

// nullopt when the loaded file cannot be identified (then nothing that
// depends on the build may be reused).
const std::optional<std::string>& BuildIdentity();

}  // namespace jlcache
