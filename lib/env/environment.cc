#include "env/environment.h"

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "core/error.h"
#include "core/file_io.h"
#include "env/env_paths.h"
#include "env/resolver.h"
#include "format/header_reader.h"
#include "rules/julia_rules.h"

extern char** environ;

namespace jlcache {

using env_internal::EnvProject;
using env_internal::LookupTrace;
using env_internal::Resolver;

struct Environment::Impl {
  CacheHeaderReader reader;
};

EnvVars ProcessEnvVars() {
  EnvVars vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    vars.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return vars;
}

CacheHeaderReader DefaultCacheHeaderReader() {
  return [](EnvQuery& q,
            const std::string& path) -> absl::StatusOr<std::shared_ptr<const CacheHeader>> {
    // Candidate order and extension UUIDs need only the header.
    JLC_ASSIGN_OR_RETURN(CacheHeader h, ReadCacheHeaderOnly(q.files(), path));
    return std::make_shared<const CacheHeader>(std::move(h));
  };
}

std::string_view EnvKindName(EnvKind kind) {
  switch (kind) {
    case EnvKind::kNone: return "none";
    case EnvKind::kImplicit: return "implicit";
    case EnvKind::kExplicit: return "explicit";
  }
  return "none";
}

Environment::~Environment() = default;

namespace {

std::optional<std::string> Var(const EnvVars& vars, const char* name) {
  auto it = vars.find(name);
  if (it == vars.end()) return std::nullopt;
  return it->second;
}

// The error Julia's `nothing` stands for, most specific first.
absl::Status NotFoundError(const LookupTrace& q, std::string_view what) {
  if (q.missing_tree) return Error(ErrorKind::kNotInstalled, *q.missing_tree);
  if (q.missing_entry)
    return Error(ErrorKind::kNotInstalled, what, ": its entry file ", *q.missing_entry,
                 " does not exist");
  if (!q.swallowed.ok())
    return Error(KindOf(q.swallowed), what, ": ", Message(q.swallowed));
  if (q.manifest_missing) return Error(ErrorKind::kManifestMissing, *q.manifest_missing);
  return Error(ErrorKind::kPackageNotFound, what, " is not in the environment");
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Environment>> Environment::Create(const RuntimeProfile& runtime,
                                                                       EnvironmentOptions options) {
  if (!runtime.validated())
    return Error(ErrorKind::kRuntime, "runtime profile ", runtime.source, " is not validated");
  std::shared_ptr<Environment> env(new Environment());
  env->runtime_ = runtime;
  if (options.cwd.empty()) {
    char buf[PATH_MAX];
    options.cwd = ::getcwd(buf, sizeof buf) ? buf : "/";
  }
  if (options.home.empty()) {
    auto home = Var(options.env, "HOME");
    options.home = home && !home->empty() ? *home : HomeDir();
  }
  if (!options.header_reader) options.header_reader = DefaultCacheHeaderReader();
  env->options_ = options;
  env->toml_ = std::make_unique<TomlCache>();
  env->impl_ = std::make_unique<Impl>();
  env->impl_->reader = options.header_reader;
  const auto& o = env->options_;

  // DEPOT_PATH and LOAD_PATH, as __init__ computes them.
  if (runtime.depot_path)
    env->depots_ = *runtime.depot_path;
  else
    env->depots_ = InitDepotPath(runtime.rules, Var(o.env, "JULIA_DEPOT_PATH"), o.home, runtime.BinDir());
  if (runtime.load_path)
    env->load_path_ = *runtime.load_path;
  else
    env->load_path_ = InitLoadPath(Var(o.env, "JULIA_LOAD_PATH"), o.cwd, o.home);

  // init_active_project: --project wins, then the profile's active_project,
  // then JULIA_PROJECT.
  std::optional<std::string> project = o.project;
  if (!project) project = runtime.active_project;
  if (!project) project = Var(o.env, "JULIA_PROJECT");
  EnvQuery startup{FileAccess()};  // outside any query: the environment is being built
  LookupTrace t;
  Resolver r(*env, startup, t);
  if (project && !project->empty()) {
    if (project->front() == '@') {
      JLC_ASSIGN_OR_RETURN(env->active_setting_, r.LoadPathExpand(*project));
    } else {
      env->active_setting_ = AbsPathFrom(o.cwd, ExpandUserWith(*project, o.home));
    }
  }
  JLC_ASSIGN_OR_RETURN(env->active_project_, r.ActiveProject(true));
  return std::shared_ptr<const Environment>(std::move(env));
}

absl::StatusOr<std::vector<EnvironmentEntry>> Environment::Environments(EnvQuery& q) const {
  LookupTrace t;
  Resolver r(*this, q, t);
  std::vector<EnvironmentEntry> out;
  std::vector<std::string> seen;
  for (const auto& raw : load_path_) {
    JLC_ASSIGN_OR_RETURN(std::optional<std::string> path, r.LoadPathExpand(raw));
    if (!path || std::find(seen.begin(), seen.end(), *path) != seen.end()) continue;
    seen.push_back(*path);
    EnvironmentEntry e;
    e.raw = raw;
    e.path = *path;
    JLC_ASSIGN_OR_RETURN(EnvProject ep, r.EnvProjectFile(*path));
    e.kind = ep.kind;
    if (ep.kind == EnvKind::kExplicit) {
      e.project_file = ep.project_file;
      JLC_ASSIGN_OR_RETURN(e.manifest_file, r.ProjectFileManifestPath(ep.project_file));
    }
    out.push_back(std::move(e));
  }
  return out;
}

// The active project as an explicit environment (a project file that exists).
absl::StatusOr<EnvProject> ExplicitActiveProject(Resolver& r, const std::string& active_project) {
  JLC_ASSIGN_OR_RETURN(EnvProject ep, r.EnvProjectFile(active_project));
  if (ep.kind != EnvKind::kExplicit)
    return Error(ErrorKind::kNotFound, "the active project ", active_project, " does not exist");
  return ep;
}

absl::StatusOr<std::vector<ManifestPackage>> Environment::ManifestPackages(EnvQuery& q) const {
  if (!active_project_) return Error(ErrorKind::kNotFound, "there is no active project");
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(EnvProject ep, ExplicitActiveProject(r, *active_project_));
  JLC_ASSIGN_OR_RETURN(std::optional<std::string> mf, r.ProjectFileManifestPath(ep.project_file));
  if (!mf)
    return Error(ErrorKind::kManifestMissing, "the active project ", ep.project_file,
                 " has no manifest (looked for ", rules().ManifestNames().front(),
                 ", ..., Manifest.toml); run Pkg.instantiate()");
  JLC_ASSIGN_OR_RETURN(auto m, q.Toml(*toml_, *mf));
  JLC_ASSIGN_OR_RETURN(const toml::table* d, r.ManifestDeps(*m));
  // deps given as a list name their (unique) top-level entry. The message
  // names the entry that lists the dependency and where: every command that
  // reads this manifest reports it the same way.
  auto uuid_of_single = [&](std::string_view entry, const toml::node& at,
                            std::string_view name) -> absl::StatusOr<Uuid> {
    const toml::node* n = d->get(name);
    const size_t count = n && n->as_array() ? n->as_array()->size() : 0;
    if (count != 1) {
      const auto& pos = at.source().begin;
      return Error(ErrorKind::kInvalidArgument, *mf, ":", static_cast<uint64_t>(pos.line), ":",
                   static_cast<uint64_t>(pos.column), ": entry \"", entry, "\" depends on \"",
                   name, "\", ",
                   count == 0 ? std::string("which has no entry in the manifest")
                              : Cat("which has ", count,
                                    " entries in the manifest (expected a single entry)"));
    }
    JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u,
                         env_internal::GetUuid(*n->as_array()->front().as_table(), "uuid", *mf));
    if (!u) return Error(ErrorKind::kInvalidArgument, *mf, ": entry \"", name, "\" has no uuid");
    return *u;
  };
  auto dep_list = [&](std::string_view entry,
                      const toml::node* n) -> absl::StatusOr<std::vector<PkgId>> {
    std::vector<PkgId> out;
    if (!n) return out;
    if (const toml::array* a = n->as_array()) {
      for (const auto& item : *a) {
        auto name = item.value<std::string>();
        if (!name) return Error(ErrorKind::kInvalidArgument, *mf, ": deps lists must hold names");
        JLC_ASSIGN_OR_RETURN(Uuid u, uuid_of_single(entry, item, *name));
        out.push_back(PkgId{u, *name});
      }
    } else if (const toml::table* t = n->as_table()) {
      for (const auto& [k, v] : *t) {
        auto s = v.value<std::string>();
        if (!s) return Error(ErrorKind::kInvalidArgument, *mf, ": dep ", k.str(), " needs a uuid string");
        JLC_ASSIGN_OR_RETURN(Uuid u, env_internal::ParseUuidField(*s, *mf));
        out.push_back(PkgId{u, std::string(k.str())});
      }
    } else {
      return Error(ErrorKind::kInvalidArgument, *mf, ": deps must be a list or a table");
    }
    return out;
  };
  std::vector<ManifestPackage> out;
  for (const auto& [name, entries] : *d) {
    for (const auto& e : *entries.as_array()) {
      const toml::table& entry = *e.as_table();
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> uuid, env_internal::GetUuid(entry, "uuid", *mf));
      if (!uuid) continue;
      ManifestPackage p;
      p.id = PkgId{uuid, std::string(name.str())};
      JLC_ASSIGN_OR_RETURN(p.deps, dep_list(p.id.name, entry.get("deps")));
      JLC_ASSIGN_OR_RETURN(p.weakdeps, dep_list(p.id.name, entry.get("weakdeps")));
      if (const toml::table* exts = env_internal::GetTable(entry, "extensions")) {
        for (const auto& [ext, triggers] : *exts) {
          std::vector<std::string> names;
          if (auto s = triggers.value<std::string>()) {
            names.push_back(*s);
          } else if (const toml::array* a = triggers.as_array()) {
            for (const auto& t : *a)
              if (auto s2 = t.value<std::string>()) names.push_back(*s2);
          }
          p.extensions.emplace_back(std::string(ext.str()), std::move(names));
        }
      }
      JLC_ASSIGN_OR_RETURN(p.path, env_internal::GetString(entry, "path", *mf));
      JLC_ASSIGN_OR_RETURN(p.git_tree_sha1, env_internal::GetString(entry, "git-tree-sha1", *mf));
      JLC_ASSIGN_OR_RETURN(p.entryfile, env_internal::GetString(entry, "entryfile", *mf));
      JLC_ASSIGN_OR_RETURN(p.version, env_internal::GetString(entry, "version", *mf));
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::optional<PkgId> Environment::ExtensionTrigger(const ManifestPackage& parent,
                                                   std::string_view trigger) const {
  std::vector<const std::vector<PkgId>*> lists{&parent.weakdeps};
  if (rules().ext_trigger_lookup_includes_deps) lists.push_back(&parent.deps);
  for (const std::vector<PkgId>* list : lists)
    for (const PkgId& d : *list)
      if (d.name == trigger) return d;
  return std::nullopt;
}

std::shared_ptr<const absl::StatusOr<ActivePackageSet>> Environment::ActivePackages(
    EnvQuery& q) const {
  return q.active_packages.Get([&] {
    return std::make_shared<const absl::StatusOr<ActivePackageSet>>(ComputeActivePackages(q));
  });
}

absl::StatusOr<ActivePackageSet> Environment::ComputeActivePackages(EnvQuery& q) const {
  if (!active_project_) return Error(ErrorKind::kNotFound, "there is no active project");
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(EnvProject ep, ExplicitActiveProject(r, *active_project_));
  ActivePackageSet out;
  out.project_file = ep.project_file;
  // The project's [deps], as project_deps_get reads them.
  std::vector<PkgId> roots;
  JLC_ASSIGN_OR_RETURN(auto project, q.Toml(*toml_, ep.project_file));
  if (const toml::node* n = project->table.get("deps")) {
    const toml::table* t = n->as_table();
    if (!t)
      return Error(ErrorKind::kInvalidArgument, ep.project_file, ": 'deps' must be a table");
    for (const auto& [k, v] : *t) {
      auto s = v.value<std::string>();
      if (!s)
        return Error(ErrorKind::kInvalidArgument, ep.project_file, ": dep ", k.str(),
                     " needs a uuid string");
      JLC_ASSIGN_OR_RETURN(Uuid u, env_internal::ParseUuidField(*s, ep.project_file));
      roots.push_back(PkgId{u, std::string(k.str())});
    }
  }
  JLC_ASSIGN_OR_RETURN(out.manifest_file, r.ProjectFileManifestPath(ep.project_file));
  if (out.manifest_file) {
    JLC_ASSIGN_OR_RETURN(out.manifest, ManifestPackages(q));
  }
  // Depth-first over the manifest's deps, from the project's deps.
  absl::flat_hash_map<PkgId, size_t> index;
  for (size_t i = 0; i < out.manifest.size(); ++i) index.try_emplace(out.manifest[i].id, i);
  std::vector<bool> seen(out.manifest.size(), false);
  std::vector<size_t> stack;
  for (const PkgId& root : roots) {
    if (auto it = index.find(root); it != index.end())
      stack.push_back(it->second);
    else
      out.unlisted.push_back(root);
  }
  while (!stack.empty()) {
    const size_t i = stack.back();
    stack.pop_back();
    if (seen[i]) continue;
    seen[i] = true;
    for (const PkgId& dep : out.manifest[i].deps)
      if (auto it = index.find(dep); it != index.end() && !seen[it->second])
        stack.push_back(it->second);
  }
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i]) out.reachable.push_back(i);
  return out;
}

absl::StatusOr<PkgId> Environment::Identify(EnvQuery& q, std::string_view name) const {
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(auto found, r.IdentifyPackageEnv(name));
  if (found) return found->first;
  if (!t.swallowed.ok()) return Error(KindOf(t.swallowed), name, ": ", Message(t.swallowed));
  return Error(ErrorKind::kPackageNotFound, "package ", name,
               " is not in any environment of the load path");
}

absl::StatusOr<PkgId> Environment::Identify(EnvQuery& q, const PkgId& where,
                                            std::string_view name) const {
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(std::optional<PkgId> found, r.IdentifyPackage(where, name));
  if (found && (found->uuid || !where.uuid)) return *found;
  if (!t.swallowed.ok()) return Error(KindOf(t.swallowed), name, ": ", Message(t.swallowed));
  return Error(ErrorKind::kPackageNotFound, name, " is not a dependency of ", where.ToString(),
               " in this environment");
}

absl::StatusOr<LocatedPackage> Environment::Locate(EnvQuery& q, const PkgId& pkg) const {
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(auto found, r.LocatePackageEnv(pkg));
  if (!found) return NotFoundError(t, pkg.ToString());
  LocatedPackage out;
  out.id = pkg;
  out.entry_file = found->first;
  out.environment = found->second;
  out.package_dir = t.root.empty() ? DirName(found->first) : t.root;
  out.extension_parent = t.ext_parent;
  return out;
}

absl::StatusOr<LocatedPackage> Environment::LocateByName(EnvQuery& q, std::string_view name) const {
  auto id = Identify(q, name);
  if (id.ok()) return Locate(q, *id);
  if (KindOf(id.status()) != ErrorKind::kPackageNotFound) return id.status();
  // Not a top-level name: maybe an extension of a package in the environment.
  LookupTrace t;
  Resolver r(*this, q, t);
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> envs, r.LoadPath());
  for (const auto& env : envs) {
    JLC_ASSIGN_OR_RETURN(EnvProject ep, r.EnvProjectFile(env));
    if (ep.kind != EnvKind::kExplicit) continue;
    std::optional<PkgId> parent;
    JLC_ASSIGN_OR_RETURN(auto project, q.Toml(*toml_, ep.project_file));
    if (const toml::table* exts = env_internal::GetTable(project->table, "extensions");
        exts && exts->contains(name)) {
      JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u,
                           env_internal::GetUuid(project->table, "uuid", ep.project_file));
      JLC_ASSIGN_OR_RETURN(std::optional<std::string> n,
                           env_internal::GetString(project->table, "name", ep.project_file));
      if (u && n) parent = PkgId{u, *n};
    }
    if (!parent) {
      JLC_ASSIGN_OR_RETURN(std::optional<std::string> mf, r.ProjectFileManifestPath(ep.project_file));
      if (mf) {
        JLC_ASSIGN_OR_RETURN(auto m, q.Toml(*toml_, *mf));
        JLC_ASSIGN_OR_RETURN(const toml::table* d, r.ManifestDeps(*m));
        for (const auto& [pname, entries] : *d) {
          for (const auto& e : *entries.as_array()) {
            const toml::table* exts = env_internal::GetTable(*e.as_table(), "extensions");
            if (!exts || !exts->contains(name)) continue;
            JLC_ASSIGN_OR_RETURN(std::optional<Uuid> u,
                                 env_internal::GetUuid(*e.as_table(), "uuid", *mf));
            if (u) parent = PkgId{u, std::string(pname.str())};
            break;
          }
          if (parent) break;
        }
      }
    }
    if (!parent) continue;
    if (std::optional<Uuid> ext_uuid = ExtensionUuid(q, *parent, name)) {
      auto located = Locate(q, PkgId{ext_uuid, std::string(name)});
      if (located.ok() && !located->extension_parent) located->extension_parent = parent;
      return located;
    }
    // UUID unknown (no cache of the extension yet): find its source the way
    // Julia would, from the parent's entry file.
    JLC_ASSIGN_OR_RETURN(LocatedPackage p, Locate(q, *parent));
    LocatedPackage out;
    out.id = PkgId{std::nullopt, std::string(name)};
    out.extension_parent = parent;
    out.environment = p.environment;
    std::string root = NormPath(JoinPath(DirName(p.entry_file), ".."));
    std::string in_dir = JoinPath(JoinPath(JoinPath(root, "ext"), name), Cat(name, ".jl"));
    out.entry_file = IsFileCaseSensitive(q.files(), in_dir) ? in_dir : JoinPath(JoinPath(root, "ext"), Cat(name, ".jl"));
    out.package_dir = root;
    return out;
  }
  return ExplainNotFound(q, name, id.status());
}

