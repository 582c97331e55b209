// core/string_arena.h and the tables that key on it (MemoTable with
// string_view keys, the file journal): a key must outlive the caller's
// buffer, stay NUL-terminated for the system call, and survive the arena
// growing past a block.
#include "core/string_arena.h"

#include <string>
#include <vector>

#include "core/file_journal.h"
#include "core/memo_table.h"
#include "gtest/gtest.h"

namespace jlcache {
namespace {

TEST(StringArenaTest, CopiesStayIntactAcrossManyBlocks) {
  StringArena arena;
  std::vector<std::pair<std::string, std::string_view>> kept;
  // ~100 bytes each: several 64 KiB blocks, and a few that do not fit the
  // remainder of the current one.
  for (int i = 0; i < 3000; ++i) {
    std::string s = "/depot/packages/P" + std::to_string(i) + "/" + std::string(i % 97, 'x');
    kept.emplace_back(s, arena.Copy(s));
  }
  for (const auto& [want, got] : kept) {
    EXPECT_EQ(got, want);
    EXPECT_EQ(got.data()[got.size()], '\0');  // usable as a C string
  }
}

TEST(StringArenaTest, LargeAndEmptyStrings) {
  StringArena arena;
  const std::string small = arena.Copy("before").data();
  const std::string big(200'000, 'b');
  std::string_view b = arena.Copy(big);
  std::string_view after = arena.Copy("after");
  std::string_view empty = arena.Copy("");
  EXPECT_EQ(b, big);
  EXPECT_EQ(b.data()[b.size()], '\0');
  EXPECT_EQ(small, "before");
  EXPECT_EQ(after, "after");
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.data()[0], '\0');
}

TEST(MemoTableTest, StringViewKeysAreCopiedNotBorrowed) {
  MemoTable<std::string_view, int> table;
  int computed = 0;
  {
    std::string key = "/a/path/that/is/longer/than/the/small/string/buffer";
    EXPECT_EQ(table.Get(std::string_view(key), [&] { return ++computed; }), 1);
    key.assign(key.size(), '?');  // the caller's buffer changes; the table's key must not
  }
  std::string again = "/a/path/that/is/longer/than/the/small/string/buffer";
  EXPECT_EQ(table.Get(std::string_view(again), [&] { return ++computed; }), 1);
  EXPECT_EQ(table.Get(std::string_view(std::string(again.size(), '?')), [&] { return ++computed; }), 2);
  EXPECT_EQ(computed, 2);
}

TEST(FileJournalTest, RecordCopiesThePath) {
  FileJournal journal;
  FileSignature sig;
  sig.present = true;
  sig.ino = 7;
  {
    std::string path = "/depot/compiled/v1.11/Foo/abcde_12345.ji";
    journal.Record(path, sig);
    path.assign(path.size(), '#');
  }
  auto views = journal.SortedViews();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].first, "/depot/compiled/v1.11/Foo/abcde_12345.ji");
  sig.ino = 8;  // the same path seen two ways
  journal.Record(std::string("/depot/compiled/v1.11/Foo/abcde_12345.ji"), sig);
  EXPECT_TRUE(journal.tainted());
  EXPECT_EQ(journal.Entries().size(), 1u);
}

}  // namespace
}  // namespace jlcache
