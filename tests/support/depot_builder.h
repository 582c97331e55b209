// TEST-ONLY: builds real-shaped Julia installations, depots, projects,
// manifests and preference files in a directory, e.g.
//
//   TempDir tmp;
//   DepotBuilder b(tmp.path(), "1.11.7");          // fake julia under <root>/julia
//   std::string depot = b.AddDepot("depot1");
//   PackageSpec example = Pkg("Example", "7876af07-990d-54b4-ab0e-23690620f79a");
//   b.InstallRegistryPackage(depot, example, "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc");
//   b.AddStdlib(Pkg("Dates", "ade2ca70-3891-5945-98fb-dc099432e06a"));
//   ProjectSpec proj; proj.deps = {{"Example", example.uuid}};
//   ManifestBuilder m; m.Tree(example, "46e44e...");
//   std::string project_dir = b.AddProject("proj", proj, m);
//   RuntimeProfile rt = b.Profile();               // validated, depot_path unset
//   EnvironmentOptions o = b.Options({depot}, project_dir);
//
// Everything is written with plain files; nothing here knows Julia's rules
// (the code under test does). Shared by env, staleness and benchmark code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/uuid.h"
#include "env/environment.h"
#include "env/runtime_profile.h"

namespace jlcache::test_support {

struct PackageSpec {
  std::string name;
  Uuid uuid;
  std::string version = "0.1.0";
  // [deps], [weakdeps] of its Project.toml: name -> uuid.
  std::vector<std::pair<std::string, Uuid>> deps;
  std::vector<std::pair<std::string, Uuid>> weakdeps;
  // [extensions]: extension name -> trigger names (one name is written as a string).
  std::vector<std::pair<std::string, std::vector<std::string>>> extensions;
  // Entry source text; default "module <Name> end\n".
  std::optional<std::string> source;
  // Write extensions as ext/<E>/<E>.jl instead of ext/<E>.jl.
  bool ext_in_subdir = false;
};
// A PackageSpec from a name and a canonical UUID string (aborts on a bad UUID).
PackageSpec Pkg(std::string name, std::string_view uuid);
Uuid U(std::string_view uuid);

struct ProjectSpec {
  std::optional<std::string> name;
  std::optional<Uuid> uuid;
  std::vector<std::pair<std::string, Uuid>> deps;
  std::vector<std::pair<std::string, Uuid>> weakdeps;
  std::vector<std::pair<std::string, Uuid>> extras;
  std::vector<std::pair<std::string, std::vector<std::string>>> extensions;
  std::optional<std::string> manifest;           // manifest = "..."
  std::optional<std::string> path;               // path = "..." (soft-deprecated)
  std::optional<std::string> entryfile;
  std::optional<std::vector<std::string>> workspace_projects;  // [workspace] projects
  std::string extra_toml;                        // appended verbatim (e.g. [preferences.Foo])
  std::string file_name = "Project.toml";        // or "JuliaProject.toml"
};
std::string RenderProject(const ProjectSpec& spec);

struct ManifestEntry {
  std::string name;
  Uuid uuid;
  std::optional<std::string> version = "0.1.0";
  std::optional<std::string> path;           // relative to the manifest
  std::optional<std::string> git_tree_sha1;  // 40 hex
  std::optional<std::string> entryfile;
  std::vector<std::pair<std::string, Uuid>> deps;
  bool deps_as_table = false;  // deps = {Name = "uuid"} instead of ["Name"]
  std::vector<std::pair<std::string, Uuid>> weakdeps;
  bool weakdeps_as_table = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> extensions;
};

class ManifestBuilder {
 public:
  explicit ManifestBuilder(int format = 2, std::string julia_version = "1.11.7")
      : format_(format), julia_version_(std::move(julia_version)) {}
  ManifestEntry& Add(ManifestEntry e);
  // Entry shortcuts from a PackageSpec (deps, weakdeps and extensions copied).
  ManifestEntry& Path(const PackageSpec& p, std::string path);
  ManifestEntry& Tree(const PackageSpec& p, std::string git_tree_sha1);
  ManifestEntry& Stdlib(const PackageSpec& p);
  std::string Render() const;
  int format() const { return format_; }

 private:
  int format_;
  std::string julia_version_;
  std::vector<ManifestEntry> entries_;
};

class DepotBuilder {
 public:
  // `root` must exist. A fake installation is laid out under <root>/julia:
  // bin/julia (empty file), lib/julia/sys.so, share/julia/stdlib/vX.Y/.
  DepotBuilder(std::string root, std::string julia_version);

  const std::string& root() const { return root_; }
  std::string Path(std::string_view rel) const;
  std::string bindir() const;
  std::string stdlib_dir() const;
  std::string julia_bin() const;
  const std::string& julia_version() const { return version_; }
  std::string MajorMinor() const;  // "v1.11"

  // A depot directory (created) at <root>/<rel>.
  std::string AddDepot(std::string_view rel);
  // The bundled depot <root>/julia/share/julia (created).
  std::string BundledDepot();

  // A package source tree at `dir`: Project.toml, src/<Name>.jl and its
  // extensions' files. Returns dir.
  std::string WritePackage(const std::string& dir, const PackageSpec& p);
  // packages/<Name>/<version_slug(uuid, sha1, slug_len)> in `depot`.
  std::string InstallRegistryPackage(const std::string& depot, const PackageSpec& p,
                                     std::string_view git_tree_sha1, int slug_len = 5);
  std::string AddStdlib(const PackageSpec& p);
  // <root>/<rel>/<file_name> (+ Manifest.toml when given). Returns the directory.
  std::string AddProject(std::string_view rel, const ProjectSpec& spec,
                         const std::optional<ManifestBuilder>& manifest = std::nullopt,
                         std::string_view manifest_name = "Manifest.toml");
  // <depot>/environments/<name>/Project.toml (+ manifest).
  std::string AddNamedEnvironment(const std::string& depot, std::string_view name,
                                  const ProjectSpec& spec,
                                  const std::optional<ManifestBuilder>& manifest = std::nullopt);
  // LocalPreferences.toml (or another name) with raw TOML text.
  void WritePreferences(const std::string& dir, std::string_view toml_text,
                        std::string_view file_name = "LocalPreferences.toml");
  // <depot>/compiled/vX.Y/<Name>/<file>, contents given; returns the path.
  std::string WriteCacheFile(const std::string& depot, std::string_view name, std::string_view file,
                             std::string_view bytes);

  // A validated profile for this installation (no environment overrides).
  RuntimeProfile Profile() const;
  // Options with HOME=<root>/home, cwd <root>, and JULIA_DEPOT_PATH set to
  // the depots (':'-joined) unless `depots` is empty; project as --project=DIR.
  EnvironmentOptions Options(const std::vector<std::string>& depots,
                             std::optional<std::string> project = std::nullopt) const;
  // The 40-hex tree hash helper: a stable fake sha1 from a seed.
  static std::string FakeTreeSha1(std::string_view seed);

 private:
  std::string root_;
  std::string version_;
};

}  // namespace jlcache::test_support
