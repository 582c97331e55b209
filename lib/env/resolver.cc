// base/loading.jl and base/initdefs.jl code loading, per version. Each
// method names the Julia function it mirrors; docs/loading.md has the rules
// and the commits they were verified against.
#include "env/resolver.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "env/env_paths.h"

namespace jlcache::env_internal {
namespace {

constexpr int kMaxDepth = 64;  // identify_package recursion through extensions


// Julia's `x in v` for a TOML array of strings.
bool ArrayHasString(const toml::array& a, std::string_view s) {
  for (const auto& n : a)
    if (auto v = n.value<std::string_view>(); v && *v == s) return true;
  return false;
}

absl::Status TypeError(const std::string& file, std::string_view what) {
  return Error(ErrorKind::kInvalidArgument, file, ": ", what);
}

}  // namespace

absl::StatusOr<std::optional<std::string>> GetString(const toml::table& t, std::string_view key,
                                                     const std::string& file) {
  const toml::node* n = t.get(key);
  if (!n) return std::optional<std::string>();
  if (!n->is_string()) return TypeError(file, Cat("key '", key, "' must be a string"));
  return std::optional<std::string>(*n->value<std::string>());
}

absl::StatusOr<Uuid> ParseUuidField(std::string_view text, const std::string& file) {
  auto u = Uuid::Parse(text);
  if (!u) return TypeError(file, Cat("invalid UUID '", text, "'"));
  return *u;
}

absl::StatusOr<std::optional<Uuid>> GetUuid(const toml::table& t, std::string_view key,
                                            const std::string& file) {
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> s, GetString(t, key, file));
  if (!s) return std::optional<Uuid>();
  JLC_ASSIGN_OR_RETURN(Uuid u, ParseUuidField(*s, file));
  return std::optional<Uuid>(u);
}

const toml::table* GetTable(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  return n ? n->as_table() : nullptr;
}

std::string Resolver::Abs(std::string_view p) const { return AbsPathFrom(env_.options().cwd, p); }

// ------------------------------------------------------------ filesystem

bool Resolver::IsFileCS(const std::string& path) {
  auto st = query_.Stat(path);
  if (!st.ok()) {
    if (trace_.swallowed.ok()) trace_.swallowed = st.status();
    return false;
  }
  return st->has_value() && (*st)->is_file;
}

absl::StatusOr<bool> Resolver::IsDir(const std::string& path) {
  JLC_ASSIGN_OR_RETURN(std::optional<FileInfo> st, query_.Stat(path));
  return st.has_value() && st->is_dir;
}

absl::StatusOr<bool> Resolver::IsPath(const std::string& path) {
  JLC_ASSIGN_OR_RETURN(std::optional<FileInfo> st, query_.Stat(path));
  return st.has_value();
}

absl::StatusOr<std::shared_ptr<const ParsedToml>> Resolver::Toml(const std::string& path) {
  return query_.Toml(env_.toml_cache(), path);
}

// ------------------------------------------------------------ initdefs.jl

// load_path_expand(env)
absl::StatusOr<std::optional<std::string>> Resolver::LoadPathExpand(std::string_view entry) {
  const auto& home = env_.options().home;
  if (!entry.empty() && entry.front() == '@') {
    if (entry == "@") return ActiveProject(false);
    if (entry == "@.") return CurrentProject(query_.files(), env_.options().cwd, home);
    if (entry == "@temp" && rules_.has_temp_env) {
      // mktempdir(): a fresh empty directory, i.e. an implicit environment
      // with nothing in it. jlcache never creates it; see Environments().
      return std::optional<std::string>();
    }
    if (entry == "@stdlib") return std::optional<std::string>(env_.stdlib_dir());
    if (rules_.has_temp_and_script_envs && entry.substr(0, 7) == "@script") {
      const auto& program = env_.options().program_file;
      if (!program) return std::optional<std::string>();  // no script given
      std::string dir = DirName(*program);
      if (entry == "@script") return CurrentProject(query_.files(), dir, home);
      std::string rel(entry.substr(7));
      if (rules_.script_env_suffix_searches_upward) return CurrentProject(query_.files(), dir + rel, home);
      return std::optional<std::string>(Abs(dir + rel));
    }
    // Named environment: the first three '#' become major, minor, patch.
    std::string name(entry.substr(1));
    const int parts[3] = {rules_.version.major, rules_.version.minor, rules_.version.patch};
    for (int i = 0; i < 3; ++i) {
      size_t pos = name.find('#');
      if (pos == std::string::npos) break;
      name.replace(pos, 1, std::to_string(parts[i]));
    }
    for (const auto& depot : env_.depots()) {
      std::string path = JoinPath(JoinPath(depot, "environments"), name);
      JLC_ASSIGN_OR_RETURN(bool is_dir, IsDir(path));
      if (!is_dir) continue;
      for (std::string_view proj : kProjectNames) {
        std::string file = Abs(JoinPath(path, proj));
        if (IsFileCS(file)) return std::optional<std::string>(file);
      }
    }
    if (env_.depots().empty()) return std::optional<std::string>();
    // 1.14-dev creates this file (init_named_env!); jlcache only names it.
    return std::optional<std::string>(
        Abs(JoinPath(JoinPath(JoinPath(env_.depots()[0], "environments"), name), "Project.toml")));
  }
  std::string path = Abs(entry);
  JLC_ASSIGN_OR_RETURN(bool is_dir, IsDir(path));
  if (is_dir) {
    for (std::string_view proj : kProjectNames) {
      std::string file = JoinPath(path, proj);
      if (IsFileCS(file)) return std::optional<std::string>(file);
    }
  }
  return std::optional<std::string>(path);
}