absl::Status Environment::ExplainNotFound(EnvQuery& q, std::string_view name,
                                          const absl::Status& not_found) const {
  // identify_package(name) from the top level sees only the project's direct
  // dependencies (and the stacked environments'): say where the active
  // manifest mentions the name, so "not found" does not read as "absent".
  auto active = ActivePackages(q);
  if (!active->ok() || !(*active)->manifest_file) return not_found;
  const ActivePackageSet& a = **active;
  std::string more;
  for (size_t i = 0; i < a.manifest.size(); ++i) {
    const PkgId& id = a.manifest[i].id;
    if (id.name != name) continue;
    std::vector<std::string> dependents;
    for (const auto& p : a.manifest)
      if (std::find(p.deps.begin(), p.deps.end(), id) != p.deps.end())
        dependents.push_back(p.id.name);
    const bool reached = std::find(a.reachable.begin(), a.reachable.end(), i) != a.reachable.end();
    more += Cat("; the manifest ", *a.manifest_file, " lists ", id.ToString());
    if (!dependents.empty()) {
      more += " as a dependency of ";
      for (size_t k = 0; k < dependents.size(); ++k) more += Cat(k ? ", " : "", dependents[k]);
    }
    if (!reached) more += ", but nothing the project depends on reaches it";
    more += Cat(" (locate it as ", name, "=", id.uuid->ToString(), ")");
  }
  if (more.empty()) return not_found;
  return Error(KindOf(not_found), Message(not_found), more);
}

