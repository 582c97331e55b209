// The pidfile lock against Julia's FileWatching.Pidfile conventions.
#include "core/pidfile_lock.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "gtest/gtest.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::ReadFileOrDie;
using test_support::SetMtimeOrDie;
using test_support::TempDir;
using test_support::WriteFileOrDie;

// A pid that certainly belonged to a process that has exited and been reaped.
uint32_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int status = 0;
  waitpid(pid, &status, 0);
  return static_cast<uint32_t>(pid);
}

int64_t Now() { return static_cast<int64_t>(::time(nullptr)); }

double MtimeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
}

TEST(PidfileFormat, ParsesLikeJulia) {
  PidfileInfo i;
  ParsePidfileText("48213 node017", &i);
  EXPECT_EQ(i.pid, 48213u);
  EXPECT_EQ(i.hostname, "node017");
  ParsePidfileText("12 host with spaces", &i);
  EXPECT_EQ(i.pid, 12u);
  EXPECT_EQ(i.hostname, "host with spaces");  // split at the first space only
  ParsePidfileText("77", &i);
  EXPECT_EQ(i.pid, 77u);
  EXPECT_EQ(i.hostname, "");
  ParsePidfileText("abc host", &i);
  EXPECT_EQ(i.pid, 0u);
  EXPECT_EQ(i.hostname, "host");
  ParsePidfileText("4294967296 h", &i);  // does not fit a Cuint
  EXPECT_EQ(i.pid, 0u);
  ParsePidfileText("4294967295 h", &i);
  EXPECT_EQ(i.pid, 4294967295u);
  ParsePidfileText("-5 h", &i);
  EXPECT_EQ(i.pid, 0u);
  ParsePidfileText("", &i);
  EXPECT_EQ(i.pid, 0u);
  EXPECT_EQ(i.hostname, "");
  EXPECT_EQ(FormatPidfile(48213, "node017"), "48213 node017");
}

TEST(PidfileFormat, UnreadableFileParsesAsZero) {
  TempDir dir;
  PidfileInfo i = ParsePidfile(dir.Join("absent.pidfile"));
  EXPECT_EQ(i.pid, 0u);
  EXPECT_EQ(i.hostname, "");
  EXPECT_EQ(i.age, 0.0);
}

TEST(PidfileLock, WritesPidAndHostWithoutNewlineReadOnlyAtRealPath) {
  TempDir dir;
  test_support::MakeDirsOrDie(dir.Join("real"));
  ASSERT_EQ(::symlink(dir.Join("real").c_str(), dir.Join("link").c_str()), 0);
  auto lock = PidfileLock::TryAcquire(dir.Join("link/x.pidfile"), PidfileOptions{});
  ASSERT_TRUE(lock.ok()) << lock.status();
  ASSERT_NE(*lock, nullptr);
  auto real_dir = RealPath(dir.Join("real"));
  ASSERT_TRUE(real_dir.ok());
  EXPECT_EQ((*lock)->path(), *real_dir + "/x.pidfile");
  EXPECT_EQ(ReadFileOrDie(dir.Join("real/x.pidfile")),
            std::to_string(::getpid()) + " " + LocalHostName());
  struct stat st;
  ASSERT_EQ(::stat(dir.Join("real/x.pidfile").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0222, 0u) << "created read-only (0444 & ~umask)";
  PidfileInfo info = ParsePidfile(dir.Join("real/x.pidfile"));
  EXPECT_EQ(info.pid, static_cast<uint32_t>(::getpid()));
  EXPECT_EQ(info.hostname, LocalHostName());
  EXPECT_TRUE((*lock)->Release());
  EXPECT_FALSE(PathExists(dir.Join("real/x.pidfile")));
  EXPECT_FALSE((*lock)->Release()) << "idempotent";
}

TEST(PidfileLock, MissingDirectoryIsAnError) {
  TempDir dir;
  auto lock = PidfileLock::TryAcquire(dir.Join("nope/x.pidfile"), PidfileOptions{});
  EXPECT_FALSE(lock.ok());
}

TEST(PidfileLock, SecondTryFailsWhileHeldByALiveProcess) {
  TempDir dir;
  auto first = PidfileLock::TryAcquire(dir.Join("x.pidfile"), PidfileOptions{});
  ASSERT_TRUE(first.ok() && *first);
  PidfileAcquireStats stats;
  auto second = PidfileLock::TryAcquire(dir.Join("x.pidfile"), PidfileOptions{}, &stats);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, nullptr);
  EXPECT_TRUE(stats.waited);
  EXPECT_FALSE(stats.removed_stale);
  EXPECT_EQ(stats.holder.pid, static_cast<uint32_t>(::getpid()));
}

