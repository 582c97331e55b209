#include "core/pidfile_lock.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "core/error.h"
#include "core/file_io.h"

namespace jlcache {
namespace {

double NowSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double MtimeSeconds(const struct stat& st) {
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
}

double EffectiveRefresh(const PidfileOptions& o) {
  return o.refresh ? *o.refresh : o.stale_age / 2;
}

// Something that exists at the lock path must be a pidfile: a directory, a
// FIFO or a symlink is never judged stale nor removed, so waiting for it to
// go would never end. An error at once instead.
absl::Status CheckIsPidfile(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0)
    return errno == ENOENT ? absl::OkStatus() : ErrnoError(errno, "cannot stat pidfile", path);
  if (S_ISREG(st.st_mode)) return absl::OkStatus();
  const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISLNK(st.st_mode)  ? "a symbolic link"
                                            : "not a regular file";
  return Error(ErrorKind::kIo, "the lock path ", path, " is ", what,
               ", not a pidfile; remove it to precompile");
}

// tryopen_exclusive: the fd, or -1 when a pidfile exists.
absl::StatusOr<int> TryOpenExclusive(const std::string& path, uint32_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  } while (fd < 0 && errno == EINTR);
  if (fd >= 0) return fd;
  if (errno == EEXIST) {
    JLC_RETURN_IF_ERROR(CheckIsPidfile(path));
    return -1;
  }
  return ErrnoError(errno, "cannot create pidfile", path);
}

// tryrmopenfile on POSIX: a plain unlink; a vanished file is fine.
bool RemoveFile(const std::string& path) {
  return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

absl::Status WriteAll(int fd, std::string_view text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot write pidfile", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Watches a directory for the removal of one name (inotify); without it the
// waiter just sleeps with back-off.
class DirectoryWatch {
 public:
  explicit DirectoryWatch(const std::string& dir) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) return;
    if (inotify_add_watch(fd_, dir.c_str(), IN_DELETE | IN_MOVED_FROM | IN_ATTRIB) < 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DirectoryWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Sleeps up to `seconds`, waking early on an event in the directory.
  void Wait(double seconds) {
    int ms = static_cast<int>(std::max(1.0, seconds * 1000.0));
    if (fd_ < 0) {
      struct timespec ts{ms / 1000, (ms % 1000) * 1000000L};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      }
      return;
    }
    struct pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms) > 0) {
      alignas(struct inotify_event) char buf[4096];
      while (::read(fd_, buf, sizeof buf) > 0) {
      }
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::string FormatPidfile(uint32_t pid, std::string_view hostname) {
  return Cat(pid, " ", hostname);
}

void ParsePidfileText(std::string_view text, PidfileInfo* out) {
  size_t sp = text.find(' ');
  std::string_view pid_text = text.substr(0, sp);
  out->pid = 0;
  if (!pid_text.empty() && pid_text.size() <= 10 &&
      std::all_of(pid_text.begin(), pid_text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    uint64_t v = 0;
    for (char c : pid_text) v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v <= UINT32_MAX) out->pid = static_cast<uint32_t>(v);
  }
  out->hostname = sp == std::string_view::npos ? std::string() : std::string(text.substr(sp + 1));
}

namespace {

// parse_pidfile, also telling which file was read (for RemoveIfStillStale).
PidfileInfo ParsePidfileIdentity(const std::string& path, dev_t* dev, ino_t* ino) {
  PidfileInfo info;
  // O_NONBLOCK and a regular file only: a FIFO at the path must not block.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return info;
  struct stat st;
  std::string text;
  char buf[512];
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  while (ok && text.size() < 4096) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!ok) return PidfileInfo{};
  ParsePidfileText(text, &info);
  info.age = NowSeconds() - MtimeSeconds(st);
  if (dev) *dev = st.st_dev;
  if (ino) *ino = st.st_ino;
  return info;
}

}  // namespace

PidfileInfo ParsePidfile(const std::string& path) {
  return ParsePidfileIdentity(path, nullptr, nullptr);
}

std::string LocalHostName() {
  char buf[HOST_NAME_MAX + 2] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return std::string(buf);
}

bool IsValidPid(std::string_view hostname, uint32_t pid) {
  if (!hostname.empty() && hostname != LocalHostName()) return true;  // cannot inspect remote hosts
  if (pid > static_cast<uint32_t>(INT_MAX)) return false;
  if (pid == 0) return false;
  return !(::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

bool IsStalePidfileInfo(const PidfileInfo& info, double stale_age, double refresh) {
  double longer_factor = refresh == 0 ? 25 : 5;
  if (info.age > stale_age) {
    if (info.age > stale_age * longer_factor || !IsValidPid(info.hostname, info.pid)) return true;
  }
  return false;
}

bool IsStalePidfile(const std::string& path, double stale_age, double refresh) {
  return IsStalePidfileInfo(ParsePidfile(path), stale_age, refresh);
}

absl::StatusOr<std::string> PidfileRealPath(const std::string& path) {
  std::string abs = AbsPath(path);
  std::string dir = DirName(abs);
  JLC_ASSIGN_OR_RETURN(std::string real_dir, RealPath(dir));  // outside any query: the lock directory, not a verdict
  return JoinPath(real_dir, BaseName(abs));
}

PidfileLock::PidfileLock(std::string path, int fd, double refresh)
    : path_(std::move(path)), fd_(fd) {
  if (refresh > 0) refresher_ = std::thread([this, refresh] { RefreshLoop(refresh); });
}

PidfileLock::~PidfileLock() { Release(); }

void PidfileLock::RefreshLoop(double refresh) {
  std::unique_lock<std::mutex> lock(mu_);
  auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(refresh));
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    if (fd_ >= 0) ::futimens(fd_, nullptr);
  }
}

void PidfileLock::Touch() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) ::futimens(fd_, nullptr);
}

