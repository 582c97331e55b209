// A FIFO (or any non-regular file) where jlcache reads a file must never
// block: a memo that is a FIFO is ignored (and never written through), a
// FIFO given as --runtime is an error (issue 13, failure 1). Every run has a
// deadline, so a regression fails instead of hanging the suite.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "gtest/gtest.h"
#include "core/pidfile_lock.h"
#include "support/run_process.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::ProcessResult;
using test_support::RunProcess;
using test_support::Scenario;

constexpr double kDeadline = 30;  // seconds; a blocked open never returns

ProcessResult RunCli(const Scenario& s, std::vector<std::string> args, bool no_write) {
  args.insert(args.begin(), JLCACHE_CLI_PATH);
  args.push_back("--project=" + s.project_dir());
  if (no_write) args.push_back("--no-write");
  return RunProcess(args, s.CliEnv(), kDeadline);
}

void MakeFifo(const std::string& path) {
  test_support::MakeDirsOrDie(DirName(path));
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0) << path;
}

bool IsFifo(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

TEST(FifoInputs, FifoMemosAreIgnored) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  const std::string profile = s.WriteProfile();
  const std::string memo_dir = JoinPath(s.depot(), "jlcache");
  MakeFifo(JoinPath(memo_dir, "hashmemo-v1.bin"));
  MakeFifo(JoinPath(memo_dir, "status-v1.bin"));
  for (bool no_write : {true, false}) {
    for (std::vector<std::string> args :
         {std::vector<std::string>{"status"}, {"why", "Hello"}, {"precompile", "Hello"}}) {
      args.push_back("--runtime");
      args.push_back(profile);
      ProcessResult r = RunCli(s, args, no_write);
      EXPECT_FALSE(r.timed_out) << args[0] << (no_write ? " --no-write" : "") << " hung";
      EXPECT_EQ(r.exit_code, 0) << args[0] << "\n" << r.out << r.err;
    }
    if (no_write) {
      // --no-write leaves the FIFOs alone.
      EXPECT_TRUE(IsFifo(JoinPath(memo_dir, "hashmemo-v1.bin")));
      EXPECT_TRUE(IsFifo(JoinPath(memo_dir, "status-v1.bin")));
    }
  }
  // A save (if the answers were worth remembering) replaced the FIFO by a
  // regular file with rename; nothing ever opened it for writing, which
  // would have blocked without a reader.
  for (const char* name : {"hashmemo-v1.bin", "status-v1.bin"}) {
    const std::string path = JoinPath(memo_dir, name);
    auto st = StatPath(path);
    ASSERT_TRUE(st.ok()) << path;
    EXPECT_TRUE(IsFifo(path) || st->is_file) << path;
  }
}

TEST(FifoInputs, FifoRuntimeProfileIsAnError) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  const std::string fifo = s.dir().Join("runtime-fifo.toml");
  MakeFifo(fifo);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"why", "Hello"}, {"precompile", "Hello"},
        {"env"}}) {
    args.push_back("--runtime");
    args.push_back(fifo);
    ProcessResult r = RunCli(s, args, true);
    EXPECT_FALSE(r.timed_out) << args[0] << " hung";
    EXPECT_EQ(r.exit_code, 2) << args[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("not a regular file (a FIFO)"), std::string::npos) << r.err;
  }
  ProcessResult r = RunProcess({JLCACHE_CLI_PATH, "status", "--project=" + s.project_dir()},
                               [&] {
                                 auto env = s.CliEnv();
                                 env.push_back("JLCACHE_RUNTIME=" + fifo);
                                 return env;
                               }(),
                               kDeadline);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

// Runs fn on a thread. If it is still blocked after the deadline, the test
// fails and the FIFO is opened for writing (and closed), which releases a
// reader blocked in open or read, so the suite goes on.
template <typename F>
void WithinDeadline(const std::string& fifo, F fn) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(std::chrono::seconds(10)) == std::future_status::ready) return;
  ADD_FAILURE() << "a read of the FIFO " << fifo << " blocked";
  while (done.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) ::close(fd);
  }
}

// The library's reads: a FIFO is an error at once, never a wait for a writer.
TEST(FifoInputs, ReadsNeverBlock) {
  test_support::TempDir dir;
  const std::string fifo = dir.Join("fifo");
  MakeFifo(fifo);
  WithinDeadline(fifo, [&] {
    auto text = ReadFile(fifo);
    ASSERT_FALSE(text.ok());
    EXPECT_NE(Message(text.status()).find("not a regular file (a FIFO)"), std::string_view::npos)
        << text.status();
  });
  WithinDeadline(fifo, [&] { EXPECT_FALSE(ReadFilePrefix(fifo, 16, 16).ok()); });
  WithinDeadline(fifo, [&] { EXPECT_FALSE(Crc32cOfFile(fifo).ok()); });
  // A FIFO at a lock path: parse_pidfile reads nothing, without blocking.
  WithinDeadline(fifo, [&] { EXPECT_EQ(ParsePidfile(fifo).pid, 0u); });
  auto dir_read = ReadFile(dir.path());
  ASSERT_FALSE(dir_read.ok());
  EXPECT_NE(Message(dir_read.status()).find("is a directory"), std::string_view::npos);
}

}  // namespace
}  // namespace jlcache
