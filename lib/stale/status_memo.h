// Remembered answers: a whole status answer kept with the file journal of
// the query that computed it (core/file_journal.h), and given again while
// every journaled path still stats the same. Nothing the answer was read
// from has changed then (the same trust the content-hash memo places in
// dev, inode, size, mtime and ctime), so neither has the answer; a warm
// status costs one stat per file, with no header or TOML read.
//
// Only answers that are fresh throughout, from an untainted journal, are
// kept: the common question "may every rank load now?" A file whose mtime or
// ctime lies within kRacyWindowNs of the query's start makes the answer
// untrusted (a same-tick write would change no stat field). Persisted next to
// the content-hash memo (XXH64-checked, written atomically), so a new process
// answers from it too. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/file_io.h"
#include "core/file_journal.h"
#include "core/mutex.h"
#include "stale/query.h"
#include "stale/io_pool.h"
#include "stale/verdict.h"

namespace jlcache {

class StatusMemo {
 public:
  static constexpr int64_t kRacyWindowNs = 2'000'000'000;
  static constexpr size_t kMaxAnswers = 8;
  // Clone-target answers one answer may rely on (each is asked again on
  // reuse): distinct CPU-target blobs; real answers have a handful.
  static constexpr size_t kMaxCloneAnswers = 4096;

  // Julia's answer on a clone-target blob (the bindings' callback), asked
  // again before an answer that relied on it is reused.
  using CloneTargetsFn = std::function<std::optional<bool>(const std::string& blob)>;
  using CloneAnswers = std::vector<std::pair<std::string, bool>>;

  // The answer kept under key, if every journaled path still has its
  // signature (stat'ed on the pool) and the clone-target callback still
  // answers as it did; a stale entry is dropped.
  std::optional<std::vector<Verdict>> Lookup(uint64_t key, IoPool& pool,
                                             const CloneTargetsFn& ask_clone_targets);
  // Keeps the answer when it may be trusted (see above); returns whether it was.
  bool Insert(uint64_t key, const FileJournal& journal, int64_t started_ns,
              const std::vector<Verdict>& verdicts, CloneAnswers clone_answers = {});
  // The same for a finished query: its journal and the clone-target answers
  // it relied on. Not kept when it was not journaled or relied on an answer
  // that cannot be asked again.
  bool Insert(uint64_t key, const Query& query, int64_t started_ns,
              const std::vector<Verdict>& verdicts);
  void Clear();
  size_t size() const;

  // Merges a saved file (a missing, foreign or damaged one adds nothing).
  absl::Status Load(const std::string& path);
  absl::Status Save(const std::string& path) const;
  bool dirty() const;

 private:
  // An answer kept as its serialized bytes (everything after its key):
  // encoded once when computed (Insert) or checked when loaded (Load), and
  // decoded only when its own key is asked. A status asks for one answer; the
  // others are written back as they are.
  struct Entry {
    int64_t started_ns = 0;
    std::shared_ptr<const void> owner;  // keeps `raw` alive
    std::string_view raw;
    // Where in raw Lookup's blocks of paths start and the verdicts follow:
    // found while the entry is encoded or checked, so Lookup need not walk
    // it again.
    std::vector<size_t> block_at;
    size_t verdicts_at = 0;
  };
  void Keep(uint64_t key, Entry e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  // Shared, so a lookup stats the journaled paths without copying them.
  absl::flat_hash_map<uint64_t, std::shared_ptr<const Entry>> entries_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace jlcache
