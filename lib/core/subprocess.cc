#include "core/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.h"
#include "core/unique_fd.h"

namespace jlcache {
namespace {

using Clock = std::chrono::steady_clock;

// Splits a byte stream into lines for one callback.
class LineSplitter {
 public:
  LineSplitter(const std::function<void(std::string_view)>* cb, size_t max) : cb_(cb), max_(max) {}
  void Feed(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (data[i] == '\n') {
        // A line that was just split at max_ ends here: no empty extra line.
        if (!(split_ && buf_.empty())) Emit();
        split_ = false;
      } else {
        buf_.push_back(data[i]);
        if (buf_.size() >= max_) {
          Emit();
          split_ = true;
        }
      }
    }
  }
  void Finish() {
    if (!buf_.empty()) Emit();
  }

 private:
  void Emit() {
    if (*cb_) (*cb_)(buf_);
    buf_.clear();
  }
  const std::function<void(std::string_view)>* cb_;
  size_t max_;
  std::string buf_;
  bool split_ = false;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

class SpawnAttrs {
 public:
  SpawnAttrs() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
};

pid_t ForkWithoutAtforkHandlers() {
  // glibc's _Fork skips pthread_atfork handlers: in a host such as julia,
  // OpenBLAS's would stop its thread pool for a child that needs none of it.
  // Sanitizers keep fork, whose interceptor makes their own state safe.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34) && \
    !defined(__SANITIZE_ADDRESS__)
  return ::_Fork();
#else
  return ::fork();
#endif
}

// The watchdog of kill_group_if_caller_dies: a forked copy of the caller
// that only makes system calls (safe after fork in a threaded process). It
// is forked before the child and its pipes exist, so it holds none of them,
// and leaves the caller's group, so a signal to that group spares it. It
// reads the child's group id, then waits for one more byte: that byte means
// the caller finished normally; end-of-file means the caller died, and the
// child's group is killed. (Only if the caller dies between starting the
// child and writing its id, one write(2) apart, is the child not covered.)
class Watchdog {
 public:
  Watchdog() = default;
  ~Watchdog() { Release(); }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  absl::Status Start() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe", "watchdog");
    pid_ = ForkWithoutAtforkHandlers();
    if (pid_ == 0) Watch(p[0]);  // never returns
    const int err = errno;
    ::close(p[0]);
    if (pid_ < 0) {
      ::close(p[1]);
      return ErrnoError(err, "fork", "watchdog");
    }
    pipe_.Reset(p[1]);
    return absl::OkStatus();
  }
  // The child's group to kill if we die from now on.
  void Guard(pid_t group) { Write(&group, sizeof group); }
  // We are done (or never started a child): the watchdog exits, and is reaped.
  void Release() {
    if (pid_ <= 0) return;
    const char done = 'd';
    Write(&done, 1);
    pipe_.Close();
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  void Write(const void* data, size_t n) {
    ssize_t w;
    do {
      w = ::write(pipe_.get(), data, n);
    } while (w < 0 && errno == EINTR);
  }
  // Reads exactly n bytes; false at end-of-file (or error) before that.
  static bool ReadExactly(int fd, void* data, size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
      ssize_t r = ::read(fd, p, n);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  [[noreturn]] static void Watch(int fd) {
    ::setpgid(0, 0);
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    for (int sig : {SIGINT, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE})
      ::sigaction(sig, &ign, nullptr);
    // Hold no other descriptor of the caller's (its sockets, its lock files).
    for (int i = 0; i < fd; ++i) ::close(i);
#ifdef __linux__
    ::close_range(static_cast<unsigned>(fd) + 1, ~0U, 0);
#else
    for (int i = fd + 1; i < 4096; ++i) ::close(i);
#endif
    pid_t group = 0;
    char done;
    if (ReadExactly(fd, &group, sizeof group) && group > 1 && !ReadExactly(fd, &done, 1))
      ::kill(-group, SIGKILL);
    ::_exit(0);
  }

  pid_t pid_ = -1;
  UniqueFd pipe_;
};

}  // namespace

std::string SubprocessResult::Describe() const {
  std::string s = exited ? Cat("exit code ", exit_code)
                         : Cat("killed by signal ", term_signal);
  if (timed_out) s += " (timeout)";
  if (interrupted_by != 0) s += Cat(" (interrupted by signal ", interrupted_by, ")");
  return s;
}

std::optional<std::string> FindProgramInPath(std::string_view name, std::string_view path_value) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string_view::npos) {
    std::string p(name);
    return executable(p) ? std::optional<std::string>(p) : std::nullopt;
  }
  size_t start = 0;
  while (start <= path_value.size()) {
    size_t end = path_value.find(':', start);
    if (end == std::string_view::npos) end = path_value.size();
    std::string dir(path_value.substr(start, end - start));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& o) {
  if (o.argv.empty() || o.argv[0].empty())
    return Error(ErrorKind::kInvalidArgument, "RunSubprocess: empty argv");

  Watchdog watchdog;  // released (and reaped) on every return
  if (o.kill_group_if_caller_dies) JLC_RETURN_IF_ERROR(watchdog.Start());

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe", "stdout");
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe", "stderr");
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);

