// What one query read from the file system: every path it stat'ed, opened or
// listed, with the identity it had (dev, inode, size, mode, mtime, ctime) or
// its absence. A later query can then tell with one stat per path whether
// anything it would read has changed (see stale/status_memo.h).
//
// A query owns its journal and reads through a FileAccess over it
// (core/file_io.h), passed down explicitly. Whatever file_io cannot record
// exactly (an error other than "missing", a realpath, a permission check)
// taints the journal, and a tainted journal is never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/file_io.h"
#include "core/mutex.h"
#include "core/string_arena.h"

namespace jlcache {

struct FileSignature {
  bool present = false;  // false: ENOENT or ENOTDIR
  uint64_t dev = 0, ino = 0, size = 0;
  uint32_t mode = 0;
  int64_t mtime_sec = 0, mtime_nsec = 0, ctime_sec = 0, ctime_nsec = 0;

  static FileSignature Of(const FileInfo& info);
  // stat(2) of path now; nullopt when that fails other than by absence.
  static std::optional<FileSignature> Now(std::string_view path);
  friend bool operator==(const FileSignature&, const FileSignature&) = default;
};

class FileJournal {
 public:
  // expected_paths: room reserved up front (a whole-environment status
  // records thousands; growing rehashes every path several times).
  explicit FileJournal(size_t expected_paths = 0) {
    for (Shard& s : shards_) s.seen.reserve(expected_paths / kShards);
  }
  // A second, different observation of one path (it changed during the
  // query) taints the journal.
  void Record(std::string_view path, const FileSignature& signature);
  void Taint(std::string_view why);

  bool tainted() const;
  std::string taint_reason() const;
  // Every path once, sorted.
  std::vector<std::pair<std::string, FileSignature>> Entries() const;
  // The same without copying the paths: views valid while the journal lives.
  std::vector<std::pair<std::string_view, FileSignature>> SortedViews() const;

 private:
  // The engine's I/O threads record at once; one lock would serialize them
  // (a re-check records ~9,000 paths). A path always falls in the same shard,
  // so a second observation of it is still compared with the first.
  static constexpr size_t kShards = 16;
  struct Shard {
    Shard() = default;
    Mutex mu;
    StringArena paths ABSL_GUARDED_BY(mu);  // owns the keys of `seen`
    absl::flat_hash_map<std::string_view, FileSignature> seen ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(std::string_view path);

  mutable Shard shards_[kShards];
  mutable Mutex taint_mu_;
  std::string taint_ ABSL_GUARDED_BY(taint_mu_);
};

}  // namespace jlcache
