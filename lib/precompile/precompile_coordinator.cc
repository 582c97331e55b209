#include "precompile/precompile_coordinator.h"

#include <xxhash.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <system_error>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/subprocess.h"
#include "core/text_lines.h"
#include "precompile/child_group_record.h"
#include "core/pidfile_lock.h"
#include "rules/julia_rules.h"

extern char** environ;

namespace jlcache {
namespace {

using Clock = std::chrono::steady_clock;

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// A Julia string literal: "…" with \, " and $ escaped.
std::string JuliaString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"' || c == '$') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// The CPU target the modeled process hashes into cache names (loading spec §8
// input 5): ENV["JULIA_CPU_TARGET"] if set, else JLOptions().cpu_target.
std::string EffectiveCpuTarget(const Session& session) {
  const EnvVars& vars = session.environment().options().env;
  auto it = vars.find("JULIA_CPU_TARGET");
  if (it != vars.end()) return it->second;
  return session.profile().cpu_target;
}

std::optional<std::string> ActiveManifest(const Environment& env) {
  if (!env.active_project()) return std::nullopt;
  auto entries = env.Environments();
  if (!entries.ok()) return std::nullopt;
  for (const EnvironmentEntry& e : *entries)
    if (e.project_file && *e.project_file == *env.active_project()) return e.manifest_file;
  return std::nullopt;
}

bool IsFresh(const Verdict& v) { return v.kind == VerdictKind::kFresh; }

size_t CountNotFresh(const std::vector<Verdict>& verdicts) {
  return static_cast<size_t>(
      std::count_if(verdicts.begin(), verdicts.end(), [](const Verdict& v) { return !IsFresh(v); }));
}

// A package whose source is not installed: no julia can compile it (Pkg
// says "run Pkg.instantiate()"), so it is no reason to launch one.
bool IsNotInstalled(const Verdict& v) {
  return std::any_of(v.reasons.begin(), v.reasons.end(),
                     [](const StalenessReason& r) { return r.code == ReasonCode::kNotInstalled; });
}

// What a julia run could make fresh.
size_t CountCompilable(const std::vector<Verdict>& verdicts) {
  return static_cast<size_t>(std::count_if(verdicts.begin(), verdicts.end(), [](const Verdict& v) {
    return !IsFresh(v) && !IsNotInstalled(v);
  }));
}

// The manifest graph by UUID, plus extension name -> (parent, triggers).
struct ManifestGraph {
  std::map<Uuid, const ManifestPackage*> by_uuid;
  struct Extension {
    const ManifestPackage* parent;
    std::vector<std::string> triggers;
  };
  std::map<std::string, Extension> extensions;

  explicit ManifestGraph(const std::vector<ManifestPackage>& pkgs) {
    for (const ManifestPackage& p : pkgs) {
      if (p.id.uuid) by_uuid[*p.id.uuid] = &p;
      for (const auto& [ext, triggers] : p.extensions) extensions[ext] = Extension{&p, triggers};
    }
  }

