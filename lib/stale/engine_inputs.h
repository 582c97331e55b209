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

namespace jlcache {

// Environment questions, answered the way this Julia version would.
class EngineEnvironment {
 public:
  virtual ~EngineEnvironment() = default;
  virtual const std::vector<std::string>& Depots() const = 0;
  // stat(2), once per path per query: one query sees one snapshot of each
  // file, shared with the environment's own lookups. nullopt: no such file.
  virtual absl::StatusOr<std::optional<FileInfo>> Stat(const std::string& path) = 0;
  // locate_package: the entry file, nullopt when Julia finds none.
  virtual absl::StatusOr<std::optional<std::string>> Locate(const PkgId& pkg) = 0;
  // identify_package(where, name); nullopt for "not found".
  virtual absl::StatusOr<std::optional<PkgId>> Identify(const PkgId& where,
                                                        const std::string& name) = 0;
  // Candidate cache files in Julia's order for this version
  // (find_all_in_cache_path; the first usable one is chosen).
  using CandidateList = std::shared_ptr<const std::vector<std::string>>;
  virtual absl::StatusOr<CandidateList> CacheCandidates(const PkgId& pkg) = 0;
  // get_preferences(uuid) in this environment; null when it cannot be read.
  virtual std::shared_ptr<const toml::table> Preferences(const Uuid& uuid) = 0;
};

// Answers only Julia itself can give, from the bindings' callbacks or from
// probe records. nullopt = cannot tell.
struct JuliaOracles {
  std::function<std::optional<bool>(const std::string& clone_targets_blob)> accepts_clone_targets;
  PreferencesHashFn preferences_hash;
};

}  // namespace jlcache
