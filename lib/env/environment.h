// Environment: one Julia runtime in one environment, resolved exactly as that
// Julia version would (docs/loading.md). This is what the staleness engine,
// the CLI and the C ABI ask "which depots, which environment, which package
// source, which cache candidates, which preferences".
//
// Construction resolves the startup state once (DEPOT_PATH, LOAD_PATH, the
// active project), like Julia's __init__. Queries then read project,
// manifest and preference files through a TomlCache (memoized by path and
// stat), so edits on disk are seen by the next query.
//
// Every method that reads files takes the caller's EnvQuery (env_query.h):
// one public call, one query, one snapshot of each file, recorded in the
// query's journal. The overloads without one make a query of their own.
//
// Thread safety: an Environment is immutable after Create(); every const
// method may be called from several threads at once (the TOML cache is
// guarded by a mutex; per-call answers live in the caller's EnvQuery).
//
// Errors (ErrorKind of the returned status):
//   kToml             broken TOML, message "file:line:col: ..."
//   kManifestMissing  the environment that declares the package has no manifest
//   kPackageNotFound  the name/uuid is in no environment
//   kNotInstalled     declared in a manifest, but its source is in no depot
//                     (or a `path` entry whose entry file is absent)
//   kPermission       an unreadable directory or file
//   kSymlinkLoop      ELOOP while resolving a path
//   kRuntime          the profile cannot answer (e.g. no depot)
//
// WHAT JLCACHE MAY EVER WRITE (the one list; keep in sync with
// docs/loading.md "Writes"):
//   1. the probe cache (<DEPOT_PATH[1]>/jlcache/probe-<key>.toml, lib/env/probe.cc);
//   2. the content-hash memo (lib/stale);
//   3. the precompile lock, and what Julia's own precompiler writes;
//   4. a cache file's mtime, only with an explicit touch option.
// `--no-write` (EnvironmentOptions::no_write) disables 1 and 2. Nothing in
// lib/env writes anything else; in particular compilecache_path's mkpath and
// 1.14-dev's init_named_env! are NOT reproduced (the paths are computed only).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/toml.h"
#include "core/uuid.h"
#include "env/env_query.h"
#include "env/runtime_profile.h"
#include "env/toml_cache.h"
#include "format/cache_header.h"
#include "rules/julia_rules.h"

namespace jlcache {

// Environment variables as Julia would see them (JULIA_DEPOT_PATH,
// JULIA_LOAD_PATH, JULIA_PROJECT, JULIA_CPU_TARGET, HOME). Injected so that
// nothing in the resolution logic calls getenv.
using EnvVars = std::map<std::string, std::string>;
// The current process's variables (for the CLI and the C ABI).
EnvVars ProcessEnvVars();

// Reads a cache header (the format room's reader). Used to order candidates
// (1.11+: pkgimage first) and to learn extension UUIDs. Shared and immutable,
// so a caller that already parsed the file (the staleness engine's memo) can
// hand out its copy without another read. It reads through the query (its
// journal, and its stat snapshot: the file is stat'ed once per query).
using CacheHeaderReader = std::function<absl::StatusOr<std::shared_ptr<const CacheHeader>>(
    EnvQuery& q, const std::string& path)>;
// The library's reader (lib/format), reading the file each time.
CacheHeaderReader DefaultCacheHeaderReader();

struct EnvironmentOptions {
  EnvVars env;                         // see EnvVars
  // `--project[=DIR]`: nullopt = flag absent; "@." = bare --project.
  std::optional<std::string> project;
  std::string cwd;                     // "" = getcwd(); for @. and relative paths
  std::string home;                    // "" = env["HOME"], else the passwd entry
  // The script for @script (Julia's PROGRAM_FILE); none = @script expands to nothing.
  std::optional<std::string> program_file;
  CacheHeaderReader header_reader;     // empty = DefaultCacheHeaderReader()
  bool no_write = false;               // --no-write (informational for lib/env)
};

enum class EnvKind {
  kNone,      // nonexistent / not an environment (ignored, as in Julia)
  kImplicit,  // a directory of packages
  kExplicit,  // a project file
};
std::string_view EnvKindName(EnvKind kind);

// One entry of load_path() (the expanded LOAD_PATH).
struct EnvironmentEntry {
  std::string raw;                           // LOAD_PATH entry ("@v#.#", "@stdlib", a path)
  std::string path;                          // load_path_expand(raw)
  EnvKind kind = EnvKind::kNone;
  std::optional<std::string> project_file;   // explicit only
  std::optional<std::string> manifest_file;  // explicit with a manifest (workspace root's on 1.12+)
};

// A manifest entry, with its deps resolved to PkgIds.
struct ManifestPackage {
  PkgId id;                                  // always has a uuid
  std::vector<PkgId> deps;
  std::vector<PkgId> weakdeps;
  // extension name -> trigger names
  std::vector<std::pair<std::string, std::vector<std::string>>> extensions;
  std::optional<std::string> path;           // as written (relative to the manifest)
  std::optional<std::string> git_tree_sha1;  // 40 hex
  std::optional<std::string> entryfile;
  std::optional<std::string> version;
  bool is_stdlib() const { return !path && !git_tree_sha1; }
};

// The packages `using` can reach from the active project: its [deps] and,
// through the manifest's deps, everything they need. Julia identifies a
// manifest entry only as a dependency of a package it already identified
// (explicit_manifest_deps_get), so an entry nothing reaches cannot be loaded.
struct ActivePackageSet {
  std::string project_file;
  std::optional<std::string> manifest_file;  // nullopt: the project has none
  std::vector<ManifestPackage> manifest;     // every entry, in manifest order
  std::vector<size_t> reachable;             // indices into `manifest`, in manifest order
  std::vector<PkgId> unlisted;               // project deps the manifest does not list
};

// Where a package's source is (locate_package), plus context.
struct LocatedPackage {
  PkgId id;
  std::string entry_file;    // what Base.locate_package returns
  std::string package_dir;   // the package root (pkgdir); the parent's root for an extension
  std::string environment;   // env path it was found in (Sys.STDLIB for the fallback)
  std::optional<PkgId> extension_parent;  // set when id is an extension
};

// A candidate cache file (find_all_in_cache_path), in Julia's order.
struct CacheCandidate {
  std::string path;
  double mtime = 0;                // Julia's mtime double
  // 1.11+ sort key. nullopt when the header could not be read and pkgimages
  // are on: the order among candidates is then not exact (order_exact()).
  std::optional<bool> pkgimage;
};

struct CacheCandidates {
  std::vector<CacheCandidate> files;
  bool order_exact = true;
};

class Environment {
 public:
  // Resolves DEPOT_PATH, LOAD_PATH and the active project. The profile must be
  // validated (kRuntime otherwise).
  static absl::StatusOr<std::shared_ptr<const Environment>> Create(
      const RuntimeProfile& runtime, EnvironmentOptions options);