  // Transitive manifest dependencies of `root` (not including it).
  std::set<Uuid> Closure(const Uuid& root) const {
    std::set<Uuid> seen;
    std::vector<Uuid> todo{root};
    while (!todo.empty()) {
      Uuid u = todo.back();
      todo.pop_back();
      auto it = by_uuid.find(u);
      if (it == by_uuid.end()) continue;
      for (const PkgId& d : it->second->deps)
        if (d.uuid && seen.insert(*d.uuid).second) todo.push_back(*d.uuid);
    }
    return seen;
  }
};

// Root PkgIds (as StaleRoots, with UUIDs for the 1.12+ PkgId call).
std::vector<PkgId> StaleRootIds(const Environment& env, const std::vector<Verdict>& verdicts) {
  std::vector<ManifestPackage> pkgs;
  if (auto m = env.ManifestPackages(); m.ok()) pkgs = *std::move(m);
  ManifestGraph graph(pkgs);

  std::vector<PkgId> roots;
  auto add = [&roots](const PkgId& id) {
    if (std::find(roots.begin(), roots.end(), id) == roots.end()) roots.push_back(id);
  };
  for (const Verdict& v : verdicts) {
    if (IsFresh(v) || IsNotInstalled(v)) continue;
    const PkgId& id = v.package;
    bool in_manifest = id.uuid && graph.by_uuid.count(*id.uuid);
    auto ext = graph.extensions.find(id.name);
    if (!in_manifest && ext != graph.extensions.end()) {
      // precompilepkgs keeps an extension when all its dependencies (parent
      // and triggers) are kept, and 1.12+ cannot identify it by name: name
      // those instead.
      add(ext->second.parent->id);
      for (const std::string& t : ext->second.triggers)
        if (auto tid = env.ExtensionTrigger(*ext->second.parent, t)) add(*tid);
      continue;
    }
    add(id);
  }
  // Drop roots that another root already brings in as a dependency.
  std::vector<std::set<Uuid>> closures;
  for (const PkgId& r : roots) closures.push_back(r.uuid ? graph.Closure(*r.uuid) : std::set<Uuid>{});
  std::vector<PkgId> minimal;
  for (size_t i = 0; i < roots.size(); ++i) {
    bool covered = false;
    for (size_t j = 0; j < roots.size() && !covered; ++j)
      covered = j != i && roots[i].uuid && closures[j].count(*roots[i].uuid);
    if (!covered) minimal.push_back(roots[i]);
  }
  return minimal;
}

// Packages whose caches the child reports on: the roots' closures, and the
// non-fresh packages themselves (extensions included when their UUID is known).
std::vector<PkgId> ReportPackages(const Environment& env, const std::vector<PkgId>& roots,
                                  const std::vector<Verdict>& verdicts) {
  std::vector<ManifestPackage> pkgs;
  if (auto m = env.ManifestPackages(); m.ok()) pkgs = *std::move(m);
  ManifestGraph graph(pkgs);
  std::vector<PkgId> out;
  std::set<Uuid> seen;
  auto add = [&](const PkgId& id) {
    if (id.uuid && seen.insert(*id.uuid).second) out.push_back(id);
  };
  for (const PkgId& r : roots) {
    add(r);
    if (r.uuid)
      for (const Uuid& u : graph.Closure(*r.uuid)) {
        auto it = graph.by_uuid.find(u);
        if (it != graph.by_uuid.end()) add(it->second->id);
      }
  }
  for (const Verdict& v : verdicts)
    if (!IsFresh(v)) add(v.package);
  return out;
}

std::string TailOf(const std::deque<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    out += l;
    out.push_back('\n');
  }
  return out;
}

void Emit(const PrecompileOptions& o, PrecompileProgress p) {
  if (o.progress) o.progress(p);
}

PrecompileResult ResultOf(const Verdict& v) {
  switch (v.kind) {
    case VerdictKind::kFresh: return PrecompileResult::kFresh;
    case VerdictKind::kStale: return PrecompileResult::kStale;
    case VerdictKind::kUnknown: return PrecompileResult::kUnknown;
  }
  return PrecompileResult::kUnknown;
}

void FillOutcomes(PrecompileReport* report, const std::vector<std::string>& names,
                  std::vector<Verdict> verdicts, std::optional<PrecompileResult> not_fresh_as) {
  report->packages.clear();
  for (size_t i = 0; i < verdicts.size(); ++i) {
    PackageOutcome o;
    o.name = i < names.size() ? names[i] : verdicts[i].package.name;
    o.result = ResultOf(verdicts[i]);
    if (o.result != PrecompileResult::kFresh && not_fresh_as) o.result = *not_fresh_as;
    o.verdict = std::move(verdicts[i]);
    report->packages.push_back(std::move(o));
  }
}

std::string HolderText(const PidfileInfo& holder) {
  std::string who = Cat("pid ", holder.pid);
  if (!holder.hostname.empty() && holder.hostname != LocalHostName())
    who = Cat("pid ", holder.pid, " on ", holder.hostname);
  return who;
}

}  // namespace

std::string_view PrecompileResultName(PrecompileResult result) {
  switch (result) {
    case PrecompileResult::kFresh: return "fresh";
    case PrecompileResult::kStale: return "stale";
    case PrecompileResult::kUnknown: return "unknown";
    case PrecompileResult::kFailed: return "failed";
    case PrecompileResult::kTimeout: return "timeout";
  }
  return "unknown";
}

