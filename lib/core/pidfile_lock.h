// A pidfile lock with Julia's conventions (FileWatching.Pidfile, used by
// Base's maybe_cachefile_lock and Base.Precompilation), so that jlcache and
// Julia processes exclude each other through the same kind of file.
// docs/precompile.md cites the Julia source this follows.
//
//  - created with open(O_RDWR|O_CREAT|O_EXCL, 0444) in realpath(dirname);
//  - contents "<pid> <hostname>", no newline;
//  - while held, the mtime is refreshed through the fd every refresh seconds
//    (default stale_age / 2) by a background thread;
//  - someone else's file is stale when age > stale_age and either
//    age > stale_age * 5 (* 25 without refresh) or its pid is invalid on
//    this host (remote hosts are assumed valid);
//  - a waiter removes a stale file at most once per acquisition (and only
//    if the path still names the file it judged);
//  - release removes the file only if the path still names our inode.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"

namespace jlcache {

struct PidfileOptions {
  // Seconds; 0 disables stale removal (FileWatching's default). Julia's
  // loading and Base.Precompilation use 10 (compilecache_pidlock_stale_age).
  double stale_age = 10.0;
  // Seconds between mtime refreshes while held; nullopt = stale_age / 2;
  // 0 = never refresh (then "much older" means 25x stale_age, not 5x).
  std::optional<double> refresh;
  uint32_t mode = 0444;  // modified by the umask, as in Julia
  // Waiting: the longest sleep between checks when no file event arrives.
  double max_poll_interval = 1.0;
};

// parse_pidfile: (pid, hostname, age). A file that cannot be read gives
// (0, "", 0.0), exactly like Julia.
struct PidfileInfo {
  uint32_t pid = 0;
  std::string hostname;
  double age = 0.0;  // now - mtime, seconds
};
PidfileInfo ParsePidfile(const std::string& path);
// The text part of parse_pidfile: split at the first space; a pid that is not
// an unsigned 32-bit decimal becomes 0.
void ParsePidfileText(std::string_view text, PidfileInfo* out);
// "<pid> <hostname>" with no newline.
std::string FormatPidfile(uint32_t pid, std::string_view hostname);

// gethostname(), as Julia's gethostname() returns it.
std::string LocalHostName();
// isvalidpid: remote host -> true; pid 0 or > INT_MAX -> false; else
// kill(pid, 0) != ESRCH.
bool IsValidPid(std::string_view hostname, uint32_t pid);
// stale_pidfile(path, stale_age, refresh).
bool IsStalePidfile(const std::string& path, double stale_age, double refresh);
// The decision itself, for a parsed file (unit-testable without clocks).
bool IsStalePidfileInfo(const PidfileInfo& info, double stale_age, double refresh);

// What happened while acquiring (for messages and tests).
struct PidfileAcquireStats {
  bool waited = false;          // someone else held it at first
  bool removed_stale = false;   // we removed a stale file
  PidfileInfo holder;           // the holder seen first (when waited)
};

class PidfileLock {
 public:
  // trymkpidlock: create the file; if it exists and is stale, remove it and
  // try once more. nullptr when someone else holds it.
  static absl::StatusOr<std::unique_ptr<PidfileLock>> TryAcquire(
      const std::string& path, const PidfileOptions& options,
      PidfileAcquireStats* stats = nullptr);

  // mkpidlock (waiting): blocks until the file is created, watching the
  // directory (inotify) with a polling back-off as the fallback, removing a
  // stale file at most once. kTimeout when `deadline` passes first.
  static absl::StatusOr<std::unique_ptr<PidfileLock>> Acquire(
      const std::string& path, const PidfileOptions& options,
      std::optional<std::chrono::steady_clock::time_point> deadline,
      PidfileAcquireStats* stats = nullptr);

  // Waits until nobody holds the lock, without taking it: returns when the
  // file is gone (or a stale one was removed, at most once). Many waiters
  // can then re-check in parallel instead of taking the lock one by one.
  // kTimeout when `deadline` passes first.
  static absl::Status WaitUntilFree(const std::string& path, const PidfileOptions& options,
                                    std::optional<std::chrono::steady_clock::time_point> deadline,
                                    PidfileAcquireStats* stats = nullptr);

  ~PidfileLock();  // Release()
  PidfileLock(const PidfileLock&) = delete;
  PidfileLock& operator=(const PidfileLock&) = delete;

  // Stops refreshing; removes the file iff the path still refers to our
  // open file (same device and inode); closes the fd. True when removed.
  // Idempotent.
  bool Release();

  // Updates the file's mtime now (what the refresh thread does).
  void Touch();

  // realpath(dirname(path)) + "/" + basename(path).
  const std::string& path() const { return path_; }
  bool held() const { return fd_ >= 0; }

 private:
  PidfileLock(std::string path, int fd, double refresh);
  // Writes our pid and host into a freshly created file and takes ownership.
  static absl::StatusOr<std::unique_ptr<PidfileLock>> Adopt(const std::string& path, int fd,
                                                            const PidfileOptions& options);
  void RefreshLoop(double refresh);

  std::string path_;
  int fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread refresher_;
};

// The absolute lock path Julia would use: realpath of the directory plus the
// base name. Fails when the directory does not exist.
absl::StatusOr<std::string> PidfileRealPath(const std::string& path);

}  // namespace jlcache
