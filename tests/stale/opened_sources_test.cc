// stale/opened_sources.h: descriptors kept by path, handed out once, capped.
#include "stale/opened_sources.h"

#include <fcntl.h>

#include "gtest/gtest.h"

namespace jlcache {
namespace {

UniqueFd OpenDevNull() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

TEST(OpenedSourcesTest, OpensOnlyWhenAskedToAndUpToTheCap) {
  EXPECT_FALSE(OpenedSources().WantsOpen()) << "by default: stat";
  EXPECT_FALSE(OpenedSources(false).WantsOpen());
  OpenedSources opened(true);
  for (size_t i = 0; i < OpenedSources::kMaxOpen; ++i) {
    ASSERT_TRUE(opened.WantsOpen()) << i;
    opened.Keep("/src/f" + std::to_string(i), OpenDevNull());
  }
  EXPECT_FALSE(opened.WantsOpen()) << "at the cap";
  UniqueFd taken = opened.Take("/src/f3");
  EXPECT_TRUE(taken.valid());
  EXPECT_FALSE(opened.Take("/src/f3").valid()) << "handed out once";
  EXPECT_FALSE(opened.Take("/src/other").valid());
  EXPECT_TRUE(opened.WantsOpen()) << "room again";
  opened.Keep("/src/none", UniqueFd());  // nothing to keep (not a regular file)
  EXPECT_FALSE(opened.Take("/src/none").valid());
}

}  // namespace
}  // namespace jlcache
