#include "env/toml_cache.h"

#include <xxhash.h>

#include <sstream>

#include "core/error.h"

namespace jlcache {
absl::StatusOr<toml::table> ParseTomlText(std::string_view text, std::string_view name) {
  try {
    return toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Error(ErrorKind::kToml, name, ":", static_cast<uint64_t>(where.line), ":",
                 static_cast<uint64_t>(where.column), ": ", e.description());
  }
}

absl::StatusOr<std::shared_ptr<const ParsedToml>> TomlCache::Get(const FileAccess& files,
                                                                  const std::string& path) {
  JLC_ASSIGN_OR_RETURN(FileInfo st, files.Stat(path));
  if (st.is_dir) return Error(ErrorKind::kIo, "expected a TOML file, found a directory: ", path);
  const uint64_t key = XXH64(path.data(), path.size(), 0);
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second->path == path && SameIdentity(it->second->stat, st)) {
      ++hits_;
      return it->second;
    }
  }
  // Parse outside the lock; two threads may parse the same file once each.
  JLC_ASSIGN_OR_RETURN(std::string content, files.Read(path, uint64_t{64} << 20));
  // Re-stat after reading: if the file changed meanwhile, key the entry by the
  // newer stat only if the content matches it; otherwise the next call re-reads.
  JLC_ASSIGN_OR_RETURN(FileInfo st2, files.Stat(path));
  JLC_ASSIGN_OR_RETURN(toml::table table, ParseTomlText(content, path));
  auto entry = std::make_shared<ParsedToml>();
  entry->path = path;
  entry->stat = st2;
  if (!SameIdentity(st, st2)) entry->stat.size = ~uint64_t{0};  // never matches: re-read next time
  entry->content = std::move(content);
  entry->table = std::move(table);
  MutexLock lock(&mu_);
  ++parses_;
  entries_[key] = entry;
  return std::shared_ptr<const ParsedToml>(std::move(entry));
}

void TomlCache::Clear() {
  MutexLock lock(&mu_);
  entries_.clear();
}

uint64_t TomlCache::parses() const {
  MutexLock lock(&mu_);
  return parses_;
}

uint64_t TomlCache::hits() const {
  MutexLock lock(&mu_);
  return hits_;
}

}  // namespace jlcache
