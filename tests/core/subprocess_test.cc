#include "core/subprocess.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "support/open_fds.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::OpenFdCount;

// Gone: no such process, or a zombie waiting for its new parent to reap it.
bool Gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");  // size 0 in stat(2): stream it
  if (!in) return true;
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

SubprocessOptions Sh(const std::string& script) {
  SubprocessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {"PATH=/usr/bin:/bin"};
  return o;
}

TEST(SubprocessTest, StreamsLinesOfBothStreamsAndReportsExitCode) {
  auto o = Sh("echo one; echo two >&2; printf 'three'; exit 3");
  std::vector<std::string> out, err;
  o.on_stdout_line = [&](std::string_view l) { out.emplace_back(l); };
  o.on_stderr_line = [&](std::string_view l) { err.emplace_back(l); };
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->exited);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->success());
  EXPECT_EQ(out, (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(err, (std::vector<std::string>{"two"}));
  EXPECT_NE(r->output_tail.find("three"), std::string::npos);
  EXPECT_EQ(r->Describe(), "exit code 3");
}

TEST(SubprocessTest, EnvironmentIsExactlyTheGivenOne) {
  ::setenv("JLCACHE_SUBPROCESS_TEST_LEAK", "1", 1);
  auto o = Sh("env");
  o.env = {"ONLY=this"};
  std::vector<std::string> lines;
  o.on_stdout_line = [&](std::string_view l) { lines.emplace_back(l); };
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  for (const auto& l : lines) EXPECT_EQ(l.find("JLCACHE_SUBPROCESS_TEST_LEAK"), std::string::npos);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "ONLY=this"), lines.end());
  ::unsetenv("JLCACHE_SUBPROCESS_TEST_LEAK");
}

TEST(SubprocessTest, WorkingDirectoryAndStdinFromDevNull) {
  test_support::TempDir tmp;
  auto o = Sh("pwd; cat; echo end");
  o.cwd = tmp.path();
  std::vector<std::string> lines;
  o.on_stdout_line = [&](std::string_view l) { lines.emplace_back(l); };
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(lines.size(), 2u);  // cat reads EOF at once
  EXPECT_EQ(lines[0], tmp.path());
}

bool EventuallyGone(pid_t pid, double seconds = 20) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!Gone(pid)) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// The pid in `path` once a child wrote it (0 after 20 s).
pid_t WaitForPidFile(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    if (auto text = ReadFile(path); text.ok() && !text->empty() && text->back() == '\n')
      return static_cast<pid_t>(std::stol(*text));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

TEST(SubprocessTest, InterruptIsForwardedToTheWholeGroup) {
  test_support::TempDir tmp;
  std::string pidfile = tmp.Join("grandchild.pid");
  // The grandchild runs in the foreground of a subshell, so SIGTERM (not
  // ignored in background jobs, unlike SIGINT) reaches it through the group.
  auto o = Sh("(sleep 600; :) & echo $! > " + pidfile + "; wait");
  o.kill_grace_seconds = 30;  // SIGTERM itself must end them, not the SIGKILL
  std::atomic<int> interrupt{0};
  o.interrupt = &interrupt;
  std::thread signaller([&] {
    if (WaitForPidFile(pidfile) != 0) interrupt = SIGTERM;
  });
  auto r = RunSubprocess(o);
  signaller.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->interrupted_by, SIGTERM);
  EXPECT_FALSE(r->timed_out);
  EXPECT_FALSE(r->success());
  EXPECT_LT(r->elapsed_seconds, 25);
  EXPECT_NE(r->Describe().find("interrupted by signal 15"), std::string::npos) << r->Describe();
  pid_t grandchild = WaitForPidFile(pidfile);
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(EventuallyGone(grandchild));
}

// Runs `sh -c script` through RunSubprocess in a forked caller, kills the
// caller with SIGKILL once `pidfile` names the script's process, and says
// whether that process is gone within a few seconds (killing it if not).
bool ChildEndsWithKilledCaller(bool watchdog) {
  test_support::TempDir tmp;
  std::string pidfile = tmp.Join("child.pid");
  pid_t caller = ::fork();
  if (caller == 0) {
    auto o = Sh("echo $$ > " + pidfile + "; exec sleep 600");
    o.kill_group_if_caller_dies = watchdog;
    (void)RunSubprocess(o);
    ::_exit(0);
  }
  pid_t child = WaitForPidFile(pidfile);
  ::kill(caller, SIGKILL);
  ::waitpid(caller, nullptr, 0);
  if (child <= 0) return false;
  bool gone = EventuallyGone(child, 5);
  if (!gone) ::kill(child, SIGKILL);
  return gone;
}