  const RuntimeProfile& runtime() const { return runtime_; }
  const JuliaRules& rules() const { return runtime_.rules; }
  const EnvironmentOptions& options() const { return options_; }

  // DEPOT_PATH, in order. May be empty (JULIA_DEPOT_PATH="").
  const std::vector<std::string>& depots() const { return depots_; }
  // LOAD_PATH as Julia stores it after startup (`@.` already expanded).
  const std::vector<std::string>& load_path() const { return load_path_; }
  // The active project file (Base.active_project()), or nullopt.
  const std::optional<std::string>& active_project() const { return active_project_; }
  // Sys.STDLIB.
  const std::string& stdlib_dir() const { return runtime_.stdlib_dir; }
  // Base.ACTIVE_PROJECT[] after startup (--project / JULIA_PROJECT, expanded);
  // active_project() derives from it and LOAD_PATH.
  const std::optional<std::string>& active_project_setting() const { return active_setting_; }

  // load_path() with each entry classified, its project and manifest found.
  // Reads the filesystem now (manifest discovery), so it returns a status.
  absl::StatusOr<std::vector<EnvironmentEntry>> Environments(EnvQuery& q) const;
  absl::StatusOr<std::vector<EnvironmentEntry>> Environments() const { return WithQuery(&Environment::Environments); }

  // Every package in the active project's manifest. kManifestMissing when the
  // active project has none; kNotFound without an active project.
  absl::StatusOr<std::vector<ManifestPackage>> ManifestPackages(EnvQuery& q) const;
  absl::StatusOr<std::vector<ManifestPackage>> ManifestPackages() const { return WithQuery(&Environment::ManifestPackages); }
  // The package an extension of `parent` names as `trigger`, looked up as
  // explicit_manifest_deps_get does: in the parent's weakdeps, and from
  // 1.11.2 (rules().ext_trigger_lookup_includes_deps) then in its deps.
  std::optional<PkgId> ExtensionTrigger(const ManifestPackage& parent, std::string_view trigger) const;
  // The active project's [deps] and what they reach in its manifest. A
  // missing manifest is not an error here (every dep is then unlisted); a
  // broken one is. kNotFound without an active project. Computed once per query.
  std::shared_ptr<const absl::StatusOr<ActivePackageSet>> ActivePackages(EnvQuery& q) const;
  absl::StatusOr<ActivePackageSet> ActivePackages() const {
    EnvQuery q{FileAccess()};  // outside any query: a call of its own
    return *ActivePackages(q);
  }

  // identify_package(name) / identify_package(where, name).
  // kPackageNotFound when Julia would return nothing.
  absl::StatusOr<PkgId> Identify(EnvQuery& q, std::string_view name) const;
  absl::StatusOr<PkgId> Identify(EnvQuery& q, const PkgId& where, std::string_view name) const;
  absl::StatusOr<PkgId> Identify(std::string_view name) const {
    return WithQuery(static_cast<absl::StatusOr<PkgId> (Environment::*)(EnvQuery&, std::string_view) const>(&Environment::Identify), name);
  }
  absl::StatusOr<PkgId> Identify(const PkgId& where, std::string_view name) const {
    EnvQuery q{FileAccess()};  // outside any query: a call of its own
    return Identify(q, where, name);
  }