TEST(PidfileLock, ReleaseNeverRemovesSomeoneElsesLock) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  auto lock = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(lock.ok() && *lock);
  // Someone judged ours stale, removed it and took the lock.
  ASSERT_EQ(::unlink(path.c_str()), 0);
  WriteFileOrDie(path, "999999 otherhost");
  EXPECT_FALSE((*lock)->Release());
  ASSERT_TRUE(PathExists(path));
  EXPECT_EQ(ReadFileOrDie(path), "999999 otherhost");
}

TEST(PidfileStaleness, RulesForThisHost) {
  const std::string host = LocalHostName();
  const uint32_t me = static_cast<uint32_t>(::getpid());
  const uint32_t dead = DeadPid();
  auto info = [](uint32_t pid, std::string h, double age) { return PidfileInfo{pid, h, age}; };
  // Young files are never stale, whoever holds them.
  EXPECT_FALSE(IsStalePidfileInfo(info(dead, host, 9.9), 10, 5));
  EXPECT_FALSE(IsStalePidfileInfo(info(0, "", 10.0), 10, 5));  // age must exceed stale_age
  // Past stale_age: a dead holder, pid 0 and pid > INT_MAX are invalid.
  EXPECT_TRUE(IsStalePidfileInfo(info(dead, host, 10.5), 10, 5));
  EXPECT_TRUE(IsStalePidfileInfo(info(dead, "", 10.5), 10, 5));  // empty host = this host
  EXPECT_TRUE(IsStalePidfileInfo(info(0, host, 10.5), 10, 5));
  EXPECT_TRUE(IsStalePidfileInfo(info(static_cast<uint32_t>(INT_MAX) + 1u, host, 10.5), 10, 5));
  // A live holder only after 5x (25x when it does not refresh).
  EXPECT_FALSE(IsStalePidfileInfo(info(me, host, 49), 10, 5));
  EXPECT_TRUE(IsStalePidfileInfo(info(me, host, 51), 10, 5));
  EXPECT_FALSE(IsStalePidfileInfo(info(me, host, 51), 10, 0));
  EXPECT_TRUE(IsStalePidfileInfo(info(me, host, 251), 10, 0));
}

TEST(PidfileStaleness, OtherHostIsAssumedAlive) {
  const uint32_t dead = DeadPid();
  const std::string other = LocalHostName() + "-elsewhere.invalid";
  EXPECT_TRUE(IsValidPid(other, dead));
  EXPECT_TRUE(IsValidPid(other, 0));
  EXPECT_FALSE(IsValidPid("", 0));
  EXPECT_FALSE(IsValidPid(LocalHostName(), dead));
  EXPECT_TRUE(IsValidPid(LocalHostName(), static_cast<uint32_t>(::getpid())));
  EXPECT_FALSE(IsStalePidfileInfo(PidfileInfo{dead, other, 49}, 10, 5));
  EXPECT_TRUE(IsStalePidfileInfo(PidfileInfo{dead, other, 51}, 10, 5));
}

TEST(PidfileLock, TryAcquireRemovesAStaleFileOnce) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  WriteFileOrDie(path, std::to_string(DeadPid()) + " " + LocalHostName());
  SetMtimeOrDie(path, Now() - 100, 0);
  PidfileAcquireStats stats;
  auto lock = PidfileLock::TryAcquire(path, PidfileOptions{}, &stats);
  ASSERT_TRUE(lock.ok() && *lock);
  EXPECT_TRUE(stats.removed_stale);
  EXPECT_EQ(ReadFileOrDie(path), std::to_string(::getpid()) + " " + LocalHostName());
}

TEST(PidfileLock, TryAcquireKeepsAYoungFileOfADeadHolder) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  std::string text = std::to_string(DeadPid()) + " " + LocalHostName();
  WriteFileOrDie(path, text);
  auto lock = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(*lock, nullptr);
  EXPECT_EQ(ReadFileOrDie(path), text);
}

TEST(PidfileLock, TryAcquireKeepsAnOtherHostFileUntilFiveTimesStaleAge) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  std::string text = std::to_string(DeadPid()) + " " + LocalHostName() + "-elsewhere.invalid";
  WriteFileOrDie(path, text);
  SetMtimeOrDie(path, Now() - 30, 0);
  auto lock = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(*lock, nullptr);
  SetMtimeOrDie(path, Now() - 60, 0);
  lock = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(lock.ok());
  EXPECT_NE(*lock, nullptr);
}

