// get_preferences(uuid) as base/loading.jl computes it (docs/loading.md §10),
// and the digest of its sources that keys probe-recorded hashes.
#include <xxhash.h>

#include <algorithm>

#include "core/error.h"
#include "core/file_io.h"
#include "env/env_paths.h"
#include "env/environment.h"
#include "env/resolver.h"

namespace jlcache {

using env_internal::EnvProject;
using env_internal::LookupTrace;
using env_internal::Resolver;

namespace {

// Deep copies that keep integer format flags. toml++ 3.3's table and array
// copy constructors rebuild values from non-const nodes and drop the flags,
// but toml_egal needs them: Julia reads hex/octal/binary literals as UInt64
// and decimal ones as Int64 (base/toml/parser.jl).
toml::array CopyArray(const toml::array& a);
toml::table CopyTable(const toml::table& t);

void InsertCopy(toml::table& out, const toml::key& k, const toml::node& v) {
  if (const toml::table* t = v.as_table()) {
    out.insert_or_assign(k, CopyTable(*t));
  } else if (const toml::array* a = v.as_array()) {
    out.insert_or_assign(k, CopyArray(*a));
  } else {
    out.insert_or_assign(k, v);  // a const value: its copy constructor keeps the flags
  }
}

toml::array CopyArray(const toml::array& a) {
  toml::array out;
  for (const toml::node& n : a) {
    if (const toml::table* t = n.as_table()) {
      out.push_back(CopyTable(*t));
    } else if (const toml::array* x = n.as_array()) {
      out.push_back(CopyArray(*x));
    } else {
      out.push_back(n);
    }
  }
  return out;
}

toml::table CopyTable(const toml::table& t) {
  toml::table out;
  for (const auto& [k, v] : t) InsertCopy(out, k, v);
  return out;
}

// recursive_prefs_merge(base, override): __clear__ first, then every key
// (including __clear__ itself); tables merge recursively.
void MergeInto(toml::table& base, const toml::table& over) {
  if (const toml::array* clear = over.get_as<toml::array>("__clear__")) {
    bool all_strings = std::all_of(clear->begin(), clear->end(),
                                   [](const toml::node& n) { return n.is_string(); });
    if (all_strings)  // Julia requires a Vector{String}
      for (const auto& k : *clear) base.erase(*k.value<std::string_view>());
  }
  for (const auto& [k, v] : over) {
    toml::table* old_t = base.get_as<toml::table>(k.str());
    const toml::table* new_t = v.as_table();
    if (old_t && new_t) {
      toml::table merged = CopyTable(*old_t);
      MergeInto(merged, *new_t);
      base.insert_or_assign(k, std::move(merged));
    } else {
      InsertCopy(base, k, v);
    }
  }
}

// get_uuid_name(project, uuid)
absl::StatusOr<std::optional<std::string>> GetUuidName(const toml::table& project, const Uuid& uuid,
                                                       const std::string& file) {
  JLC_ASSIGN_OR_RETURN(std::optional<Uuid> puuid, env_internal::GetUuid(project, "uuid", file));
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> name, env_internal::GetString(project, "name", file));
  if (name && puuid && *puuid == uuid) return name;
  for (std::string_view sub : {"deps", "extras", "weakdeps"}) {
    const toml::node* n = project.get(sub);
    if (!n) continue;
    const toml::table* t = n->as_table();
    if (!t) return Error(ErrorKind::kInvalidArgument, file, ": [", sub, "] must be a table");
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string_view>();
      if (!s) return Error(ErrorKind::kInvalidArgument, file, ": ", sub, ".", k.str(), " must be a UUID string");
      JLC_ASSIGN_OR_RETURN(Uuid u, env_internal::ParseUuidField(*s, file));
      if (u == uuid) return std::optional<std::string>(std::string(k.str()));
    }
  }
  return std::optional<std::string>();
}

// filter_preferences: prefs[pkg_name] as a table (missing = empty).
absl::StatusOr<toml::table> Filter(const toml::table& prefs, const std::string& pkg_name,
                                   const std::string& file) {
  const toml::node* n = prefs.get(pkg_name);
  if (!n) return toml::table();
  if (!n->is_table()) return Error(ErrorKind::kInvalidArgument, file, ": preferences of ", pkg_name,
                                   " must be a table");
  return CopyTable(*n->as_table());
}

// The preference sources of `uuid`, in merge order: for each environment,
// the project file and (when the package is named there) the local
// preferences file it reads.
struct Source {
  std::shared_ptr<const ParsedToml> file;
  std::optional<std::string> pkg_name;  // set: contributes
  bool is_project = false;
};