bool PrecompileReport::AllFresh() const {
  return std::all_of(packages.begin(), packages.end(),
                     [](const PackageOutcome& o) { return o.result == PrecompileResult::kFresh; });
}

std::optional<std::string> PrecompileLockPath(const Session& session) {
  const Environment& env = session.environment();
  if (env.depots().empty()) return std::nullopt;
  const RuntimeProfile& rt = session.profile();
  std::vector<std::string> key = {
      "jlcache-precompile-lock-v1",
      rt.julia_bin,
      rt.image_file,
      std::to_string(rt.cache_flags),
      std::string(PkgImagesModeName(rt.pkgimages)),
      EffectiveCpuTarget(session),
      Join(env.depots(), std::string_view("\0", 1)),
      env.active_project().value_or(""),
      ActiveManifest(env).value_or(""),
  };
  std::string material = Join(key, std::string_view("\0\0", 2));
  uint64_t h = XXH64(material.data(), material.size(), 0);
  std::string hex = Hex64(h).substr(2);
  return JoinPath(env.depots().front(),
                  Cat(CompiledDir(rt.version), "/jlcache-", hex, ".pidfile"));
}

std::string RootNames(const std::vector<PkgId>& roots) {
  std::string out;
  for (size_t i = 0; i < roots.size(); ++i) out += (i ? ", " : "") + roots[i].name;
  return out;
}

std::vector<PkgId> StaleRoots(const Environment& env, const std::vector<Verdict>& verdicts) {
  return StaleRootIds(env, verdicts);
}

std::string ChildScript(const JuliaRules& rules, const std::vector<PkgId>& roots,
                        const std::vector<PkgId>& report_packages) {
  // The roots travel as names (Pkg.precompile; precompilepkgs up to 1.11,
  // which match names against the environment's graph) and as UUIDs
  // (precompilepkgs with PkgIds where it has that method, 1.12+: with names
  // it runs identify_package, which knows only top-level dependencies).
  std::vector<std::string> names, uuids, report;
  for (const PkgId& r : roots) {
    names.push_back(JuliaString(r.name));
    uuids.push_back(JuliaString(r.uuid ? r.uuid->ToString() : ""));
  }
  for (const PkgId& p : report_packages)
    if (p.uuid) report.push_back(Cat("(", JuliaString(p.uuid->ToString()), ", ", JuliaString(p.name), ")"));

  std::string s = "# jlcache precompile_if_stale (docs/precompile.md)\n";
  if (!rules.precompilepkgs_in_base) s += "import Pkg\n";
  s += "jlcache_roots = String[" + Join(names, ", ") + "]\n";
  s += "jlcache_root_uuids = String[" + Join(uuids, ", ") + "]\n";
  s += "jlcache_report = Tuple{String,String}[" + Join(report, ", ") + "]\n";
  // What only Julia knows about the caches now on disk: the preference hash
  // for the names each header records (hash era), and whether this CPU
  // accepts each pkgimage's clone targets. Best effort: never fails the run.
  s += R"JL(function jlcache_report_caches(pkgs)
    for (u, n) in pkgs
        try
            id = Base.PkgId(Base.UUID(u), n)
            for path in Base.find_all_in_cache_path(id)
                try
                    h = open(path, "r") do io
                        iszero(Base.isvalid_cache_header(io)) && return nothing
                        applicable(Base.parse_cache_header, io, path) ?
                            Base.parse_cache_header(io, path) : Base.parse_cache_header(io)
                    end
                    h === nothing && continue
                    prefs, prefs_hash, clone_targets = h[5], h[6], h[7]
                    if prefs isa Vector{String} && prefs_hash isa Integer
                        ph = UInt64(Base.get_preferences_hash(id.uuid, prefs))
                        println(stdout, "JLCACHE-PREFS-HASH ", u, " ", string(ph, base=16),
                                join(" " * bytes2hex(codeunits(p)) for p in prefs))
                    end
                    if clone_targets isa Vector{UInt8} && !isempty(clone_targets) &&
                            Base.check_clone_targets(clone_targets) === nothing
                        println(stdout, "JLCACHE-CLONE-OK ", bytes2hex(clone_targets))
                    end
                catch
                end
            end
        catch
        end
    end
    flush(stdout)
end
try
)JL";
  if (rules.precompilepkgs_in_base) {
    s += R"JL(    let pc = Base.Precompilation.precompilepkgs
        if all(!isempty, jlcache_root_uuids) && hasmethod(pc, Tuple{Vector{Base.PkgId}})
            pc(Base.PkgId[Base.PkgId(Base.UUID(u), n) for (u, n) in zip(jlcache_root_uuids, jlcache_roots)]; strict=true)
        else
            pc(jlcache_roots; strict=true)
        end
    end
)JL";
  } else {
    s += "    Pkg.precompile(jlcache_roots; strict=true, already_instantiated=true)\n";
  }
  s += "finally\n    jlcache_report_caches(jlcache_report)\nend\n";
  return s;
}

