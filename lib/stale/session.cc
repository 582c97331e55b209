#include "stale/session.h"

#include <xxhash.h>

#include <algorithm>

#include "absl/container/flat_hash_map.h"

#include "core/error.h"
#include "core/build_identity.h"
#include "core/file_io.h"
#include "rules/julia_rules.h"

namespace jlcache {

namespace {

// The session whose callback this thread is running, if any.
thread_local const Session* t_in_callback_of = nullptr;

class CallbackScope {
 public:
  explicit CallbackScope(const Session* s) : saved_(t_in_callback_of) { t_in_callback_of = s; }
  ~CallbackScope() { t_in_callback_of = saved_; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  const Session* saved_;
};

}  // namespace

// The engine's view of the environment: lib/env answers within the query,
// mapped to "found or not" the way Julia's functions return `nothing`. The
// engine asks once per dependency *reference* (every candidate lists its
// whole transitive closure), so the answers are kept in the query.
class Session::EngineEnv : public EngineEnvironment {
 public:
  explicit EngineEnv(const Environment* env) : env_(env) {}

  const std::vector<std::string>& Depots() const override { return env_->depots(); }

  absl::StatusOr<std::optional<std::string>> Locate(Query& q, const PkgId& pkg) override {
    return q.located.Get(pkg, [&]() -> absl::StatusOr<std::optional<std::string>> {
      auto located = env_->Locate(q.env(), pkg);
      if (located.ok()) return std::optional<std::string>(located->entry_file);
      if (IsNotFound(located.status())) return std::optional<std::string>();
      return located.status();
    });
  }

  absl::StatusOr<std::optional<PkgId>> Identify(Query& q, const PkgId& where,
                                                const std::string& name) override {
    return q.identified.Get(std::make_pair(where, name),
                            [&]() -> absl::StatusOr<std::optional<PkgId>> {
                              auto id = env_->Identify(q.env(), where, name);
                              if (id.ok()) return std::optional<PkgId>(*id);
                              if (IsNotFound(id.status())) return std::optional<PkgId>();
                              return id.status();
                            });
  }

  absl::StatusOr<CandidateList> CacheCandidates(Query& q, const PkgId& pkg) override {
    return q.candidates.Get(pkg, [&]() -> absl::StatusOr<CandidateList> {
      JLC_ASSIGN_OR_RETURN(jlcache::CacheCandidates found, env_->FindCacheCandidates(q.env(), pkg));
      auto out = std::make_shared<std::vector<std::string>>();
      out->reserve(found.files.size());
      for (auto& c : found.files) out->push_back(std::move(c.path));
      return CandidateList(std::move(out));
    });
  }

  absl::StatusOr<bool> AnyCacheFileNamed(Query& q, const std::string& name) override {
    return env_->AnyCacheFileNamed(q.env(), name);
  }

  std::shared_ptr<const toml::table> Preferences(Query& q, const Uuid& uuid) override {
    return q.preferences.Get(uuid, [&]() -> std::shared_ptr<const toml::table> {
      auto prefs = env_->Preferences(q.env(), uuid);
      if (!prefs.ok()) return nullptr;
      return std::make_shared<const toml::table>(*std::move(prefs));
    });
  }

 private:
  static bool IsNotFound(const absl::Status& s) {
    ErrorKind k = KindOf(s);
    return k == ErrorKind::kPackageNotFound || k == ErrorKind::kNotInstalled ||
           k == ErrorKind::kManifestMissing || k == ErrorKind::kNotFound;
  }