absl::StatusOr<std::vector<Source>> CollectSources(const Environment& env, EnvQuery& q,
                                                   const Uuid& uuid) {
  LookupTrace t;
  Resolver r(env, q, t);
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> loadpath, r.LoadPath());
  std::vector<std::string> projects;
  if (!loadpath.empty()) {
    projects.push_back(loadpath.front());
    if (env.rules().preferences_follow_workspace_chain) {  // get_projects_workspace_to_root
      std::string p = loadpath.front();
      for (int i = 0; i < 256; ++i) {
        JLC_ASSIGN_OR_RETURN(std::optional<std::string> base, r.BaseProject(p));
        if (!base) break;
        projects.push_back(*base);
        p = *base;
      }
    }
    projects.insert(projects.end(), loadpath.begin() + 1, loadpath.end());
  }
  std::vector<Source> out;
  for (auto it = projects.rbegin(); it != projects.rend(); ++it) {
    JLC_ASSIGN_OR_RETURN(EnvProject ep, r.EnvProjectFile(*it));
    if (ep.kind != EnvKind::kExplicit) continue;
    JLC_ASSIGN_OR_RETURN(auto project, q.Toml(env.toml_cache(), ep.project_file));
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> pkg_name,
                         GetUuidName(project->table, uuid, ep.project_file));
    out.push_back(Source{project, pkg_name, true});
    if (!pkg_name) continue;
    const std::string dir = DirName(ep.project_file);
    for (std::string_view name : kPreferencesNames) {
      std::string path = JoinPath(dir, name);
      JLC_ASSIGN_OR_RETURN(std::optional<FileInfo> st, q.Stat(path));  // isfile
      if (!st || !st->is_file) continue;
      JLC_ASSIGN_OR_RETURN(auto prefs, q.Toml(env.toml_cache(), path));
      out.push_back(Source{prefs, pkg_name, false});
      break;  // JuliaLocalPreferences.toml hides LocalPreferences.toml
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<toml::table> Environment::Preferences(EnvQuery& q, const Uuid& uuid) const {
  JLC_ASSIGN_OR_RETURN(std::vector<Source> sources, CollectSources(*this, q, uuid));
  toml::table merged;
  for (const Source& s : sources) {
    if (!s.pkg_name) continue;
    toml::table contribution;
    if (s.is_project) {
      const toml::node* p = s.file->table.get("preferences");
      if (p && !p->is_table())
        return Error(ErrorKind::kInvalidArgument, s.file->path, ": [preferences] must be a table");
      if (p) {
        JLC_ASSIGN_OR_RETURN(contribution, Filter(*p->as_table(), *s.pkg_name, s.file->path));
      }
    } else {
      JLC_ASSIGN_OR_RETURN(contribution, Filter(s.file->table, *s.pkg_name, s.file->path));
    }
    MergeInto(merged, contribution);
  }
  return merged;
}

absl::StatusOr<uint64_t> Environment::PreferencesSourcesDigest(EnvQuery& q, const Uuid& uuid) const {
  JLC_ASSIGN_OR_RETURN(std::vector<Source> sources, CollectSources(*this, q, uuid));
  XXH64_state_t* state = XXH64_createState();
  if (!state) return Error(ErrorKind::kInternal, "XXH64_createState failed");
  XXH64_reset(state, 0);
  for (const Source& s : sources) {
    // Each file as: 8-byte little-endian length, then its bytes.
    uint64_t n = s.file->content.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    XXH64_update(state, len, sizeof len);
    XXH64_update(state, s.file->content.data(), s.file->content.size());
  }
  uint64_t digest = XXH64_digest(state);
  XXH64_freeState(state);
  return digest;
}

std::optional<uint64_t> Environment::RecordedPreferencesHash(EnvQuery& q, const Uuid& uuid,
                                                             const std::vector<std::string>& names) const {
  const PreferenceHashRecord* match = nullptr;
  for (const auto& r : runtime_.preference_hashes)
    if (r.uuid == uuid && r.names == names) match = &r;
  if (!match) return std::nullopt;
  auto digest = PreferencesSourcesDigest(q, uuid);
  if (!digest.ok()) return std::nullopt;
  for (const auto& r : runtime_.preference_hashes)
    if (r.uuid == uuid && r.names == names && r.sources_digest == *digest) return r.hash;
  return std::nullopt;
}

}  // namespace jlcache
