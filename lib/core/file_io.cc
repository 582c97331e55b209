#include "core/file_io.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>

#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_journal.h"
#include "core/unique_fd.h"

namespace jlcache {
namespace {

std::atomic<uint32_t> g_latency_us{0};
std::atomic<uint64_t> g_io_ops{0};

void OnIoOperation() {
  g_io_ops.fetch_add(1, std::memory_order_relaxed);
#ifdef JLCACHE_IO_LATENCY
  if (uint32_t us = g_latency_us.load(std::memory_order_relaxed))
    std::this_thread::sleep_for(std::chrono::microseconds(us));
#endif
}

FileInfo FromStat(const struct stat& st) {
  FileInfo fi;
  fi.is_file = S_ISREG(st.st_mode);
  fi.is_dir = S_ISDIR(st.st_mode);
  fi.size = static_cast<uint64_t>(st.st_size);
  fi.dev = st.st_dev;
  fi.ino = st.st_ino;
  fi.mode = st.st_mode;
  fi.mtime_sec = st.st_mtim.tv_sec;
  fi.mtime_nsec = st.st_mtim.tv_nsec;
  fi.ctime_sec = st.st_ctim.tv_sec;
  fi.ctime_nsec = st.st_ctim.tv_nsec;
  return fi;
}

// path as a C string for a system call, without allocating: a view that
// may not be NUL-terminated is copied into a buffer kept per thread.
const char* CString(std::string_view path) {
  thread_local std::string buffer;
  buffer.assign(path);
  return buffer.c_str();
}

// Tells the reading query's file journal (if any) what a stat of path
// found: st, or the errno of a failure.
void Journal(FileJournal* j, std::string_view path, const struct stat* st, int err) {
  if (!j) return;
  if (st) {
    j->Record(path, FileSignature::Of(FromStat(*st)));
  } else if (err == ENOENT || err == ENOTDIR) {
    j->Record(path, FileSignature{});
  } else {
    j->Taint(Cat(path, ": errno ", err));
  }
}

std::string_view FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// open(2), counted and retried on EINTR; a failure is left in errno.
int OpenCounted(const char* path, int flags) {
  OnIoOperation();
  int fd;
  do {
    fd = ::open(path, flags);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// OpenCounted, with a failure told to the journal as a stat of path
// failing would be.
int OpenJournaled(FileJournal* j, const std::string& path, int flags) {
  const int fd = OpenCounted(path.c_str(), flags);
  if (fd < 0) {
    const int err = errno;
    Journal(j, path, nullptr, err);
    errno = err;
  }
  return fd;
}

// Opens a regular file for reading. O_NONBLOCK: opening a FIFO (or a device)
// must never wait for a writer, and only a regular file is read at all: a
// FIFO where a memo or a TOML file belongs would otherwise hang every query.
// st_out (optional) receives fstat of the open file; the file journal gets
// it either way.
absl::StatusOr<int> OpenForRead(FileJournal* j, const std::string& path, struct stat* st_out) {
  const int fd = OpenJournaled(j, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoError(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    Journal(j, path, nullptr, err == ENOENT ? EIO : err);
    return ErrnoError(err, "cannot stat", path);
  }
  Journal(j, path, &st, 0);
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    if (S_ISDIR(st.st_mode)) return Error(ErrorKind::kIo, "is a directory: ", path);
    return Error(ErrorKind::kIo, "not a regular file (", FileTypeName(st.st_mode), "): ", path);
  }
  if (st_out) *st_out = st;
  return fd;
}

// Reads up to len bytes at offset; short only at end of file. A short read
// that reaches known_end (the size fstat gave, when the caller has it) is
// taken as that end, which spares the read that would return 0; a short
// read before it (some network and FUSE file systems return those) is not.
absl::StatusOr<size_t> ReadAt(FileJournal* j, int fd, char* buf, size_t len, uint64_t off,
                              const std::string& path, uint64_t known_end = UINT64_MAX) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      if (j) j->Taint(Cat("cannot read ", path));
      return ErrnoError(err, "cannot read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
    if (done < len && off + done >= known_end) break;
  }
  return done;
}

}  // namespace

bool SameIdentity(const FileInfo& a, const FileInfo& b) {
  return a.dev == b.dev && a.ino == b.ino && a.size == b.size && a.mtime_sec == b.mtime_sec &&
         a.mtime_nsec == b.mtime_nsec && a.ctime_sec == b.ctime_sec &&
         a.ctime_nsec == b.ctime_nsec;
}

absl::StatusOr<FileInfo> FileAccess::Stat(std::string_view path) const {
  FileJournal* j = journal_;
  OnIoOperation();
  struct stat st;
  if (::stat(CString(path), &st) != 0) {
    const int err = errno;
    Journal(j, path, nullptr, err);
    return ErrnoError(err, "cannot stat", path);
  }
  Journal(j, path, &st, 0);
  return FromStat(st);
}

absl::StatusOr<std::optional<FileInfo>> FileAccess::StatIfExists(std::string_view path) const {
  FileJournal* j = journal_;
  OnIoOperation();
  struct stat st;
  if (::stat(CString(path), &st) != 0) {
    const int err = errno;
    Journal(j, path, nullptr, err);
    if (err == ENOENT || err == ENOTDIR) return std::optional<FileInfo>();
    return ErrnoError(err, "cannot stat", path);
  }
  Journal(j, path, &st, 0);
  return std::optional<FileInfo>(FromStat(st));
}

absl::StatusOr<std::optional<FileInfo>> FileAccess::StatOpening(std::string_view path,
                                                                UniqueFd* fd_out) const {
  // As OpenForRead: O_NONBLOCK so a FIFO never waits for a writer; O_NOCTTY
  // so a terminal does not become ours. Neither changes what fstat says.
  const int raw = OpenCounted(CString(path), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (raw < 0) {
    const int err = errno;
    if (err != ENOENT && err != ENOTDIR) return StatIfExists(path);
    Journal(journal_, path, nullptr, err);
    return std::optional<FileInfo>();
  }
  UniqueFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    fd.Close();
    return StatIfExists(path);
  }
  Journal(journal_, path, &st, 0);
  if (S_ISREG(st.st_mode)) *fd_out = std::move(fd);
  return std::optional<FileInfo>(FromStat(st));
}

bool FileAccess::IsReadable(const std::string& path) const {
  // Permissions along the whole path decide; a file journal cannot vouch for them.
  if (journal_) journal_->Taint(Cat("access(", path, ")"));
  OnIoOperation();
  return ::access(path.c_str(), R_OK) == 0;
}

bool FileAccess::PathExists(const std::string& path) const {
  auto st = StatIfExists(path);
  return st.ok() && st->has_value();
}

bool FileAccess::IsFile(const std::string& path) const {
  auto st = StatIfExists(path);
  return st.ok() && st->has_value() && (*st)->is_file;
}

bool FileAccess::IsDir(const std::string& path) const {
  auto st = StatIfExists(path);
  return st.ok() && st->has_value() && (*st)->is_dir;
}

absl::StatusOr<FilePrefix> FileAccess::ReadPrefix(const std::string& path, size_t prefix_len,
                                                  size_t suffix_len) const {
  FileJournal* j = journal_;
  struct stat st;
  JLC_ASSIGN_OR_RETURN(int raw, OpenForRead(j, path, &st));
  UniqueFd fd(raw);
  FilePrefix out;
  out.file_size = static_cast<uint64_t>(st.st_size);
  const bool whole = out.file_size <= uint64_t{prefix_len} + suffix_len;
  out.prefix.size = whole ? static_cast<size_t>(out.file_size) : prefix_len;
  out.prefix.data = std::make_unique_for_overwrite<char[]>(out.prefix.size);
  JLC_ASSIGN_OR_RETURN(size_t got, ReadAt(j, fd.get(), out.prefix.data.get(), out.prefix.size, 0, path));
  if (got != out.prefix.size)
    return Error(ErrorKind::kIo, "file shrank while being read: ", path);
  if (!whole) {
    out.suffix.resize(suffix_len);
    JLC_ASSIGN_OR_RETURN(got, ReadAt(j, fd.get(), out.suffix.data(), suffix_len,
                                     out.file_size - suffix_len, path));
    if (got != suffix_len) return Error(ErrorKind::kIo, "file shrank while being read: ", path);
  }
  return out;
}

absl::StatusOr<FileBytes> FileAccess::ReadBytes(const std::string& path, uint64_t max_bytes) const {
  FileJournal* j = journal_;
  struct stat st;
  JLC_ASSIGN_OR_RETURN(int raw, OpenForRead(j, path, &st));
  UniqueFd fd(raw);
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Error(ErrorKind::kIo, "file too large (", st.st_size, " bytes): ", path);
  FileBytes out;
  out.data = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(st.st_size));
  JLC_ASSIGN_OR_RETURN(out.size,
                       ReadAt(j, fd.get(), out.data.get(), static_cast<size_t>(st.st_size), 0, path));
  return out;
}

absl::StatusOr<std::string> FileAccess::Read(const std::string& path, uint64_t max_bytes) const {
  JLC_ASSIGN_OR_RETURN(FileBytes bytes, ReadBytes(path, max_bytes));
  return std::string(bytes.view());
}

namespace {

// CRC-32C of an open file's first `limit` bytes (fewer at its end), streamed
// through a buffer that is not zero-filled: a cold status hashes thousands
// of small files. known_size: what fstat said.
absl::StatusOr<uint32_t> Crc32cOfOpenFile(FileJournal* j, int fd, const std::string& path,
                                          uint64_t known_size, uint64_t limit, uint64_t* read_out) {
  // Small files go through a buffer on the stack (small, as this may run on
  // a host's thread); only a larger file gets a larger buffer from the heap.
  constexpr size_t kSmall = size_t{16} << 10, kLarge = size_t{64} << 10;
  char small[kSmall];
  std::unique_ptr<char[]> large;
  char* buf = small;
  size_t chunk = kSmall;
  if (known_size >= kSmall && limit >= kSmall) {
    large = std::make_unique_for_overwrite<char[]>(kLarge);
    buf = large.get();
    chunk = kLarge;
  }
  uint32_t crc = 0;
  uint64_t off = 0;
  while (off < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chunk, limit - off));
    JLC_ASSIGN_OR_RETURN(size_t n, ReadAt(j, fd, buf, want, off, path, known_size));
    if (n == 0) break;
    crc = Crc32c(buf, n, crc);
    off += n;
    if (n < want) break;  // the end (ReadAt reads on past a short read before it)
  }
  *read_out = off;
  return crc;
}

