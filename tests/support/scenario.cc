#include "support/scenario.h"

#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "gtest/gtest.h"
#include "rules/julia_version.h"

namespace jlcache::test_support {
namespace {

std::string Hex40(const std::string& seed) {
  std::string out;
  for (uint64_t s = 0; out.size() < 40; ++s) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(XXH64(seed.data(), seed.size(), s)));
    out += buf;
  }
  return out.substr(0, 40);
}

}  // namespace

Scenario::Scenario(HeaderLayout layout, bool pkgimages, std::string julia_version)
    : layout_(layout),
      pkgimages_(pkgimages),
      julia_version_(julia_version.empty() ? DefaultJuliaVersion(layout) : std::move(julia_version)) {
  depots_.push_back(dir_.Join("depot"));
  MakeDirsOrDie(depots_.front());
  MakeDirsOrDie(stdlib_dir());
  MakeDirsOrDie(dir_.Join("julia/bin"));
  MakeDirsOrDie(dir_.Join("home"));
  MakeDirsOrDie(project_dir());
}

std::string Scenario::MajorMinor() const {
  auto v = JuliaVersion::Parse(julia_version_);
  return std::to_string(v->major) + "." + std::to_string(v->minor);
}

std::string Scenario::AddDepot() {
  std::string d = dir_.Join("depot" + std::to_string(depots_.size() + 1));
  MakeDirsOrDie(d);
  depots_.push_back(d);
  return d;
}

const Scenario::Package& Scenario::Get(const std::string& name) const {
  for (const auto& p : packages_)
    if (p.name == name) return p;
  ADD_FAILURE() << "no package " << name << " in the scenario";
  static Package none;
  return none;
}

Uuid Scenario::UuidOf(const std::string& name) const { return Get(name).uuid; }

std::string Scenario::PackageDir(const std::string& name) const {
  const Package& p = Get(name);
  if (p.stdlib) return JoinPath(stdlib_dir(), name);
  std::string sha = *ParseHexBytes(p.tree_sha1);
  return JoinPath(p.depot, "packages/" + name + "/" + VersionSlug(p.uuid, sha));
}

std::string Scenario::SourcePath(const std::string& name, const std::string& rel) const {
  return JoinPath(PackageDir(name), rel.empty() ? "src/" + name + ".jl" : rel);
}

void Scenario::WriteSource(const std::string& name, const std::string& rel,
                           const std::string& text) {
  WriteFileOrDie(SourcePath(name, rel), text);
}

namespace {
std::string ProjectToml(const std::string& name, const Uuid& uuid,
                        const std::vector<std::pair<std::string, Uuid>>& deps,
                        const std::vector<std::pair<std::string, std::string>>& extensions,
                        const std::vector<std::pair<std::string, Uuid>>& weakdeps) {
  std::string t = "name = \"" + name + "\"\nuuid = \"" + uuid.ToString() + "\"\nversion = \"1.0.0\"\n";
  if (!deps.empty()) {
    t += "\n[deps]\n";
    for (const auto& [n, u] : deps) t += n + " = \"" + u.ToString() + "\"\n";
  }
  if (!weakdeps.empty()) {
    t += "\n[weakdeps]\n";
    for (const auto& [n, u] : weakdeps) t += n + " = \"" + u.ToString() + "\"\n";
  }
  if (!extensions.empty()) {
    t += "\n[extensions]\n";
    for (const auto& [e, trig] : extensions) t += e + " = \"" + trig + "\"\n";
  }
  return t;
}
}  // namespace

Uuid Scenario::AddPackage(const std::string& name, const std::vector<std::string>& deps,
                          const std::string& depot) {
  Package p;
  p.name = name;
  p.uuid = Uuid{XXH64(name.data(), name.size(), 11), XXH64(name.data(), name.size(), 12)};
  p.uuid.hi = (p.uuid.hi & ~0xF000ull) | 0x4000ull;  // looks like a version-4 UUID
  p.deps = deps;
  p.tree_sha1 = Hex40(name + "@1");
  p.depot = depot.empty() ? depots_.front() : depot;
  packages_.push_back(p);
  std::vector<std::pair<std::string, Uuid>> dep_ids;
  std::string src = "module " + name + "\n";
  for (const auto& d : deps) {
    dep_ids.emplace_back(d, UuidOf(d));
    src += "using " + d + "\n";
  }
  src += "include(\"impl.jl\")\nend # module\n";
  WriteFileOrDie(JoinPath(PackageDir(name), "Project.toml"), ProjectToml(name, p.uuid, dep_ids, {}, {}));
  WriteSource(name, "src/" + name + ".jl", src);
  WriteSource(name, "src/impl.jl", "greet() = \"hello from " + name + "\"\n");
  return p.uuid;
}