  // locate_package(pkg), with kManifestMissing / kNotInstalled /
  // kPackageNotFound telling why Julia would return nothing.
  absl::StatusOr<LocatedPackage> Locate(EnvQuery& q, const PkgId& pkg) const;
  absl::StatusOr<LocatedPackage> Locate(const PkgId& pkg) const { return WithQuery(&Environment::Locate, pkg); }
  // Identify(name) then Locate; extensions are tried by name too (their UUID
  // is then taken from their cache headers, or left unknown).
  absl::StatusOr<LocatedPackage> LocateByName(EnvQuery& q, std::string_view name) const;
  absl::StatusOr<LocatedPackage> LocateByName(std::string_view name) const { return WithQuery(&Environment::LocateByName, name); }

  // The UUID of extension `ext_name` of `parent`, from the worklist of the
  // extension's own cache headers in compiled/vX.Y/<ext_name>/ (a header
  // counts when it requires `parent`). nullopt = unknown.
  std::optional<Uuid> ExtensionUuid(EnvQuery& q, const PkgId& parent, std::string_view ext_name) const;
  std::optional<Uuid> ExtensionUuid(const PkgId& parent, std::string_view ext_name) const {
    return WithQuery(&Environment::ExtensionUuid, parent, ext_name);
  }
  // Whether any depot holds a cache file (compiled/vX.Y/<name>/*.ji) for a package of this name.
  absl::StatusOr<bool> AnyCacheFileNamed(EnvQuery& q, std::string_view name) const;

  // find_all_in_cache_path(pkg) with this version's order.
  absl::StatusOr<CacheCandidates> FindCacheCandidates(EnvQuery& q, const PkgId& pkg) const;
  absl::StatusOr<CacheCandidates> FindCacheCandidates(const PkgId& pkg) const { return WithQuery(&Environment::FindCacheCandidates, pkg); }
  // compilecache_path(pkg) for a package with no compile-time preferences
  // (hash 0 / empty blob). Without a uuid: compiled/vX.Y/<Name>.ji.
  // nullopt when there is no depot or the preference encoding is unknown.
  std::optional<std::string> NewCacheFileName(const PkgId& pkg) const;
  // compilecache_pidfile_path(pkg): project "" and empty preferences.
  std::optional<std::string> PidfilePath(const PkgId& pkg) const;

  // get_preferences(uuid): the merged preference table.
  absl::StatusOr<toml::table> Preferences(EnvQuery& q, const Uuid& uuid) const;
  absl::StatusOr<toml::table> Preferences(const Uuid& uuid) const { return WithQuery(&Environment::Preferences, uuid); }
  // XXH64 over the preference sources get_preferences(uuid) reads, in order
  // (see docs/runtime-profile.md "preference_hashes" for the exact bytes).
  absl::StatusOr<uint64_t> PreferencesSourcesDigest(EnvQuery& q, const Uuid& uuid) const;
  absl::StatusOr<uint64_t> PreferencesSourcesDigest(const Uuid& uuid) const { return WithQuery(&Environment::PreferencesSourcesDigest, uuid); }
  // The recorded Base.get_preferences_hash(uuid, names), when the runtime
  // profile holds one whose sources digest still matches; else nullopt.
  std::optional<uint64_t> RecordedPreferencesHash(EnvQuery& q, const Uuid& uuid,
                                                  const std::vector<std::string>& names) const;
  std::optional<uint64_t> RecordedPreferencesHash(const Uuid& uuid,
                                                  const std::vector<std::string>& names) const {
    return WithQuery(&Environment::RecordedPreferencesHash, uuid, names);
  }

  // The stat-keyed TOML memo shared by all queries.
  TomlCache& toml_cache() const { return *toml_; }

  ~Environment();

 private:
  // not_found, plus what the active manifest says about `name` (an indirect
  // dependency of X, or an entry nothing reaches).
  absl::Status ExplainNotFound(EnvQuery& q, std::string_view name,
                               const absl::Status& not_found) const;
  // The no-query overloads: one query of their own.
  template <typename R, typename... A, typename... Args>
  R WithQuery(R (Environment::*method)(EnvQuery&, A...) const, Args&&... args) const {
    EnvQuery q{FileAccess()};  // outside any query: a call of its own
    return (this->*method)(q, std::forward<Args>(args)...);
  }
  absl::StatusOr<ActivePackageSet> ComputeActivePackages(EnvQuery& q) const;
  Environment() = default;
  struct Impl;
  RuntimeProfile runtime_;
  EnvironmentOptions options_;
  std::vector<std::string> depots_;
  std::vector<std::string> load_path_;
  std::optional<std::string> active_setting_;
  std::optional<std::string> active_project_;
  std::unique_ptr<TomlCache> toml_;
  std::unique_ptr<Impl> impl_;
  friend struct EnvironmentAccess;
};

}  // namespace jlcache
