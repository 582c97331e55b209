// core/file_io.cc's readers at their buffer boundaries: hashing a file takes
// a small stack buffer below 16 KiB and a heap buffer above, and a directory
// is listed through a fixed 8 KiB getdents64 buffer, so sizes on either side
// of those must give the same answers as reading everything at once.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>

#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/file_journal.h"
#include "gtest/gtest.h"
#include "support/temp_dir.h"
#include "support/unprivileged.h"

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

// StatOpening is a stat that opens: the same answer and the same journal
// entry as StatIfExists, plus a descriptor only for a regular file.
TEST(FileIoTest, StatOpeningAnswersAsStatAndKeepsOnlyARegularFileOpen) {
  test_support::TempDir dir;
  const std::string file = dir.Join("a.jl"), fifo = dir.Join("fifo"), missing = dir.Join("no.jl");
  const std::string data = Bytes(70000);
  test_support::WriteFileOrDie(file, data);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

  FileJournal opened_journal, stat_journal;
  FileAccess opening(&opened_journal), stating(&stat_journal);
  for (const std::string& p : {file, fifo, dir.path(), missing}) {
    UniqueFd fd;
    auto a = opening.StatOpening(p, &fd);  // a FIFO must not wait for a writer
    auto b = stating.StatIfExists(p);
    ASSERT_TRUE(a.ok() && b.ok()) << p;
    ASSERT_EQ(a->has_value(), b->has_value()) << p;
    if (a->has_value()) {
      EXPECT_TRUE(SameIdentity(**a, **b)) << p;
    }
    EXPECT_EQ(fd.valid(), p == file) << p;
    if (p == file) {
      uint64_t size = 0;
      auto crc = opening.Crc32c(std::move(fd), p, (*a)->size, &size);
      ASSERT_TRUE(crc.ok());
      EXPECT_EQ(*crc, Crc32c(data.data(), data.size()));
      EXPECT_EQ(size, data.size());
    }
  }
  EXPECT_FALSE(opened_journal.tainted());
  EXPECT_EQ(opened_journal.SortedViews(), stat_journal.SortedViews());
}

// Run as an unprivileged user (support/unprivileged.h): 1 when the file was
// found by its stat, with its size, and no descriptor came back.
TEST(FileIoTest, StatOpeningAnUnreadableFileStatsItInstead) {
  test_support::TempDir dir;
  test_support::OpenUp(dir.path());
  const std::string file = dir.Join("secret.jl");
  test_support::WriteFileOrDie(file, "x");
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  EXPECT_EQ(test_support::AsUnprivileged([&] {
              UniqueFd fd;
              auto st = FileAccess().StatOpening(file, &fd);
              return st.ok() && st->has_value() && (*st)->size == 1 && !fd.valid() ? 1 : 0;
            }),
            1);
}

}  // namespace
}  // namespace jlcache
