// BENCHMARK-ONLY EXPERIMENT (not product code): what would whole-environment
// status cost if environment answers were memoized for the length of one
// run? This is the engine's EngineEnvironment (the same answers as the
// Session's adapter in lib/stale/session.cc), with Locate, Identify,
// CacheCandidates and Preferences remembered per PkgId until Clear().
//
// Why it exists: profiling showed the engine asks these once per dependency
// reference rather than once per package (see RESULTS.md, "Where the time
// goes"). Running the unchanged StalenessEngine over this adapter measures
// how much of the distance to the I/O floor that alone would remove, without
// editing lib/stale.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "env/environment.h"
#include "stale/engine_inputs.h"

namespace jlcache::bench {

class MemoizedEngineEnv : public EngineEnvironment {
 public:
  explicit MemoizedEngineEnv(std::shared_ptr<const Environment> env) : env_(std::move(env)) {}

  // Forgets every answer (call once per run) and the environment's TOML memo.
  void Clear();

  const std::vector<std::string>& Depots() const override { return env_->depots(); }
  absl::StatusOr<std::optional<std::string>> Locate(const PkgId& pkg) override;
  absl::StatusOr<std::optional<PkgId>> Identify(const PkgId& where,
                                                const std::string& name) override;
  absl::StatusOr<std::vector<std::string>> CacheCandidates(const PkgId& pkg) override;
  std::optional<toml::table> Preferences(const Uuid& uuid) override;

  const Environment& environment() const { return *env_; }

 private:
  struct IdentifyKey {
    PkgId where;
    std::string name;
    template <typename H>
    friend H AbslHashValue(H h, const IdentifyKey& k) {
      return H::combine(std::move(h), k.where, k.name);
    }
    friend bool operator==(const IdentifyKey&, const IdentifyKey&) = default;
  };

  std::shared_ptr<const Environment> env_;
  absl::Mutex mu_;
  absl::flat_hash_map<PkgId, absl::StatusOr<std::optional<std::string>>> located_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<IdentifyKey, absl::StatusOr<std::optional<PkgId>>> identified_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<PkgId, absl::StatusOr<std::vector<std::string>>> candidates_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Uuid, std::optional<toml::table>> preferences_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jlcache::bench
