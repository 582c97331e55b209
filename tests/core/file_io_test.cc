// core/file_io.cc's readers at their buffer boundaries: hashing a file takes
// a small stack buffer below 16 KiB and a heap buffer above, and a directory
// is listed through a fixed 8 KiB getdents64 buffer, so sizes on either side
// of those must give the same answers as reading everything at once.
#include <algorithm>
#include <set>
#include <string>

#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/file_journal.h"
#include "gtest/gtest.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

std::string Bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

TEST(FileIoTest, FileCrcMatchesTheBytesAtEveryBufferBoundary) {
  test_support::TempDir dir;
  for (size_t n : {size_t{0}, size_t{1}, size_t{16383}, size_t{16384}, size_t{16385},
                   size_t{65535}, size_t{65536}, size_t{65537}, size_t{200001}}) {
    const std::string path = dir.Join("f" + std::to_string(n));
    const std::string data = Bytes(n);
    test_support::WriteFileOrDie(path, data);
    uint64_t size = 12345;
    auto crc = FileAccess().Crc32c(path, &size);
    ASSERT_TRUE(crc.ok()) << n;
    EXPECT_EQ(*crc, Crc32c(data.data(), data.size())) << n;
    EXPECT_EQ(size, n);
    for (uint64_t len : {uint64_t{0}, uint64_t{1}, uint64_t{16384}, uint64_t{n}}) {
      if (len > n) continue;
      auto prefix = FileAccess().Crc32cPrefix(path, len);
      ASSERT_TRUE(prefix.ok()) << n << " " << len;
      EXPECT_EQ(*prefix, Crc32c(data.data(), len)) << n << " " << len;
    }
    if (n > 0) {
      EXPECT_FALSE(FileAccess().Crc32cPrefix(path, n + 1).ok()) << "longer than the file";
    }
  }
}

TEST(FileIoTest, ListingManyLongNamesTakesSeveralReadsAndMissesNone) {
  test_support::TempDir dir;
  std::set<std::string> want;
  for (int i = 0; i < 600; ++i) {  // ~150 bytes a record: ~90 KB of records
    std::string name = "entry-" + std::to_string(i) + "-" + std::string(120, 'x');
    test_support::WriteFileOrDie(dir.Join(name), "");
    want.insert(name);
  }
  FileJournal journal;
  auto names = FileAccess(&journal).ListDir(dir.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(std::set<std::string>(names->begin(), names->end()), want);
  EXPECT_EQ(names->size(), want.size());  // each once
  EXPECT_FALSE(journal.tainted());
  auto views = journal.SortedViews();
  ASSERT_EQ(views.size(), 1u);  // the directory itself, as it was opened
  EXPECT_TRUE(views[0].second.present);
  EXPECT_TRUE(FileAccess().ListDirIfExists(dir.Join("missing")).ok());
  EXPECT_FALSE(FileAccess().ListDirIfExists(dir.Join("missing"))->has_value());
}

}  // namespace
}  // namespace jlcache
