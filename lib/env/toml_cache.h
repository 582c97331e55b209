// Parsed TOML files memoized by path and stat, so that every file a verdict
// reads can be read again cheaply (one stat) while still noticing edits.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/base/call_once.h"
#include "absl/status/statusor.h"
#include "core/file_io.h"
#include "core/mutex.h"
#include "core/toml.h"

namespace jlcache {

struct ParsedToml {
  std::string path;
  FileInfo stat;              // the stat the parse belongs to
  std::string content;        // raw bytes (for digests)
  toml::table table;

  // A value derived from `table` alone, computed once per parse however
  // often it is asked for (a manifest's checked [deps] table is asked for
  // by every lookup). Always called with the same compute for a given use.
  template <typename F>
  const absl::StatusOr<const toml::table*>& ManifestDeps(F compute) const {
    absl::call_once(derived_->once, [&] { derived_->manifest_deps = compute(); });
    return derived_->manifest_deps;
  }

 private:
  struct Derived {
    absl::once_flag once;
    absl::StatusOr<const toml::table*> manifest_deps = nullptr;
  };
  std::shared_ptr<Derived> derived_ = std::make_shared<Derived>();
};

// Thread-safe. An entry is reused while (dev, ino, size, mtime ns, ctime ns)
// are unchanged. Keys are XXH64 of the path; the path is compared on hit.
class TomlCache {
 public:
  TomlCache() = default;
  TomlCache(const TomlCache&) = delete;
  TomlCache& operator=(const TomlCache&) = delete;

  // Errors: kNotFound (missing), kPermission, kSymlinkLoop, kIo, and kToml
  // with "file:line:col: message" for broken TOML.
  // Reads through `files` (a query's, so its journal records the file).
  absl::StatusOr<std::shared_ptr<const ParsedToml>> Get(const FileAccess& files,
                                                        const std::string& path);
  absl::StatusOr<std::shared_ptr<const ParsedToml>> Get(const std::string& path) {
    return Get(FileAccess(), path);  // outside any query: the no-query overload
  }
  void Clear();
  // Statistics for tests and benchmarks.
  uint64_t parses() const;
  uint64_t hits() const;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<const ParsedToml>> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t parses_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
};

// Parses TOML text; kToml "name:line:col: message" on a syntax error.
absl::StatusOr<toml::table> ParseTomlText(std::string_view text, std::string_view name);

}  // namespace jlcache
