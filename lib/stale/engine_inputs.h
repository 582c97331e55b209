// What the staleness engine needs besides the runtime profile: environment
// questions and Julia-only answers. The session fills these from lib/env and
// the bindings' callbacks, so the engine has no idea where answers come from.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/file_io.h"
#include "core/uuid.h"
#include "env/runtime_profile.h"
#include "stale/preferences_check.h"
#include "stale/query.h"

namespace jlcache {

// Environment questions, answered the way this Julia version would, within
// the query `q` (its snapshot of each file, its memo).
class EngineEnvironment {
 public:
  virtual ~EngineEnvironment() = default;
  virtual const std::vector<std::string>& Depots() const = 0;
  // locate_package: the entry file, nullopt when Julia finds none.
  virtual absl::StatusOr<std::optional<std::string>> Locate(Query& q, const PkgId& pkg) = 0;
  // identify_package(where, name); nullopt for "not found".
  virtual absl::StatusOr<std::optional<PkgId>> Identify(Query& q, const PkgId& where,
                                                        const std::string& name) = 0;
  // Candidate cache files in Julia's order for this version
  // (find_all_in_cache_path; the first usable one is chosen).
  virtual absl::StatusOr<CandidateList> CacheCandidates(Query& q, const PkgId& pkg) = 0;
  // Whether any depot has a cache file for a package of this name (for an
  // extension whose UUID is not known).
  virtual absl::StatusOr<bool> AnyCacheFileNamed(Query& q, const std::string& name) = 0;
  // get_preferences(uuid) in this environment; null when it cannot be read.
  virtual std::shared_ptr<const toml::table> Preferences(Query& q, const Uuid& uuid) = 0;
};

// Answers only Julia itself can give, from the bindings' callbacks or from
// probe records. nullopt = cannot tell. The engine notes in the query which
// answers it relied on.
struct JuliaOracles {
  std::function<std::optional<bool>(const std::string& clone_targets_blob)> accepts_clone_targets;
  std::function<std::optional<uint64_t>(Query& q, const Uuid& uuid,
                                        const std::vector<std::string>& names)>
      preferences_hash;
};

}  // namespace jlcache