  const Environment* env_;
};

absl::StatusOr<std::unique_ptr<Session>> Session::Open(const RuntimeProfile& profile,
                                                       SessionOptions options) {
  if (!profile.validated())
    return Error(ErrorKind::kRuntime, "the runtime profile has not been validated");
  std::unique_ptr<Session> s(new Session());
  s->profile_ = profile;
  s->options_ = options;
  EnvironmentOptions eo;
  eo.env = options.env_given ? options.env : ProcessEnvVars();
  eo.project = options.project;
  eo.cwd = options.cwd;
  eo.no_write = options.no_write;
  // Headers the environment reads (candidate order, extension UUIDs) come
  // from the engine's memo, so each file is parsed once per session.
  Session* self = s.get();
  eo.header_reader = [self](EnvQuery& q, const std::string& path)
      -> absl::StatusOr<std::shared_ptr<const CacheHeader>> {
    if (self->engine_) return self->engine_->CachedHeader(q, path);
    return DefaultCacheHeaderReader()(q, path);
  };
  JLC_ASSIGN_OR_RETURN(s->env_, Environment::Create(profile, std::move(eo)));
  s->engine_env_ = std::make_unique<EngineEnv>(s->env_.get());
  s->status_key_base_ = s->StatusKeyBase();

  if (options.memo_path) {
    s->memo_path_ = options.memo_path;
  } else if (!s->env_->depots().empty()) {
    s->memo_path_ = JoinPath(s->env_->depots().front(), "jlcache/hashmemo-v1.bin");
  }
  // A memo that cannot be read is only a slower start, never a wrong verdict.
  if (s->memo_path_) {
    s->memo_.LoadOnFirstUse(*s->memo_path_);  // a remembered answer needs no content hash
    s->status_memo_path_ = JoinPath(DirName(*s->memo_path_), "status-v1.bin");
    (void)s->status_memo_.Load(*s->status_memo_path_);
  }

  JuliaOracles oracles;
  oracles.accepts_clone_targets = [self](const std::string& blob) -> std::optional<bool> {
    return self->AskCloneTargets(blob);
  };
  oracles.preferences_hash = [self](Query& q, const Uuid& u, const std::vector<std::string>& names)
      -> std::optional<uint64_t> {
    q.NoteUnrepeatableAnswer();  // a callback or a learned fact: never remembered
    std::vector<PreferenceHashRecord> learned;
    {
      MutexLock lock(&self->oracle_mu_);
      if (self->prefs_oracle_) {
        CallbackScope in_callback(self);
        if (auto h = self->prefs_oracle_(u, names)) return h;
      }
      for (const auto& r : self->learned_prefs_)
        if (r.uuid == u && r.names == names) learned.push_back(r);
    }
    if (!learned.empty()) {
      // Valid only while the preference files still digest the same.
      auto digest = self->env_->PreferencesSourcesDigest(q.env(), u);
      if (digest.ok())
        for (const auto& r : learned)
          if (r.sources_digest == *digest) return r.hash;
    }
    return self->env_->RecordedPreferencesHash(q.env(), u, names);
  };
  s->engine_ = std::make_unique<StalenessEngine>(s->profile_, s->engine_env_.get(), &s->memo_,
                                                 std::move(oracles),
                                                 options.io_threads > 0 ? options.io_threads : 4);
  return s;
}

Session::~Session() = default;


bool Session::InCallback() const { return t_in_callback_of == this; }

std::optional<bool> Session::AskCloneTargets(const std::string& blob) {
  MutexLock lock(&oracle_mu_);
  if (clone_oracle_) {
    CallbackScope in_callback(this);
    if (auto accepted = clone_oracle_(blob)) return accepted;
  }
  const uint64_t digest = XXH64(blob.data(), blob.size(), 0);
  if (std::find(learned_clone_targets_.begin(), learned_clone_targets_.end(), digest) !=
      learned_clone_targets_.end())
    return true;
  return std::nullopt;
}

void Session::SetCloneTargetsOracle(std::function<std::optional<bool>(const std::string&)> fn) {
  MutexLock lock(&oracle_mu_);
  clone_oracle_ = std::move(fn);
}

void Session::SetPreferencesHashOracle(PreferencesHashFn fn) {
  MutexLock lock(&oracle_mu_);
  prefs_oracle_ = std::move(fn);
}

void Session::AddJuliaFacts(const std::vector<PreferenceHashRecord>& preference_hashes,
                            const std::vector<uint64_t>& accepted_clone_targets) {
  MutexLock lock(&oracle_mu_);
  for (const auto& r : preference_hashes) learned_prefs_.push_back(r);
  for (uint64_t d : accepted_clone_targets)
    if (std::find(learned_clone_targets_.begin(), learned_clone_targets_.end(), d) ==
        learned_clone_targets_.end())
      learned_clone_targets_.push_back(d);
}

void Session::ClearMemo() {
  engine_->ClearMemo();
  env_->toml_cache().Clear();
}

void Session::ClearContentMemo() {
  memo_.Clear();
  status_memo_.Clear();
}

void Session::ClearRememberedAnswers() { status_memo_.Clear(); }

absl::Status Session::SaveContentMemo() {
  if (options_.no_write || !memo_path_) return absl::OkStatus();
  absl::Status s = memo_.dirty() ? memo_.Save(*memo_path_) : absl::OkStatus();
  if (status_memo_path_ && status_memo_.dirty()) s.Update(status_memo_.Save(*status_memo_path_));
  return s;
}

absl::StatusOr<PkgId> Session::Resolve(Query& q, std::string_view package) {
  auto active = env_->ActivePackages(q.env());
  if (auto uuid = Uuid::Parse(package)) {
    for (const auto& m : profile_.sysimage_modules)
      if (m.uuid == *uuid) return PkgId{m.uuid, m.name};
    if (!active->ok()) return active->status();
    for (size_t i : (*active)->reachable)
      if ((*active)->manifest[i].id.uuid == *uuid) return (*active)->manifest[i].id;
    for (const PkgId& id : (*active)->unlisted)
      if (id.uuid == *uuid) return id;
    return Error(ErrorKind::kPackageNotFound, "no package with UUID ", package,
                 " is loadable from the active project");
  }
  auto id = env_->Identify(q.env(), package);
  if (id.ok()) return *id;
  if (KindOf(id.status()) != ErrorKind::kPackageNotFound) return id.status();
  // Not a top-level name: an indirect dependency, which Julia loads as a
  // dependency of a package it loaded (unique by name among those the
  // project reaches), or an extension, which LocateByName knows.
  if (active->ok()) {
    std::optional<PkgId> found;
    int matches = 0;
    for (size_t i : (*active)->reachable)
      if ((*active)->manifest[i].id.name == package) found = (*active)->manifest[i].id, ++matches;
    if (matches == 1) return *found;
  }
  auto located = env_->LocateByName(q.env(), package);
  if (located.ok()) return located->id;
  return located.status();
}

Verdict Session::Unresolvable(const std::string& name, const absl::Status& why) {
  Verdict v;
  v.package = PkgId{std::nullopt, name};
  v.kind = VerdictKind::kUnknown;
  StalenessReason r{ReasonCode::kUnknownExtensionUuid, std::string(Message(why)), std::nullopt,
                    std::nullopt, {}, true};
  if (KindOf(why) == ErrorKind::kNotInstalled) {
    v.kind = VerdictKind::kStale;
    r.code = ReasonCode::kNotInstalled;
    r.unknown = false;
  }
  v.reasons.push_back(std::move(r));
  return v;
}

Verdict Session::Unlisted(const PkgId& id, const ActivePackageSet& active) {
  Verdict v = Unresolvable(
      id.name,
      Error(ErrorKind::kNotInstalled, id.ToString(), " is a dependency of ", active.project_file,
            active.manifest_file ? Cat(", but its manifest ", *active.manifest_file,
                                       " does not list it")
                                 : std::string(", which has no manifest"),
            ": Julia cannot load it (run Pkg.instantiate())"));
  v.package = id;
  return v;
}

// Either a PkgId the engine can check, or a verdict known without it.
absl::StatusOr<std::variant<PkgId, Verdict>> Session::Prepare(Query& q, std::string_view package) {
  // A broken active manifest is an error for every question, as for the
  // whole-environment status (Julia parses it to locate any package).
  auto active = env_->ActivePackages(q.env());
  if (!active->ok() && KindOf(active->status()) != ErrorKind::kNotFound) return active->status();
  auto id = Resolve(q, package);
  if (!id.ok()) {
    if (KindOf(id.status()) == ErrorKind::kNotInstalled)
      return Unresolvable(std::string(package), id.status());
    return id.status();
  }
  if (active->ok())
    for (const PkgId& u : (*active)->unlisted)
      if (u == *id) return Unlisted(u, **active);
  if (id->uuid) return *id;
  auto located = env_->LocateByName(q.env(), package);
  if (!located.ok() || !located->extension_parent) return *id;
  return engine_->CheckExtensionWithoutUuid(q, *id);
}

absl::StatusOr<Verdict> Session::IsStale(std::string_view package) {
  Query q;
  JLC_ASSIGN_OR_RETURN(auto prepared, Prepare(q, package));
  if (auto* v = std::get_if<Verdict>(&prepared)) return std::move(*v);
  Verdict v = engine_->Check(q, std::get<PkgId>(prepared));
  (void)SaveContentMemo();
  return v;
}

absl::StatusOr<std::vector<std::string>> Session::PackageNames() {
  Query q;
  return PackageNames(q);
}

absl::StatusOr<std::vector<std::string>> Session::PackageNames(Query& q) {
  auto active = env_->ActivePackages(q.env());
  if (!active->ok()) return active->status();
  const ActivePackageSet& a = **active;
  std::vector<std::string> all;
  for (size_t i : a.reachable) all.push_back(a.manifest[i].id.name);
  // Declared but not in the manifest: reported as not installed, never skipped.
  for (const PkgId& id : a.unlisted) all.push_back(id.name);
  // An extension is loadable when its parent and all of its triggers are.
  for (size_t i : a.reachable) {
    for (const auto& [ext, triggers] : a.manifest[i].extensions) {
      bool loadable = true;
      for (const auto& t : triggers)
        loadable = loadable && std::any_of(a.reachable.begin(), a.reachable.end(),
                                           [&](size_t k) { return a.manifest[k].id.name == t; });
      if (loadable) all.push_back(ext);
    }
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

namespace {

// Appends a length-prefixed part, so no two lists of parts run together.
void AddKeyPart(std::string& k, std::string_view part) {
  k += '\0';
  k += std::to_string(part.size());
  k += ':';
  k += part;
}

}  // namespace

std::optional<std::string> Session::StatusKeyBase() const {
  // This build of jlcache, the runtime and the environment's settings
  // (everything lib/env takes from the process environment is in them):
  // fixed for the session, so serialized once, at Open.
  const std::optional<std::string>& build = BuildIdentity();
  if (!build) return std::nullopt;
  std::string k = "jlcache status v1";
  AddKeyPart(k, *build);
  AddKeyPart(k, profile_.ToToml());
  for (const auto& d : env_->depots()) AddKeyPart(k, d);
  AddKeyPart(k, "load_path");
  for (const auto& e : env_->load_path()) AddKeyPart(k, e);
  AddKeyPart(k, env_->active_project().value_or("<none>"));
  AddKeyPart(k, env_->active_project_setting().value_or("<none>"));
  const EnvironmentOptions& o = env_->options();
  AddKeyPart(k, o.project.value_or("<none>"));
  AddKeyPart(k, o.cwd);
  AddKeyPart(k, o.home);
  AddKeyPart(k, o.program_file.value_or("<none>"));
  AddKeyPart(k, "packages");
  return k;
}

std::optional<uint64_t> Session::StatusKey(const std::vector<std::string>& packages) const {
  if (!status_key_base_) return std::nullopt;
  std::string k = *status_key_base_;
  for (const auto& p : packages) AddKeyPart(k, p);
  return XXH64(k.data(), k.size(), 0);
}

absl::StatusOr<std::vector<Verdict>> Session::Status(const std::vector<std::string>& packages) {
  // No key (an unidentifiable build): checked every time, never remembered.
  const std::optional<uint64_t> key = StatusKey(packages);
  if (key) {
    if (auto remembered = status_memo_.Lookup(
            *key, engine_->pool(), [this](const std::string& blob) { return AskCloneTargets(blob); })) {
      ++remembered_answers_;
      return *std::move(remembered);
    }
  }
  // Journaled only when the answer could be remembered. A whole-environment
  // status stats thousands of paths (8,600 for 400 packages): its tables are
  // sized for that up front instead of rehashing as they grow. Bounded: a
  // caller naming thousands of packages (or one name many times) must not
  // make every query reserve tables far larger than any environment needs.
  constexpr size_t kMaxExpectedPaths = 16384;
  const size_t expected_paths =
      packages.empty() ? 8192 : std::min(kMaxExpectedPaths, 64 * packages.size());
  Query q(/*journaled=*/key.has_value(), expected_paths);
  const int64_t started = NowRealtimeNs();
  absl::StatusOr<std::vector<Verdict>> out = CheckStatus(q, packages);
  if (key && out.ok()) (void)status_memo_.Insert(*key, q, started, *out);
  (void)SaveContentMemo();
  return out;
}

absl::StatusOr<std::vector<Verdict>> Session::CheckStatus(Query& q,
                                                          const std::vector<std::string>& packages) {
  std::vector<std::string> names = packages;
  // The whole manifest: its entries already carry their PkgIds, so only
  // extensions need resolving (asking the environment per name would read the
  // manifest once per package).
  absl::flat_hash_map<std::string, PkgId> known;
  if (names.empty()) {
    JLC_ASSIGN_OR_RETURN(names, PackageNames(q));
    std::shared_ptr<const absl::StatusOr<ActivePackageSet>> active = env_->ActivePackages(q.env());
    const ActivePackageSet& a = **active;  // PackageNames succeeded
    for (size_t i : a.reachable) known.emplace(a.manifest[i].id.name, a.manifest[i].id);
  }
  std::vector<Verdict> out(names.size());
  std::vector<PkgId> to_check;
  std::vector<size_t> slots;
  for (size_t i = 0; i < names.size(); ++i) {
    if (auto it = known.find(names[i]); it != known.end()) {
      to_check.push_back(it->second);
      slots.push_back(i);
      continue;
    }
    JLC_ASSIGN_OR_RETURN(auto prepared, Prepare(q, names[i]));
    if (auto* v = std::get_if<Verdict>(&prepared)) {
      out[i] = std::move(*v);
    } else {
      to_check.push_back(std::get<PkgId>(prepared));
      slots.push_back(i);
    }
  }
  std::vector<Verdict> checked = engine_->CheckMany(q, to_check);
  for (size_t k = 0; k < slots.size(); ++k) out[slots[k]] = std::move(checked[k]);
  return out;
}

}  // namespace jlcache
