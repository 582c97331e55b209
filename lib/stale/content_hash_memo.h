// Content-hash memo: CRC-32C of a file keyed by (device, inode, size, mtime ns,
// ctime ns). It lets a warm check stat files instead of reading them.
//
// Racy timestamps are handled the way git handles its index: an entry hashed
// within kRacyWindowNs of the file's own mtime/ctime is not trusted later,
// because a same-tick write would leave every key field unchanged.
// Persisted records carry an XXH64 each; a corrupt or torn file is ignored
// record by record, and saving is atomic (temporary file, then rename).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "core/file_io.h"
#include "core/mutex.h"

namespace jlcache {

class ContentHashMemo {
 public:
  static constexpr int64_t kRacyWindowNs = 2'000'000'000;  // coarse filesystems tick in 2 s

  std::optional<uint32_t> Lookup(const FileInfo& info) const;
  // hashed_at_ns: wall-clock time the content was read (CLOCK_REALTIME).
  void Insert(const FileInfo& info, uint32_t crc, int64_t hashed_at_ns);
  void Clear();
  size_t size() const;

  // Merges valid records from a file; a missing file is not an error.
  absl::Status Load(const std::string& path);
  // Load(path) on first use (Lookup, Insert, size, Save), not now: a status
  // answered from a remembered answer never needs a content hash. An
  // unreadable file is then only a slower start, as for Load.
  void LoadOnFirstUse(std::string path);
  // Writes every trusted entry atomically. Creates the parent directory.
  absl::Status Save(const std::string& path) const;
  bool dirty() const;

 private:
  struct Key {
    uint64_t dev, ino;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.dev, k.ino);
    }
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Entry {
    uint64_t size;
    int64_t mtime_ns, ctime_ns, hashed_at_ns;
    uint32_t crc;
  };
  static bool Trusted(const Entry& e);
  absl::Status LoadLocked(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnsureLoaded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  // Set by LoadOnFirstUse until the file is read (mutable: a const Lookup loads).
  mutable std::optional<std::string> pending_load_ ABSL_GUARDED_BY(mu_);
};

int64_t NowRealtimeNs();

}  // namespace jlcache