ChildCommand BuildChildCommand(const Session& session, const std::vector<PkgId>& roots,
                               const std::vector<PkgId>& report_packages,
                               const PrecompileOptions& options) {
  const RuntimeProfile& rt = session.profile();
  const Environment& env = session.environment();
  ChildCommand cmd;
  // Flags that reproduce the cache-flags byte (jl_cache_flags: OOICCDDP),
  // as Base.translate_cache_flags spells them.
  const uint8_t f = rt.cache_flags;
  const int debug_level = (f >> 1) & 3, check_bounds = (f >> 3) & 3, inline_bit = (f >> 5) & 1,
            opt_level = (f >> 6) & 3;
  cmd.argv = {rt.julia_bin, "-J", rt.image_file, "--startup-file=no", "--history-file=no",
              "--color=no", Cat("-O", opt_level), Cat("-g", debug_level)};
  if (check_bounds == 1) cmd.argv.push_back("--check-bounds=yes");
  if (check_bounds == 2) cmd.argv.push_back("--check-bounds=no");
  cmd.argv.push_back(inline_bit ? "--inline=yes" : "--inline=no");
  cmd.argv.push_back(Cat("--pkgimages=", PkgImagesModeName(rt.pkgimages)));
  if (env.active_project()) cmd.argv.push_back("--project=" + *env.active_project());
  cmd.argv.push_back("-e");
  cmd.argv.push_back(ChildScript(rt.rules, roots, report_packages));

  // Environment: ours, then the session's variables, then what must match
  // the modeled process exactly.
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos)
      vars[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : env.options().env) vars[k] = v;
  for (const char* k : {"JULIA_PROJECT", "JULIA_LOAD_PATH", "JULIA_DEPOT_PATH", "JULIA_CPU_TARGET",
                        "JULIA_NUM_PRECOMPILE_TASKS"})
    vars.erase(k);
  vars["JULIA_DEPOT_PATH"] = Join(env.depots(), ":");
  vars["JULIA_LOAD_PATH"] = Join(env.load_path(), ":");
  std::string cpu = EffectiveCpuTarget(session);
  if (!cpu.empty()) vars["JULIA_CPU_TARGET"] = cpu;
  if (options.jobs > 0) vars["JULIA_NUM_PRECOMPILE_TASKS"] = std::to_string(options.jobs);
  for (const auto& [k, v] : options.extra_child_env) vars[k] = v;
  for (auto& [k, v] : vars) cmd.env.emplace_back(k, v);
  return cmd;
}

namespace {

// Checks again from scratch; when a verdict is unknown only for lack of facts
// that another process may have learned from Julia, adds the shared facts
// and checks once more.
absl::Status Recheck(Session& session, const std::vector<std::string>& names,
                     const PrecompileOptions& options, std::vector<Verdict>* verdicts) {
  session.ClearMemo();
  JLC_ASSIGN_OR_RETURN(*verdicts, session.Status(names));
  if (!options.fetch_shared_facts || !NeedsJuliaFacts(*verdicts)) return absl::OkStatus();
  std::optional<JuliaFacts> shared = options.fetch_shared_facts();
  if (!shared || shared->empty()) return absl::OkStatus();
  session.AddJuliaFacts(shared->preference_hashes, shared->accepted_clone_targets);
  session.ClearMemo();
  JLC_ASSIGN_OR_RETURN(*verdicts, session.Status(names));
  return absl::OkStatus();
}

}  // namespace

