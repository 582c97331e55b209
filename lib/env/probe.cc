#include "env/probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/pidfile_lock.h"
#include "core/subprocess.h"
#include "core/text_lines.h"
#include "env/env_paths.h"
#include "env/host_cpu.h"

namespace jlcache {
namespace {

std::optional<std::string> Var(const EnvVars& env, const char* name) {
  auto it = env.find(name);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::string> Unhex(std::string_view hex, std::string_view what) {
  auto bytes = ParseHexBytes(hex);
  if (!bytes) return Error(ErrorKind::kRuntime, "probe output: bad hex for ", what, ": '", hex, "'");
  return *bytes;
}

absl::StatusOr<int64_t> ParseInt(std::string_view s, std::string_view what) {
  if (s.empty() || s.size() > 18) return Error(ErrorKind::kRuntime, "probe output: bad ", what);
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Error(ErrorKind::kRuntime, "probe output: bad ", what, " '", s, "'");
    v = v * 10 + (c - '0');
  }
  return v;
}

absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty() || IsDir(dir)) return absl::OkStatus();  // outside any query: the probe, before any session
  JLC_RETURN_IF_ERROR(MakeDirs(DirName(dir)));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return ErrnoError(errno, "cannot create", dir);
  return absl::OkStatus();
}

std::string CurrentDir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) ? buf : "/";
}

absl::Status WriteProbeCache(const std::string& path, const RuntimeProfile& profile) {
  return WriteFileAtomically(path, Cat("# jlcache probe cache of ", profile.julia_bin,
                                       " (installation facts only; safe to delete)\n",
                                       profile.ToToml(/*installation_only=*/true)));
}

}  // namespace

std::optional<std::string> ProbeCachePath(const std::string& julia_path, const EnvVars& env) {
  return ProbeCachePath(julia_path, env, HostCpuIdentity());
}

std::optional<std::string> ProbeCachePath(const std::string& julia_path, const EnvVars& env,
                                          std::string_view host_cpu) {
  auto st = StatPath(julia_path);  // outside any query: the probe, before any session
  if (!st.ok()) return std::nullopt;
  auto home_var = Var(env, "HOME");
  std::string home = home_var && !home_var->empty() ? *home_var : HomeDir();
  auto rules = RulesFor(*JuliaVersion::Parse("1.12.0"));  // 1.11.2+ depot rules
  std::vector<std::string> depots =
      InitDepotPath(*rules, Var(env, "JULIA_DEPOT_PATH"), home, DirName(julia_path));
  if (depots.empty()) return std::nullopt;
  std::string key = julia_path;
  key.push_back('\0');
  for (uint64_t v : {st->size, static_cast<uint64_t>(st->mtime_sec), static_cast<uint64_t>(st->mtime_nsec)})
    for (int i = 0; i < 8; ++i) key.push_back(static_cast<char>(v >> (8 * i)));
  // The probe reports JULIA_CPU_TARGET as the cpu_target (compilecache_path
  // hashes it), so a profile probed under another value must not be reused.
  if (auto cpu = Var(env, "JULIA_CPU_TARGET")) {
    key.push_back('\1');
    key += *cpu;
  }
  key.push_back('\2');
  key += host_cpu;
  uint64_t h = XXH64(key.data(), key.size(), 0);
  char name[64];
  std::snprintf(name, sizeof name, "probe-%016llx.toml", static_cast<unsigned long long>(h));
  return JoinPath(JoinPath(AbsPathFrom(CurrentDir(), depots[0]), "jlcache"), name);
}