absl::StatusOr<uint32_t> Crc32cOfFileUpTo(FileJournal* j, const std::string& path, uint64_t limit,
                                          uint64_t* read_out) {
  struct stat st;
  JLC_ASSIGN_OR_RETURN(int raw, OpenForRead(j, path, &st));
  UniqueFd fd(raw);
  return Crc32cOfOpenFile(j, fd.get(), path, static_cast<uint64_t>(st.st_size), limit, read_out);
}

}  // namespace

absl::StatusOr<uint32_t> FileAccess::Crc32cPrefix(const std::string& path, uint64_t len) const {
  uint64_t read = 0;
  JLC_ASSIGN_OR_RETURN(uint32_t crc, Crc32cOfFileUpTo(journal_, path, len, &read));
  if (read < len) return Error(ErrorKind::kIo, "file shrank while reading: ", path);
  return crc;
}

absl::StatusOr<uint32_t> FileAccess::Crc32c(const std::string& path, uint64_t* size_out) const {
  uint64_t read = 0;
  JLC_ASSIGN_OR_RETURN(uint32_t crc, Crc32cOfFileUpTo(journal_, path, UINT64_MAX, &read));
  if (size_out) *size_out = read;
  return crc;
}

absl::StatusOr<uint32_t> FileAccess::Crc32c(UniqueFd fd, const std::string& path, uint64_t size,
                                            uint64_t* size_out) const {
  uint64_t read = 0;
  JLC_ASSIGN_OR_RETURN(uint32_t crc, Crc32cOfOpenFile(journal_, fd.get(), path, size, UINT64_MAX, &read));
  if (size_out) *size_out = read;
  return crc;
}

