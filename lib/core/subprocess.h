// Runs a child process from an argv vector with an explicit environment:
// never a shell. The child gets its own process group, stdin from /dev/null,
// and stdout/stderr on pipes that are streamed line by line to callbacks.
// An overall timeout terminates the whole group (SIGTERM, then SIGKILL after
// a grace period); when the child exits on its own, any process it left in
// its group is killed too, so nothing outlives the call. EINTR-safe; every
// descriptor is close-on-exec and closed on every path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace jlcache {

struct SubprocessOptions {
  // argv[0] is the program: an absolute or relative path (no PATH search;
  // use FindProgramInPath first).
  std::vector<std::string> argv;
  // The complete environment, "NAME=value" each. Nothing is inherited.
  std::vector<std::string> env;
  std::optional<std::string> cwd;       // working directory of the child
  double timeout_seconds = 0;           // 0: no limit
  double kill_grace_seconds = 2;        // SIGTERM -> SIGKILL delay on timeout
  // Called from the calling thread with each line (without the '\n'); a final
  // partial line is delivered too. Lines longer than max_line_bytes are split.
  std::function<void(std::string_view line)> on_stdout_line;
  std::function<void(std::string_view line)> on_stderr_line;
  size_t max_line_bytes = size_t{1} << 20;
  size_t tail_bytes = 16 * 1024;        // how much combined output to keep in the result
  // When *interrupt becomes a signal number (set by the caller's signal
  // handler, e.g. SIGINT), that signal goes to the child's whole group, then
  // SIGKILL after kill_grace_seconds, as make and ninja forward Ctrl-C.
  const std::atomic<int>* interrupt = nullptr;
  // Kill the child's group if the calling process dies first (kill -9, a
  // crash): a watchdog process in a group of its own holds a pipe from us and
  // kills the group when the pipe reaches end-of-file without the "done" byte
  // we write before reaping the child. (Linux and other POSIX systems.)
  bool kill_group_if_caller_dies = false;
  // Called with the child's pid (= its process group id) right after it started.
  std::function<void(int pid)> on_started;
};

struct SubprocessResult {
  bool exited = false;       // normal exit: exit_code is valid
  int exit_code = -1;
  int term_signal = 0;       // killed by this signal (when !exited)
  bool timed_out = false;    // the timeout fired and the group was killed
  int interrupted_by = 0;    // the *interrupt signal forwarded to the group, or 0
  double elapsed_seconds = 0;
  std::string output_tail;   // last tail_bytes of stdout and stderr, interleaved by arrival

  bool success() const { return exited && exit_code == 0 && !timed_out; }
  // "exit code 3", "killed by signal 9 (timeout)", ...
  std::string Describe() const;
};

// Errors: kChildFailed when the program cannot be started (not found, not
// executable), kInvalidArgument for an empty argv. A child that runs and
// fails is not an error: inspect the result.
absl::StatusOr<SubprocessResult> RunSubprocess(const SubprocessOptions& options);

// The first executable `name` in the ':'-separated `path_value` (a name with
// a '/' is returned as is when executable). nullopt when none.
std::optional<std::string> FindProgramInPath(std::string_view name, std::string_view path_value);

}  // namespace jlcache
