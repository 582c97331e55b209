#include "format/cache_header.h"

namespace jlcache {

std::string_view LayoutName(HeaderLayout layout) {
  switch (layout) {
    case HeaderLayout::kA: return "A";
    case HeaderLayout::kB: return "B";
    case HeaderLayout::kBPrime: return "B'";
    case HeaderLayout::kC13a: return "C13a";
    case HeaderLayout::kC13b: return "C13b";
    case HeaderLayout::kC13c: return "C13c";
    case HeaderLayout::kC15: return "C15";
  }
  return "?";
}

BuildId CacheHeader::PackageBuildId() const {
  return BuildId{checksum, modules.empty() ? 0 : modules.front().build_id_lo};
}

std::string CacheHeader::ModuleName(int32_t idx) const {
  if (idx <= 0 || static_cast<size_t>(idx) > modules.size()) return "";
  return modules[static_cast<size_t>(idx) - 1].name;
}

}  // namespace jlcache