TEST(SubprocessTest, WatchdogEndsTheChildWhenTheCallerIsKilled) {
  EXPECT_TRUE(ChildEndsWithKilledCaller(true));
  // Without the watchdog the child outlives its caller: the test can fail.
  EXPECT_FALSE(ChildEndsWithKilledCaller(false));
}

TEST(SubprocessTest, WatchdogLetsAChildThatFinishedGoInPeace) {
  auto o = Sh("echo ok");
  o.kill_group_if_caller_dies = true;
  std::vector<int> started;
  o.on_started = [&](int pid) { started.push_back(pid); };
  int fds_before = OpenFdCount();
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->success());
  ASSERT_EQ(started.size(), 1u);
  EXPECT_GT(started[0], 0);
  EXPECT_EQ(OpenFdCount(), fds_before);
  // The watchdog was reaped: no child of ours is left.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(SubprocessTest, TimeoutKillsTheWholeProcessGroup) {
  test_support::TempDir tmp;
  std::string pidfile = tmp.Join("grandchild.pid");
  // The grandchild ignores nothing special; SIGTERM to the group ends both.
  auto o = Sh("sleep 60 & echo $! > " + pidfile + "; wait");
  o.timeout_seconds = 0.5;
  o.kill_grace_seconds = 0.5;
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->success());
  EXPECT_LT(r->elapsed_seconds, 10);
  pid_t grandchild = std::stoi(test_support::ReadFileOrDie(pidfile));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // reaped by init shortly after
    gone = Gone(grandchild);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone);
}

TEST(SubprocessTest, SigtermIgnoredMeansSigkillAfterGrace) {
  auto o = Sh("trap '' TERM; while :; do sleep 0.05; done");
  o.timeout_seconds = 0.3;
  o.kill_grace_seconds = 0.3;
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->exited);
  EXPECT_EQ(r->term_signal, SIGKILL);
}

TEST(SubprocessTest, LeftoverBackgroundProcessesAreKilledAfterExit) {
  test_support::TempDir tmp;
  std::string pidfile = tmp.Join("bg.pid");
  // The leader exits at once; its background child keeps stdout open.
  auto o = Sh("sleep 60 & echo $! > " + pidfile + "; exit 0");
  auto r = RunSubprocess(o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->success());
  EXPECT_LT(r->elapsed_seconds, 10);
  pid_t bg = std::stoi(test_support::ReadFileOrDie(pidfile));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = Gone(bg);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone);
}

TEST(SubprocessTest, KilledBySignalIsReported) {
  auto r = RunSubprocess(Sh("kill -9 $$"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exited);
  EXPECT_EQ(r->term_signal, 9);
  EXPECT_EQ(r->Describe(), "killed by signal 9");
}

TEST(SubprocessTest, LongLinesAreSplitAndNoDescriptorLeaks) {
  const int before = OpenFdCount();
  auto o = Sh("head -c 3000 /dev/zero | tr '\\0' 'x'; echo");
  o.max_line_bytes = 1000;
  std::vector<size_t> sizes;
  o.on_stdout_line = [&](std::string_view l) { sizes.push_back(l.size()); };
  for (int i = 0; i < 20; ++i) {
    sizes.clear();
    ASSERT_TRUE(RunSubprocess(o).ok());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1000, 1000, 1000}));
  EXPECT_EQ(OpenFdCount(), before);
}

TEST(SubprocessTest, ProgramThatCannotStartIsChildFailed) {
  SubprocessOptions o;
  o.argv = {"/nonexistent/julia", "-e", "1"};
  auto r = RunSubprocess(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kChildFailed);
  o.argv.clear();
  EXPECT_EQ(KindOf(RunSubprocess(o).status()), ErrorKind::kInvalidArgument);
}

TEST(SubprocessTest, FindProgramInPath) {
  EXPECT_EQ(FindProgramInPath("sh", "/nonexistent:/bin"), "/bin/sh");
  EXPECT_EQ(FindProgramInPath("definitely-not-a-program-xyz", "/bin:/usr/bin"), std::nullopt);
  EXPECT_EQ(FindProgramInPath("/bin/sh", ""), "/bin/sh");
}

}  // namespace
}  // namespace jlcache