// active_project(search_load_path)
absl::StatusOr<std::optional<std::string>> Resolver::ActiveProject(bool search_load_path) {
  const auto& set = env_.active_project_setting();
  if (set && *set != "@") {
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> project, LoadPathExpand(*set));
    if (project) {
      if (!IsFileCS(*project) && !IsProjectName(BaseName(*project)))
        project = Abs(JoinPath(*project, "Project.toml"));
      return project;
    }
  }
  if (!search_load_path) return std::optional<std::string>();
  for (const auto& entry : env_.load_path()) {
    if (entry == "@") continue;
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> project, LoadPathExpand(entry));
    if (!project) continue;
    if (IsFileCS(*project)) return project;
    JLC_ASSIGN_OR_RETURN(bool exists, IsPath(*project));
    if (exists) continue;
    if (IsProjectName(BaseName(*project))) return project;
  }
  return std::optional<std::string>();
}

// load_path()
template <typename T, typename Slot, typename F>
absl::StatusOr<T> Resolver::Remembered(Slot&& slot, F compute) {
  std::shared_ptr<const RememberedLookup<T>> e =
      std::forward<Slot>(slot)([&]() -> std::shared_ptr<const RememberedLookup<T>> {
        absl::Status outer = std::exchange(trace_.swallowed, absl::OkStatus());
        auto entry = std::make_shared<const RememberedLookup<T>>(
            RememberedLookup<T>{compute(), trace_.swallowed});
        trace_.swallowed = std::move(outer);
        return entry;
      });
  if (trace_.swallowed.ok() && !e->swallowed.ok()) trace_.swallowed = e->swallowed;
  return e->value;
}

absl::StatusOr<std::vector<std::string>> Resolver::LoadPath() {
  // Every identify and locate starts here; the answer only changes between queries.
  return Remembered<std::vector<std::string>>(
      [&](auto compute) { return query_.load_path.Get(compute); },
      [&] { return ComputeLoadPath(); });
}

absl::StatusOr<std::vector<std::string>> Resolver::ComputeLoadPath() {
  std::vector<std::string> paths;
  for (const auto& entry : env_.load_path()) {
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> p, LoadPathExpand(entry));
    if (p && std::find(paths.begin(), paths.end(), *p) == paths.end()) paths.push_back(*p);
  }
  return paths;
}

// ------------------------------------------------------------ environments

// env_project_file(env)
absl::StatusOr<EnvProject> Resolver::EnvProjectFile(const std::string& env) {
  JLC_ASSIGN_OR_RETURN(bool is_dir, IsDir(env));
  if (is_dir) {
    for (std::string_view proj : kProjectNames) {  // locate_project_file
      std::string file = JoinPath(env, proj);
      if (IsFileCS(file)) return EnvProject{EnvKind::kExplicit, file};
    }
    return EnvProject{EnvKind::kImplicit, ""};
  }
  if (IsProjectName(BaseName(env)) && IsFileCS(env)) return EnvProject{EnvKind::kExplicit, env};
  return EnvProject{EnvKind::kNone, ""};
}

// base_project(project_file): 1.12+ workspaces.
absl::StatusOr<std::optional<std::string>> Resolver::BaseProject(const std::string& project_file) {
  const std::string home_dir = Abs(env_.options().home);
  const std::string project_dir = Abs(DirName(project_file));
  std::string current = project_dir;
  const bool started_in_home = project_dir.rfind(home_dir, 0) == 0;
  for (int guard = 0; guard < 4096; ++guard) {
    std::string parent = DirName(current);
    if (parent == current || parent.empty()) return std::optional<std::string>();
    if (started_in_home && parent.rfind(home_dir, 0) != 0) return std::optional<std::string>();
    JLC_ASSIGN_OR_RETURN(EnvProject base, EnvProjectFile(parent));
    if (base.kind == EnvKind::kExplicit) {
      JLC_ASSIGN_OR_RETURN(auto d, Toml(base.project_file));
      if (const toml::node* ws = d->table.get("workspace")) {
        const toml::table* wst = ws->as_table();
        if (!wst) return TypeError(base.project_file, "[workspace] must be a table");
        const toml::node* projects = wst->get("projects");
        if (projects && projects->is_array()) {
          const std::string root = DirName(base.project_file);
          for (const auto& p : *projects->as_array()) {
            auto rel = p.value<std::string>();
            if (!rel) return TypeError(base.project_file, "workspace.projects must hold strings");
            std::string project_path = JoinPath(root, *rel);
            JLC_ASSIGN_OR_RETURN(bool is_dir, IsDir(project_path));
            if (!is_dir) continue;
            // samefile(project_path, project_dir)
            auto a = query_.files().Stat(project_path);
            auto b = query_.files().Stat(project_dir);
            if (a.ok() && b.ok() && a->dev == b->dev && a->ino == b->ino)
              return std::optional<std::string>(base.project_file);
          }
        } else if (projects && !projects->is_string()) {
          return TypeError(base.project_file, "workspace.projects must be a list of strings");
        }
      }
    }
    current = parent;
  }
  return std::optional<std::string>();
}

// project_file_manifest_path(project_file)
absl::StatusOr<std::optional<std::string>> Resolver::ProjectFileManifestPath(
    const std::string& project_file) {
  return Remembered<std::optional<std::string>>(
      [&](auto compute) { return query_.manifest_paths.Get(project_file, compute); },
      [&] { return ComputeProjectFileManifestPath(project_file); });
}

