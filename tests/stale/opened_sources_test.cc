// stale/opened_sources.h: descriptors kept by path, handed out once, capped
// per candidate and by a budget shared between candidates.
#include "stale/opened_sources.h"

#include <fcntl.h>

#include <atomic>
#include <memory>

#include "gtest/gtest.h"

namespace jlcache {
namespace {

UniqueFd OpenDevNull() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

TEST(OpenedSourcesTest, OpensOnlyWhenAskedToAndUpToTheCap) {
  EXPECT_FALSE(OpenedSources().Reserve()) << "by default: stat";
  EXPECT_FALSE(OpenedSources(false, nullptr).Reserve());
  OpenedSources opened(true, nullptr);
  for (size_t i = 0; i < OpenedSources::kMaxOpen; ++i) {
    ASSERT_TRUE(opened.Reserve()) << i;
    opened.Keep("/src/f" + std::to_string(i), OpenDevNull());
  }
  EXPECT_FALSE(opened.Reserve()) << "at the cap";
  UniqueFd taken = opened.Take("/src/f3");
  EXPECT_TRUE(taken.valid());
  EXPECT_FALSE(opened.Take("/src/f3").valid()) << "handed out once";
  EXPECT_FALSE(opened.Take("/src/other").valid());
  ASSERT_TRUE(opened.Reserve()) << "room again";
  opened.Keep("/src/none", UniqueFd());  // nothing to keep (not a regular file)
  EXPECT_FALSE(opened.Take("/src/none").valid());
}

TEST(OpenedSourcesTest, CandidatesShareABudgetAndGiveItBack) {
  std::atomic<int> budget{3};
  auto a = std::make_unique<OpenedSources>(true, &budget);
  OpenedSources b(true, &budget);
  ASSERT_TRUE(a->Reserve());
  a->Keep("/a/1", OpenDevNull());
  ASSERT_TRUE(a->Reserve());
  a->Keep("/a/2", OpenDevNull());
  ASSERT_TRUE(b.Reserve());
  b.Keep("/b/1", OpenDevNull());
  EXPECT_EQ(budget.load(), 0);
  EXPECT_FALSE(b.Reserve()) << "the budget is spent";
  EXPECT_FALSE(a->Reserve());
  EXPECT_EQ(budget.load(), 0) << "a refused reservation takes nothing";
  ASSERT_TRUE(b.Take("/b/1").valid());
  EXPECT_EQ(budget.load(), 1) << "taken: no longer counted";
  ASSERT_TRUE(b.Reserve());
  b.Keep("/b/2", UniqueFd());  // nothing opened: the reservation comes back
  EXPECT_EQ(budget.load(), 1);
  a.reset();  // what it still held comes back
  EXPECT_EQ(budget.load(), 3);
}

}  // namespace
}  // namespace jlcache