namespace {

// *missing (when given) is set, and nothing listed, for a path that is
// missing or not a directory; otherwise that is an error.
absl::StatusOr<std::vector<std::string>> ReadDirectory(FileJournal* j, const std::string& path,
                                                       bool* missing) {
  // open + getdents64 into a small buffer on the stack: opendir would
  // allocate 32 KiB per directory, and a status lists two per package.
  const int fd = OpenJournaled(j, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (missing && (err == ENOENT || err == ENOTDIR)) {
      *missing = true;
      return std::vector<std::string>();
    }
    return ErrnoError(err, "cannot list", path);
  }
  UniqueFd dir(fd);
  if (j) {
    // A directory's mtime and ctime change whenever an entry comes or goes.
    struct stat st;
    if (::fstat(fd, &st) == 0) {
      Journal(j, path, &st, 0);
    } else {
      Journal(j, path, nullptr, EIO);
    }
  }
  std::vector<std::string> names;
  // The kernel's linux_dirent64, read through syscall(2): the getdents64()
  // wrapper needs glibc 2.30, older than some clusters' systems.
  struct LinuxDirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[1];
  };
  alignas(LinuxDirent64) char buffer[8 * 1024];
  for (;;) {
    const long n = ::syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      // The directory was removed while open: its end, as readdir(3) has it.
      // The journal holds the directory as it was opened; a later query
      // sees its removal.
      if (errno == ENOENT) break;
      const int err = errno;
      if (j) j->Taint(Cat("cannot list ", path));
      return ErrnoError(err, "cannot list", path);
    }
    for (long at = 0; at < n;) {
      const auto* e = reinterpret_cast<const LinuxDirent64*>(buffer + at);
      at += e->d_reclen;
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
  }
  return names;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> FileAccess::ListDir(const std::string& path) const {
  return ReadDirectory(journal_, path, nullptr);
}

absl::StatusOr<std::optional<std::vector<std::string>>> FileAccess::ListDirIfExists(
    const std::string& path) const {
  bool missing = false;
  JLC_ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirectory(journal_, path, &missing));
  if (missing) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(std::move(names));
}

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 Durability durability) {
  return WriteFileAtomically(path, absl::MakeConstSpan(&contents, 1), durability);
}