absl::StatusOr<std::optional<std::string>> Resolver::ComputeProjectFileManifestPath(
    const std::string& project_file) {
  if (++trace_.depth > kMaxDepth) return Error(ErrorKind::kInternal, "workspace nesting too deep");
  struct Unwind {
    LookupTrace& t;
    ~Unwind() { --t.depth; }
  } unwind{trace_};
  const std::string dir = Abs(DirName(project_file));
  JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
  if (rules_.workspaces) {  // workspace_manifest
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> base, BaseProject(project_file));
    if (base) {
      JLC_ASSIGN_OR_RETURN(std::optional<std::string> m, ProjectFileManifestPath(*base));
      if (m) return m;
    }
  }
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> explicit_manifest,
                       GetString(d->table, "manifest", project_file));
  if (explicit_manifest) {
    std::string file = NormPath(JoinPath(dir, *explicit_manifest));
    if (IsFileCS(file)) return std::optional<std::string>(file);
  }
  for (const auto& name : rules_.ManifestNames()) {
    std::string file = JoinPath(dir, name);
    if (IsFileCS(file)) return std::optional<std::string>(file);
  }
  return std::optional<std::string>();
}

// project_file_name_uuid(project_file, name)
absl::StatusOr<ProjectId> Resolver::ProjectFileNameUuid(const std::string& project_file,
                                                        std::string_view name) {
  JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
  ProjectId id;
  JLC_ASSIGN_OR_RETURN(id.uuid, GetUuid(d->table, "uuid", project_file));
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> n, GetString(d->table, "name", project_file));
  id.name = n ? *n : std::string(name);
  return id;
}

// get_deps(raw_manifest) with is_v1_format_manifest; checked once per parse.
absl::StatusOr<const toml::table*> Resolver::ManifestDeps(const ParsedToml& manifest) {
  return manifest.ManifestDeps([&] { return CheckedManifestDeps(manifest); });
}

absl::StatusOr<const toml::table*> Resolver::CheckedManifestDeps(const ParsedToml& manifest) {
  static const toml::table kEmpty;
  const toml::table& raw = manifest.table;
  bool v1 = true;
  if (const toml::node* mf = raw.get("manifest_format")) {
    const toml::table* t = mf->as_table();
    v1 = t && t->contains("uuid");
  }
  const toml::table* deps = &raw;
  if (!v1) {
    const toml::node* d = raw.get("deps");
    if (!d) return &kEmpty;
    deps = d->as_table();
    if (!deps) return TypeError(manifest.path, "'deps' must be a table");
  }
  for (const auto& [k, v] : *deps) {
    const toml::array* a = v.as_array();
    if (!a || (!a->empty() && !a->is_array_of_tables()))
      return TypeError(manifest.path, Cat("entry '", k.str(), "' must be an array of tables"));
  }
  return deps;
}

// ------------------------------------------------------------ identify

// explicit_project_deps_get(project_file, name[, ext])
absl::StatusOr<std::optional<Uuid>> Resolver::ExplicitProjectDepsGet(const std::string& project_file,
                                                                     std::string_view name,
                                                                     const std::string* ext) {
  JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
  const toml::table& t = d->table;
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> pname, GetString(t, "name", project_file));
  if (pname && *pname == name) {
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, GetUuid(t, "uuid", project_file));
    if (!u)
      return Error(ErrorKind::kUnsupported, project_file, ": project '", name,
                   "' has no uuid; Julia would use dummy_uuid(realpath), derived from Base.hash, "
                   "which jlcache cannot compute");
    return u;
  }
  if (const toml::node* deps = t.get("deps")) {
    const toml::table* dt = deps->as_table();
    if (!dt) return TypeError(project_file, "[deps] must be a table");
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, GetUuid(*dt, name, project_file));
    if (u) return u;
  }
  if (ext) {
    const toml::table* exts = GetTable(t, "extensions");
    if (!exts) return std::optional<Uuid>();
    const toml::node* data = exts->get(*ext);
    if (!data) return std::optional<Uuid>();
    bool is_trigger = (data->is_string() && *data->value<std::string_view>() == name) ||
                      (data->is_array() && ArrayHasString(*data->as_array(), name));
    if (is_trigger) {
      const toml::table* weak = GetTable(t, "weakdeps");
      if (!weak) return std::optional<Uuid>();
      return GetUuid(*weak, name, project_file);
    }
  }
  return std::optional<Uuid>();
}

// project_deps_get(env, name)
absl::StatusOr<std::optional<PkgId>> Resolver::ProjectDepsGet(const std::string& env,
                                                              std::string_view name) {
  JLC_ASSIGN_OR_RETURN(EnvProject ep, EnvProjectFile(env));
  if (ep.kind == EnvKind::kExplicit) {
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, ExplicitProjectDepsGet(ep.project_file, name, nullptr));
    if (u) return std::optional<PkgId>(PkgId{u, std::string(name)});
    return std::optional<PkgId>();
  }
  if (ep.kind == EnvKind::kImplicit) return ImplicitProjectDepsGet(env, name);
  return std::optional<PkgId>();
}

// entry_point_and_project_file_inside(dir, name)
absl::StatusOr<std::pair<std::optional<std::string>, std::optional<std::string>>>
Resolver::EntryPointAndProjectFileInside(const std::string& dir, std::string_view name) {
  using R = std::pair<std::optional<std::string>, std::optional<std::string>>;
  std::string path = NormPath(JoinPath(JoinPath(dir, "src"), Cat(name, ".jl")));
  if (!IsFileCS(path)) return R{};
  for (std::string_view proj : kProjectNames) {
    std::string project_file = NormPath(JoinPath(dir, proj));
    if (IsFileCS(project_file)) return R{path, project_file};
  }
  return R{path, std::nullopt};
}

