#include "core/file_journal.h"

#include <algorithm>
#include <array>
#include <optional>

#include "absl/hash/hash.h"
#include "core/shard_index.h"

namespace jlcache {
FileSignature FileSignature::Of(const FileInfo& f) {
  FileSignature s;
  s.present = true;
  s.dev = f.dev;
  s.ino = f.ino;
  s.size = f.size;
  s.mode = f.mode;
  s.mtime_sec = f.mtime_sec;
  s.mtime_nsec = f.mtime_nsec;
  s.ctime_sec = f.ctime_sec;
  s.ctime_nsec = f.ctime_nsec;
  return s;
}

std::optional<FileSignature> FileSignature::Now(const std::string& path) {
  // Through file_io, so the stat is counted (and delayed, in latency builds).
  auto st = StatIfExists(path);  // outside any query: replaying a finished journal
  if (!st.ok()) return std::nullopt;
  if (!st->has_value()) return FileSignature{};
  return Of(**st);
}

FileJournal::Shard& FileJournal::ShardOf(std::string_view path) {
  return shards_[ShardIndex<kShards>(absl::Hash<std::string_view>{}(path))];
}

void FileJournal::Record(std::string_view path, const FileSignature& signature) {
  bool changed = false;
  {
    Shard& s = ShardOf(path);
    absl::MutexLock lock(&s.mu);
    auto [it, inserted] = s.seen.try_emplace(std::string(path), signature);
    changed = !inserted && !(it->second == signature);
  }
  if (changed) Taint(std::string(path) + " changed while it was being read");
}

void FileJournal::Taint(std::string_view why) {
  absl::MutexLock lock(&taint_mu_);
  if (taint_.empty()) taint_ = std::string(why);
}

bool FileJournal::tainted() const {
  absl::MutexLock lock(&taint_mu_);
  return !taint_.empty();
}

std::string FileJournal::taint_reason() const {
  absl::MutexLock lock(&taint_mu_);
  return taint_;
}

std::vector<std::pair<std::string, FileSignature>> FileJournal::Entries() const {
  // Every shard held at once, for one consistent view. Scoped locks, so an
  // exception below (bad_alloc while copying) cannot leave a shard locked.
  std::array<std::optional<absl::MutexLock>, kShards> locks;
  for (size_t i = 0; i < kShards; ++i) locks[i].emplace(&shards_[i].mu);
  // Sorted as pointers, then copied once in order (sorting the pairs
  // themselves moves each path and signature many times).
  std::vector<const std::pair<const std::string, FileSignature>*> sorted;
  for (const Shard& s : shards_)
    for (const auto& e : s.seen) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<std::pair<std::string, FileSignature>> out;
  out.reserve(sorted.size());
  for (const auto* e : sorted) out.emplace_back(e->first, e->second);
  return out;
}

}  // namespace jlcache
