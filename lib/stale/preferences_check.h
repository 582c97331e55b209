// Check 14 of stale_cachefile: compile-time preferences, hash era and blob era.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/toml.h"
#include "core/uuid.h"

namespace jlcache {

struct PreferenceOutcome {
  enum Kind { kFresh, kStale, kUnknown } kind = kFresh;
  std::string detail;
};

// The merged preferences of a package as get_preferences(uuid) returns them
// in the checking environment (empty when none are set); null when the
// preference files cannot be read, which makes the outcome unknown. Shared,
// never copied: toml++ drops a value's format flags (0xff vs 255, which Julia
// tells apart) when a table is copied.
using CurrentPreferencesFn = std::function<std::shared_ptr<const toml::table>(const Uuid&)>;
// Julia's get_preferences_hash(uuid, names), when something can compute it
// exactly (the bindings' callback, or a probe record whose sources still match).
using PreferencesHashFn =
    std::function<std::optional<uint64_t>(const Uuid&, const std::vector<std::string>&)>;

// Hash era (layouts A, B, C13a). Decides without Julia's Base.hash wherever
// the outcome is forced, and asks hash_fn only when some recorded key is set
// and the stored hash is non-zero.
PreferenceOutcome CheckPreferencesHash(const std::optional<Uuid>& uuid,
                                       const std::vector<std::string>& names, uint64_t stored_hash,
                                       const CurrentPreferencesFn& current,
                                       const PreferencesHashFn& hash_fn);

// Blob era (1.13.0-rc1+, C13b/c, C15): the recorded TOML against the current
// values, compared with Julia's toml_egal (exact type and value).
PreferenceOutcome CheckPreferencesBlob(const std::string& blob, const CurrentPreferencesFn& current);

// toml_egal: same type and value; floats by bit pattern; arrays and tables
// element by element. Date/time values never compare equal (see docs).
bool TomlEgal(const toml::node& a, const toml::node& b);

}  // namespace jlcache