std::optional<Uuid> Environment::ExtensionUuid(EnvQuery& q, const PkgId& parent,
                                               std::string_view ext_name) const {
  if (!parent.uuid || !impl_->reader) return std::nullopt;
  const std::string key = Cat(parent.uuid->ToString(), "/", ext_name);
  return q.extension_uuids.Get(key, [&]() -> std::optional<Uuid> {
    std::optional<Uuid> found;
    bool conflict = false;
    const std::string rel =
        JoinPath(CompiledDir(runtime_.version), ext_name);
    for (const auto& depot : depots_) {
      const std::string dir = JoinPath(depot, rel);
      auto names = q.files().ListDir(dir);
      if (!names.ok()) continue;
      for (const auto& n : *names) {
        if (n.size() < 3 || n.compare(n.size() - 3, 3, ".ji") != 0) continue;
        auto read = impl_->reader(q, JoinPath(dir, n));
        if (!read.ok() || (*read)->modules.empty()) continue;
        const CacheHeader* h = read->get();
        const WorklistModule& w = h->modules.front();
        if (w.name != ext_name || !w.uuid) continue;
        bool requires_parent = false;
        for (const auto& m : h->required_modules) requires_parent |= m.uuid == parent.uuid;
        for (const auto& rq : h->requires_) requires_parent |= rq.imported.uuid == parent.uuid;
        if (!requires_parent) continue;
        if (found && *found != *w.uuid) conflict = true;
        found = w.uuid;
      }
    }
    if (conflict) found.reset();
    return found;
  });
}

absl::StatusOr<bool> Environment::AnyCacheFileNamed(EnvQuery& q, std::string_view name) const {
  for (const auto& depot : depots_) {
    JLC_ASSIGN_OR_RETURN(auto names, q.files().ListDirIfExists(
                                         JoinPath(depot, JoinPath(CompiledDir(runtime_.version), name))));
    if (names)
      for (const auto& n : *names)
        if (n.size() > 3 && n.compare(n.size() - 3, 3, ".ji") == 0) return true;
  }
  return false;
}

}  // namespace jlcache