bool ParseChildReportLine(std::string_view line, JuliaFacts* facts) {
  if (line.rfind("JLCACHE-PREFS-HASH ", 0) == 0) {
    std::vector<std::string_view> w = SpaceSeparatedWords(line);
    if (w.size() < 3) return false;
    auto uuid = Uuid::Parse(w[1]);
    auto hash = ParseHex64(Cat("0x", w[2]));
    if (!uuid || !hash || w[2].size() > 16) return false;
    PreferenceHashRecord rec;
    rec.uuid = *uuid;
    rec.hash = *hash;
    for (size_t i = 3; i < w.size(); ++i) {
      auto name = ParseHexBytes(w[i]);
      if (!name) return false;
      rec.names.push_back(*name);
    }
    facts->preference_hashes.push_back(std::move(rec));
    return true;
  }
  if (line.rfind("JLCACHE-CLONE-OK ", 0) == 0) {
    std::vector<std::string_view> w = SpaceSeparatedWords(line);
    if (w.size() != 2) return false;
    auto blob = ParseHexBytes(w[1]);
    if (!blob || blob->empty()) return false;
    uint64_t h = CloneTargetsDigest(*blob);
    if (std::find(facts->accepted_clone_targets.begin(), facts->accepted_clone_targets.end(), h) ==
        facts->accepted_clone_targets.end())
      facts->accepted_clone_targets.push_back(h);
    return true;
  }
  return false;
}

}  // namespace jlcache

namespace jlcache {
namespace {

// Preference records need our sources digest: taken before and after the
// child, and kept only when both agree (the files did not change meanwhile).
void AttachDigests(const Environment& env, const std::map<Uuid, uint64_t>& before,
                   JuliaFacts* facts) {
  std::vector<PreferenceHashRecord> kept;
  for (PreferenceHashRecord& r : facts->preference_hashes) {
    auto b = before.find(r.uuid);
    auto after = env.PreferencesSourcesDigest(r.uuid);
    if (b == before.end() || !after.ok() || *after != b->second) continue;
    r.sources_digest = *after;
    bool dup = std::any_of(kept.begin(), kept.end(), [&](const PreferenceHashRecord& k) {
      return k.uuid == r.uuid && k.names == r.names;
    });
    if (!dup) kept.push_back(std::move(r));
  }
  facts->preference_hashes = std::move(kept);
}

int Interrupted(const PrecompileOptions& o) { return o.interrupt ? o.interrupt->load() : 0; }

// WaitUntilFree in short slices when interruptible, so a signal ends the wait.
absl::Status WaitForRunner(const std::string& lock_path, const PidfileOptions& lock_options,
                           std::optional<Clock::time_point> deadline,
                           const std::atomic<int>* interrupt, PidfileAcquireStats* stats) {
  if (!interrupt) return PidfileLock::WaitUntilFree(lock_path, lock_options, deadline, stats);
  for (;;) {
    if (interrupt->load() != 0) return absl::OkStatus();
    Clock::time_point slice = Clock::now() + std::chrono::milliseconds(200);
    const bool last = deadline && *deadline <= slice;
    PidfileAcquireStats s;
    absl::Status st = PidfileLock::WaitUntilFree(lock_path, lock_options, last ? deadline : slice, &s);
    stats->removed_stale = stats->removed_stale || s.removed_stale;
    if (st.ok() || last || KindOf(st) != ErrorKind::kTimeout) return st;
  }
}

absl::Status MakeDirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoError(ec.value(), "cannot create directory", dir);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PrecompileReport> PrecompileIfStale(Session& session,
                                                   const std::vector<std::string>& requested,
                                                   const PrecompileOptions& options) {
  const auto start = Clock::now();
  std::optional<Clock::time_point> deadline;
  if (options.timeout_seconds > 0)
    deadline = start + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(options.timeout_seconds));

  // Fast path: the check and nothing else (no lock, no launch, no write
  // beyond what the check itself does).
  // An empty request is the whole manifest: Status({}) takes its PkgIds
  // directly, where naming every package would resolve each name.
  JLC_ASSIGN_OR_RETURN(std::vector<Verdict> verdicts, session.Status(requested));
  std::vector<std::string> names = requested;
  if (names.empty())
    for (const auto& v : verdicts) names.push_back(v.package.name);
  PrecompileReport report;
  {
    PrecompileProgress p;
    p.phase = PrecompileProgress::Phase::kChecked;
    p.checked = verdicts.size();
    p.stale = CountNotFresh(verdicts);
    Emit(options, std::move(p));
  }
  if (CountCompilable(verdicts) == 0) {
    if (CountNotFresh(verdicts) != 0)
      report.note = "nothing to compile: what is stale is not installed (run Pkg.instantiate())";
    FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
    return report;
  }