TEST(PidfileLock, WaitingTimesOutAtTheDeadlineAndLeavesTheHolderAlone) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  auto holder = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(holder.ok() && *holder);
  PidfileOptions opts;
  opts.stale_age = 0.2;  // our own pid is alive: stale only after 1 s without refresh
  auto waited = PidfileLock::Acquire(
      path, opts, std::chrono::steady_clock::now() + std::chrono::milliseconds(300));
  ASSERT_FALSE(waited.ok());
  EXPECT_EQ(KindOf(waited.status()), ErrorKind::kTimeout);
  EXPECT_TRUE((*holder)->held());
  EXPECT_EQ(ReadFileOrDie(path), std::to_string(::getpid()) + " " + LocalHostName());
  EXPECT_TRUE((*holder)->Release());
}

TEST(PidfileLock, WaiterGetsTheLockWhenTheHolderReleases) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  auto holder = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(holder.ok() && *holder);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    (*holder)->Release();
  });
  PidfileAcquireStats stats;
  auto waited = PidfileLock::Acquire(path, PidfileOptions{},
                                     std::chrono::steady_clock::now() + std::chrono::seconds(60),
                                     &stats);
  releaser.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  ASSERT_NE(*waited, nullptr);
  EXPECT_TRUE(stats.waited);
  EXPECT_FALSE(stats.removed_stale);
  EXPECT_TRUE((*waited)->Release());
}

TEST(PidfileLock, WaiterRecoversTheLockOfADeadHolderAfterTheStaleAge) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  WriteFileOrDie(path, std::to_string(DeadPid()) + " " + LocalHostName());  // mtime: now
  PidfileOptions opts;
  opts.stale_age = 0.3;
  PidfileAcquireStats stats;
  auto lock = PidfileLock::Acquire(path, opts,
                                   std::chrono::steady_clock::now() + std::chrono::seconds(60),
                                   &stats);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(stats.waited);
  EXPECT_TRUE(stats.removed_stale);
  EXPECT_EQ(ReadFileOrDie(path), std::to_string(::getpid()) + " " + LocalHostName());
}

TEST(PidfileLock, WaitUntilFreeReturnsWhenReleasedWithoutTakingTheLock) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  EXPECT_TRUE(PidfileLock::WaitUntilFree(path, PidfileOptions{}, std::nullopt).ok()) << "free";
  auto holder = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(holder.ok() && *holder);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    (*holder)->Release();
  });
  PidfileAcquireStats stats;
  absl::Status waited = PidfileLock::WaitUntilFree(
      path, PidfileOptions{}, std::chrono::steady_clock::now() + std::chrono::seconds(60), &stats);
  releaser.join();
  EXPECT_TRUE(waited.ok()) << waited;
  EXPECT_TRUE(stats.waited);
  EXPECT_FALSE(PathExists(path)) << "the waiter did not create the file";
}

TEST(PidfileLock, WaitUntilFreeRemovesADeadHoldersFileAndHonoursTheDeadline) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  WriteFileOrDie(path, std::to_string(DeadPid()) + " " + LocalHostName());
  PidfileOptions opts;
  opts.stale_age = 0.3;
  PidfileAcquireStats stats;
  EXPECT_TRUE(PidfileLock::WaitUntilFree(path, opts,
                                         std::chrono::steady_clock::now() + std::chrono::seconds(60),
                                         &stats)
                  .ok());
  EXPECT_TRUE(stats.removed_stale);
  EXPECT_FALSE(PathExists(path));

  auto live = PidfileLock::TryAcquire(path, PidfileOptions{});
  ASSERT_TRUE(live.ok() && *live);
  absl::Status timed_out = PidfileLock::WaitUntilFree(
      path, opts, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  EXPECT_EQ(KindOf(timed_out), ErrorKind::kTimeout);
  EXPECT_TRUE(PathExists(path));
}

TEST(PidfileLock, HolderRefreshesTheMtimeWhileHeld) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  PidfileOptions opts;
  opts.stale_age = 0.2;  // refresh every 0.1 s
  auto lock = PidfileLock::TryAcquire(path, opts);
  ASSERT_TRUE(lock.ok() && *lock);
  SetMtimeOrDie(path, Now() - 1000, 0);
  double old = MtimeOf(path);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (MtimeOf(path) == old && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(MtimeOf(path), old + 900);
  // So a waiter never judges a live, refreshing holder stale.
  EXPECT_FALSE(IsStalePidfile(path, 100, 50));
}

TEST(PidfileLock, NoRefreshWhenDisabled) {
  TempDir dir;
  std::string path = dir.Join("x.pidfile");
  PidfileOptions opts;
  opts.stale_age = 0.2;
  opts.refresh = 0;
  auto lock = PidfileLock::TryAcquire(path, opts);
  ASSERT_TRUE(lock.ok() && *lock);
  SetMtimeOrDie(path, Now() - 1000, 0);
  double old = MtimeOf(path);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(MtimeOf(path), old);
}

}  // namespace
}  // namespace jlcache
