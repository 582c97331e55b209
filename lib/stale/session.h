// A session: one runtime in one environment, owning the caches that make
// repeated questions cheap (parsed TOML, parsed headers, verdict memo, the
// content-hash memo). Thread-safe: every method may be called concurrently.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "env/environment.h"
#include "env/runtime_profile.h"
#include "stale/content_hash_memo.h"
#include "stale/query.h"
#include "stale/staleness_engine.h"
#include "stale/status_memo.h"
#include "stale/verdict.h"

namespace jlcache {

struct SessionOptions {
  EnvVars env;                              // empty: the process's own variables
  bool env_given = false;                   // true: use `env` even when empty
  std::optional<std::string> project;       // --project[=DIR]; "@." for bare --project
  std::string cwd;                          // "" = getcwd()
  int io_threads = 4;
  bool no_write = false;                    // never persist the content-hash memo
  std::optional<std::string> memo_path;     // default <DEPOT_PATH[1]>/jlcache/hashmemo-v1.bin
};

class Session {
 public:
  static absl::StatusOr<std::unique_ptr<Session>> Open(const RuntimeProfile& profile,
                                                       SessionOptions options);
  ~Session();

  // `package` is a name (looked up as `using Name` would) or a canonical UUID.
  // kPackageNotFound when it is not in the environment.
  absl::StatusOr<Verdict> IsStale(std::string_view package);
  // Every package loadable from the active project (its deps, what they
  // reach in the manifest, loadable extensions; a dep the manifest does not
  // list is stale, not installed), by name; or the named ones. A broken
  // active manifest is an error either way.
  absl::StatusOr<std::vector<Verdict>> Status(const std::vector<std::string>& packages = {});

  // The names Status() checks by default.
  absl::StatusOr<std::vector<std::string>> PackageNames();

  // Julia-only answers (the bindings' callbacks). Called one at a time, with
  // a lock held: a callback must not query this session (the C ABI refuses
  // such calls, see InCallback) nor wait for a thread that does.
  void SetCloneTargetsOracle(std::function<std::optional<bool>(const std::string&)> fn);
  void SetPreferencesHashOracle(PreferencesHashFn fn);

  // Answers Julia itself printed (precompile_if_stale's child): preference
  // hashes (used while their sources digest still matches) and accepted
  // clone-target blobs (XXH64). Consulted after the callbacks, for the rest
  // of this session; every later call sees them (verdicts are not kept between
  // calls). ClearMemo() only drops parsed headers and TOML.
  void AddJuliaFacts(const std::vector<PreferenceHashRecord>& preference_hashes,
                     const std::vector<uint64_t>& accepted_clone_targets);

  // Each query already sees the files as they are when it starts; this also
  // drops parsed headers and TOML, keeping the persisted memos (file hashes
  // and remembered answers), which are keyed by stat.
  void ClearMemo();
  // Forgets the persisted memos too: file hashes and remembered answers.
  void ClearContentMemo();
  // Forgets remembered answers only (the next status checks everything).
  void ClearRememberedAnswers();
  // Persists both memos unless no_write (atomic).
  absl::Status SaveContentMemo();

  // True while the calling thread runs one of this session's callbacks:
  // a query from there would re-enter the lock the callback runs under.
  bool InCallback() const;

  const Environment& environment() const { return *env_; }
  const RuntimeProfile& profile() const { return profile_; }
  std::optional<std::string> memo_path() const { return memo_path_; }
  // Status() calls answered from a remembered answer (stat'ing only), for
  // tests and benchmarks.
  uint64_t remembered_answers() const { return remembered_answers_.load(); }

 private:
  Session() = default;
  class EngineEnv;
  // Every public call makes its own Query (stale/query.h) and passes it down.
  absl::StatusOr<std::vector<std::string>> PackageNames(Query& q);
  absl::StatusOr<PkgId> Resolve(Query& q, std::string_view package);
  absl::StatusOr<std::variant<PkgId, Verdict>> Prepare(Query& q, std::string_view package);
  Verdict Unresolvable(const std::string& name, const absl::Status& why);
  // A project dependency the manifest does not list: stale, not installed.
  Verdict Unlisted(const PkgId& id, const ActivePackageSet& active);
  absl::StatusOr<std::vector<Verdict>> CheckStatus(Query& q, const std::vector<std::string>& packages);
  // Everything besides the files that a status answer depends on; nullopt
  // when that cannot be pinned down (an unidentifiable build).
  std::optional<uint64_t> StatusKey(const std::vector<std::string>& packages) const;
  std::optional<std::string> StatusKeyBase() const;  // the session's part, at Open

  RuntimeProfile profile_;
  SessionOptions options_;
  std::shared_ptr<const Environment> env_;
  std::unique_ptr<EngineEnv> engine_env_;
  ContentHashMemo memo_;
  std::optional<std::string> memo_path_;
  StatusMemo status_memo_;
  std::optional<std::string> status_key_base_;
  std::optional<std::string> status_memo_path_;
  std::atomic<uint64_t> remembered_answers_{0};
  // Julia's clone-target answer (callback, then learned facts). The engine
  // records each answer in its query, which keeps it with a remembered
  // status answer, asked again before that is reused.
  std::optional<bool> AskCloneTargets(const std::string& blob);
  Mutex oracle_mu_;
  std::function<std::optional<bool>(const std::string&)> clone_oracle_ ABSL_GUARDED_BY(oracle_mu_);
  PreferencesHashFn prefs_oracle_ ABSL_GUARDED_BY(oracle_mu_);
  std::vector<PreferenceHashRecord> learned_prefs_ ABSL_GUARDED_BY(oracle_mu_);
  std::vector<uint64_t> learned_clone_targets_ ABSL_GUARDED_BY(oracle_mu_);
  std::unique_ptr<StalenessEngine> engine_;
};

}  // namespace jlcache
