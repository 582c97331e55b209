// precompile_if_stale: a fast staleness check, and when something is stale,
// ONE julia precompile run for the stale roots, elected across processes by
// a pidfile lock in the first depot. We decide and coordinate; Julia compiles.
// docs/precompile.md describes the protocol and cites the Julia source.
#pragma once

#include <chrono>
#include <cstdint>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "env/environment.h"
#include "env/runtime_profile.h"
#include "stale/session.h"
#include "stale/verdict.h"

namespace jlcache {

enum class PrecompileResult { kFresh, kStale, kUnknown, kFailed, kTimeout };
std::string_view PrecompileResultName(PrecompileResult result);  // "fresh", "stale", ...

// Structured progress, for a progress bar. `line` is set for kOutput (one
// line of julia's output) and kMessage (a status line from jlcache).
struct PrecompileProgress {
  enum class Phase {
    kChecked,    // the first check is done: checked / stale are set
    kWaiting,    // another process holds the lock
    kCompiling,  // julia runs (roots set)
    kOutput,     // a line of julia's output
    kMessage,    // a status line
    kRechecked,  // the final check is done
  };
  Phase phase = Phase::kMessage;
  size_t checked = 0;   // packages checked
  size_t stale = 0;     // of them not fresh (stale or unknown)
  std::vector<PkgId> roots;
  std::string line;
};

// What only Julia knows, printed by the child script and recorded like probe
// results (docs/precompile.md "What the child reports").
struct JuliaFacts {
  std::vector<PreferenceHashRecord> preference_hashes;
  std::vector<uint64_t> accepted_clone_targets;  // XXH64 (seed 0) of accepted blobs
  bool empty() const { return preference_hashes.empty() && accepted_clone_targets.empty(); }
};

struct PrecompileOptions {
  // Overall limit for waiting on another runner plus our own child; 0 = none.
  double timeout_seconds = 0;
  // Wait for a concurrent runner and re-check (true), or report at once.
  bool wait_for_other_runner = true;
  int jobs = 0;                   // JULIA_NUM_PRECOMPILE_TASKS for the child; 0 = Julia's default
  double lock_stale_age = 10.0;   // Julia's compilecache_pidlock_stale_age
  // Called from the calling thread only.
  std::function<void(const PrecompileProgress&)> progress;
  size_t output_tail_lines = 40;
  // Added to the child's environment last (tests point the stand-in julia at its plan).
  std::vector<std::pair<std::string, std::string>> extra_child_env;
  // Seconds between SIGTERM and SIGKILL of the child's process group on timeout.
  double kill_grace_seconds = 2.0;
  // JuliaFacts shared between processes (the CLI keeps them in its probe
  // cache). fetch_shared_facts is asked before launching julia for verdicts
  // that are unknown only for lack of such facts (NeedsJuliaFacts), e.g. after
  // another runner compiled caches this session has not seen judged;
  // publish_facts gets what our own child reported. Either may be empty.
  std::function<std::optional<JuliaFacts>()> fetch_shared_facts;
  std::function<void(const JuliaFacts&)> publish_facts;
  // Set to a signal number by the caller's signal handler (the CLI's SIGINT,
  // SIGTERM, SIGHUP): the child's group gets that signal (SIGKILL after the
  // grace), a wait for another runner ends, the lock is released, and the
  // report says interrupted_by. nullptr: not interruptible.
  const std::atomic<int>* interrupt = nullptr;
};

struct PackageOutcome {
  std::string name;              // as requested (or the manifest name)
  PrecompileResult result = PrecompileResult::kStale;
  Verdict verdict;               // the final check
};


struct PrecompileReport {
  std::vector<PackageOutcome> packages;  // in request order
  bool launched = false;                 // this call ran julia
  bool waited_for_other_runner = false;
  bool recovered_stale_lock = false;     // we removed a dead runner's lock
  bool timed_out = false;
  std::vector<PkgId> roots;              // the packages named to julia (when launched)
  int exit_status = -1;                  // child's exit code; 128+signal if killed; -1 none
  std::string output_tail;               // last lines of the child's output
  std::string lock_path;                 // the environment's lock (empty on the fast path)
  std::string note;                      // e.g. "another process is precompiling (pid 123)"
  JuliaFacts learned;                    // recorded from the child's report lines
  int interrupted_by = 0;                // the signal that interrupted this call, or 0
  int ended_leftover_processes = 0;      // a dead runner's julia processes we killed
  bool AllFresh() const;
};

// The precompile lock of the session's environment:
//   <DEPOT_PATH[1]>/compiled/v<maj>.<min>/jlcache-<16 hex>.pidfile
// where the hex is XXH64 of the runtime (julia_bin, image_file, cache flags,
// pkgimages mode, CPU target), the depot path, the active project and its
// manifest. nullopt without a depot.
std::optional<std::string> PrecompileLockPath(const Session& session);

// "A, B, C": the roots' names, for progress lines.
std::string RootNames(const std::vector<PkgId>& roots);

// The stale roots: the non-fresh packages of `verdicts`, an extension
// replaced by its parent and triggers (precompilepkgs keeps an extension when
// all of those are kept, and 1.12+ cannot identify an extension by name),
// minus the roots that are in the manifest-dependency closure of another
// root (precompilepkgs([...]) compiles the named packages with their
// dependencies). First-seen order.
std::vector<PkgId> StaleRoots(const Environment& env, const std::vector<Verdict>& verdicts);

// The child's command line and environment.
struct ChildCommand {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // complete environment
};
ChildCommand BuildChildCommand(const Session& session, const std::vector<PkgId>& roots,
                               const std::vector<PkgId>& report_packages,
                               const PrecompileOptions& options);
// The -e script: precompile the roots with this version's driver, then print
// JLCACHE-PREFS-HASH / JLCACHE-CLONE-OK lines for the caches of
// `report_packages`.
std::string ChildScript(const JuliaRules& rules, const std::vector<PkgId>& roots,
                        const std::vector<PkgId>& report_packages);

// Parses one line of child output into `facts` (ignores other lines).
// JLCACHE-PREFS-HASH <uuid> <hash hex> <names as hex of their UTF-8, space separated>
// JLCACHE-CLONE-OK <clone-target blob as hex>
// Preference digests are filled in by the caller (they are ours, not Julia's).
bool ParseChildReportLine(std::string_view line, JuliaFacts* facts);

// The whole operation. `names` empty = every package Session::Status checks
// by default. Errors only for a bad request (kPackageNotFound, ...) or an
// environment that cannot be read; child failures and timeouts are results.
absl::StatusOr<PrecompileReport> PrecompileIfStale(Session& session,
                                                   const std::vector<std::string>& names,
                                                   const PrecompileOptions& options);

}  // namespace jlcache
