// The only place the library touches the filesystem for reading. Every call
// goes through here so that latency can be injected in benchmark builds and
// errno is mapped to ErrorKind in one place.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "core/unique_fd.h"

namespace jlcache {

struct FileInfo {
  bool is_file = false;
  bool is_dir = false;
  uint64_t size = 0;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;
  int64_t mtime_sec = 0;
  int64_t mtime_nsec = 0;
  int64_t ctime_sec = 0;
  int64_t ctime_nsec = 0;

  // Julia's mtime double: sec + nsec * 1e-9 computed in double precision
  // (jl_stat_mtime in src/sys.c). Equality on this value is what Julia tests.
  double JuliaMtime() const {
    return static_cast<double>(mtime_sec) + static_cast<double>(mtime_nsec) * 1e-9;
  }
};

// The same file, unchanged as far as stat can tell: device, inode, size,
// mtime and ctime (ns) all equal. What the stat-keyed memos compare.
bool SameIdentity(const FileInfo& a, const FileInfo& b);

struct FileBytes {
  std::unique_ptr<char[]> data;
  size_t size = 0;
  std::string_view view() const { return {data.get(), size}; }
};
// The first bytes of a file and its last `suffix_len`, in two reads: for
// formats whose header is at the front and whose trailer is at the end.
// A file no longer than prefix_len + suffix_len is read whole into `prefix`
// (and `suffix` stays empty).
struct FilePrefix {
  FileBytes prefix;  // not zero-filled first
  std::string suffix;
  uint64_t file_size = 0;
  bool whole() const { return prefix.size == file_size; }
};

class FileJournal;

// Reading the file system on behalf of one query: every stat, open and
// listing is recorded in the query's journal (core/file_journal.h), which
// is what lets a remembered answer be checked with one stat per path. A
// query passes its FileAccess down explicitly; FileAccess() (no journal) is
// for readers outside any query. Cheap to copy; thread-safe as the journal is.
class FileAccess {
 public:
  FileAccess() = default;
  explicit FileAccess(FileJournal* journal) : journal_(journal) {}
  FileJournal* journal() const { return journal_; }

  // stat(2), following symlinks. NotFound for ENOENT/ENOTDIR.
  absl::StatusOr<FileInfo> Stat(std::string_view path) const;
  // Like Stat but returns nullopt instead of NotFound.
  absl::StatusOr<std::optional<FileInfo>> StatIfExists(std::string_view path) const;
  // StatIfExists by opening the file (open, then fstat): what the journal
  // records is the same, and a regular file's descriptor comes back in *fd,
  // so a caller about to read the file opens it once. A file that cannot be
  // opened (permissions, no descriptors left) is stat'ed instead.
  absl::StatusOr<std::optional<FileInfo>> StatOpening(std::string_view path, UniqueFd* fd) const;
  bool PathExists(const std::string& path) const;  // Julia's ispath
  // access(R_OK). Permissions cannot be journaled: a journal that sees this is tainted.
  bool IsReadable(const std::string& path) const;
  bool IsFile(const std::string& path) const;
  bool IsDir(const std::string& path) const;
  // Whole file, refusing files larger than max_bytes.
  absl::StatusOr<std::string> Read(const std::string& path,
                                   uint64_t max_bytes = uint64_t{1} << 32) const;
  // A whole file in a buffer that is not zero-filled first (Read's string
  // is): for large files read once and only viewed, such as cache headers.
  absl::StatusOr<FileBytes> ReadBytes(const std::string& path,
                                      uint64_t max_bytes = uint64_t{1} << 32) const;
  absl::StatusOr<FilePrefix> ReadPrefix(const std::string& path, size_t prefix_len,
                                        size_t suffix_len) const;
  // CRC-32C of a whole file, streamed.
  absl::StatusOr<uint32_t> Crc32c(const std::string& path, uint64_t* size_out = nullptr) const;
  // The same through a descriptor StatOpening gave, whose fstat said `size`.
  absl::StatusOr<uint32_t> Crc32c(UniqueFd fd, const std::string& path, uint64_t size,
                                  uint64_t* size_out = nullptr) const;
  // CRC-32C of the first `len` bytes of a file.
  absl::StatusOr<uint32_t> Crc32cPrefix(const std::string& path, uint64_t len) const;
  // Entry names (not "." or ".."), unsorted.
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) const;
  // nullopt when the path does not exist or is not a directory (ENOENT, ENOTDIR).
  absl::StatusOr<std::optional<std::vector<std::string>>> ListDirIfExists(
      const std::string& path) const;
  // realpath(3). Taints the journal (the components are not recorded).
  absl::StatusOr<std::string> RealPath(const std::string& path) const;

