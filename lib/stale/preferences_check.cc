#include "stale/preferences_check.h"

#include <cstring>

#include "core/error.h"

namespace jlcache {

bool TomlEgal(const toml::node& a, const toml::node& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case toml::node_type::string:
      return a.as_string()->get() == b.as_string()->get();
    case toml::node_type::integer: {
      // Julia's TOML parser reads decimal literals as Int64 and hex, octal
      // and binary ones as UInt64 (base/toml/parser.jl), and === tells the
      // types apart: 255 and 0xff differ, 0xff and 0o377 do not.
      auto is_unsigned = [](const toml::value<int64_t>& v) {
        return v.flags() != toml::value_flags::none;
      };
      const auto& x = *a.as_integer();
      const auto& y = *b.as_integer();
      return x.get() == y.get() && is_unsigned(x) == is_unsigned(y);
    }
    case toml::node_type::floating_point: {
      double x = a.as_floating_point()->get(), y = b.as_floating_point()->get();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case toml::node_type::boolean:
      return a.as_boolean()->get() == b.as_boolean()->get();
    case toml::node_type::array: {
      const auto& x = *a.as_array();
      const auto& y = *b.as_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!TomlEgal(x[i], y[i])) return false;
      return true;
    }
    case toml::node_type::table: {
      const auto& x = *a.as_table();
      const auto& y = *b.as_table();
      if (x.size() != y.size()) return false;
      for (const auto& [k, v] : x) {
        const toml::node* w = y.get(k.str());
        if (!w || !TomlEgal(v, *w)) return false;
      }
      return true;
    }
    default:
      // Dates and times: the recorded blob is parsed without Dates in Julia,
      // so Julia's own comparison never succeeds. Stale is the safe answer.
      return false;
  }
}

PreferenceOutcome CheckPreferencesHash(const std::optional<Uuid>& uuid,
                                       const std::vector<std::string>& names, uint64_t stored_hash,
                                       const CurrentPreferencesFn& current,
                                       const PreferencesHashFn& hash_fn) {
  // A package without a UUID hashes to 0, and so does an empty name list.
  bool any_set = false;
  if (uuid && !names.empty()) {
    std::shared_ptr<const toml::table> prefs = current(*uuid);
    if (!prefs) return {PreferenceOutcome::kUnknown, "the preference files cannot be read"};
    for (const auto& n : names)
      if (prefs->contains(n)) any_set = true;
  }
  if (stored_hash == 0 && !any_set) return {PreferenceOutcome::kFresh, ""};
  if (stored_hash == 0)
    return {PreferenceOutcome::kStale,
            "a preference recorded as unset when the cache was built is set now"};
  if (!any_set)
    return {PreferenceOutcome::kStale, "preferences recorded when the cache was built are no longer set"};
  std::optional<uint64_t> now = hash_fn ? hash_fn(*uuid, names) : std::nullopt;
  if (!now)
    return {PreferenceOutcome::kUnknown,
            "preferences are set and the cache records a hash that only Julia's Base.hash can "
            "reproduce; run `jlcache probe` or use the Julia bindings"};
  if (*now != stored_hash)
    return {PreferenceOutcome::kStale,
            Cat("preferences hash changed (cache 0x", std::to_string(stored_hash), ", now ",
                std::to_string(*now), ")")};
  return {PreferenceOutcome::kFresh, ""};
}

PreferenceOutcome CheckPreferencesBlob(const std::string& blob, const CurrentPreferencesFn& current) {
  if (blob.empty()) return {PreferenceOutcome::kFresh, ""};
  toml::table recorded;
  try {
    // Debian's toml++ is built with exceptions: parse errors throw.
    recorded = toml::parse(blob);
  } catch (const toml::parse_error& e) {
    return {PreferenceOutcome::kStale,
            Cat("the recorded preferences blob is not valid TOML: ", std::string(e.description()))};
  }
  for (const auto& [uuid_key, value] : recorded) {
    if (uuid_key.str() == "unset") continue;
    const toml::table* keys = value.as_table();
    auto uuid = Uuid::Parse(uuid_key.str());
    if (!keys || !uuid)
      return {PreferenceOutcome::kStale, Cat("unexpected entry '", uuid_key.str(), "' in the preferences blob")};
    std::shared_ptr<const toml::table> now = current(*uuid);
    if (!now) return {PreferenceOutcome::kUnknown, "the preference files cannot be read"};
    for (const auto& [k, v] : *keys) {
      const toml::node* cur = now->get(k.str());
      if (!cur)
        return {PreferenceOutcome::kStale,
                Cat("preference ", k.str(), " of ", uuid_key.str(), " is no longer set")};
      if (!TomlEgal(v, *cur))
        return {PreferenceOutcome::kStale,
                Cat("preference ", k.str(), " of ", uuid_key.str(), " changed")};
    }
  }
  if (const toml::table* unset = recorded.get_as<toml::table>("unset")) {
    for (const auto& [uuid_key, value] : *unset) {
      auto uuid = Uuid::Parse(uuid_key.str());
      const toml::array* keys = value.as_array();
      if (!uuid || !keys)
        return {PreferenceOutcome::kStale, "unexpected 'unset' entry in the preferences blob"};
      std::shared_ptr<const toml::table> now = current(*uuid);
      if (!now) return {PreferenceOutcome::kUnknown, "the preference files cannot be read"};
      for (const auto& k : *keys) {
        const auto* name = k.as_string();
        if (!name) return {PreferenceOutcome::kStale, "unexpected 'unset' entry in the preferences blob"};
        if (now->contains(name->get()))
          return {PreferenceOutcome::kStale,
                  Cat("preference ", name->get(), " of ", uuid_key.str(), " was unset and is set now")};
      }
    }
  }
  return {PreferenceOutcome::kFresh, ""};
}

}  // namespace jlcache