Uuid Scenario::AddStdlib(const std::string& name) {
  Package p;
  p.name = name;
  p.uuid = Uuid{XXH64(name.data(), name.size(), 21), XXH64(name.data(), name.size(), 22)};
  p.stdlib = true;
  // The bundled depot <prefix>/share/julia holds the stdlib caches.
  std::string bundled = dir_.Join("julia/share/julia");
  p.depot = bundled;
  if (std::find(depots_.begin(), depots_.end(), bundled) == depots_.end()) depots_.push_back(bundled);
  packages_.push_back(p);
  WriteFileOrDie(JoinPath(PackageDir(name), "Project.toml"), ProjectToml(name, p.uuid, {}, {}, {}));
  WriteSource(name, "src/" + name + ".jl", "module " + name + "\ninclude(\"impl.jl\")\nend\n");
  WriteSource(name, "src/impl.jl", "stdlib_fn() = 42\n");
  return p.uuid;
}

void Scenario::AddExtension(const std::string& parent, const std::string& ext,
                            const std::string& trigger) {
  for (auto& p : packages_) {
    if (p.name != parent) continue;
    p.extensions.emplace_back(ext, trigger);
    std::vector<std::pair<std::string, Uuid>> dep_ids;
    for (const auto& d : p.deps) dep_ids.emplace_back(d, UuidOf(d));
    WriteFileOrDie(JoinPath(PackageDir(parent), "Project.toml"),
                   ProjectToml(parent, p.uuid, dep_ids, p.extensions, {{trigger, UuidOf(trigger)}}));
  }
  WriteFileOrDie(JoinPath(PackageDir(parent), "ext/" + ext + ".jl"),
                 "module " + ext + "\nusing " + parent + ", " + trigger + "\nend\n");
  Package e;
  e.name = ext;
  // Julia derives it with uuid5 and its own hash; the cache header carries it.
  e.uuid = Uuid{XXH64(ext.data(), ext.size(), 31), XXH64(ext.data(), ext.size(), 32)};
  e.deps = {parent, trigger};
  e.depot = Get(parent).depot;
  e.tree_sha1 = "extension-of:" + parent;
  packages_.push_back(e);
}

void Scenario::Upgrade(const std::string& name) {
  for (auto& p : packages_) {
    if (p.name != name) continue;
    std::string old_dir = PackageDir(name);
    p.version += 1;
    p.tree_sha1 = Hex40(name + "@" + std::to_string(p.version));
    std::string new_dir = PackageDir(name);
    std::error_code ec;
    std::filesystem::copy(old_dir, new_dir, std::filesystem::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << ec.message();
    WriteSource(name, "src/impl.jl",
                "greet() = \"hello from " + name + " v" + std::to_string(p.version) + "\"\n");
  }
}

void Scenario::WriteEnvironment(const std::vector<std::string>& top_level) {
  std::string project = "[deps]\n";
  std::vector<std::string> tops = top_level;
  if (tops.empty())
    for (const auto& p : packages_)
      if (p.tree_sha1.rfind("extension-of:", 0) != 0) tops.push_back(p.name);
  for (const auto& n : tops) project += n + " = \"" + UuidOf(n).ToString() + "\"\n";
  WriteFileOrDie(JoinPath(project_dir(), "Project.toml"), project);

  std::string m = "julia_version = \"" + julia_version_ + "\"\nmanifest_format = \"2.0\"\n";
  std::vector<const Package*> sorted;
  for (const auto& p : packages_)
    if (p.tree_sha1.rfind("extension-of:", 0) != 0) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(),
            [](const Package* a, const Package* b) { return a->name < b->name; });
  for (const Package* p : sorted) {
    m += "\n[[deps." + p->name + "]]\n";
    if (!p->deps.empty()) {
      m += "deps = [";
      for (size_t i = 0; i < p->deps.size(); ++i) m += (i ? ", \"" : "\"") + p->deps[i] + "\"";
      m += "]\n";
    }
    if (!p->stdlib) m += "git-tree-sha1 = \"" + p->tree_sha1 + "\"\n";
    m += "uuid = \"" + p->uuid.ToString() + "\"\n";
    if (!p->stdlib) m += "version = \"1." + std::to_string(p->version - 1) + ".0\"\n";
    if (!p->extensions.empty()) {
      m += "\n    [deps." + p->name + ".extensions]\n";
      for (const auto& [e, trig] : p->extensions) m += "    " + e + " = \"" + trig + "\"\n";
      m += "\n    [deps." + p->name + ".weakdeps]\n";
      for (const auto& [e, trig] : p->extensions)
        m += "    " + trig + " = \"" + UuidOf(trig).ToString() + "\"\n";
    }
  }
  WriteFileOrDie(JoinPath(project_dir(), "Manifest.toml"), m);
}