// entry_point_and_project_file(dir, name): the bare Name.jl is tried first
// up to 1.11 and last from 1.12.
absl::StatusOr<std::pair<std::optional<std::string>, std::optional<std::string>>>
Resolver::EntryPointAndProjectFile(const std::string& dir, std::string_view name) {
  using R = std::pair<std::optional<std::string>, std::optional<std::string>>;
  const std::string bare = NormPath(JoinPath(dir, Cat(name, ".jl")));
  if (!rules_.implicit_env_dir_first && IsFileCS(bare)) {
    trace_.root = DirName(bare);
    return R{bare, std::nullopt};
  }
  const std::string dir_name = JoinPath(dir, name);
  for (const std::string& d : {dir_name, dir_name + ".jl"}) {
    JLC_ASSIGN_OR_RETURN(R r, EntryPointAndProjectFileInside(d, name));
    if (r.first) {
      trace_.root = NormPath(d);
      return r;
    }
  }
  if (rules_.implicit_env_dir_first && IsFileCS(bare)) {
    trace_.root = DirName(bare);
    return R{bare, std::nullopt};
  }
  return R{};
}

// implicit_project_deps_get(dir, name)
absl::StatusOr<std::optional<PkgId>> Resolver::ImplicitProjectDepsGet(const std::string& dir,
                                                                      std::string_view name) {
  JLC_ASSIGN_OR_RETURN(auto ep, EntryPointAndProjectFile(dir, name));
  if (!ep.second) {
    if (!ep.first) return std::optional<PkgId>();
    return std::optional<PkgId>(PkgId{std::nullopt, std::string(name)});
  }
  JLC_ASSIGN_OR_RETURN(ProjectId proj, ProjectFileNameUuid(*ep.second, name));
  if (proj.name != name) return std::optional<PkgId>();
  if (!proj.uuid)
    return Error(ErrorKind::kUnsupported, *ep.second, ": package '", name,
                 "' has no uuid; Julia would use dummy_uuid(realpath), which jlcache cannot compute");
  return std::optional<PkgId>(PkgId{proj.uuid, proj.name});
}

// identify_package_env(name)
absl::StatusOr<std::optional<std::pair<PkgId, std::string>>> Resolver::IdentifyPackageEnv(
    std::string_view name) {
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> envs, LoadPath());
  for (const auto& env : envs) {
    JLC_ASSIGN_OR_RETURN(std::optional<PkgId> pkg, ProjectDepsGet(env, name));
    if (pkg) return std::optional<std::pair<PkgId, std::string>>({*pkg, env});
  }
  return std::optional<std::pair<PkgId, std::string>>();
}

// identify_package_env(where, name) (the PkgId part).
absl::StatusOr<std::optional<PkgId>> Resolver::IdentifyPackage(const PkgId& where,
                                                               std::string_view name) {
  if (where.name == name) return std::optional<PkgId>(where);
  if (!where.uuid) {
    JLC_ASSIGN_OR_RETURN(auto r, IdentifyPackageEnv(name));
    if (!r) return std::optional<PkgId>();
    return std::optional<PkgId>(r->first);
  }
  if (++trace_.depth > kMaxDepth)
    return Error(ErrorKind::kInvalidArgument, "extension lookups nest too deeply for ", where.ToString());
  struct Unwind {
    LookupTrace& t;
    ~Unwind() { --t.depth; }
  } unwind{trace_};
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> envs, LoadPath());
  std::optional<PkgId> result;
  for (const auto& env : envs) {
    JLC_ASSIGN_OR_RETURN(std::optional<PkgId> pkgid, ManifestDepsGet(env, where, name));
    if (!pkgid) continue;             // not found: keep looking
    if (pkgid->uuid) result = pkgid;  // found in an explicit environment
    break;                            // otherwise "not found", and stop
  }
  if (!result && rules_.identify_stdlib_project_dep) {
    JLC_ASSIGN_OR_RETURN(bool stdlib, IsStdlib(where));
    if (stdlib) {
      JLC_ASSIGN_OR_RETURN(auto r, IdentifyStdlibProjectDep(where, name));
      if (r) result = r->first;
    }
  }
  return result;
}

// identify_stdlib_project_dep(stdlib, depname)
absl::StatusOr<std::optional<std::pair<PkgId, std::string>>> Resolver::IdentifyStdlibProjectDep(
    const PkgId& stdlib, std::string_view name) {
  using R = std::optional<std::pair<PkgId, std::string>>;
  const std::string root = JoinPath(env_.stdlib_dir(), stdlib.name);
  for (std::string_view proj : kProjectNames) {
    std::string file = JoinPath(root, proj);
    if (!IsFileCS(file)) continue;
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, ExplicitProjectDepsGet(file, name, nullptr));
    if (u) return R({PkgId{u, std::string(name)}, file});
    return R();
  }
  return R();
}

// is_stdlib(pkgid)
absl::StatusOr<bool> Resolver::IsStdlib(const PkgId& pkg) {
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> names, query_.files().ListDir(env_.stdlib_dir()));
  if (std::find(names.begin(), names.end(), pkg.name) == names.end()) return false;
  const std::string root = JoinPath(env_.stdlib_dir(), pkg.name);
  for (std::string_view proj : kProjectNames) {
    std::string file = JoinPath(root, proj);
    if (!IsFileCS(file)) continue;
    JLC_ASSIGN_OR_RETURN(auto d, Toml(file));
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, GetUuid(d->table, "uuid", file));
    return u.has_value() && u == pkg.uuid;
  }
  return false;
}

bool Resolver::IsExtensionUuid(const std::optional<Uuid>& parent_uuid, std::string_view parent_name,
                               std::string_view ext, const std::optional<Uuid>& candidate) {
  if (!parent_uuid || !candidate) return false;
  std::optional<Uuid> u = env_.ExtensionUuid(query_, PkgId{parent_uuid, std::string(parent_name)}, ext);
  return u && *u == *candidate;
}