  SpawnAttrs sa;
  posix_spawn_file_actions_addopen(&sa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&sa.actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&sa.actions, err_w.get(), 2);
  if (o.cwd) posix_spawn_file_actions_addchdir_np(&sa.actions, o.cwd->c_str());
  // Own process group; default signal dispositions and an empty mask, so a
  // caller that ignores SIGTERM/SIGPIPE does not pass that on.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&sa.attr, 0);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                         POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv, envp;
  for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : o.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const Clock::time_point start = Clock::now();
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &sa.actions, &sa.attr, argv.data(), envp.data());
  if (rc != 0)
    return Error(ErrorKind::kChildFailed, "cannot start ", o.argv[0], ": ", std::strerror(rc));
  out_w.Close();
  err_w.Close();
  if (o.kill_group_if_caller_dies) watchdog.Guard(pid);
  if (o.on_started) o.on_started(static_cast<int>(pid));

  SubprocessResult result;
  LineSplitter out_lines(&o.on_stdout_line, o.max_line_bytes);
  LineSplitter err_lines(&o.on_stderr_line, o.max_line_bytes);
  auto keep_tail = [&](const char* d, size_t n) {
    if (o.tail_bytes == 0) return;
    result.output_tail.append(d, n);
    if (result.output_tail.size() > 2 * o.tail_bytes)
      result.output_tail.erase(0, result.output_tail.size() - o.tail_bytes);
  };

  const bool has_deadline = o.timeout_seconds > 0;
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_seconds));
  bool exited = false;      // the leader has exited (not yet reaped: its pid keeps the group id)
  Clock::time_point exited_at{};
  bool term_sent = false;
  Clock::time_point term_at{};
  char buf[65536];

  auto leader_exited = [&]() {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    int r;
    do {
      r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    } while (r != 0 && errno == EINTR);
    return r == 0 && info.si_pid == pid;
  };

  for (;;) {
    const Clock::time_point now = Clock::now();
    if (!exited && leader_exited()) {
      exited = true;
      exited_at = now;
    }
    const bool pipes_open = out_r.get() >= 0 || err_r.get() >= 0;
    // The leader is gone: give its output a moment to drain, then stop
    // waiting for descendants that keep the pipes open.
    if (exited && (!pipes_open || Seconds(now - exited_at) > 0.5)) break;
    if (has_deadline && now >= deadline && !term_sent) {
      result.timed_out = true;
      ::kill(-pid, SIGTERM);
      term_sent = true;
      term_at = now;
    }
    if (o.interrupt && !term_sent) {
      if (int sig = o.interrupt->load(); sig != 0) {
        result.interrupted_by = sig;
        ::kill(-pid, sig);
        term_sent = true;
        term_at = now;
      }
    }
    if (term_sent && Seconds(now - term_at) >= o.kill_grace_seconds) {
      ::kill(-pid, SIGKILL);
      if (exited) break;
    }
    pollfd fds[2];
    int n = 0;
    if (out_r.get() >= 0) fds[n++] = {out_r.get(), POLLIN, 0};
    if (err_r.get() >= 0) fds[n++] = {err_r.get(), POLLIN, 0};
    int wait_ms = 50;  // bounded so exit and deadlines are noticed
    if (n == 0) {
      ::usleep(10000);
      continue;
    }
    int pr = ::poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (pr < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      watchdog.Release();
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return ErrnoError(err, "poll", o.argv[0]);
    }
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const bool is_out = fds[i].fd == out_r.get();
      ssize_t got;
      do {
        got = ::read(fds[i].fd, buf, sizeof buf);
      } while (got < 0 && errno == EINTR);
      if (got > 0) {
        (is_out ? out_lines : err_lines).Feed(buf, static_cast<size_t>(got));
        keep_tail(buf, static_cast<size_t>(got));
      } else {
        (is_out ? out_r : err_r).Close();
      }
    }
  }
  out_lines.Finish();
  err_lines.Finish();
  // No orphans: anything left in the child's group goes now, while the
  // unreaped leader still reserves the group id (so the watchdog, told we
  // are done first, can never kill a reused group id either).
  watchdog.Release();
  ::kill(-pid, SIGKILL);
  int status = 0;
  pid_t w;
  do {
    w = ::waitpid(pid, &status, 0);
  } while (w < 0 && errno == EINTR);
  result.elapsed_seconds = Seconds(Clock::now() - start);
  if (w == pid) {
    if (WIFEXITED(status)) {
      result.exited = true;
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.term_signal = WTERMSIG(status);
    }
  }
  if (result.output_tail.size() > o.tail_bytes)
    result.output_tail.erase(0, result.output_tail.size() - o.tail_bytes);
  return result;
}

}  // namespace jlcache
