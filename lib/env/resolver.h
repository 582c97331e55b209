// Internal to lib/env: the code-loading functions of base/loading.jl and
// base/initdefs.jl, one C++ method per Julia function (same names in
// snake_case comments), parameterized by JuliaRules. Environment is the
// public facade; nothing outside lib/env includes this header.
//
// Julia's `nothing` / `missing` / value returns are modelled explicitly.
// Where Julia throws (stat errors other than ENOENT, broken TOML, type
// assertions) the methods return an error status.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/toml.h"
#include "core/uuid.h"
#include "env/env_query.h"
#include "env/environment.h"

namespace jlcache::env_internal {

// Why one lookup found nothing, collected on the way so the facade can
// report a precise error (Julia itself just returns nothing).
struct LookupTrace {
  absl::Status swallowed;                // first stat error treated as "no file"
  std::optional<std::string> missing_tree;   // git-tree-sha1 entry in no depot: message
  std::optional<std::string> missing_entry;  // path entry whose entry file is absent
  std::optional<std::string> manifest_missing;  // explicit env declaring the name, without manifest
  std::string root;                      // package root of the last path produced
  std::optional<PkgId> ext_parent;       // set when the located path is an extension's
  int depth = 0;
};

// project_file_name_uuid: uuid is nullopt when the project has none (Julia
// would use dummy_uuid, which needs Base.hash; see loading.md §6).
struct ProjectId {
  std::string name;
  std::optional<Uuid> uuid;
  bool Matches(const PkgId& pkg) const { return uuid && pkg.uuid == uuid && pkg.name == name; }
};

struct EnvProject {
  EnvKind kind = EnvKind::kNone;
  std::string project_file;  // explicit only
};

// A path result of manifest_uuid_path & co.: Julia's Union{Nothing,String,Missing}.
struct PathResult {
  enum Kind { kNothing, kMissing, kPath } kind = kNothing;
  std::string path;
  static PathResult Nothing() { return {}; }
  static PathResult Missing() { return {kMissing, ""}; }
  static PathResult Path(std::string p) { return {kPath, std::move(p)}; }
};

// The dependency table of a manifest, as Julia's explicit_manifest_deps_get
// scans it: groups by name in table order, each entry's UUID parsed once.
struct ManifestScanIndex {
  struct Entry {
    const toml::table* table;
    absl::StatusOr<std::optional<Uuid>> uuid;
    bool has_extensions;
  };
  struct Group {
    std::string name;
    std::vector<Entry> entries;
  };
  std::shared_ptr<const ParsedToml> keep_alive;  // the tables point into it
  std::vector<Group> groups;
};

class Resolver {
 public:
  // query: what this public call has learned so far (shared by its lookups);
  // trace: this lookup's own record of why it found nothing.
  Resolver(const Environment& env, EnvQuery& query, LookupTrace& trace)
      : env_(env), rules_(env.rules()), query_(query), trace_(trace) {}

  // The scan index of a parsed manifest's dependency table (query-memoized).
  std::shared_ptr<const ManifestScanIndex> ScanIndexFor(const std::string& manifest_file,
                                        const std::shared_ptr<const ParsedToml>& parsed,
                                        const toml::table& deps);

  // --- filesystem with Julia's error behaviour
  bool IsFileCS(const std::string& path);                 // isfile_casesensitive (never throws)
  absl::StatusOr<bool> IsDir(const std::string& path);   // isdir (throws on EACCES/ELOOP)
  absl::StatusOr<bool> IsPath(const std::string& path);  // ispath
  absl::StatusOr<std::shared_ptr<const ParsedToml>> Toml(const std::string& path);

  // --- initdefs.jl
  absl::StatusOr<std::optional<std::string>> LoadPathExpand(std::string_view entry);
  absl::StatusOr<std::optional<std::string>> ActiveProject(bool search_load_path);
  absl::StatusOr<std::vector<std::string>> LoadPath();  // load_path(), once per query

  // --- environments and manifests
  absl::StatusOr<EnvProject> EnvProjectFile(const std::string& env);
  absl::StatusOr<std::optional<std::string>> BaseProject(const std::string& project_file);
  // project_file_manifest_path, once per project file per query.
  absl::StatusOr<std::optional<std::string>> ProjectFileManifestPath(const std::string& project_file);
  absl::StatusOr<ProjectId> ProjectFileNameUuid(const std::string& project_file, std::string_view name);
  // The dependency table of a parsed manifest (get_deps), or an error when
  // it is not a table of arrays of tables.
  absl::StatusOr<const toml::table*> ManifestDeps(const ParsedToml& manifest);
  static absl::StatusOr<const toml::table*> CheckedManifestDeps(const ParsedToml& manifest);