// manifest_deps_get(env, where, name)
absl::StatusOr<std::optional<PkgId>> Resolver::ManifestDepsGet(const std::string& env,
                                                               const PkgId& where,
                                                               std::string_view name) {
  JLC_ASSIGN_OR_RETURN(EnvProject ep, EnvProjectFile(env));
  if (ep.kind == EnvKind::kExplicit) {
    const std::string& pf = ep.project_file;
    JLC_ASSIGN_OR_RETURN(ProjectId proj, ProjectFileNameUuid(pf, where.name));
    if (proj.Matches(where)) {  // package_get: `where` is the project; [deps] decide, stop
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, ExplicitProjectDepsGet(pf, name, nullptr));
      return std::optional<PkgId>(PkgId{u, std::string(name)});
    }
    JLC_ASSIGN_OR_RETURN(auto d, Toml(pf));
    if (const toml::table* exts = GetTable(d->table, "extensions")) {
      if (exts->contains(where.name) && IsExtensionUuid(proj.uuid, proj.name, where.name, where.uuid)) {
        if (const toml::table* weak = GetTable(d->table, "weakdeps")) {
          JLC_ASSIGN_OR_RETURN(std::optional<Uuid> w, GetUuid(*weak, name, pf));
          if (w) return std::optional<PkgId>(PkgId{w, std::string(name)});
        }
        JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, ExplicitProjectDepsGet(pf, name, nullptr));
        if (u) return std::optional<PkgId>(PkgId{u, std::string(name)});
      }
    }
    return ExplicitManifestDepsGet(pf, where, name);
  }
  if (ep.kind == EnvKind::kImplicit) return ImplicitManifestDepsGet(env, where, name);
  return std::optional<PkgId>();
}

// explicit_manifest_deps_get(project_file, where, name)
std::shared_ptr<const ManifestScanIndex> Resolver::ScanIndexFor(const std::string& manifest_file,
                                                const std::shared_ptr<const ParsedToml>& parsed,
                                                const toml::table& deps) {
  // Keyed by the parsed file's identity, so a re-parsed manifest gets a new index.
  std::string key = Cat(manifest_file, "@", std::to_string(reinterpret_cast<uintptr_t>(parsed.get())));
  return query_.scan_indexes.Get(key, [&]() -> std::shared_ptr<const ManifestScanIndex> {
    auto index = std::make_shared<ManifestScanIndex>();
    index->keep_alive = parsed;
    for (const auto& [name, entries_node] : deps) {
      ManifestScanIndex::Group group{std::string(name.str()), {}};
      for (const auto& entry_node : *entries_node.as_array()) {
        const toml::table& entry = *entry_node.as_table();
        group.entries.push_back({&entry, GetUuid(entry, "uuid", manifest_file),
                                 GetTable(entry, "extensions") != nullptr});
      }
      index->groups.push_back(std::move(group));
    }
    return index;
  });
}

absl::StatusOr<std::optional<PkgId>> Resolver::ExplicitManifestDepsGet(const std::string& project_file,
                                                                       const PkgId& where,
                                                                       std::string_view name) {
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> manifest_file, ProjectFileManifestPath(project_file));
  if (!manifest_file) return std::optional<PkgId>();  // no manifest: keep searching
  JLC_ASSIGN_OR_RETURN(auto m, Toml(*manifest_file));
  JLC_ASSIGN_OR_RETURN(const toml::table* d, ManifestDeps(*m));
  const std::string& mf = *manifest_file;
  // Julia scans every entry, in order, for each question. Only two kinds of
  // entry can answer (`where` itself, or a parent whose extensions name
  // `where`), so the scan runs over a per-manifest index with each UUID
  // parsed once; the order, and the error an unparsable UUID raises when the
  // scan reaches it, are Julia's.
  const std::shared_ptr<const ManifestScanIndex> index = ScanIndexFor(mf, m, *d);
  bool found_where = false;
  bool found_name = false;
  // Looks `name` up in a deps/weakdeps value: a table returns the PkgId, a
  // list sets found_name.
  auto lookup = [&](const toml::node* deps, bool* done) -> absl::StatusOr<std::optional<PkgId>> {
    *done = false;
    if (!deps) return std::optional<PkgId>();
    if (const toml::array* list = deps->as_array()) {
      found_name = ArrayHasString(*list, name);
      *done = found_name;
      return std::optional<PkgId>();
    }
    if (const toml::table* table = deps->as_table()) {
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u, GetUuid(*table, name, mf));
      if (u) return std::optional<PkgId>(PkgId{u, std::string(name)});
      return std::optional<PkgId>();
    }
    return TypeError(mf, "deps must be a list of names or a table");
  };
  for (const ManifestScanIndex::Group& group : index->groups) {
    const std::string& dep_name = group.name;
    bool stop = false;
    for (const ManifestScanIndex::Entry& indexed : group.entries) {
      if (!indexed.uuid.ok()) return indexed.uuid.status();
      const std::optional<Uuid>& uuid = *indexed.uuid;
      if (!uuid) continue;
      if (!(uuid == where.uuid) && !indexed.has_extensions) continue;  // cannot answer
      const toml::table& entry = *indexed.table;
      const toml::node* deps = entry.get("deps");
      if (uuid == where.uuid) {
        found_where = true;
        bool done = false;
        JLC_ASSIGN_OR_RETURN(std::optional<PkgId> r, lookup(deps, &done));
        if (r) return r;
        if (deps && deps->is_array()) {
          // ≤1.11.1 `break`s here whatever the answer; 1.11.2+ stops when found.
          if (done || !rules_.ext_trigger_lookup_includes_deps) {
            stop = true;
            break;
          }
        }
        continue;
      }
      const toml::table* extensions = GetTable(entry, "extensions");
      if (!extensions || !extensions->contains(where.name)) continue;
      if (!IsExtensionUuid(uuid, dep_name, where.name, where.uuid)) continue;
      found_where = true;
      if (name == dep_name) return std::optional<PkgId>(PkgId{uuid, std::string(name)});
      const toml::node* exts = extensions->get(where.name);
      if (!exts->is_string() && !exts->is_array())
        return TypeError(mf, Cat("extensions.", where.name, " must be a name or a list of names"));
      const bool is_trigger = (exts->is_string() && *exts->value<std::string_view>() == name) ||
                              (exts->is_array() && ArrayHasString(*exts->as_array(), name));
      const toml::node* weakdeps = entry.get("weakdeps");
      if (rules_.ext_trigger_lookup_includes_deps) {
        if (is_trigger) {
          for (const toml::node* dd : {weakdeps, deps}) {
            bool done = false;
            JLC_ASSIGN_OR_RETURN(std::optional<PkgId> r, lookup(dd, &done));
            if (r) return r;
            if (done) {
              stop = true;
              break;
            }
          }
          if (stop) break;
        }
      } else if (is_trigger && weakdeps) {
        bool done = false;
        JLC_ASSIGN_OR_RETURN(std::optional<PkgId> r, lookup(weakdeps, &done));
        if (r) return r;
        if (weakdeps->is_array()) {  // `break`: the answer is found_name
          stop = true;
          break;
        }
      }
      // Not a trigger: look `name` up as if `where` were the parent.
      return IdentifyPackage(PkgId{uuid, dep_name}, name);
    }
    if (stop) break;
  }
  if (!found_where) return std::optional<PkgId>();
  if (!found_name) return std::optional<PkgId>(PkgId{std::nullopt, std::string(name)});
  // deps was a list: `name` must have exactly one top-level entry.
  const toml::node* name_deps = d->get(name);
  if (!name_deps || name_deps->as_array()->size() != 1)
    return Error(ErrorKind::kInvalidArgument, "expected a single entry for \"", name, "\" in ",
                 project_file, " (manifest ", mf, ")");
  JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u,
                       GetUuid(*name_deps->as_array()->front().as_table(), "uuid", mf));
  if (!u) return std::optional<PkgId>();
  return std::optional<PkgId>(PkgId{u, std::string(name)});
}

