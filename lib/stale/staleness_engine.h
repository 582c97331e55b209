// The staleness engine: Base.isprecompiled(pkg; ignore_loaded=true) as a
// freshly started process of the given runtime would answer it, with reasons.
//
// Per candidate it runs stale_cachefile's checks in Julia's order; then the
// dependency rule: every required module must be a sysimage module with that
// exact build id, or have some usable cache with exactly that build id.
// Required-module lists are transitive, so one level is complete.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/mutex.h"
#include "format/cache_header.h"
#include "stale/content_hash_memo.h"
#include "stale/engine_inputs.h"
#include "stale/io_pool.h"
#include "stale/opened_sources.h"
#include "stale/verdict.h"

namespace jlcache {

// Result of stale_cachefile for one candidate.
struct CandidateResult {
  VerdictKind kind = VerdictKind::kStale;
  std::vector<StalenessReason> reasons;  // why stale / unknown; empty when fresh
  struct Dependency {
    PkgId pkg;
    BuildId build_id;
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

  // Candidate results are memoized in the query (like Julia's stale_cache
  // within one isprecompiled call): they depend on files and environment
  // answers that may change between queries. Parsed headers and content
  // hashes are kept by the engine across queries, keyed by stat.
  Verdict Check(Query& q, const PkgId& pkg);
  std::vector<Verdict> CheckMany(Query& q, const std::vector<PkgId>& pkgs);
  // An extension whose UUID no cache header tells (so no candidate can be
  // listed): stale with no cache file at all, otherwise unknown (deciding
  // needs Julia's uuid5).
  Verdict CheckExtensionWithoutUuid(Query& q, const PkgId& ext);
  // The parsed header of a cache file, memoized by path and stat; stat'ed
  // and read through the query (its snapshot and journal).
  absl::StatusOr<std::shared_ptr<const CacheHeader>> CachedHeader(EnvQuery& q,
                                                                  const std::string& path);
  // Forgets parsed headers.
  void ClearMemo();

  const RuntimeProfile& profile() const { return profile_; }
  IoPool& pool() { return pool_; }

 private:
  struct ParsedCache {
    FileInfo info;
    std::shared_ptr<const CacheHeader> header;  // null when unreadable
    std::string error;                          // why unreadable
    // Read by this call, not remembered from an earlier one: only then may
    // a whole-file header's crc_ok stand for check 12 (a remembered one
    // goes through the content memo and its racy-timestamp rule).
    bool read_now = false;
  };
  using PackageState = PackageCheckState;

