#include "precompile/child_group_record.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "core/file_io.h"
#include "gtest/gtest.h"
#include "core/pidfile_lock.h"
#include "support/process_group.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

// Running, not a zombie (the test reaps its own children only at the end).
bool Running(pid_t pid) {
  int g = 0;
  uint64_t t = 0;
  return ReadProcessGroupAndStart(pid, &g, &t);
}

TEST(ChildGroupRecord, FormatAndParseRoundTrip) {
  ChildGroupRecord r{4242, 987654321, "node-7.cluster"};
  ChildGroupRecord back;
  ASSERT_TRUE(ParseChildGroupRecord(FormatChildGroupRecord(r), &back));
  EXPECT_EQ(back.pgid, 4242);
  EXPECT_EQ(back.start_ticks, 987654321u);
  EXPECT_EQ(back.hostname, "node-7.cluster");
  for (const char* bad : {"", "12", "12 34", "x 34 host", "12 y host", "1 34 host", "-5 34 host",
                          "12 34 "})
    EXPECT_FALSE(ParseChildGroupRecord(bad, &back)) << bad;
}

TEST(ChildGroupRecord, ATakeoverEndsTheRecordedGroupAndRemovesTheRecord) {
  test_support::TempDir tmp;
  const std::string lock = tmp.Join("env.pidfile");
  pid_t leader = test_support::StartSleepingGroupLeader();
  ASSERT_GT(leader, 0);
  int g = 0;
  uint64_t t = 0;
  ASSERT_TRUE(ReadProcessGroupAndStart(leader, &g, &t));
  ASSERT_TRUE(WriteChildGroupRecord(lock, leader).ok());
  ASSERT_TRUE(PathExists(ChildGroupRecordPath(lock)));

  auto ended = EndLeftoverChildGroup(lock, 10.0);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(*ended, 1);
  EXPECT_FALSE(Running(leader));
  int status = 0;
  ASSERT_EQ(::waitpid(leader, &status, 0), leader);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(PathExists(ChildGroupRecordPath(lock)));

  // Nothing recorded: nothing to do.
  auto none = EndLeftoverChildGroup(lock, 1.0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
}

TEST(ChildGroupRecord, AReusedIdOrAnotherHostIsLeftAlone) {
  test_support::TempDir tmp;
  const std::string lock = tmp.Join("env.pidfile");
  pid_t leader = test_support::StartSleepingGroupLeader();
  ASSERT_GT(leader, 0);
  int g = 0;
  uint64_t t = 0;
  ASSERT_TRUE(ReadProcessGroupAndStart(leader, &g, &t));

  // Same id, earlier start: the recorded group ended and the id was reused.
  ASSERT_TRUE(WriteFileAtomically(ChildGroupRecordPath(lock),
                                  FormatChildGroupRecord({leader, t - 1, LocalHostName()}))
                  .ok());
  auto ended = EndLeftoverChildGroup(lock, 1.0);
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(*ended, 0);
  EXPECT_TRUE(Running(leader));
  EXPECT_FALSE(PathExists(ChildGroupRecordPath(lock)));

  // Another host's group cannot be seen from here.
  ASSERT_TRUE(WriteFileAtomically(ChildGroupRecordPath(lock),
                                  FormatChildGroupRecord({leader, t, LocalHostName() + "-other"}))
                  .ok());
  ended = EndLeftoverChildGroup(lock, 1.0);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(*ended, 0);
  EXPECT_TRUE(Running(leader));

  ::kill(leader, SIGKILL);
  ::waitpid(leader, nullptr, 0);
}

}  // namespace
}  // namespace jlcache
