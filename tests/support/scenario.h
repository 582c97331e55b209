// TEST-ONLY: a whole Julia world in a temporary directory, for staleness
// scenarios: a depot with registry-style packages (packages/<Name>/<slug>), a
// project with its manifest, caches "precompiled" consistently with the
// current sources in any layout, and the runtime profile of the Julia that
// wrote them. Scenario tests edit files, then ask the engine.
//
//   Scenario s(HeaderLayout::kB);               // Julia 1.11.7
//   s.AddPackage("Bar");
//   s.AddPackage("Foo", {"Bar"});
//   s.WriteEnvironment();                        // Project.toml + Manifest.toml
//   s.Compile("Bar"); s.Compile("Foo");          // dependencies first
//   auto session = s.OpenSession();
//   EXPECT_EQ(session->IsStale("Foo")->kind, VerdictKind::kFresh);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/uuid.h"
#include "env/runtime_profile.h"
#include "format/cache_header.h"
#include "stale/session.h"
#include "support/cache_writer.h"
#include "support/temp_dir.h"

namespace jlcache::test_support {

struct CompileOptions {
  std::optional<uint8_t> flags;         // default: 0xa3 with pkgimages, 0xa2 without
  std::string cache_stem;               // "" = "<slug>_<n>" with a fresh n
  std::optional<double> cache_mtime;    // set the .ji's mtime (candidate order)
  bool write_so = true;                 // pkgimages: write the companion .so
  std::vector<std::string> preference_names;
  uint64_t preferences_hash = 0;
  std::string preferences_blob;
  std::optional<std::string> julia_version;  // default: the scenario's
  std::optional<std::string> git_commit;
  std::optional<std::string> git_branch;
  // Extra include_dependency files (relative to the package dir).
  std::vector<std::string> include_dependencies;
  bool track_content = true;            // for include_dependencies (layouts B+)
  // `requires` records that replace the computed ones (advanced scenarios).
  std::optional<std::vector<PkgId>> requires_;
  // Required modules that replace the computed ones (advanced scenarios).
  std::optional<std::vector<RequiredModule>> required_modules;
  std::string depot;                    // "" = the first depot
};

struct CompiledCache {
  std::string ji_path;
  std::string so_path;  // "" without native code
  CacheHeader header;
  BuildId build_id;
};

// "stale: [code: detail] ..." for failure messages.
std::string Describe(const Verdict& v);

class Scenario {
 public:
  // julia_version "" = the layout's default (DefaultJuliaVersion).
  explicit Scenario(HeaderLayout layout, bool pkgimages = true, std::string julia_version = "");

  HeaderLayout layout() const { return layout_; }
  const std::string& julia_version() const { return julia_version_; }
  const TempDir& dir() const { return dir_; }
  const std::string& depot() const { return depots_.front(); }
  const std::vector<std::string>& depots() const { return depots_; }
  std::string project_dir() const { return dir_.Join("project"); }
  std::string stdlib_dir() const { return dir_.Join("julia/share/julia/stdlib/v" + MajorMinor()); }
  std::string MajorMinor() const;  // "1.11"

  // A second depot searched after the first (stacked depots).
  std::string AddDepot();

  // A registry-style package with src/<Name>.jl (which `using`s each dep) and
  // src/impl.jl. Returns its UUID (derived from the name, stable).
  Uuid AddPackage(const std::string& name, const std::vector<std::string>& deps = {},
                  const std::string& depot = "");
  // An extension of `parent` triggered by `trigger` (ext/<Ext>.jl).
  void AddExtension(const std::string& parent, const std::string& ext, const std::string& trigger);
  // A stdlib under stdlib_dir (not in the sysimage), with its own Project.toml.
  Uuid AddStdlib(const std::string& name);
  // Upgrades a package to a new version: a new tree hash and directory.
  void Upgrade(const std::string& name);

  Uuid UuidOf(const std::string& name) const;
  std::string PackageDir(const std::string& name) const;
  std::string SourcePath(const std::string& name, const std::string& rel = "") const;
  void WriteSource(const std::string& name, const std::string& rel, const std::string& text);

  // The usual small world: Words <- Greetings <- Hello, written and compiled.
  void AddCompiledChain();
  // Makes `program` the world's julia (julia/bin/julia, a symlink).
  void InstallJulia(const std::string& program);

  // Project.toml [deps] (default: every package) and a format-2.0 manifest.
  void WriteEnvironment(const std::vector<std::string>& top_level = {});
  // Writes LocalPreferences.toml next to the project.
  void WritePreferences(const std::string& toml);

  // A cache for `name`, consistent with the current sources, requiring the
  // newest compiled cache of each transitive dependency.
  CompiledCache Compile(const std::string& name, const CompileOptions& options = {});
  const CompiledCache& LatestCache(const std::string& name) const;
  // Compiles `names` anew and moves each new .ji/.so aside; returns the
  // stand-in julia's plan lines ("cache\t<trigger>\t<path>\t<staged>") that
  // put them back when `trigger` is precompiled.
  std::vector<std::string> StageRecompiledCaches(const std::vector<std::string>& names,
                                                 const std::string& trigger);

  // The runtime profile of the Julia that "wrote" the caches.
  std::string ProfileToml() const;
  RuntimeProfile Profile() const;
  // A session in this world (JULIA_DEPOT_PATH = depots, --project).
  std::unique_ptr<Session> OpenSession(int io_threads = 2) const;
  // The same with another runtime profile (an edited Profile()).
  std::unique_ptr<Session> OpenSession(const RuntimeProfile& profile, int io_threads = 2) const;
  // Environment variables for a CLI run in this world.
  std::vector<std::string> CliEnv() const;
  std::string WriteProfile() const;  // writes runtime.toml, returns its path

  bool pkgimages() const { return pkgimages_; }

 private:
  struct Package {
    std::string name;
    Uuid uuid;
    std::vector<std::string> deps;
    std::string tree_sha1;  // 40 hex
    std::string depot;
    bool stdlib = false;
    std::vector<std::pair<std::string, std::string>> extensions;  // ext, trigger
    int version = 1;
  };
  const Package& Get(const std::string& name) const;
  std::vector<std::string> TransitiveDeps(const std::string& name) const;
  std::string StoredPath(const std::string& abs) const;  // @depot/... in layouts B+

  HeaderLayout layout_;
  bool pkgimages_;
  std::string julia_version_;
  TempDir dir_;
  std::vector<std::string> depots_;
  std::vector<Package> packages_;
  std::map<std::string, CompiledCache> latest_;
  int next_build_ = 1;
  int next_staged_ = 0;
};

}  // namespace jlcache::test_support