// implicit_env_project_file_extension(dir, ext) (1.11+)
absl::StatusOr<std::optional<std::string>> Resolver::ImplicitEnvProjectFileExtension(
    const std::string& dir, const PkgId& ext) {
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> names, query_.files().ListDir(dir));
  std::sort(names.begin(), names.end());  // readdir sorts
  for (const auto& n : names) {
    JLC_ASSIGN_OR_RETURN(EnvProject ep, EnvProjectFile(JoinPath(dir, n)));
    if (ep.kind != EnvKind::kExplicit) continue;
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> p, ProjectFileExtPath(ep.project_file, ext));
    if (p) return std::optional<std::string>(ep.project_file);
  }
  return std::optional<std::string>();
}

// implicit_manifest_deps_get(dir, where, name)
absl::StatusOr<std::optional<PkgId>> Resolver::ImplicitManifestDepsGet(const std::string& dir,
                                                                       const PkgId& where,
                                                                       std::string_view name) {
  JLC_ASSIGN_OR_RETURN(auto ep, EntryPointAndProjectFile(dir, where.name));
  std::optional<std::string> project_file = ep.second;
  if (!project_file && rules_.implicit_env_extension_where) {
    JLC_ASSIGN_OR_RETURN(project_file, ImplicitEnvProjectFileExtension(dir, where));
  }
  if (!project_file) return std::optional<PkgId>();
  JLC_ASSIGN_OR_RETURN(ProjectId proj, ProjectFileNameUuid(*project_file, where.name));
  std::optional<std::string> ext;
  if (!proj.Matches(where)) {
    if (!rules_.implicit_env_extension_where) return std::optional<PkgId>();
    JLC_ASSIGN_OR_RETURN(auto d, Toml(*project_file));
    const toml::table* exts = GetTable(d->table, "extensions");
    if (!exts || !exts->contains(where.name)) return std::optional<PkgId>();
    if (!IsExtensionUuid(proj.uuid, proj.name, where.name, where.uuid)) return std::optional<PkgId>();
    ext = where.name;
  }
  JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u,
                       ExplicitProjectDepsGet(*project_file, name, ext ? &*ext : nullptr));
  return std::optional<PkgId>(PkgId{u, std::string(name)});
}

// ------------------------------------------------------------ locate

// entry_path(path, name[, entryfile])
std::optional<std::string> Resolver::EntryPath(const std::string& path, std::string_view name,
                                               const std::optional<std::string>& entryfile) {
  if (IsFileCS(path)) {
    if (trace_.root.empty()) trace_.root = DirName(NormPath(path));
    return NormPath(path);
  }
  trace_.root = NormPath(path);
  std::string entry = (rules_.honours_entryfile && entryfile) ? *entryfile : Cat("src/", name, ".jl");
  std::string file = NormPath(JoinPath(path, entry));
  if (rules_.entry_path_checks_existence && !IsFileCS(file)) {
    trace_.missing_entry = file;
    return std::nullopt;
  }
  return file;
}

// find_ext_path(project_path, extname)
std::string Resolver::FindExtPath(const std::string& project_path, std::string_view ext) {
  std::string in_dir = JoinPath(JoinPath(JoinPath(project_path, "ext"), ext), Cat(ext, ".jl"));
  trace_.root = NormPath(project_path);
  if (IsFileCS(in_dir)) return in_dir;
  return JoinPath(JoinPath(project_path, "ext"), Cat(ext, ".jl"));
}

