// Something other than a pidfile at the lock path (a directory, a FIFO) is
// never judged stale nor removed, so waiting for it would never end: it is
// an error at once (issue 13). Every wait has a deadline in the test.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include "core/error.h"
#include "core/file_io.h"
#include "gtest/gtest.h"
#include "core/pidfile_lock.h"
#include "precompile/precompile_coordinator.h"
#include "support/run_process.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

// Runs fn on a thread; if it has not returned after 10 s, the test fails and
// `release` is run (removing the obstacle so a waiting acquire can end).
template <typename F, typename R>
void WithinDeadline(F fn, R release) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(std::chrono::seconds(10)) == std::future_status::ready) return;
  ADD_FAILURE() << "still waiting after 10 s";
  release();
  done.wait();
}

TEST(LockPath, DirectoryIsAnErrorAtOnce) {
  test_support::TempDir dir;
  const std::string path = dir.Join("env.pidfile");
  test_support::MakeDirsOrDie(path);
  PidfileOptions o;
  o.stale_age = 0.2;
  WithinDeadline(
      [&] {
        auto lock = PidfileLock::Acquire(path, o, std::nullopt);
        ASSERT_FALSE(lock.ok());
        EXPECT_EQ(KindOf(lock.status()), ErrorKind::kIo);
        EXPECT_NE(Message(lock.status()).find("is a directory, not a pidfile"),
                  std::string_view::npos)
            << lock.status();
      },
      [&] { test_support::RemoveTreeOrDie(path); });
  EXPECT_FALSE(PidfileLock::TryAcquire(path, o).ok());
  WithinDeadline([&] { EXPECT_FALSE(PidfileLock::WaitUntilFree(path, o, std::nullopt).ok()); },
                 [&] { test_support::RemoveTreeOrDie(path); });
}

TEST(LockPath, FifoIsAnErrorAtOnce) {
  test_support::TempDir dir;
  const std::string path = dir.Join("env.pidfile");
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  WithinDeadline(
      [&] {
        auto lock = PidfileLock::Acquire(path, PidfileOptions{}, std::nullopt);
        ASSERT_FALSE(lock.ok());
        EXPECT_NE(Message(lock.status()).find("is a FIFO"), std::string_view::npos)
            << lock.status();
      },
      [&] { ::unlink(path.c_str()); });
}

TEST(LockPath, PrecompileReportsADirectoryAtTheLock) {
  test_support::Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::optional<std::string> lock = PrecompileLockPath(*s.OpenSession());
  ASSERT_TRUE(lock);
  test_support::MakeDirsOrDie(*lock);
  s.WriteSource("Words", "src/impl.jl", "greet() = \"changed\"\n");
  auto r = test_support::RunProcess({JLCACHE_CLI_PATH, "precompile", "Hello", "--runtime",
                                s.WriteProfile(), "--project=" + s.project_dir(), "--no-write"},
                               s.CliEnv(), 30);
  EXPECT_FALSE(r.timed_out) << "precompile waited for a directory";
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("is a directory, not a pidfile"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace jlcache
