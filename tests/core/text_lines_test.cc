#include "core/text_lines.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace jlcache {
namespace {

std::vector<std::string> All(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view line : Lines(text)) out.emplace_back(line);
  return out;
}

TEST(Lines, SplitsOnNewlinesAndDropsCarriageReturns) {
  using V = std::vector<std::string>;
  EXPECT_EQ(All(""), V{});
  EXPECT_EQ(All("\n"), V{""});
  EXPECT_EQ(All("a"), V{"a"});
  EXPECT_EQ(All("a\n"), V{"a"});
  EXPECT_EQ(All("a\n\nb"), (V{"a", "", "b"}));
  EXPECT_EQ(All("a\r\nb\r\n"), (V{"a", "b"}));
  EXPECT_EQ(All("a\rb\n"), V{"a\rb"});  // only a '\r' before the newline goes
}

TEST(Lines, BreakStopsEarly) {
  int n = 0;
  for (std::string_view line : Lines("x\ny\nstop\nz\n")) {
    ++n;
    if (line == "stop") break;
  }
  EXPECT_EQ(n, 3);
}

TEST(TrimBlanks, RemovesSpacesAndTabsAtBothEnds) {
  EXPECT_EQ(TrimBlanks(" \t model name\t "), "model name");
  EXPECT_EQ(TrimBlanks(" \t "), "");
  EXPECT_EQ(TrimBlanks("a b"), "a b");
}

TEST(SpaceSeparatedWords, RunsOfSpacesSeparateAndNothingElseDoes) {
  using W = std::vector<std::string_view>;
  EXPECT_EQ(SpaceSeparatedWords("JLCACHE-CLONE-OK  00ff"), (W{"JLCACHE-CLONE-OK", "00ff"}));
  EXPECT_EQ(SpaceSeparatedWords("  a\tb c  "), (W{"a\tb", "c"}));
  EXPECT_TRUE(SpaceSeparatedWords("   ").empty());
  EXPECT_TRUE(SpaceSeparatedWords("").empty());
}

}  // namespace
}  // namespace jlcache