absl::StatusOr<RuntimeProfile> ParseProbeOutput(std::string_view output,
                                                const EnvironmentOptions& digest_options) {
  RuntimeProfile p;
  p.source = "<probe>";
  bool done = false, saw_protocol = false;
  struct PrefLine {
    Uuid uuid;
    std::vector<std::string> names;
    uint64_t hash;
  };
  std::vector<PrefLine> prefs;
  for (std::string_view line : Lines(output)) {
    if (line.substr(0, 8) != "JLCACHE ") continue;  // anything else julia printed
    std::vector<std::string_view> f = SpaceSeparatedWords(line.substr(8));
    if (f.empty()) continue;
    std::string_view key = f[0];
    auto need = [&](size_t n) -> absl::Status {
      if (f.size() < n + 1)
        return Error(ErrorKind::kRuntime, "probe output: '", key, "' needs ", n, " field(s)");
      return absl::OkStatus();
    };
    if (key == "protocol") {
      JLC_RETURN_IF_ERROR(need(1));
      if (f[1] != "1") return Error(ErrorKind::kRuntime, "probe output: unknown protocol ", f[1]);
      saw_protocol = true;
    } else if (key == "version" || key == "git_branch" || key == "git_commit" || key == "os" ||
               key == "arch" || key == "julia_bin" || key == "image_file" || key == "cpu_target" ||
               key == "stdlib_dir" || key == "bindir" || key == "build_stdlib_dir") {
      std::string value;
      if (f.size() >= 2) {
        JLC_ASSIGN_OR_RETURN(value, Unhex(f[1], key));
      }
      JLC_RETURN_IF_ERROR(p.SetString(key == "version" ? "julia_version" : key, value));
    } else if (key == "pointer_size" || key == "cache_flags") {
      JLC_RETURN_IF_ERROR(need(1));
      JLC_ASSIGN_OR_RETURN(int64_t v, ParseInt(f[1], key));
      JLC_RETURN_IF_ERROR(p.SetInt(key, v));
    } else if (key == "pkgimages") {
      JLC_RETURN_IF_ERROR(need(1));
      JLC_ASSIGN_OR_RETURN(int64_t v, ParseInt(f[1], key));
      JLC_RETURN_IF_ERROR(p.SetString("pkgimages", v == 0 ? "no" : v == 2 ? "existing" : "yes"));
    } else if (key == "preferences_name_form") {
      JLC_RETURN_IF_ERROR(need(1));
      JLC_RETURN_IF_ERROR(p.SetString(key, f[1]));
    } else if (key == "sysimage") {
      JLC_RETURN_IF_ERROR(need(3));
      JLC_ASSIGN_OR_RETURN(std::string name, Unhex(f[1], "sysimage name"));
      std::optional<Uuid> uuid;
      if (f[2] != "-") {
        uuid = Uuid::Parse(f[2]);
        if (!uuid) return Error(ErrorKind::kRuntime, "probe output: bad uuid '", f[2], "'");
      }
      auto id = BuildId::Parse(f[3]);
      if (!id) return Error(ErrorKind::kRuntime, "probe output: bad build id '", f[3], "'");
      JLC_RETURN_IF_ERROR(p.AddSysimageModule(name, uuid, *id));
    } else if (key == "clone") {
      JLC_RETURN_IF_ERROR(need(2));
      JLC_ASSIGN_OR_RETURN(std::string blob, Unhex(f[1], "clone targets"));
      const uint64_t digest = CloneTargetsDigest(blob);
      if (f[2] == "1") {
        p.accepted_clone_targets.push_back(digest);
      } else {
        p.rejected_clone_targets.push_back(digest);
      }
    } else if (key == "prefhash") {
      JLC_RETURN_IF_ERROR(need(3));
      auto uuid = Uuid::Parse(f[1]);
      auto h = ParseHex64(f[2]);
      if (!uuid || !h) return Error(ErrorKind::kRuntime, "probe output: bad prefhash line");
      PrefLine pl{*uuid, {}, *h};
      if (f[3] != "-") {
        std::string_view list = f[3];
        size_t s = 0;
        while (s <= list.size()) {
          size_t c = list.find(',', s);
          if (c == std::string_view::npos) c = list.size();
          JLC_ASSIGN_OR_RETURN(std::string n, Unhex(list.substr(s, c - s), "preference name"));
          pl.names.push_back(std::move(n));
          s = c + 1;
        }
      }
      prefs.push_back(std::move(pl));
    } else if (key == "done") {
      done = true;
    }
    // "depot" lines are informational.
  }
  if (!saw_protocol || !done)
    return Error(ErrorKind::kChildFailed, "julia did not print the complete probe output",
                 saw_protocol ? " (no 'done' line)" : " (no 'protocol' line)");
  JLC_RETURN_IF_ERROR(p.Validate());
  if (!prefs.empty()) {
    // The digests come from the same environment julia computed the hashes in.
    auto env = Environment::Create(p, digest_options);
    if (env.ok()) {
      for (auto& pl : prefs) {
        auto digest = (*env)->PreferencesSourcesDigest(pl.uuid);
        if (!digest.ok()) continue;  // unreadable now: record nothing rather than a guess
        p.preference_hashes.push_back(PreferenceHashRecord{pl.uuid, std::move(pl.names), *digest, pl.hash});
      }
    }
  }
  return p;
}