void Scenario::AddCompiledChain() {
  AddPackage("Words");
  AddPackage("Greetings", {"Words"});
  AddPackage("Hello", {"Greetings"});
  WriteEnvironment();
  for (const char* n : {"Words", "Greetings", "Hello"}) Compile(n);
}

void Scenario::InstallJulia(const std::string& program) {
  std::string julia = dir_.Join("julia/bin/julia");
  std::error_code ec;
  std::filesystem::remove(julia, ec);
  std::filesystem::create_symlink(program, julia, ec);
  ASSERT_FALSE(ec) << "cannot install " << program << " as " << julia << ": " << ec.message();
}

void Scenario::WritePreferences(const std::string& toml) {
  WriteFileOrDie(JoinPath(project_dir(), "LocalPreferences.toml"), toml);
}

std::vector<std::string> Scenario::TransitiveDeps(const std::string& name) const {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    for (const auto& d : Get(n).deps) {
      if (seen.insert(d).second) {
        visit(d);
        order.push_back(d);
      }
    }
  };
  visit(name);
  return order;
}

std::string Scenario::StoredPath(const std::string& abs) const {
  if (layout_ == HeaderLayout::kA) return abs;
  for (const auto& d : depots_)
    if (abs.rfind(d + "/", 0) == 0) return "@depot" + abs.substr(d.size());
  return abs;
}

std::string Describe(const Verdict& v) {
  std::string out = std::string(VerdictKindName(v.kind)) + ":";
  for (const auto& r : v.reasons)
    out += " [" + std::string(ReasonCodeName(r.code)) + ": " + r.detail + "]";
  return out;
}

std::vector<std::string> Scenario::StageRecompiledCaches(const std::vector<std::string>& names,
                                                         const std::string& trigger) {
  std::vector<std::string> lines;
  for (const std::string& n : names) {
    CompiledCache c = Compile(n);
    for (const std::string& p : {c.so_path, c.ji_path}) {
      if (p.empty()) continue;
      std::string staged = dir_.Join("staged-" + std::to_string(next_staged_++));
      std::filesystem::rename(p, staged);
      lines.push_back("cache\t" + trigger + "\t" + p + "\t" + staged);
    }
  }
  return lines;
}

const CompiledCache& Scenario::LatestCache(const std::string& name) const {
  auto it = latest_.find(name);
  if (it == latest_.end()) {
    ADD_FAILURE() << name << " was never compiled";
    static CompiledCache none;
    return none;
  }
  return it->second;
}

CompiledCache Scenario::Compile(const std::string& name, const CompileOptions& options) {
  const Package& p = Get(name);
  bool is_ext = p.tree_sha1.rfind("extension-of:", 0) == 0;
  int n = next_build_++;
  PackageCacheSpec spec;
  spec.layout = layout_;
  spec.julia_version = options.julia_version.value_or(julia_version_);
  if (options.git_commit) spec.git_commit = *options.git_commit;
  if (options.git_branch) spec.git_branch = *options.git_branch;
  spec.name = name;
  spec.uuid = p.uuid;
  spec.build_id_lo = 0x1000000000ull + static_cast<uint64_t>(n);
  spec.heap_crc = 0x5000u + static_cast<uint32_t>(n);
  spec.pkgimage = pkgimages_;
  spec.flags = options.flags.value_or(pkgimages_ ? 0xa3 : 0xa2);

  auto file_spec = [&](const std::string& abs, SourceFileSpec s) {
    auto st = StatPath(abs);
    EXPECT_TRUE(st.ok()) << abs;
    s.path = StoredPath(abs);
    if (st.ok()) s.mtime = st->JuliaMtime();
    if (layout_ == HeaderLayout::kA) s.track_content = false;
    return s;
  };
  std::string entry = is_ext ? JoinPath(PackageDir(p.deps[0]), "ext/" + name + ".jl") : SourcePath(name);
  std::string entry_text = ReadFileOrDie(entry);
  spec.files.push_back(file_spec(entry, EntryFile("", entry_text)));
  if (!is_ext) {
    std::string impl = SourcePath(name, "src/impl.jl");
    spec.files.push_back(file_spec(impl, IncludedFile("", ReadFileOrDie(impl))));
  }
  for (const auto& rel : options.include_dependencies) {
    std::string abs = JoinPath(PackageDir(name), rel);
    std::string text = IsDir(abs) ? "" : ReadFileOrDie(abs);
    SourceFileSpec dep = file_spec(abs, DependencyFile("", text, options.track_content));
    if (IsDir(abs)) {
      auto names = ListDir(abs);
      std::sort(names->begin(), names->end());
      uint32_t crc = 0;
      for (const auto& e : *names) crc = Crc32cStr(e, crc);
      auto st = StatPath(abs);
      dep.fsize = st->size;
      dep.hash = crc;
    }
    if (layout_ != HeaderLayout::kA && !options.track_content) dep.track_content = false;
    spec.files.push_back(dep);
  }
  if (options.requires_) {
    spec.requires_ = *options.requires_;
  } else {
    for (const auto& d : p.deps) spec.requires_.push_back(PkgId{UuidOf(d), d});
  }
  if (options.required_modules) {
    spec.required_modules = *options.required_modules;
  } else {
    spec.required_modules = DefaultSysimageModules();
    for (const auto& d : TransitiveDeps(name))
      spec.required_modules.push_back(RequiredModuleFor(LatestCache(d).header));
  }
  spec.preference_names = options.preference_names;
  spec.preferences_hash = options.preferences_hash;
  spec.preferences_blob = options.preferences_blob;

  std::string depot = options.depot.empty() ? p.depot : options.depot;
  std::string dir = JoinPath(depot, "compiled/v" + MajorMinor() + "/" + name);
  std::string stem = options.cache_stem.empty()
                         ? PackageSlug(p.uuid) + "_" + Slug(static_cast<uint32_t>(n) * 7919u, 5)
                         : options.cache_stem;
  CompiledCache out;
  out.ji_path = JoinPath(dir, stem + ".ji");
  if (pkgimages_) {
    std::string so = "\x7f" "ELF fake native code of " + name + " #" + std::to_string(n);
    spec.crc_so = Crc32cStr(so);
    out.so_path = JoinPath(dir, stem + ".so");
    if (options.write_so) WriteFileOrDie(out.so_path, so);
  }
  WrittenCache written = MakePackageCache(spec);
  WriteFileOrDie(out.ji_path, written.bytes);
  if (options.cache_mtime) SetJuliaMtimeOrDie(out.ji_path, *options.cache_mtime);
  out.header = written.header;
  out.build_id = written.header.PackageBuildId();
  latest_[name] = out;
  return out;
}

