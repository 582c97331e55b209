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

std::optional<FileSignature> FileSignature::Now(std::string_view path) {
  // Through file_io, so the stat is counted (and delayed, in latency builds).
  auto st = FileAccess().StatIfExists(path);  // outside any query: replaying a finished journal
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
    MutexLock lock(&s.mu);
    if (auto it = s.seen.find(path); it != s.seen.end())
      changed = !(it->second == signature);
    else
      s.seen.try_emplace(s.paths.Copy(path), signature);
  }
  if (changed) Taint(std::string(path) + " changed while it was being read");
}

void FileJournal::Taint(std::string_view why) {
  MutexLock lock(&taint_mu_);
  if (taint_.empty()) taint_ = std::string(why);
}

bool FileJournal::tainted() const {
  MutexLock lock(&taint_mu_);
  return !taint_.empty();
}

std::string FileJournal::taint_reason() const {
  MutexLock lock(&taint_mu_);
  return taint_;
}

std::vector<std::pair<std::string_view, FileSignature>> FileJournal::SortedViews() const {
  // Every shard held at once, for one consistent view. Scoped locks, so an
  // exception below (bad_alloc) cannot leave a shard locked.
  std::array<std::optional<MutexLock>, kShards> locks;
  for (size_t i = 0; i < kShards; ++i) locks[i].emplace(&shards_[i].mu);
  std::vector<std::pair<std::string_view, FileSignature>> out;
  size_t n = 0;
  for (const Shard& s : shards_) n += s.seen.size();
  out.reserve(n);
  for (const Shard& s : shards_)
    for (const auto& e : s.seen) out.emplace_back(e.first, e.second);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::pair<std::string, FileSignature>> FileJournal::Entries() const {
  std::vector<std::pair<std::string, FileSignature>> out;
  for (const auto& [path, sig] : SortedViews()) out.emplace_back(path, sig);
  return out;
}

}  // namespace jlcache
