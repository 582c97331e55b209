#include "format/depot_resolver.h"

#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "core/file_io.h"

namespace jlcache {
namespace {

constexpr std::string_view kDepotTag = "@depot";
constexpr std::string_view kDepotPrefix = "@depot/";

// restore_depot_path of a path that starts with "@depot", into *out.
void RestoreInto(const std::string& path, const std::string& depot, std::string* out) {
  out->assign(depot);
  out->append(path, kDepotTag.size());
}

// Julia's resolve_depot: the depot (an element of depots), or nullptr for
// "no depot found"; *restored then holds the path under that depot. Callers
// check relocatability first. One scratch string for every depot tried.
const std::string* ResolveOne(const std::string& path, const std::vector<std::string>& depots,
                              const PathExistsFn& exists, std::string* restored) {
  for (const std::string& depot : depots) {
    RestoreInto(path, depot, restored);
    if (exists(*restored)) return &depot;
  }
  return nullptr;
}

}  // namespace

bool DepotResolution::all_resolved() const { return FirstUnresolved() < 0; }

int DepotResolution::FirstUnresolved() const {
  for (size_t i = 0; i < resolved.size(); ++i)
    if (!resolved[i]) return static_cast<int>(i);
  return -1;
}

std::string RestoreDepotPath(const std::string& path, const std::string& depot) {
  if (!path.starts_with(kDepotTag)) return path;
  std::string out;
  RestoreInto(path, depot, &out);
  return out;
}

DepotResolution ResolveDepots(const CacheHeader& h, const std::vector<std::string>& depots,
                              const PathExistsFn& exists) {
  DepotResolution out;
  out.paths.reserve(h.includes.size());
  for (const IncludeEntry& inc : h.includes) out.paths.push_back(inc.path);

  // include()d files: the paths of the source-text section (a set in Julia;
  // the outcome does not depend on the order).
  absl::flat_hash_set<std::string> seen;
  std::string scratch;
  for (const std::string& src : h.srctext_files) {
    if (!seen.insert(src).second) continue;
    if (!src.starts_with(kDepotPrefix)) continue;  // not relocatable
    const std::string* depot = ResolveOne(src, depots, exists, &scratch);
    if (!depot) {
      out.any_srcfile_unresolved = true;
    } else if (!out.srcfiles_depot) {
      out.srcfiles_depot = *depot;
    } else if (*depot != *out.srcfiles_depot) {
      out.srcfiles_multiple_depots = true;
    }
  }
  for (size_t i = 0; i < h.includes.size(); ++i) {
    const IncludeEntry& inc = h.includes[i];
    const bool is_src = seen.contains(inc.path);
    if (is_src) {
      if (!out.srcfiles_multiple_depots && out.srcfiles_depot)
        out.paths[i] = RestoreDepotPath(inc.path, *out.srcfiles_depot);
    } else if (inc.path.starts_with(kDepotPrefix)) {
      if (ResolveOne(inc.path, depots, exists, &scratch)) out.paths[i] = scratch;
    }
  }
  out.resolved.reserve(h.includes.size());
  for (const std::string& p : out.paths) out.resolved.push_back(!p.starts_with(kDepotPrefix));
  if (out.srcfiles_multiple_depots) out.srcfiles_depot.reset();
  return out;
}

std::optional<std::vector<std::string>> ResolveDepotsUniform(const CacheHeader& h,
                                                             const std::vector<std::string>& depots,
                                                             const PathExistsFn& exists) {
  std::vector<std::string> paths;
  paths.reserve(h.includes.size());
  const std::string* common = nullptr;
  std::string scratch;
  for (const IncludeEntry& inc : h.includes) {
    if (!inc.path.starts_with(kDepotPrefix)) {
      paths.push_back(inc.path);
      continue;
    }
    const std::string* depot = ResolveOne(inc.path, depots, exists, &scratch);
    if (!depot || (common && *depot != *common)) return std::nullopt;
    common = depot;
    paths.push_back(scratch);
  }
  return paths;
}

void ResolveDepotPaths(CacheHeader* header, const std::vector<std::string>& depots,
                       const PathExistsFn& exists) {
  PathExistsFn fn = exists ? exists : PathExistsFn([](const std::string& p) { return PathExists(p); });  // outside any query: default for callers outside a query
  DepotResolution r = ResolveDepots(*header, depots, fn);
  for (size_t i = 0; i < header->includes.size(); ++i) header->includes[i].path = std::move(r.paths[i]);
}

}  // namespace jlcache