  // --- identify
  absl::StatusOr<std::optional<std::pair<PkgId, std::string>>> IdentifyPackageEnv(std::string_view name);
  absl::StatusOr<std::optional<PkgId>> IdentifyPackage(const PkgId& where, std::string_view name);

  // --- locate
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>> LocatePackageEnv(const PkgId& pkg);
  absl::StatusOr<bool> IsStdlib(const PkgId& pkg);

 private:
  absl::StatusOr<std::vector<std::string>> ComputeLoadPath();
  absl::StatusOr<std::optional<std::string>> ComputeProjectFileManifestPath(const std::string& project_file);
  // compute()'s answer from `slot` (the query's memo), with the stat error
  // it swallowed (see LookupTrace), which every later caller's trace receives too.
  template <typename T, typename Slot, typename F>
  absl::StatusOr<T> Remembered(Slot&& slot, F compute);

  absl::StatusOr<std::optional<PkgId>> ProjectDepsGet(const std::string& env, std::string_view name);
  absl::StatusOr<std::optional<Uuid>> ExplicitProjectDepsGet(const std::string& project_file,
                                                             std::string_view name,
                                                             const std::string* ext);
  absl::StatusOr<std::optional<PkgId>> ImplicitProjectDepsGet(const std::string& dir, std::string_view name);
  absl::StatusOr<std::pair<std::optional<std::string>, std::optional<std::string>>>
  EntryPointAndProjectFile(const std::string& dir, std::string_view name);
  absl::StatusOr<std::pair<std::optional<std::string>, std::optional<std::string>>>
  EntryPointAndProjectFileInside(const std::string& dir, std::string_view name);

  absl::StatusOr<std::optional<PkgId>> ManifestDepsGet(const std::string& env, const PkgId& where,
                                                       std::string_view name);
  absl::StatusOr<std::optional<PkgId>> ExplicitManifestDepsGet(const std::string& project_file,
                                                               const PkgId& where, std::string_view name);
  absl::StatusOr<std::optional<PkgId>> ImplicitManifestDepsGet(const std::string& dir, const PkgId& where,
                                                               std::string_view name);
  absl::StatusOr<std::optional<std::string>> ImplicitEnvProjectFileExtension(const std::string& dir,
                                                                             const PkgId& ext);
  absl::StatusOr<std::optional<std::pair<PkgId, std::string>>> IdentifyStdlibProjectDep(
      const PkgId& stdlib, std::string_view name);

  absl::StatusOr<PathResult> ManifestUuidPath(const std::string& env, const PkgId& pkg);
  absl::StatusOr<PathResult> ExplicitManifestUuidPath(const std::string& project_file, const PkgId& pkg);
  absl::StatusOr<PathResult> ExplicitManifestEntryPath(const std::string& manifest_file, const PkgId& pkg,
                                                       const toml::table& entry);
  absl::StatusOr<std::optional<std::string>> ImplicitManifestUuidPath(const std::string& dir,
                                                                      const PkgId& pkg);
  absl::StatusOr<std::optional<std::string>> ProjectFileExtPath(const std::string& project_file,
                                                                const PkgId& ext);
  absl::StatusOr<std::string> ProjectFilePath(const std::string& project_file, std::string_view name);
  std::string FindExtPath(const std::string& project_path, std::string_view ext);
  // entry_path: 1.10/1.11 may return nullopt (file absent); 1.12+ never does.
  std::optional<std::string> EntryPath(const std::string& path, std::string_view name,
                                       const std::optional<std::string>& entryfile);

  // uuid5(parent, ext) == candidate, decided from the extension's caches.
  bool IsExtensionUuid(const std::optional<Uuid>& parent_uuid, std::string_view parent_name,
                       std::string_view ext, const std::optional<Uuid>& candidate);

  std::string Abs(std::string_view p) const;

  const Environment& env_;
  const JuliaRules& rules_;
  EnvQuery& query_;
  LookupTrace& trace_;
};

// TOML access with Julia's type assertions turned into errors.
absl::StatusOr<std::optional<std::string>> GetString(const toml::table& t, std::string_view key,
                                                     const std::string& file);
absl::StatusOr<std::optional<Uuid>> GetUuid(const toml::table& t, std::string_view key,
                                            const std::string& file);
absl::StatusOr<Uuid> ParseUuidField(std::string_view text, const std::string& file);
const toml::table* GetTable(const toml::table& t, std::string_view key);

}  // namespace jlcache::env_internal
