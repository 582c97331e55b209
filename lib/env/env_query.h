// What lib/env learns during one query: each path stat'ed once, each TOML
// file parsed once, each lookup's intermediate answers (the load path, a
// project's manifest, a manifest's scan index, an extension's UUID, the
// active project's packages) computed once, all read through the query's
// FileAccess so its journal sees every file. An EnvQuery lives as long as
// the public call that made it; the next call makes a new one and so sees
// the files as they are then.
//
// Thread-safe: the engine's I/O threads share one query.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/file_io.h"
#include "core/memo_table.h"
#include "core/uuid.h"
#include "env/toml_cache.h"

namespace jlcache {

struct ActivePackageSet;
namespace env_internal {
struct ManifestScanIndex;
}

// A lookup's answer with the stat error it swallowed on the way (Julia
// treats such an error as "no file"; the facade reports it when the lookup
// finds nothing), so every later caller can be told the same.
template <typename T>
struct RememberedLookup {
  absl::StatusOr<T> value;
  absl::Status swallowed;
};

class EnvQuery {
 public:
  // files: how this query reads (FileAccess() records nothing).
  // expected_paths: room reserved for the stats (see Query).
  explicit EnvQuery(FileAccess files, size_t expected_paths = 0) : files_(files) {
    if (expected_paths) stats_.Reserve(expected_paths);
  }
  EnvQuery(const EnvQuery&) = delete;
  EnvQuery& operator=(const EnvQuery&) = delete;

  const FileAccess& files() const { return files_; }

  // stat(2) of path, once per query.
  absl::StatusOr<std::optional<FileInfo>> Stat(std::string_view path) {
    return stats_.Get(path, [&] { return files_.StatIfExists(path); });
  }
  // The same by opening the file (FileAccess::StatOpening): when this call
  // is the query's stat of a regular file, its descriptor comes back in *fd.
  absl::StatusOr<std::optional<FileInfo>> StatOpening(std::string_view path, UniqueFd* fd) {
    std::optional<FileInfo> opened;
    auto st = stats_.Get(path, [&] {
      auto mine = files_.StatOpening(path, fd);
      if (mine.ok() && mine->has_value()) opened = **mine;
      return mine;
    });
    // Another thread's stat of the path was kept: the descriptor is of
    // what this thread found, which may not be the file the query saw.
    if (fd->valid() && !(st.ok() && st->has_value() && opened && SameIdentity(**st, *opened)))
      fd->Close();
    return st;
  }
  // The parsed file (through the session's stat-keyed TomlCache), once per query.
  absl::StatusOr<std::shared_ptr<const ParsedToml>> Toml(TomlCache& cache, const std::string& path) {
    return tomls_.Get(path, [&] { return cache.Get(files_, path); });
  }

  // Resolver answers (lib/env/resolver.cc).
  MemoValue<std::shared_ptr<const RememberedLookup<std::vector<std::string>>>> load_path;
  MemoTable<std::string, std::shared_ptr<const RememberedLookup<std::optional<std::string>>>>
      manifest_paths;  // by project file
  MemoTable<std::string, std::shared_ptr<const env_internal::ManifestScanIndex>>
      scan_indexes;  // by manifest path and parse
  // Environment answers (lib/env/environment.cc).
  MemoTable<std::string, std::optional<Uuid>> extension_uuids;  // "parent-uuid/ext"
  MemoValue<std::shared_ptr<const absl::StatusOr<ActivePackageSet>>> active_packages;

 private:
  FileAccess files_;
  MemoTable<std::string_view, absl::StatusOr<std::optional<FileInfo>>> stats_;
  MemoTable<std::string, absl::StatusOr<std::shared_ptr<const ParsedToml>>> tomls_;
};

}  // namespace jlcache
