// BENCHMARK-ONLY: builds a large, realistic Julia world on disk from a seed,
// for measuring whole-environment staleness checks (issue 7).
//
// The world:
//  - N packages whose dependency DAG looks like the General registry: most
//    packages have a few direct dependencies, popular packages attract many
//    dependents (preferential attachment), a few "umbrella" packages pull in
//    dozens, and a backbone chain makes the depth reach 15;
//  - per package 5-80 source files of 200 B - 200 KB (log-normal sizes, most
//    small), under packages/<Name>/<slug>/src/ of a depot;
//  - two stacked depots: a writable user depot first, then a shared depot
//    whose files are made read-only after writing (a site-wide install);
//  - per package 1-3 cache candidates (.ji plus its .so pkgimage): the fresh
//    one, sometimes an older build recorded against an older source, and
//    sometimes one for another Julia commit (newer, so it is checked first)
//    or for other cache flags (in the user depot);
//  - a project with a format-2.0 manifest and a runtime profile TOML;
//  - optionally a fraction of packages with an edited source after compiling
//    (so they and their dependents are stale).
// Layout 1.10 records absolute paths and mtimes; layout 1.11 records @depot
// paths with sizes and CRC-32C content hashes.
//
// Every file's mtime is a fixed date in 2025, so that the content-hash memo
// may trust hashes taken later (see stale/content_hash_memo.h). Its ctime is
// still "now": call WaitUntilMemoTrustable() before the first hashing run.
//
// Deterministic: the same options give the same bytes (except ctimes and the
// output directory itself).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/uuid.h"

namespace jlcache::bench {

enum class WorldLayout {
  kJulia110,  // layout A: absolute paths, mtime-tracked
  kJulia111,  // layout B: @depot paths, size + CRC-32C
};

struct GeneratorOptions {
  std::string out_dir;  // created; must be empty or absent
  int packages = 400;
  uint64_t seed = 1;
  WorldLayout layout = WorldLayout::kJulia111;
  // Fraction of packages whose source is edited after compiling.
  double stale_fraction = 0.0;
  // The probe package (the last one) gets exactly this many transitive
  // dependencies, when there are enough packages before it.
  int probe_dependencies = 40;
  // Multiplies every source file size (before clamping to 200 B - 200 KB).
  double size_scale = 1.0;
};

enum class CandidateKind {
  kFresh,        // consistent with the sources and the fresh dependency caches
  kOlderBuild,   // recorded an older version of one source; older mtime
  kOtherCommit,  // written by another Julia commit; newer mtime
  kOtherFlags,   // other cache flags (check-bounds); user depot
};
const char* CandidateKindName(CandidateKind kind);

struct GeneratedCache {
  CandidateKind kind = CandidateKind::kFresh;
  std::string ji_path;
  std::string so_path;
  uint64_t ji_bytes = 0;
  uint64_t so_bytes = 0;
  // Bytes before the source-text section: what reading "the header" means.
  uint64_t header_bytes = 0;
};

struct GeneratedPackage {
  std::string name;
  Uuid uuid;
  int depot = 0;                 // index into GeneratedWorld::depots
  std::string dir;               // packages/<Name>/<slug>, absolute
  std::vector<int> deps;         // direct, indices into packages (all smaller)
  int closure_size = 0;          // transitive dependencies
  int depth = 0;                 // longest dependency chain below it
  std::vector<std::string> sources;  // tracked files, absolute; entry file first
  uint64_t source_bytes = 0;
  std::vector<GeneratedCache> caches;
  bool edited = false;           // a source changed after compiling
};

struct GeneratedWorld {
  std::string root;
  WorldLayout layout = WorldLayout::kJulia111;
  std::string julia_version;
  std::vector<std::string> depots;  // [user, shared]
  std::string project_dir;
  std::string profile_path;
  std::string home;
  std::vector<GeneratedPackage> packages;
  int probe_package = -1;  // index of the package with probe_dependencies deps

  // Totals.
  uint64_t source_files = 0, source_bytes = 0;
  uint64_t ji_files = 0, ji_bytes = 0;
  uint64_t so_files = 0, so_bytes = 0;
  uint64_t dependency_edges = 0;     // direct
  uint64_t required_module_refs = 0; // sum of closure sizes
  int max_depth = 0;
  int stale_packages = 0;  // packages whose verdict must be stale
  int64_t written_at_ns = 0;  // CLOCK_REALTIME at the end of writing

  // JULIA_DEPOT_PATH=user:shared and HOME, as a Session's or the CLI's env.
  std::map<std::string, std::string> Env() const;
  std::string DepotPathVar() const;
  // Total files the floor touches (sources + .ji + .so).
  uint64_t TrackedFiles() const { return source_files + ji_files + so_files; }
  // A one-paragraph description (counts, sizes, depth).
  std::string Summary() const;
};

absl::StatusOr<GeneratedWorld> GenerateWorld(const GeneratorOptions& options);

// Sleeps until the content-hash memo trusts hashes of the world's files
// (ContentHashMemo::kRacyWindowNs after the last write, plus a margin).
void WaitUntilMemoTrustable(const GeneratedWorld& world);

// Removes the world (restoring write permission where needed).
absl::Status RemoveWorld(const std::string& root);

}  // namespace jlcache::bench