  // Stale path: elect one runner per environment.
  const Environment& env = session.environment();
  if (!env.active_project())
    return Error(ErrorKind::kRuntime,
                 "no active project: Julia's parallel precompiler works on the active project's "
                 "manifest (give --project)");
  std::optional<std::string> lock_at = PrecompileLockPath(session);
  if (!lock_at) return Error(ErrorKind::kRuntime, "DEPOT_PATH is empty: nowhere to precompile to");
  JLC_RETURN_IF_ERROR(MakeDirs(DirName(*lock_at)));

  PidfileOptions lock_options;
  lock_options.stale_age = options.lock_stale_age > 0 ? options.lock_stale_age : 10.0;
  std::unique_ptr<PidfileLock> lock;
  while (true) {
    PidfileAcquireStats stats;
    JLC_ASSIGN_OR_RETURN(lock, PidfileLock::TryAcquire(*lock_at, lock_options, &stats));
    report.recovered_stale_lock = report.recovered_stale_lock || stats.removed_stale;
    report.lock_path = lock ? lock->path() : *lock_at;
    if (lock) break;
    report.note = Cat("another process is precompiling this environment (",
                      HolderText(stats.holder), ", lock ", *lock_at, ")");
    if (!options.wait_for_other_runner) {
      FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
      return report;
    }
    report.waited_for_other_runner = true;
    {
      PrecompileProgress p;
      p.phase = PrecompileProgress::Phase::kWaiting;
      p.line = Cat("waiting: ", report.note);
      Emit(options, std::move(p));
    }
    // Wait without taking the lock, then re-check: when a runner finishes,
    // all its waiters re-check at once instead of queueing for the lock.
    PidfileAcquireStats wait_stats;
    absl::Status waited = WaitForRunner(*lock_at, lock_options, deadline, options.interrupt,
                                        &wait_stats);
    if (int sig = Interrupted(options)) {
      report.interrupted_by = sig;
      report.note = Cat("interrupted by signal ", sig, " while waiting: ", report.note);
      FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
      return report;
    }
    if (!waited.ok()) {
      if (KindOf(waited) != ErrorKind::kTimeout) return waited;
      report.timed_out = true;
      report.note = std::string(Message(waited));
      FillOutcomes(&report, names, std::move(verdicts), PrecompileResult::kTimeout);
      return report;
    }
    report.recovered_stale_lock = report.recovered_stale_lock || wait_stats.removed_stale;
    JLC_RETURN_IF_ERROR(Recheck(session, names, options, &verdicts));
    if (CountCompilable(verdicts) == 0) {
      FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
      return report;
    }
    // Still stale (the runner failed, died, or compiled something else):
    // try to become the runner.
  }

  // A record of a julia child beside the lock we now hold means its runner
  // died holding it: that child's group must be gone before ours starts.
  absl::StatusOr<int> ended = EndLeftoverChildGroup(lock->path(), 10.0);
  if (!ended.ok()) {
    lock->Release();
    return ended.status();
  }
  report.ended_leftover_processes = *ended;

  // Holding the lock: check again from scratch. Whoever held it before us
  // (or finished just before we asked) may have compiled everything.
  JLC_RETURN_IF_ERROR(Recheck(session, names, options, &verdicts));
  if (int sig = Interrupted(options)) {
    lock->Release();
    report.interrupted_by = sig;
    report.note = Cat("interrupted by signal ", sig, " before julia started");
    FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
    return report;
  }
  if (CountCompilable(verdicts) == 0) {
    lock->Release();
    FillOutcomes(&report, names, std::move(verdicts), std::nullopt);
    return report;
  }

  std::vector<PkgId> roots = StaleRoots(env, verdicts);
  std::vector<PkgId> report_packages = ReportPackages(env, roots, verdicts);
  std::map<Uuid, uint64_t> digests_before;
  for (const PkgId& p : report_packages)
    if (auto d = env.PreferencesSourcesDigest(*p.uuid); d.ok()) digests_before[*p.uuid] = *d;

