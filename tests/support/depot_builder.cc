#include "support/depot_builder.h"

#include <cstdio>
#include <stdexcept>

#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "rules/julia_version.h"
#include "support/profile_text.h"
#include "support/temp_dir.h"

namespace jlcache::test_support {
namespace {

std::string Q(std::string_view s) { return TomlString(s); }

std::string NameList(const std::vector<std::pair<std::string, Uuid>>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + Q(v[i].first);
  return out + "]";
}

std::string InlineTable(const std::vector<std::pair<std::string, Uuid>>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : "") + Q(v[i].first) + " = " + Q(v[i].second.ToString());
  return out + "}";
}

std::string Section(std::string_view header, const std::vector<std::pair<std::string, Uuid>>& v) {
  if (v.empty()) return "";
  std::string out = Cat("\n[", header, "]\n");
  for (const auto& [n, u] : v) out += Q(n) + " = " + Q(u.ToString()) + "\n";
  return out;
}

std::string Triggers(const std::vector<std::string>& t) {
  if (t.size() == 1) return Q(t[0]);
  std::string out = "[";
  for (size_t i = 0; i < t.size(); ++i) out += (i ? ", " : "") + Q(t[i]);
  return out + "]";
}

std::string ExtSection(std::string_view header,
                       const std::vector<std::pair<std::string, std::vector<std::string>>>& exts) {
  if (exts.empty()) return "";
  std::string out = Cat("\n[", header, "]\n");
  for (const auto& [e, t] : exts) out += Q(e) + " = " + Triggers(t) + "\n";
  return out;
}

ManifestEntry FromSpec(const PackageSpec& p) {
  ManifestEntry e;
  e.name = p.name;
  e.uuid = p.uuid;
  e.version = p.version;
  e.deps = p.deps;
  e.weakdeps = p.weakdeps;
  e.extensions = p.extensions;
  return e;
}

}  // namespace

Uuid U(std::string_view uuid) {
  auto u = Uuid::Parse(uuid);
  if (!u) throw std::invalid_argument(std::string("bad uuid ") + std::string(uuid));
  return *u;
}

PackageSpec Pkg(std::string name, std::string_view uuid) {
  PackageSpec p;
  p.name = std::move(name);
  p.uuid = U(uuid);
  return p;
}

std::string RenderProject(const ProjectSpec& s) {
  std::string out;
  if (s.name) out += "name = " + Q(*s.name) + "\n";
  if (s.uuid) out += "uuid = " + Q(s.uuid->ToString()) + "\n";
  out += "version = \"0.1.0\"\n";
  if (s.manifest) out += "manifest = " + Q(*s.manifest) + "\n";
  if (s.path) out += "path = " + Q(*s.path) + "\n";
  if (s.entryfile) out += "entryfile = " + Q(*s.entryfile) + "\n";
  out += Section("deps", s.deps);
  out += Section("weakdeps", s.weakdeps);
  out += Section("extras", s.extras);
  out += ExtSection("extensions", s.extensions);
  if (s.workspace_projects) {
    out += "\n[workspace]\nprojects = [";
    for (size_t i = 0; i < s.workspace_projects->size(); ++i)
      out += (i ? ", " : "") + Q((*s.workspace_projects)[i]);
    out += "]\n";
  }
  if (!s.extra_toml.empty()) out += "\n" + s.extra_toml + "\n";
  return out;
}

ManifestEntry& ManifestBuilder::Add(ManifestEntry e) {
  entries_.push_back(std::move(e));
  return entries_.back();
}

ManifestEntry& ManifestBuilder::Path(const PackageSpec& p, std::string path) {
  ManifestEntry e = FromSpec(p);
  e.path = std::move(path);
  return Add(std::move(e));
}

ManifestEntry& ManifestBuilder::Tree(const PackageSpec& p, std::string sha) {
  ManifestEntry e = FromSpec(p);
  e.git_tree_sha1 = std::move(sha);
  return Add(std::move(e));
}

ManifestEntry& ManifestBuilder::Stdlib(const PackageSpec& p) {
  ManifestEntry e = FromSpec(p);
  e.version.reset();
  return Add(std::move(e));
}

std::string ManifestBuilder::Render() const {
  std::string out = "# This file is machine-generated - editing it directly is not advised\n\n";
  const bool v2 = format_ == 2;
  if (v2) out += Cat("julia_version = ", Q(julia_version_), "\nmanifest_format = \"2.0\"\n");
  for (const auto& e : entries_) {
    out += Cat("\n[[", v2 ? "deps." : "", Q(e.name), "]]\n");
    if (!e.deps.empty())
      out += "deps = " + (e.deps_as_table ? InlineTable(e.deps) : NameList(e.deps)) + "\n";
    if (e.entryfile) out += "entryfile = " + Q(*e.entryfile) + "\n";
    if (e.git_tree_sha1) out += "git-tree-sha1 = " + Q(*e.git_tree_sha1) + "\n";
    if (e.path) out += "path = " + Q(*e.path) + "\n";
    out += "uuid = " + Q(e.uuid.ToString()) + "\n";
    if (e.version) out += "version = " + Q(*e.version) + "\n";
    if (!e.weakdeps.empty())
      out += "weakdeps = " + (e.weakdeps_as_table ? InlineTable(e.weakdeps) : NameList(e.weakdeps)) + "\n";
    if (!e.extensions.empty()) {
      out += Cat("\n    [", v2 ? "deps." : "", Q(e.name), ".extensions]\n");
      for (const auto& [x, t] : e.extensions) out += "    " + Q(x) + " = " + Triggers(t) + "\n";
    }
  }
  return out;
}

