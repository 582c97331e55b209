// The staleness engine: Base.isprecompiled(pkg; ignore_loaded=true) as a
// freshly started process of the given runtime would answer it, with reasons.
//
// Per candidate it runs stale_cachefile's checks in Julia's order; then the
// dependency rule: every required module must be a sysimage module with that
// exact build id, or have some usable cache with exactly that build id.
// Required-module lists are transitive, so one level is complete.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/query_memo.h"
#include "format/cache_header.h"
#include "stale/content_hash_memo.h"
#include "stale/engine_inputs.h"
#include "stale/io_pool.h"
#include "stale/verdict.h"

namespace jlcache {

// Result of stale_cachefile for one candidate.
struct CandidateResult {
  VerdictKind kind = VerdictKind::kStale;
  std::vector<StalenessReason> reasons;  // why stale / unknown; empty when fresh
  struct Dependency {
    PkgId pkg;
    BuildId build_id;
    std::string source;
  };
  std::vector<Dependency> dependencies;  // non-sysimage required modules
  BuildId build_id;                      // the cache's own
  // Checks 1-6 passed, so build_id is known and check 7 (the wanted build
  // id) comes before anything recorded here. Results are computed without a
  // wanted build id and shared by every reference to the candidate.
  bool build_id_checked = false;
};

class StalenessEngine {
 public:
  // profile must be validated. env and memo (may be null) outlive the engine.
  StalenessEngine(const RuntimeProfile& profile, EngineEnvironment* env, ContentHashMemo* memo,
                  JuliaOracles oracles, int io_threads);

  Verdict Check(const PkgId& pkg);
  std::vector<Verdict> CheckMany(const std::vector<PkgId>& pkgs);
  // The parsed header of a cache file, memoized by path and stat.
  absl::StatusOr<std::shared_ptr<const CacheHeader>> CachedHeader(const std::string& path);
  // Starts a new query: candidate results are memoized within one query only
  // (like Julia's stale_cache within one isprecompiled call), since they
  // depend on files and environment answers that may change between queries.
  // Parsed headers and content hashes stay: they are keyed by stat.
  void BeginQuery();
  void EndQuery();
  // Forgets memoized candidate results and parsed headers.
  void ClearMemo();

  const RuntimeProfile& profile() const { return profile_; }
  IoPool& pool() { return pool_; }

 private:
  struct ParsedCache {
    FileInfo info;
    std::shared_ptr<const CacheHeader> header;  // null when unreadable
    std::string error;                          // why unreadable
  };
  // What one query knows of one package: its entry file and its candidates
  // in Julia's order, each checked once, when first needed (by the package
  // itself or by a dependent's dependency rule).
  struct PackageState;

  std::shared_ptr<PackageState> StateOf(const PkgId& pkg);
  std::shared_ptr<const CandidateResult> CandidateOf(PackageState& state, size_t i);
  // The result as a reference that wants build id `want` sees it.
  std::shared_ptr<const CandidateResult> ForBuild(std::shared_ptr<const CandidateResult> base,
                                                  const PkgId& pkg, BuildId want,
                                                  const std::string& cachefile) const;
  CandidateResult ComputeCandidate(const PkgId& expected, const std::string& source,
                                   const std::string& cachefile);
  // stat(2) through the environment: one snapshot per path per query.
  absl::StatusOr<std::optional<FileInfo>> Stat(const std::string& path);
  bool IsFileNow(const std::string& path);
  bool SameFile(const std::string& a, const std::string& b);  // Julia's samefile
  // Julia's ispath, with one shortcut: a path below a missing directory of a
  // depot is missing, so a depot that lacks a package is asked once, not once
  // per source file.
  bool DepotPathExists(const std::string& path);
  // The include paths after @depot resolution, parallel to h.includes.
  absl::StatusOr<std::vector<std::string>> ResolvedIncludePaths(const CacheHeader& h,
                                                                const std::string& cachefile);
  // Returns the parsed header (memoized by path and stat).
  ParsedCache ReadCache(const std::string& path);
  // CRC-32C of a file through the content memo (or of a directory's names).
  absl::StatusOr<uint32_t> ContentCrc(const std::string& path, const FileInfo& info);
  // Julia's per-candidate checks (stale_cachefile), numbered as in
  // docs/staleness.md. Each returns its definite failure, if any, and adds
  // what it cannot decide to *undecided (checking then goes on).
  using Undecided = std::vector<StalenessReason>;
  static void AddUndecided(Undecided* undecided, StalenessReason r);
  std::optional<StalenessReason> CheckHeader(const CacheHeader& h, const std::string& cachefile,
                                             Undecided* undecided);  // 1-4
  std::optional<StalenessReason> CheckNativeCode(const CacheHeader& h, const std::string& ocachefile,
                                                 const std::string& cachefile,
                                                 Undecided* undecided);  // 5
  std::optional<StalenessReason> CheckRequiredModules(
      const CacheHeader& h, const std::string& cachefile,
      std::vector<CandidateResult::Dependency>* deps, Undecided* undecided);  // 8
  std::optional<StalenessReason> CheckEntryFile(const std::string& entry, const std::string& source,
                                                const std::string& cachefile,
                                                Undecided* undecided);  // 9
  std::optional<StalenessReason> CheckRequires(const CacheHeader& h, const std::string& cachefile,
                                               Undecided* undecided);  // 10
  // paths: the include paths after @depot resolution, parallel to h.includes.
  std::optional<StalenessReason> CheckIncludes(const CacheHeader& h,
                                               const std::vector<std::string>& paths,
                                               const std::string& cachefile,
                                               Undecided* undecided);  // 11
  std::optional<StalenessReason> CheckChecksums(const CacheHeader& h, const FileInfo& info,
                                                const std::string& ocachefile,
                                                const std::string& cachefile,
                                                Undecided* undecided);  // 12, 13
  std::optional<StalenessReason> CheckPreferences(const CacheHeader& h, const std::string& cachefile,
                                                  Undecided* undecided);  // 14
  std::optional<std::string> FixupStdlibPath(const std::string& path) const;
  const SysimageModule* FindSysimageModule(const PkgId& id) const;
  std::optional<bool> AcceptsCloneTargets(const std::string& blob);
  // Why the prelude does not match this runtime (isvalid_cache_header); "" if it does.
  std::string PreludeMismatch(const CacheHeader& h) const;

  const RuntimeProfile profile_;
  EngineEnvironment* env_;
  ContentHashMemo* memo_;
  JuliaOracles oracles_;
  IoPool pool_;

  QueryMemo<PkgId, std::shared_ptr<PackageState>> states_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, ParsedCache> headers_ ABSL_GUARDED_BY(mu_);
  absl::Mutex oracle_mu_;  // callbacks are called one at a time
};

}  // namespace jlcache