  ChildCommand cmd = BuildChildCommand(session, roots, report_packages, options);
  SubprocessOptions spec;
  spec.argv = cmd.argv;
  for (const auto& [k, v] : cmd.env) spec.env.push_back(k + "=" + v);
  spec.kill_grace_seconds = options.kill_grace_seconds;
  if (deadline) {
    // What is left of the overall limit after waiting; at least a moment, so
    // an expired limit still reports a timeout rather than "no limit".
    double left = std::chrono::duration<double>(*deadline - Clock::now()).count();
    spec.timeout_seconds = std::max(left, 0.001);
  }
  report.roots = roots;
  report.launched = true;
  {
    PrecompileProgress p;
    p.phase = PrecompileProgress::Phase::kCompiling;
    p.checked = verdicts.size();
    p.stale = CountNotFresh(verdicts);
    p.roots = roots;
    Emit(options, std::move(p));
  }

  std::deque<std::string> tail;
  JuliaFacts facts;
  auto on_line = [&](std::string_view line) {
    if (ParseChildReportLine(line, &facts)) return;
    tail.emplace_back(line);
    while (tail.size() > std::max<size_t>(options.output_tail_lines, 1)) tail.pop_front();
    PrecompileProgress p;
    p.phase = PrecompileProgress::Phase::kOutput;
    p.line = std::string(line);
    Emit(options, std::move(p));
  };
  spec.on_stdout_line = on_line;
  spec.on_stderr_line = on_line;
  spec.interrupt = options.interrupt;
  spec.kill_group_if_caller_dies = true;
  const std::string lock_path = lock->path();
  // Best effort: without the record the watchdog still ends the child when
  // we die; the record covers the watchdog being killed with us.
  spec.on_started = [&](int pid) { (void)WriteChildGroupRecord(lock_path, pid); };
  absl::StatusOr<SubprocessResult> child = RunSubprocess(spec);
  RemoveChildGroupRecord(lock_path);
  AttachDigests(env, digests_before, &facts);
  // Recorded for this session, and published for other processes before the
  // lock goes: waiters re-check as soon as it does, and need these facts to
  // see the new caches as fresh instead of launching julia themselves.
  session.AddJuliaFacts(facts.preference_hashes, facts.accepted_clone_targets);
  if (options.publish_facts && !facts.empty()) options.publish_facts(facts);
  lock->Release();

  const bool timed_out = child.ok() && child->timed_out;
  const bool succeeded = child.ok() && child->success();
  if (child.ok()) {
    report.exit_status = child->exited ? child->exit_code : 128 + child->term_signal;
    report.output_tail = TailOf(tail);
  } else {
    report.output_tail = Cat(Message(child.status()), "\n");
  }
  report.timed_out = timed_out;
  if (child.ok()) report.interrupted_by = child->interrupted_by;
  report.learned = std::move(facts);

  // What is fresh now decides; the child's status says why the rest is not.
  session.ClearMemo();
  JLC_ASSIGN_OR_RETURN(verdicts, session.Status(names));
  std::optional<PrecompileResult> not_fresh_as;
  if (timed_out) {
    not_fresh_as = PrecompileResult::kTimeout;
    report.note = Cat("julia did not finish within ", options.timeout_seconds,
                      " s; its process group was terminated");
  } else if (report.interrupted_by != 0) {
    not_fresh_as = PrecompileResult::kFailed;
    report.note = Cat("interrupted by signal ", report.interrupted_by,
                      ": julia's process group was sent it and reaped");
  } else if (!succeeded) {
    not_fresh_as = PrecompileResult::kFailed;
    report.note = child.ok() ? Cat("julia ended with ", child->Describe())
                             : std::string(Message(child.status()));
  }
  {
    PrecompileProgress p;
    p.phase = PrecompileProgress::Phase::kRechecked;
    p.checked = verdicts.size();
    p.stale = CountNotFresh(verdicts);
    Emit(options, std::move(p));
  }
  FillOutcomes(&report, names, std::move(verdicts), not_fresh_as);
  return report;
}

}  // namespace jlcache
