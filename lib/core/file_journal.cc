#include "core/file_journal.h"

#include <algorithm>

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

void FileJournal::Record(std::string_view path, const FileSignature& signature) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = seen_.try_emplace(std::string(path), signature);
  if (!inserted && !(it->second == signature) && taint_.empty())
    taint_ = std::string(path) + " changed while it was being read";
}

void FileJournal::Taint(std::string_view why) {
  absl::MutexLock lock(&mu_);
  if (taint_.empty()) taint_ = std::string(why);
}

bool FileJournal::tainted() const {
  absl::MutexLock lock(&mu_);
  return !taint_.empty();
}

std::string FileJournal::taint_reason() const {
  absl::MutexLock lock(&mu_);
  return taint_;
}

std::vector<std::pair<std::string, FileSignature>> FileJournal::Entries() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<std::string, FileSignature>> out(seen_.begin(), seen_.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace jlcache