std::string Scenario::ProfileToml() const {
  std::string t;
  t += "julia_version = \"" + julia_version_ + "\"\n";
  t += "git_branch = \"\"\ngit_commit = \"\"\nos = \"Linux\"\narch = \"x86_64\"\npointer_size = 8\n";
  t += "julia_bin = \"" + dir_.Join("julia/bin/julia") + "\"\n";
  t += "image_file = \"" + dir_.Join("julia/lib/julia/sys.so") + "\"\n";
  t += "cpu_target = \"native\"\n";
  t += "stdlib_dir = \"" + stdlib_dir() + "\"\n";
  t += std::string("pkgimages = \"") + (pkgimages_ ? "yes" : "no") + "\"\n";
  t += std::string("cache_flags = ") + (pkgimages_ ? "0xa3" : "0xa2") + "\n";
  std::string blob = GenericCloneTargets(CloneTargetEncodingOf(layout_), "x86_64");
  t += "accepted_clone_targets = [\"" + Hex64(XXH64(blob.data(), blob.size(), 0)) + "\"]\n";
  for (const auto& m : DefaultSysimageModules()) {
    t += "\n[[sysimage_modules]]\nname = \"" + m.name + "\"\n";
    if (m.uuid) t += "uuid = \"" + m.uuid->ToString() + "\"\n";
    t += "build_id = \"" + m.build_id.ToString() + "\"\n";
  }
  return t;
}

RuntimeProfile Scenario::Profile() const {
  auto p = RuntimeProfile::FromTomlString(ProfileToml(), "scenario");
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : RuntimeProfile{};
}

std::string Scenario::WriteProfile() const {
  std::string path = dir_.Join("runtime.toml");
  WriteFileOrDie(path, ProfileToml());
  return path;
}

std::vector<std::string> Scenario::CliEnv() const {
  std::string dp;
  for (const auto& d : depots_) dp += (dp.empty() ? "" : ":") + d;
  return {"JULIA_DEPOT_PATH=" + dp, "HOME=" + dir_.Join("home"), "PATH=/usr/bin:/bin"};
}

std::unique_ptr<Session> Scenario::OpenSession(int io_threads) const {
  return OpenSession(Profile(), io_threads);
}

std::unique_ptr<Session> Scenario::OpenSession(const RuntimeProfile& profile,
                                               int io_threads) const {
  SessionOptions o;
  std::string dp;
  for (const auto& d : depots_) dp += (dp.empty() ? "" : ":") + d;
  o.env = {{"JULIA_DEPOT_PATH", dp}, {"HOME", dir_.Join("home")}};
  o.env_given = true;
  o.project = project_dir();
  o.cwd = dir_.path();
  o.io_threads = io_threads;
  o.memo_path = dir_.Join("hashmemo.bin");
  auto s = Session::Open(profile, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

}  // namespace jlcache::test_support
