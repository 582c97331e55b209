// The Julia raw layer (julia_bindings/FastEverywhere/src/LibJlcache.jl) must
// match include/jlcache.h exactly: Julia only finds a mismatch when a call
// runs on a user's machine. scripts/check_ccall_signatures.py compares them;
// these tests run it, so renaming or retyping a C function breaks this suite.

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

struct ChildResult {
  int exit_code = -1;  // -1 when the child did not exit normally
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] from PATH with argv, never through a shell.
ChildResult RunCapturing(const std::vector<std::string>& args) {
  ChildResult result;
  int fds[2];
  if (pipe(fds) != 0) {
    result.output = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    result.output = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return result;
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv.data());
    const char* msg = "exec failed: python3 is not on PATH?\n";
    (void)!write(STDERR_FILENO, msg, std::strlen(msg));
    _exit(127);
  }
  close(fds[1]);
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string Script() { return std::string(JLCACHE_SOURCE_DIR) + "/scripts/check_ccall_signatures.py"; }

TEST(CcallSignatureTest, RawJuliaLayerMatchesHeader) {
  ChildResult r = RunCapturing({"python3", Script(),
                                "--header", std::string(JLCACHE_SOURCE_DIR) + "/include/jlcache.h",
                                "--julia", std::string(JLCACHE_SOURCE_DIR) +
                                               "/julia_bindings/FastEverywhere/src/LibJlcache.jl"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 problem(s)"), std::string::npos) << r.output;
}

// The check must be able to fail: its self-test feeds it wrong signatures
// (renamed function, Int32 for int64_t, UInt64 for size_t, swapped struct
// fields, ...) and exits non-zero if any goes unnoticed.
TEST(CcallSignatureTest, CheckerDetectsDeliberateMismatches) {
  ChildResult r = RunCapturing({"python3", Script(), "--self-test"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" 0 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("renamed jlcache_session_isstale in the real header detected"), std::string::npos)
      << r.output;
}

}  // namespace