namespace {

bool ReadProbeCache(const std::string& path, ProbeResult* result) {
  auto cached = RuntimeProfile::FromFile(path);
  if (!cached.ok()) return false;
  result->profile = std::move(cached).value();
  result->from_cache = true;
  return true;
}

// Many processes that start at once on a depot without a probe cache (the
// ranks of a job) would each run julia. One of them probes, holding a
// pidfile beside the cache (Julia's conventions, so a dead prober's lock is
// taken over); the others wait for it to go and read what it wrote. Returns
// the lock when the caller is to probe, nullptr when *result was filled from
// the cache, or when no lock can be had (read-only depot, a failed prober:
// then the caller probes on its own).
std::unique_ptr<PidfileLock> TakeProbeTurn(const std::string& cache_path, double timeout_seconds,
                                           ProbeResult* result) {
  if (!MakeDirs(DirName(cache_path)).ok()) return nullptr;
  const std::string lock_path = cache_path + ".pidfile";
  const PidfileOptions lock_options;  // stale_age 10 s, refreshed every 5 s while probing
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_seconds));
  for (int round = 0; round < 2; ++round) {
    auto lock = PidfileLock::TryAcquire(lock_path, lock_options);
    if (!lock.ok()) return nullptr;
    if (*lock) {
      // Someone may have finished between our read and our lock.
      if (ReadProbeCache(cache_path, result)) return nullptr;
      return std::move(lock).value();
    }
    if (!PidfileLock::WaitUntilFree(lock_path, lock_options, deadline).ok()) return nullptr;
    if (ReadProbeCache(cache_path, result)) return nullptr;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ProbeResult> ProbeJulia(const ProbeOptions& o) {
  std::optional<std::string> julia;
  if (o.julia.find('/') != std::string::npos) {
    julia = AbsPathFrom(o.cwd.empty() ? CurrentDir() : o.cwd, o.julia);
  } else {
    julia = FindProgramInPath(o.julia, Var(o.env, "PATH").value_or(""));
  }
  if (!julia || !IsFile(*julia))  // outside any query: the probe, before any session
    return Error(ErrorKind::kRuntime, "cannot find the julia binary '", o.julia, "'");
  ProbeResult result;
  result.cache_path = ProbeCachePath(*julia, o.env);
  std::unique_ptr<PidfileLock> turn;  // released after the cache is written
  if (result.cache_path && !o.force) {
    if (ReadProbeCache(*result.cache_path, &result)) return result;
    if (!o.no_write) {
      turn = TakeProbeTurn(*result.cache_path, o.timeout_seconds, &result);
      if (result.from_cache) return result;
    }
  }
  SubprocessOptions sp;
  sp.argv = {*julia, "--startup-file=no", "--history-file=no"};
  if (o.project) sp.argv.push_back("--project=" + *o.project);
  sp.argv.push_back("-e");
  // The script is a function f(io, scan_depots) (lib/env/probe_script.jl).
  sp.argv.push_back(Cat("(", ProbeScript(), ")(stdout, true)"));
  for (const auto& [k, v] : o.env) sp.env.push_back(k + "=" + v);
  if (!o.cwd.empty()) sp.cwd = o.cwd;
  sp.timeout_seconds = o.timeout_seconds;
  std::string out;
  sp.on_stdout_line = [&out](std::string_view line) {
    if (out.size() < (size_t{64} << 20)) {
      out.append(line);
      out.push_back('\n');
    }
  };
  sp.on_stderr_line = o.on_stderr_line;
  JLC_ASSIGN_OR_RETURN(SubprocessResult r, RunSubprocess(sp));
  if (r.timed_out)
    return Error(ErrorKind::kTimeout, "julia probe timed out after ", o.timeout_seconds, " s");
  if (!r.success())
    return Error(ErrorKind::kChildFailed, "julia probe failed (", r.Describe(), "): ",
                 r.output_tail.substr(r.output_tail.size() > 2000 ? r.output_tail.size() - 2000 : 0));
  EnvironmentOptions eo;
  eo.env = o.env;
  eo.project = o.project;
  eo.cwd = o.cwd;
  JLC_ASSIGN_OR_RETURN(result.profile, ParseProbeOutput(out, eo));
  result.profile.source = *julia;
  if (result.cache_path && !o.no_write) {
      absl::Status st = MakeDirs(DirName(*result.cache_path));
    if (st.ok()) st = WriteProbeCache(*result.cache_path, result.profile);
    result.cache_written = st.ok();  // a read-only depot is not an error
  }
  return result;
}

absl::Status AddFactsToProbeCache(const std::string& cache_path,
                                  absl::Span<const PreferenceHashRecord> preference_hashes,
                                  absl::Span<const uint64_t> accepted_clone_targets) {
  JLC_ASSIGN_OR_RETURN(RuntimeProfile profile, RuntimeProfile::FromFile(cache_path));
  bool changed = false;
  for (uint64_t d : accepted_clone_targets) {
    auto& acc = profile.accepted_clone_targets;
    if (std::find(acc.begin(), acc.end(), d) != acc.end()) continue;
    acc.push_back(d);
    auto& rej = profile.rejected_clone_targets;
    rej.erase(std::remove(rej.begin(), rej.end(), d), rej.end());
    changed = true;
  }
  for (const PreferenceHashRecord& r : preference_hashes) {
    auto& known = profile.preference_hashes;
    bool have = std::any_of(known.begin(), known.end(), [&](const PreferenceHashRecord& k) {
      return k.uuid == r.uuid && k.names == r.names && k.sources_digest == r.sources_digest;
    });
    if (have) continue;
    known.push_back(r);
    changed = true;
  }
  if (!changed) return absl::OkStatus();
  return WriteProbeCache(cache_path, profile);
}

}  // namespace jlcache