// project_file_path(project_file[, name]): up to 1.11 the directory joined
// with the `path` key; from 1.12 the entry file (`path`, then `entryfile`).
absl::StatusOr<std::string> Resolver::ProjectFilePath(const std::string& project_file,
                                                      std::string_view name) {
  JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> path, GetString(d->table, "path", project_file));
  if (!rules_.honours_entryfile) return JoinPath(DirName(project_file), path ? *path : "");
  std::optional<std::string> entryfile = path;
  if (!entryfile) {
    JLC_ASSIGN_OR_RETURN(entryfile, GetString(d->table, "entryfile", project_file));
  }
  std::string dir = DirName(project_file);
  if (IsFileCS(dir)) return NormPath(dir);
  trace_.root = NormPath(dir);
  return NormPath(JoinPath(dir, entryfile ? *entryfile : Cat("src/", name, ".jl")));
}

// project_file_ext_path(project_file, ext)
absl::StatusOr<std::optional<std::string>> Resolver::ProjectFileExtPath(const std::string& project_file,
                                                                        const PkgId& ext) {
  JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
  const toml::table* exts = GetTable(d->table, "extensions");
  if (!exts || !exts->contains(ext.name)) return std::optional<std::string>();
  JLC_ASSIGN_OR_RETURN(std::optional<Uuid> puuid, GetUuid(d->table, "uuid", project_file));
  if (!puuid) return TypeError(project_file, "a project with [extensions] needs a uuid");
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> pname, GetString(d->table, "name", project_file));
  if (!IsExtensionUuid(puuid, pname ? *pname : "", ext.name, ext.uuid))
    return std::optional<std::string>();
  std::string p = DirName(project_file);
  if (!rules_.honours_entryfile) {
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> path, GetString(d->table, "path", project_file));
    p = JoinPath(p, path ? *path : "");
  }
  trace_.ext_parent = PkgId{puuid, pname ? *pname : ""};
  return std::optional<std::string>(FindExtPath(p, ext.name));
}

// implicit_manifest_uuid_path(dir, pkg)
absl::StatusOr<std::optional<std::string>> Resolver::ImplicitManifestUuidPath(const std::string& dir,
                                                                              const PkgId& pkg) {
  JLC_ASSIGN_OR_RETURN(auto ep, EntryPointAndProjectFile(dir, pkg.name));
  if (!ep.second) {
    if (pkg.uuid) return std::optional<std::string>();
    return ep.first;
  }
  JLC_ASSIGN_OR_RETURN(ProjectId proj, ProjectFileNameUuid(*ep.second, pkg.name));
  if (!proj.Matches(pkg)) return std::optional<std::string>();
  return ep.first;
}

// explicit_manifest_entry_path(manifest_file, pkg, entry)
absl::StatusOr<PathResult> Resolver::ExplicitManifestEntryPath(const std::string& manifest_file,
                                                               const PkgId& pkg,
                                                               const toml::table& entry) {
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> path, GetString(entry, "path", manifest_file));
  std::optional<std::string> entryfile;
  if (rules_.honours_entryfile) {
    JLC_ASSIGN_OR_RETURN(entryfile, GetString(entry, "entryfile", manifest_file));
  }
  if (path) {
    std::string dir = NormPath(Abs(JoinPath(DirName(manifest_file), *path)));
    if (!rules_.honours_entryfile) {  // 1.10/1.11: entry_path is applied by the caller
      trace_.root = dir;
      return PathResult::Path(dir);
    }
    return PathResult::Path(*EntryPath(dir, pkg.name, entryfile));
  }
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> hash, GetString(entry, "git-tree-sha1", manifest_file));
  if (!hash) {
    // A stdlib recorded in the manifest: look it up in Sys.STDLIB.
    JLC_ASSIGN_OR_RETURN(PathResult r, ManifestUuidPath(env_.stdlib_dir(), pkg));
    if (r.kind != PathResult::kPath) return PathResult::Nothing();
    if (rules_.honours_entryfile) {
      if (!IsFileCS(r.path)) return PathResult::Nothing();
      return r;
    }
    std::optional<std::string> e = EntryPath(r.path, pkg.name, std::nullopt);
    return e ? PathResult::Path(*e) : PathResult::Nothing();
  }
  auto raw = hash->size() == 40 ? ParseHexBytes(*hash) : std::nullopt;
  if (!raw) return TypeError(manifest_file, Cat("invalid git-tree-sha1 '", *hash, "' for ", pkg.name));
  std::vector<std::string> tried;
  for (int p : {5, 4}) {
    std::string slug = VersionSlug(*pkg.uuid, *raw, p);
    for (const auto& depot : env_.depots()) {
      std::string dir = JoinPath(JoinPath(JoinPath(depot, "packages"), pkg.name), slug);
      JLC_ASSIGN_OR_RETURN(bool exists, IsPath(dir));
      if (exists) {
        std::string abs = Abs(dir);
        if (!rules_.honours_entryfile) {
          trace_.root = abs;
          return PathResult::Path(abs);
        }
        return PathResult::Path(*EntryPath(abs, pkg.name, entryfile));
      }
      tried.push_back(dir);
    }
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  trace_.missing_tree = Cat(pkg.ToString(), " is in ", manifest_file, " (git-tree-sha1 ", *hash,
                        ") but installed in no depot; looked for ",
                        list.empty() ? std::string("(no depot)") : list);
  return PathResult::Missing();
}

