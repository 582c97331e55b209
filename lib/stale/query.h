// One public call (a status, an isstale, precompile's check): everything it
// learns for its own duration, in one value that is passed down
// (env.Identify(q.env(), ...), engine.Check(q, pkg)). Made by the session
// at the start of the call and dropped at its end, so the next call sees
// the files as they are then; two calls on one session never share one.
//
//   - files()/journal(): how it reads, and (when journaled) every path it
//     read with the identity it had, so its answer can be remembered;
//   - env(): lib/env's stats, parsed TOML and lookups;
//   - the engine's answers: per-package state, and the environment answers
//     the engine asks once per dependency reference;
//   - the Julia-only answers it relied on.
//
// Thread-safe: the engine's I/O threads share it.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/file_io.h"
#include "core/file_journal.h"
#include "core/memo_table.h"
#include "core/mutex.h"
#include "core/toml.h"
#include "core/uuid.h"
#include "env/env_query.h"

namespace jlcache {

// What the engine knows of one package during a query (staleness_engine.cc).
struct PackageCheckState;
// Candidate cache files in Julia's order.
using CandidateList = std::shared_ptr<const std::vector<std::string>>;

class Query {
 public:
  // journaled: keep a FileJournal of everything read (for a status answer
  // that may be remembered); otherwise nothing is recorded. expected_paths:
  // about how many paths it will stat, to size its tables (0: grow as needed).
  explicit Query(bool journaled = false, size_t expected_paths = 0)
      : journal_(journaled ? std::make_unique<FileJournal>(expected_paths) : nullptr),
        files_(journal_.get()),
        env_(files_, expected_paths) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  const FileAccess& files() const { return files_; }
  const FileJournal* journal() const { return journal_.get(); }
  EnvQuery& env() { return env_; }

  // The engine's memo (stale/staleness_engine.cc, stale/session.cc).
  MemoTable<PkgId, std::shared_ptr<PackageCheckState>> package_states;
  MemoTable<PkgId, absl::StatusOr<std::optional<std::string>>> located;
  MemoTable<std::pair<PkgId, std::string>, absl::StatusOr<std::optional<PkgId>>> identified;
  MemoTable<PkgId, absl::StatusOr<CandidateList>> candidates;
  MemoTable<Uuid, std::shared_ptr<const toml::table>> preferences;

  // Julia's clone-target answer the query relied on: asked again before its
  // answer is reused. Two different answers for one blob taint the journal.
  void RecordCloneAnswer(std::string_view blob, bool accepted) {
    MutexLock lock(&mu_);
    auto [it, inserted] = clone_answers_.try_emplace(std::string(blob), accepted);
    if (!inserted && it->second != accepted && journal_)
      journal_->Taint("Julia's clone-target check answered two ways during one query");
  }
  // Every blob once, sorted.
  std::vector<std::pair<std::string, bool>> CloneAnswers() const {
    MutexLock lock(&mu_);
    std::vector<std::pair<std::string, bool>> out(clone_answers_.begin(), clone_answers_.end());
    std::sort(out.begin(), out.end());
    return out;
  }
  // An answer that cannot be checked again by asking (a callback's
  // preference hash, an undecided clone-target check): the query's answer
  // is then never remembered.
  void NoteUnrepeatableAnswer() {
    MutexLock lock(&mu_);
    unrepeatable_ = true;
  }
  bool relied_on_unrepeatable_answer() const {
    MutexLock lock(&mu_);
    return unrepeatable_;
  }

 private:
  std::unique_ptr<FileJournal> journal_;
  FileAccess files_;
  EnvQuery env_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, bool> clone_answers_ ABSL_GUARDED_BY(mu_);
  bool unrepeatable_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace jlcache