bool PidfileLock::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return false;
  bool removed = false;
  struct stat ours, at_path;
  if (::fstat(fd_, &ours) == 0 && ::stat(path_.c_str(), &at_path) == 0 &&
      ours.st_dev == at_path.st_dev && ours.st_ino == at_path.st_ino) {
    removed = ::unlink(path_.c_str()) == 0;  // never someone else's lock
  }
  ::close(fd_);
  fd_ = -1;
  return removed;
}

absl::StatusOr<std::unique_ptr<PidfileLock>> PidfileLock::Adopt(const std::string& path, int fd,
                                                                const PidfileOptions& options) {
  absl::Status written =
      WriteAll(fd, FormatPidfile(static_cast<uint32_t>(::getpid()), LocalHostName()), path);
  if (!written.ok()) {
    RemoveFile(path);
    ::close(fd);
    return written;
  }
  return std::unique_ptr<PidfileLock>(new PidfileLock(path, fd, EffectiveRefresh(options)));
}

namespace {

// If the file at `path` is stale, removes it, but only if the path still
// names the file that was judged (Julia removes by path; checking the inode
// narrows the window in which a fresh lock that replaced the stale one could
// be removed instead).
bool RemoveIfStale(const std::string& path, double stale_age, double refresh) {
  dev_t dev = 0;
  ino_t ino = 0;
  PidfileInfo info = ParsePidfileIdentity(path, &dev, &ino);
  if (!IsStalePidfileInfo(info, stale_age, refresh)) return false;
  struct stat now;
  if (::stat(path.c_str(), &now) != 0) return errno == ENOENT;
  if (ino != 0 && (now.st_dev != dev || now.st_ino != ino)) return false;
  return RemoveFile(path);
}

// Someone holds the lock at `path`: say so, and who, in the caller's stats.
void NoteHolder(const std::string& path, PidfileAcquireStats* stats) {
  if (!stats) return;
  stats->waited = true;
  stats->holder = ParsePidfile(path);
}

enum class WaitGoal { kCreate, kFree };

// Julia's open_exclusive wait loop: try, watch, and after each wake-up remove
// a stale file at most once. With kFree, returns -1 as soon as the file is
// gone instead of creating it.
absl::StatusOr<int> WaitLoop(const std::string& path, const PidfileOptions& options,
                             std::optional<std::chrono::steady_clock::time_point> deadline,
                             PidfileAcquireStats* stats, WaitGoal goal) {
  const double refresh = EffectiveRefresh(options);
  double stale_age = options.stale_age;  // zeroed after one removal, as Julia does
  const double max_poll = options.max_poll_interval > 0 ? options.max_poll_interval : 1.0;
  double backoff = std::min(0.01, max_poll);
  DirectoryWatch watch(DirName(path));
  while (true) {
    if (goal == WaitGoal::kCreate) {
      JLC_ASSIGN_OR_RETURN(int fd, TryOpenExclusive(path, options.mode));
      if (fd >= 0) return fd;
    } else {
      struct stat st;
      if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return -1;
      JLC_RETURN_IF_ERROR(CheckIsPidfile(path));
    }
    double wait = backoff;
    if (deadline) {
      double left = std::chrono::duration<double>(*deadline - std::chrono::steady_clock::now())
                        .count();
      if (left <= 0) {
        PidfileInfo holder = ParsePidfile(path);
        return Error(ErrorKind::kTimeout, "timed out waiting for the lock ", path,
                     " held by pid ", holder.pid, " on ",
                     holder.hostname.empty() ? std::string("?") : holder.hostname);
      }
      wait = std::min(wait, left);
    }
    watch.Wait(wait);
    backoff = std::min(backoff * 2, max_poll);
    if (stale_age > 0 && RemoveIfStale(path, stale_age, refresh)) {
      stale_age = 0;  // at most once per acquisition
      if (stats) stats->removed_stale = true;
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<PidfileLock>> PidfileLock::TryAcquire(
    const std::string& at, const PidfileOptions& options, PidfileAcquireStats* stats) {
  JLC_ASSIGN_OR_RETURN(std::string path, PidfileRealPath(at));
  JLC_ASSIGN_OR_RETURN(int fd, TryOpenExclusive(path, options.mode));
  if (fd < 0) {
    NoteHolder(path, stats);
    if (options.stale_age > 0 &&
        RemoveIfStale(path, options.stale_age, EffectiveRefresh(options))) {
      if (stats) stats->removed_stale = true;
    }
    JLC_ASSIGN_OR_RETURN(fd, TryOpenExclusive(path, options.mode));
    if (fd < 0) return std::unique_ptr<PidfileLock>();
  }
  return Adopt(path, fd, options);
}

absl::StatusOr<std::unique_ptr<PidfileLock>> PidfileLock::Acquire(
    const std::string& at, const PidfileOptions& options,
    std::optional<std::chrono::steady_clock::time_point> deadline, PidfileAcquireStats* stats) {
  JLC_ASSIGN_OR_RETURN(std::string path, PidfileRealPath(at));
  JLC_ASSIGN_OR_RETURN(int fd, TryOpenExclusive(path, options.mode));
  if (fd < 0) {
    NoteHolder(path, stats);
    JLC_ASSIGN_OR_RETURN(fd, WaitLoop(path, options, deadline, stats, WaitGoal::kCreate));
  }
  return Adopt(path, fd, options);
}

absl::Status PidfileLock::WaitUntilFree(
    const std::string& at, const PidfileOptions& options,
    std::optional<std::chrono::steady_clock::time_point> deadline, PidfileAcquireStats* stats) {
  JLC_ASSIGN_OR_RETURN(std::string path, PidfileRealPath(at));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return absl::OkStatus();
  JLC_RETURN_IF_ERROR(CheckIsPidfile(path));
  NoteHolder(path, stats);
  JLC_ASSIGN_OR_RETURN(int ignored, WaitLoop(path, options, deadline, stats, WaitGoal::kFree));
  (void)ignored;
  return absl::OkStatus();
}

}  // namespace jlcache
