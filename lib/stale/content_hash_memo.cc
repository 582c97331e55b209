#include "stale/content_hash_memo.h"

#include <xxhash.h>

#include <cstring>
#include <ctime>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/nanoseconds.h"

namespace jlcache {
namespace {

constexpr char kMagic[8] = {'J', 'L', 'C', 'M', 'E', 'M', 'O', '1'};
// dev, ino, size, mtime_ns, ctime_ns, hashed_at_ns (6 x u64), crc u32, pad u32, xxh64.
constexpr size_t kPayload = 6 * 8 + 4 + 4;
constexpr size_t kRecord = kPayload + 8;

void Put64(unsigned char* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint64_t Get64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

int64_t NowRealtimeNs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return CheckedNs(ts.tv_sec, ts.tv_nsec).value_or(std::numeric_limits<int64_t>::max());
}

bool ContentHashMemo::Trusted(const Entry& e) {
  int64_t newest = e.mtime_ns > e.ctime_ns ? e.mtime_ns : e.ctime_ns;
  return SaturatingSub(e.hashed_at_ns, newest) > kRacyWindowNs;  // entries come from a file
}

void ContentHashMemo::LoadOnFirstUse(std::string path) {
  MutexLock lock(&mu_);
  pending_load_ = std::move(path);
}

void ContentHashMemo::EnsureLoaded() const {
  if (!pending_load_) return;
  std::string path = *std::move(pending_load_);
  pending_load_.reset();
  // Merging what was saved is the only change loading makes; the lock is held.
  (void)const_cast<ContentHashMemo*>(this)->LoadLocked(path);
}

std::optional<uint32_t> ContentHashMemo::Lookup(const FileInfo& info) const {
  MutexLock lock(&mu_);
  EnsureLoaded();
  auto it = entries_.find(Key{info.dev, info.ino});
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  // A time that does not fit in nanoseconds never matches.
  const std::optional<int64_t> mtime = CheckedNs(info.mtime_sec, info.mtime_nsec);
  const std::optional<int64_t> ctime = CheckedNs(info.ctime_sec, info.ctime_nsec);
  if (!mtime || !ctime || e.size != info.size || e.mtime_ns != *mtime || e.ctime_ns != *ctime ||
      !Trusted(e))
    return std::nullopt;
  return e.crc;
}

void ContentHashMemo::Insert(const FileInfo& info, uint32_t crc, int64_t hashed_at_ns) {
  const std::optional<int64_t> mtime = CheckedNs(info.mtime_sec, info.mtime_nsec);
  const std::optional<int64_t> ctime = CheckedNs(info.ctime_sec, info.ctime_nsec);
  if (!mtime || !ctime) return;  // could never be matched again
  MutexLock lock(&mu_);
  EnsureLoaded();
  entries_[Key{info.dev, info.ino}] = Entry{info.size, *mtime, *ctime, hashed_at_ns, crc};
  dirty_ = true;
}

void ContentHashMemo::Clear() {
  MutexLock lock(&mu_);
  pending_load_.reset();  // what it holds is forgotten unread
  entries_.clear();
  dirty_ = true;  // the file on disk still holds them
}

size_t ContentHashMemo::size() const {
  MutexLock lock(&mu_);
  EnsureLoaded();
  return entries_.size();
}

bool ContentHashMemo::dirty() const {
  MutexLock lock(&mu_);
  return dirty_;
}

absl::Status ContentHashMemo::Load(const std::string& path) {
  MutexLock lock(&mu_);
  EnsureLoaded();  // an earlier LoadOnFirstUse first, so a later Load wins no differently
  return LoadLocked(path);
}

absl::Status ContentHashMemo::LoadLocked(const std::string& path) {
  // Not journaled, though since LoadOnFirstUse this may run inside a query
  // (on an I/O pool worker, at the query's first content-hash lookup). No
  // verdict depends on these bytes: an entry answers only a file whose stat
  // (dev, inode, size, mtime, ctime) matches its key, and that stat is taken
  // through the query's journal. A changed or missing memo file can only
  // cost a re-read of the source, never change a verdict.
  auto bytes = ReadFile(path, uint64_t{256} << 20);  // outside any query: no verdict rests on it; entries are keyed by journaled stats
  if (!bytes.ok()) {
    if (KindOf(bytes.status()) == ErrorKind::kNotFound) return absl::OkStatus();
    return bytes.status();
  }
  const std::string& b = *bytes;
  if (b.size() < sizeof kMagic || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    return absl::OkStatus();  // not ours, or torn: ignore it whole
  const auto* p = reinterpret_cast<const unsigned char*>(b.data()) + sizeof kMagic;
  size_t n = (b.size() - sizeof kMagic) / kRecord;
  entries_.reserve(entries_.size() + n);
  for (size_t i = 0; i < n; ++i, p += kRecord) {
    if (XXH64(p, kPayload, 0) != Get64(p + kPayload)) continue;  // corrupt record
    Key k{Get64(p), Get64(p + 8)};
    uint32_t crc;
    std::memcpy(&crc, p + 48, 4);
    Entry e{Get64(p + 16), static_cast<int64_t>(Get64(p + 24)),
            static_cast<int64_t>(Get64(p + 32)), static_cast<int64_t>(Get64(p + 40)), crc};
    if (!Trusted(e)) continue;
    entries_.try_emplace(k, e);
  }
  return absl::OkStatus();
}

absl::Status ContentHashMemo::Save(const std::string& path) const {
  std::string out(kMagic, sizeof kMagic);
  {
    MutexLock lock(&mu_);
    EnsureLoaded();  // Save writes the whole memo: what was on disk, too
    out.reserve(sizeof kMagic + entries_.size() * kRecord);
    unsigned char rec[kRecord];
    for (const auto& [k, e] : entries_) {
      if (!Trusted(e)) continue;
      Put64(rec, k.dev);
      Put64(rec + 8, k.ino);
      Put64(rec + 16, e.size);
      Put64(rec + 24, static_cast<uint64_t>(e.mtime_ns));
      Put64(rec + 32, static_cast<uint64_t>(e.ctime_ns));
      Put64(rec + 40, static_cast<uint64_t>(e.hashed_at_ns));
      std::memcpy(rec + 48, &e.crc, 4);
      std::memset(rec + 52, 0, 4);
      Put64(rec + kPayload, XXH64(rec, kPayload, 0));
      out.append(reinterpret_cast<const char*>(rec), kRecord);
    }
  }
  // A cache: no fsync. A torn record fails its checksum and is skipped.
  return WriteFileAtomically(path, out, Durability::kCache);
}

}  // namespace jlcache