 private:
  FileJournal* journal_ = nullptr;
};

// The same, outside any query: nothing is recorded, so a remembered answer
// could not notice what they read. Only for code that no verdict depends on
// (memo files, the probe, pidfiles); each call in lib/ says why on its line
// with "// outside any query", which scripts/check_unrecorded_io.py enforces.
inline absl::StatusOr<FileInfo> StatPath(const std::string& path) { return FileAccess().Stat(path); }
inline absl::StatusOr<std::optional<FileInfo>> StatIfExists(const std::string& path) {
  return FileAccess().StatIfExists(path);
}
inline bool PathExists(const std::string& path) { return FileAccess().PathExists(path); }
inline bool IsFile(const std::string& path) { return FileAccess().IsFile(path); }
inline bool IsDir(const std::string& path) { return FileAccess().IsDir(path); }
inline absl::StatusOr<std::string> ReadFile(const std::string& path,
                                            uint64_t max_bytes = uint64_t{1} << 32) {
  return FileAccess().Read(path, max_bytes);
}
inline absl::StatusOr<FilePrefix> ReadFilePrefix(const std::string& path, size_t prefix_len,
                                                 size_t suffix_len) {
  return FileAccess().ReadPrefix(path, prefix_len, suffix_len);
}
inline absl::StatusOr<uint32_t> Crc32cOfFile(const std::string& path,
                                             uint64_t* size_out = nullptr) {
  return FileAccess().Crc32c(path, size_out);
}
inline absl::StatusOr<std::vector<std::string>> ListDir(const std::string& path) {
  return FileAccess().ListDir(path);
}
inline absl::StatusOr<std::string> RealPath(const std::string& path) {
  return FileAccess().RealPath(path);
}

// Replaces path with contents atomically (a temporary file in the same
// directory, then rename), creating the parent directory if needed. Readers
// see the old file or the new one, never a torn one.
//
// kDurable fsyncs the data before the rename. kCache does not: for files
// that are only caches and check themselves on reading (the memos carry
// checksums), after a power loss the file may be empty or torn, and the
// reader ignores it and recomputes. That saves a disk flush per write.
enum class Durability { kDurable, kCache };
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 Durability durability = Durability::kDurable);
// The same, with the contents given as pieces written one after another
// (a large file need not be copied into one buffer first).
absl::Status WriteFileAtomically(const std::string& path, absl::Span<const std::string_view> pieces,
                                 Durability durability = Durability::kDurable);

// Path helpers (POSIX separators).
std::string JoinPath(std::string_view a, std::string_view b);
std::string DirName(std::string_view path);
std::string BaseName(std::string_view path);
// Lexical normalization: collapses "//", "/./" and "x/../" like Julia's normpath.
std::string NormPath(std::string_view path);
// abspath: joins with the working directory when relative, then normalizes.
std::string AbsPath(std::string_view path);
std::string ExpandUser(std::string_view path);  // leading "~" -> $HOME
std::string HomeDir();

// Benchmark builds only (JLCACHE_IO_LATENCY): sleep this long in each stat/open.
void SetInjectedIoLatencyMicros(uint32_t micros);
uint64_t IoOperationCount();  // stats + opens since start (benchmark accounting)

}  // namespace jlcache