// explicit_manifest_uuid_path(project_file, pkg)
absl::StatusOr<PathResult> Resolver::ExplicitManifestUuidPath(const std::string& project_file,
                                                              const PkgId& pkg) {
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> manifest_file, ProjectFileManifestPath(project_file));
  if (!manifest_file) {
    // Remember, for the error message, that this environment declares the name.
    JLC_ASSIGN_OR_RETURN(auto d, Toml(project_file));
    const toml::table* deps = GetTable(d->table, "deps");
    if (deps && deps->contains(pkg.name) && !trace_.manifest_missing)
      trace_.manifest_missing = Cat(project_file, " lists ", pkg.name,
                                " in [deps] but the environment has no manifest (looked for ",
                                rules_.ManifestNames().front(), " ... Manifest.toml)");
    return PathResult::Nothing();
  }
  const std::string& mf = *manifest_file;
  JLC_ASSIGN_OR_RETURN(auto m, Toml(mf));
  JLC_ASSIGN_OR_RETURN(const toml::table* d, ManifestDeps(*m));
  if (const toml::node* entries = d->get(pkg.name)) {
    for (const auto& e : *entries->as_array()) {
      const toml::table& entry = *e.as_table();
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> uuid, GetUuid(entry, "uuid", mf));
      if (uuid && uuid == pkg.uuid) return ExplicitManifestEntryPath(mf, pkg, entry);
    }
  }
  // Extensions
  for (const auto& [name_key, entries] : *d) {
    const std::string name(name_key.str());
    for (const auto& e : *entries.as_array()) {
      const toml::table& entry = *e.as_table();
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> uuid, GetUuid(entry, "uuid", mf));
      const toml::table* exts = GetTable(entry, "extensions");
      if (!exts || !exts->contains(pkg.name) || !uuid) continue;
      if (!IsExtensionUuid(uuid, name, pkg.name, pkg.uuid)) continue;
      JLC_ASSIGN_OR_RETURN(auto parent, LocatePackageEnv(PkgId{uuid, name}));
      if (!parent)
        return Error(ErrorKind::kNotInstalled, "failed to find source of parent package: \"", name,
                     "\" of extension ", pkg.name);
      std::string p = NormPath(JoinPath(DirName(parent->first), ".."));
      trace_.ext_parent = PkgId{uuid, name};
      return PathResult::Path(FindExtPath(p, pkg.name));
    }
  }
  return PathResult::Nothing();
}

// manifest_uuid_path(env, pkg)
absl::StatusOr<PathResult> Resolver::ManifestUuidPath(const std::string& env, const PkgId& pkg) {
  JLC_ASSIGN_OR_RETURN(EnvProject ep, EnvProjectFile(env));
  if (ep.kind == EnvKind::kExplicit) {
    JLC_ASSIGN_OR_RETURN(ProjectId proj, ProjectFileNameUuid(ep.project_file, pkg.name));
    if (proj.Matches(pkg)) {
      JLC_ASSIGN_OR_RETURN(std::string p, ProjectFilePath(ep.project_file, pkg.name));
      if (!rules_.honours_entryfile) trace_.root = NormPath(p);
      return PathResult::Path(p);
    }
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> ext, ProjectFileExtPath(ep.project_file, pkg));
    if (ext) return PathResult::Path(*ext);
    return ExplicitManifestUuidPath(ep.project_file, pkg);
  }
  if (ep.kind == EnvKind::kImplicit) {
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> p, ImplicitManifestUuidPath(env, pkg));
    // 1.11+ also consults EXT_PRIMED (extensions registered in the running
    // session); a fresh process has none, so nothing to do here.
    return p ? PathResult::Path(*p) : PathResult::Nothing();
  }
  return PathResult::Nothing();
}

// locate_package_env(pkg) without stopenv.
absl::StatusOr<std::optional<std::pair<std::string, std::string>>> Resolver::LocatePackageEnv(
    const PkgId& pkg) {
  using R = std::optional<std::pair<std::string, std::string>>;
  if (++trace_.depth > kMaxDepth) return Error(ErrorKind::kInvalidArgument, "locate recursion too deep");
  struct Unwind {
    LookupTrace& t;
    ~Unwind() { --t.depth; }
  } unwind{trace_};
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> envs, LoadPath());
  std::optional<std::string> path;
  std::string where_env;
  if (!pkg.uuid) {
    for (const auto& env : envs) {
      JLC_ASSIGN_OR_RETURN(std::optional<PkgId> found, ProjectDepsGet(env, pkg.name));
      if (found && !found->uuid) {
        JLC_ASSIGN_OR_RETURN(path, ImplicitManifestUuidPath(env, pkg));
        where_env = env;
        break;
      }
    }
  } else {
    bool fallback = true;
    for (const auto& env : envs) {
      trace_.root.clear();
      trace_.ext_parent.reset();
      JLC_ASSIGN_OR_RETURN(PathResult r, ManifestUuidPath(env, pkg));
      if (r.kind == PathResult::kMissing) {  // the sentinel stops the search
        fallback = false;
        if (rules_.stdlib_fallback_after_missing) {
          JLC_ASSIGN_OR_RETURN(fallback, IsStdlib(pkg));
        }
        break;
      }
      if (r.kind == PathResult::kPath) {
        fallback = false;
        where_env = env;
        if (rules_.entry_path_checks_existence)
          path = EntryPath(r.path, pkg.name, std::nullopt);
        else
          path = r.path;
        break;
      }
    }
    if (fallback) {  // stdlibs can always be located by PkgId
      trace_.root.clear();
      trace_.ext_parent.reset();
      JLC_ASSIGN_OR_RETURN(PathResult r, ManifestUuidPath(env_.stdlib_dir(), pkg));
      if (r.kind == PathResult::kPath) {
        where_env = env_.stdlib_dir();
        path = rules_.entry_path_checks_existence ? EntryPath(r.path, pkg.name, std::nullopt)
                                                  : std::optional<std::string>(r.path);
      }
    }
  }
  if (path && rules_.final_casesensitive_check && !IsFileCS(*path)) {
    trace_.missing_entry = *path;
    path.reset();
  }
  if (!path) return R();
  return R({*path, where_env});
}

}  // namespace jlcache::env_internal
