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

uint16_t FormatVersionOf(HeaderLayout layout) {
  switch (layout) {
    case HeaderLayout::kA:
    case HeaderLayout::kB:
    case HeaderLayout::kBPrime: return 12;
    case HeaderLayout::kC13a:
    case HeaderLayout::kC13b:
    case HeaderLayout::kC13c: return 13;
    case HeaderLayout::kC15: return 15;
  }
  return 0;
}

bool IncludesCarrySizeAndHash(HeaderLayout layout) { return layout != HeaderLayout::kA; }

bool UsesPreferencesBlob(HeaderLayout layout) {
  return layout == HeaderLayout::kBPrime || layout == HeaderLayout::kC13b ||
         layout == HeaderLayout::kC13c || layout == HeaderLayout::kC15;
}

bool HasSyntaxVersion(HeaderLayout layout) { return FormatVersionOf(layout) >= 13; }

std::string_view CloneTargetEncodingName(CloneTargetEncoding e) {
  switch (e) {
    case CloneTargetEncoding::kNone: return "none";
    case CloneTargetEncoding::kLegacy32: return "legacy32";
    case CloneTargetEncoding::kCpufeatures: return "cpufeatures";
  }
  return "?";
}

std::vector<DependencySlot> CacheHeader::DependencyListOrder() const {
  if (!dependency_order.empty()) return dependency_order;
  std::vector<DependencySlot> order;
  order.reserve(includes.size() + requires_.size());
  for (size_t i = 0; i < includes.size(); ++i)
    order.push_back({false, static_cast<uint32_t>(i)});
  for (size_t i = 0; i < requires_.size(); ++i)
    order.push_back({true, static_cast<uint32_t>(i)});
  return order;
}

BuildId CacheHeader::PackageBuildId() const {
  return modules.empty() ? BuildId{checksum, 0} : ModuleBuildId(modules.front());
}

std::string CacheHeader::ModuleName(int32_t idx) const {
  if (idx <= 0 || static_cast<size_t>(idx) > modules.size()) return "";
  return modules[static_cast<size_t>(idx) - 1].name;
}

}  // namespace jlcache