absl::Status WriteFileAtomically(const std::string& path, absl::Span<const std::string_view> pieces,
                                 Durability durability) {
  const std::string dir = DirName(path);
  if (!dir.empty() && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return ErrnoError(errno, "cannot create", dir);
  // mkstemp: ranks on many hosts may share a pid, never a temporary name.
  std::string tmp = JoinPath(dir, Cat(".", BaseName(path), "-XXXXXX"));
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return ErrnoError(errno, "cannot create a file in", dir);
  ::fchmod(fd, 0644);
  for (std::string_view piece : pieces) {
    size_t done = 0;
    while (done < piece.size()) {
      ssize_t w = ::write(fd, piece.data() + done, piece.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return ErrnoError(err, "cannot write", tmp);
      }
      done += static_cast<size_t>(w);
    }
  }
  if (durability == Durability::kDurable) ::fsync(fd);
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(err, "cannot replace", path);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FileAccess::RealPath(const std::string& path) const {
  if (journal_) journal_->Taint(Cat("realpath(", path, ")"));
  OnIoOperation();
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return ErrnoError(errno, "cannot resolve", path);
  return std::string(buf);
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (!b.empty() && b.front() == '/') return std::string(b);
  std::string out(a);
  if (out.back() != '/') out.push_back('/');
  out.append(b);
  return out;
}

std::string DirName(std::string_view path) {
  size_t pos = path.find_last_of('/');
  if (pos == std::string_view::npos) return "";
  if (pos == 0) return "/";
  return std::string(path.substr(0, pos));
}

std::string BaseName(std::string_view path) {
  size_t pos = path.find_last_of('/');
  return std::string(pos == std::string_view::npos ? path : path.substr(pos + 1));
}

std::string NormPath(std::string_view path) {
  bool absolute = !path.empty() && path.front() == '/';
  bool trailing = path.size() > 1 && path.back() == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..")
        parts.pop_back();
      else if (!absolute)
        parts.push_back(part);
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out.push_back('/');
    out.append(parts[k]);
  }
  if (out.empty()) return ".";
  if (trailing && out != "/") out.push_back('/');
  return out;
}

std::string AbsPath(std::string_view path) {
  if (!path.empty() && path.front() == '/') return NormPath(path);
  char buf[PATH_MAX];
  std::string cwd = ::getcwd(buf, sizeof buf) ? buf : "/";
  return NormPath(JoinPath(cwd, path));
}

std::string HomeDir() {
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  if (struct passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

std::string ExpandUser(std::string_view path) {
  if (path.empty() || path.front() != '~') return std::string(path);
  if (path.size() == 1 || path[1] == '/') return HomeDir() + std::string(path.substr(1));
  return std::string(path);  // ~user is not expanded, as in Julia
}

void SetInjectedIoLatencyMicros(uint32_t micros) { g_latency_us.store(micros); }
uint64_t IoOperationCount() { return g_io_ops.load(std::memory_order_relaxed); }

}  // namespace jlcache
