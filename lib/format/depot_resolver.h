// Julia's @depot resolution of a cache's include paths (1.11+; parse_cache_header
// in base/loading.jl, verified at 1.11.0 501a4f25 and 1.14-dev fcab4624):
//  - a path is relocatable only when it starts with "@depot/";
//  - resolve_depot(p): the first DEPOT_PATH entry D for which D + p[6:] exists
//    (file or directory), with "@depot" replaced textually by D;
//  - include()d files (the paths of the source-text section): all that
//    resolve must resolve to the same depot. Then every include()d entry that
//    starts with "@depot" is rewritten to that depot, including those that did
//    not resolve themselves. If two resolve to different depots, or none
//    resolves, none is rewritten;
//  - include_dependency files resolve one by one (julia#52161).
// An entry still starting with "@depot/" afterwards makes the cache stale.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "format/cache_header.h"

namespace jlcache {

// Julia's ispath: does a file or directory exist at this path?
using PathExistsFn = std::function<bool(const std::string&)>;

struct DepotResolution {
  // Parallel to header.includes: the path after resolution (unchanged when not
  // relocatable or not resolved).
  std::vector<std::string> paths;
  // Parallel to header.includes: false when the path still starts with "@depot/".
  std::vector<bool> resolved;
  // The depot chosen for the include()d files, if one was.
  std::optional<std::string> srcfiles_depot;
  bool srcfiles_multiple_depots = false;  // include()d files resolved to different depots
  bool any_srcfile_unresolved = false;    // some include()d "@depot/" path exists in no depot

  bool all_resolved() const;
  // The first entry left unresolved, or -1.
  int FirstUnresolved() const;
};

// Julia's restore_depot_path: replaces a leading "@depot" with `depot`, once.
std::string RestoreDepotPath(const std::string& path, const std::string& depot);

// Pure: filesystem access only through `exists`.
DepotResolution ResolveDepots(const CacheHeader& header, const std::vector<std::string>& depots,
                              const PathExistsFn& exists);

// Resolves each relocatable include on its own (resolve_depot). When they
// all land in one and the same depot, Julia's answer does not depend on which
// of them are include()d sources: every one is restored with that depot, as
// ResolveDepots would. Then returns the paths (parallel to header.includes);
// otherwise nullopt, and only ResolveDepots, with the source-text file list,
// can say. Lets a reader that skipped the source-text section resolve paths.
std::optional<std::vector<std::string>> ResolveDepotsUniform(const CacheHeader& header,
                                                             const std::vector<std::string>& depots,
                                                             const PathExistsFn& exists);

// Rewrites header->includes[i].path in place, as Julia does while parsing.
// `exists` defaults to the real filesystem (PathExists).
void ResolveDepotPaths(CacheHeader* header, const std::vector<std::string>& depots,
                       const PathExistsFn& exists = nullptr);

}  // namespace jlcache