DepotBuilder::DepotBuilder(std::string root, std::string julia_version)
    : root_(std::move(root)), version_(std::move(julia_version)) {
  WriteFileOrDie(julia_bin(), "");
  WriteFileOrDie(Path("julia/lib/julia/sys.so"), "");
  MakeDirsOrDie(stdlib_dir());
  MakeDirsOrDie(Path("home"));
}

std::string DepotBuilder::Path(std::string_view rel) const { return JoinPath(root_, rel); }
std::string DepotBuilder::bindir() const { return Path("julia/bin"); }
std::string DepotBuilder::julia_bin() const { return Path("julia/bin/julia"); }
std::string DepotBuilder::MajorMinor() const { return JuliaVersion::Parse(version_)->MajorMinorDir(); }
std::string DepotBuilder::stdlib_dir() const {
  return Path("julia/share/julia/stdlib/" + MajorMinor());
}

std::string DepotBuilder::AddDepot(std::string_view rel) {
  std::string d = Path(rel);
  MakeDirsOrDie(d);
  return d;
}

std::string DepotBuilder::BundledDepot() { return AddDepot("julia/share/julia"); }

std::string DepotBuilder::WritePackage(const std::string& dir, const PackageSpec& p) {
  ProjectSpec ps;
  ps.name = p.name;
  ps.uuid = p.uuid;
  ps.deps = p.deps;
  ps.weakdeps = p.weakdeps;
  ps.extensions = p.extensions;
  WriteFileOrDie(JoinPath(dir, "Project.toml"), RenderProject(ps));
  WriteFileOrDie(JoinPath(dir, "src/" + p.name + ".jl"),
                 p.source ? *p.source : "module " + p.name + " end\n");
  for (const auto& [ext, triggers] : p.extensions) {
    std::string rel = p.ext_in_subdir ? "ext/" + ext + "/" + ext + ".jl" : "ext/" + ext + ".jl";
    WriteFileOrDie(JoinPath(dir, rel), "module " + ext + " end\n");
  }
  return dir;
}

std::string DepotBuilder::InstallRegistryPackage(const std::string& depot, const PackageSpec& p,
                                                 std::string_view sha, int slug_len) {
  auto raw = ParseHexBytes(sha);
  if (!raw || raw->size() != 20) throw std::invalid_argument("bad git-tree-sha1");
  std::string dir = JoinPath(depot, "packages/" + p.name + "/" + VersionSlug(p.uuid, *raw, slug_len));
  return WritePackage(dir, p);
}

std::string DepotBuilder::AddStdlib(const PackageSpec& p) {
  return WritePackage(JoinPath(stdlib_dir(), p.name), p);
}

std::string DepotBuilder::AddProject(std::string_view rel, const ProjectSpec& spec,
                                     const std::optional<ManifestBuilder>& manifest,
                                     std::string_view manifest_name) {
  std::string dir = Path(rel);
  WriteFileOrDie(JoinPath(dir, spec.file_name), RenderProject(spec));
  if (manifest) WriteFileOrDie(JoinPath(dir, manifest_name), manifest->Render());
  return dir;
}

std::string DepotBuilder::AddNamedEnvironment(const std::string& depot, std::string_view name,
                                              const ProjectSpec& spec,
                                              const std::optional<ManifestBuilder>& manifest) {
  std::string dir = JoinPath(depot, Cat("environments/", name));
  WriteFileOrDie(JoinPath(dir, "Project.toml"), RenderProject(spec));
  if (manifest) WriteFileOrDie(JoinPath(dir, "Manifest.toml"), manifest->Render());
  return dir;
}

void DepotBuilder::WritePreferences(const std::string& dir, std::string_view text,
                                    std::string_view file_name) {
  WriteFileOrDie(JoinPath(dir, file_name), text);
}

std::string DepotBuilder::WriteCacheFile(const std::string& depot, std::string_view name,
                                         std::string_view file, std::string_view bytes) {
  std::string path = JoinPath(depot, Cat("compiled/", MajorMinor(), "/", name, "/", file));
  WriteFileOrDie(path, bytes);
  return path;
}

RuntimeProfile DepotBuilder::Profile() const {
  const std::string text =
      RuntimeProfileToml(version_, julia_bin(), Path("julia/lib/julia/sys.so"), stdlib_dir());
  auto p = RuntimeProfile::FromTomlString(text, "<depot_builder>");
  if (!p.ok()) throw std::runtime_error(std::string(Message(p.status())));
  return *p;
}

EnvironmentOptions DepotBuilder::Options(const std::vector<std::string>& depots,
                                         std::optional<std::string> project) const {
  EnvironmentOptions o;
  o.home = Path("home");
  o.cwd = root_;
  o.env["HOME"] = o.home;
  if (!depots.empty()) {
    std::string joined;
    for (const auto& d : depots) joined += (joined.empty() ? "" : ":") + d;
    o.env["JULIA_DEPOT_PATH"] = joined;
  }
  o.project = std::move(project);
  return o;
}

std::string DepotBuilder::FakeTreeSha1(std::string_view seed) {
  std::string out;
  uint32_t crc = Crc32cStr(seed);
  while (out.size() < 40) {
    crc = Crc32cStr(seed, crc + 1);
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", crc);
    out += buf;
  }
  return out.substr(0, 40);
}

}  // namespace jlcache::test_support