  std::shared_ptr<PackageState> StateOf(Query& q, const PkgId& pkg);
  std::shared_ptr<const CandidateResult> CandidateOf(Query& q, PackageState& state, size_t i);
  // The result as a reference that wants build id `want` sees it.
  std::shared_ptr<const CandidateResult> ForBuild(std::shared_ptr<const CandidateResult> base,
                                                  const PkgId& pkg, BuildId want,
                                                  const std::string& cachefile) const;
  CandidateResult ComputeCandidate(Query& q, const PkgId& expected, const std::string& source,
                                   const std::string& cachefile);
  // stat(2) in the query: one snapshot per path.
  absl::StatusOr<std::optional<FileInfo>> Stat(Query& q, std::string_view path);
  // Julia's isfile, through StatSource (opened when *opened asks for that).
  bool IsFileNow(Query& q, const std::string& path, OpenedSources* opened = nullptr);
  bool SameFile(Query& q, const std::string& a, const std::string& b);  // Julia's samefile
  // What one candidate's include checks share: the package directories its
  // includes were found under, with whether each exists (its includes share
  // a handful, so each is asked of the query's stat table once per candidate
  // instead of once per include), and the sources opened when first stat'ed.
  struct IncludeScan {
    std::vector<std::pair<std::string, bool>> dirs;
    OpenedSources opened;
  };
  // The query's stat of a file the candidate may hash, made by opening it
  // when *opened asks for that (stale/opened_sources.h; null: a plain stat).
  absl::StatusOr<std::optional<FileInfo>> StatSource(Query& q, std::string_view path,
                                                     OpenedSources* opened);
  // Where a candidate's include files are opened: only where they are hashed.
  OpenedSources* SourcesToOpen(IncludeScan* scan) const {
    return profile_.rules.includes_carry_size_and_hash ? &scan->opened : nullptr;
  }
  // Julia's ispath, with one shortcut: a path below a missing directory of a
  // depot is missing, so a depot that lacks a package is asked once, not once
  // per source file.
  bool DepotPathExists(Query& q, const std::string& path, IncludeScan* scan);
  // The include paths after @depot resolution, parallel to h.includes.
  absl::StatusOr<std::vector<std::string>> ResolvedIncludePaths(Query& q, const CacheHeader& h,
                                                                const std::string& cachefile,
                                                                IncludeScan* scan);
  // Returns the parsed header (memoized by path and stat). whole: read the
  // whole file (at most kWholeCacheReadMax), which also checks its CRC and
  // tells the content memo, instead of its header only.
  ParsedCache ReadCache(const FileAccess& files, const std::string& path,
                        const absl::StatusOr<std::optional<FileInfo>>& found, bool whole = false);
  static constexpr uint64_t kWholeCacheReadMax = uint64_t{1} << 20;
  // CRC-32C of a file through the content memo (or of a directory's names);
  // read through its descriptor in *opened, when one was kept.
  absl::StatusOr<uint32_t> ContentCrc(Query& q, const std::string& path, const FileInfo& info,
                                      OpenedSources* opened = nullptr);
  // Julia's per-candidate checks (stale_cachefile), numbered as in
  // docs/staleness.md. Each returns its definite failure, if any, and adds
  // what it cannot decide to *undecided (checking then goes on).
  using Undecided = std::vector<StalenessReason>;
  static void AddUndecided(Undecided* undecided, StalenessReason r);
  std::optional<StalenessReason> CheckHeader(const CacheHeader& h, const std::string& cachefile,
                                             Undecided* undecided);  // 1-4
  std::optional<StalenessReason> CheckNativeCode(Query& q, const CacheHeader& h, const std::string& ocachefile,
                                                 const std::string& cachefile, OpenedSources* opened,
                                                 Undecided* undecided);  // 5
  std::optional<StalenessReason> CheckRequiredModules(
      Query& q, const CacheHeader& h, const std::string& cachefile,
      std::vector<CandidateResult::Dependency>* deps, Undecided* undecided);  // 8
  std::optional<StalenessReason> CheckEntryFile(Query& q, const std::string& entry, const std::string& source,
                                                const std::string& cachefile,
                                                Undecided* undecided);  // 9
  std::optional<StalenessReason> CheckRequires(Query& q, const CacheHeader& h, const std::string& cachefile,
                                               Undecided* undecided);  // 10
  // paths: the include paths after @depot resolution, parallel to h.includes.
  std::optional<StalenessReason> CheckIncludes(Query& q, const CacheHeader& h,
                                               const std::vector<std::string>& paths,
                                               const std::string& cachefile, IncludeScan* scan,
                                               Undecided* undecided);  // 11
  std::optional<StalenessReason> CheckChecksums(Query& q, const CacheHeader& h, const FileInfo& info,
                                                bool header_read_now, const std::string& ocachefile,
                                                const std::string& cachefile, OpenedSources* opened,
                                                Undecided* undecided);  // 12, 13
  std::optional<StalenessReason> CheckPreferences(Query& q, const CacheHeader& h, const std::string& cachefile,
                                                  Undecided* undecided);  // 14
  std::optional<std::string> FixupStdlibPath(const std::string& path) const;
  const SysimageModule* FindSysimageModule(const PkgId& id) const;
  std::optional<bool> AcceptsCloneTargets(Query& q, const std::string& blob);
  // Why the prelude does not match this runtime (isvalid_cache_header); "" if it does.
  std::string PreludeMismatch(const CacheHeader& h) const;

  const RuntimeProfile profile_;
  EngineEnvironment* env_;
  ContentHashMemo* memo_;
  JuliaOracles oracles_;
  IoPool pool_;
  // Descriptors all candidates may hold open at once (OpenedSources).
  std::atomic<int> open_budget_;

  Mutex mu_;
  absl::flat_hash_map<std::string, ParsedCache> headers_ ABSL_GUARDED_BY(mu_);
  Mutex oracle_mu_;  // callbacks are called one at a time
};

}  // namespace jlcache
