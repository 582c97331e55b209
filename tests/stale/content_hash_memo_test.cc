// The content-hash memo's lazy load (stale/content_hash_memo.h,
// LoadOnFirstUse): the saved file is read at first use, and whatever the
// first use is, the memo must behave as if it had been loaded up front.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "stale/content_hash_memo.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

constexpr int64_t kHashedAt = 1'800'000'000LL * 1'000'000'000LL;

FileInfo Info(uint64_t ino, uint64_t size) {
  FileInfo f;
  f.dev = 3;
  f.ino = ino;
  f.size = size;
  f.mtime_sec = 1'700'000'000;
  f.ctime_sec = 1'700'000'000;
  return f;
}
uint32_t CrcOf(uint64_t ino) { return static_cast<uint32_t>(0xC0DE0000u + ino); }

// A saved memo of n entries (ino 1..n, crc CrcOf(ino)).
std::string SavedMemo(const test_support::TempDir& dir, uint64_t n) {
  ContentHashMemo m;
  for (uint64_t i = 1; i <= n; ++i) m.Insert(Info(i, i * 10), CrcOf(i), kHashedAt);
  const std::string path = dir.Join("memo/hashmemo.bin");
  EXPECT_TRUE(m.Save(path).ok());
  return path;
}

TEST(ContentHashMemoLazyLoad, SavingBeforeAnyLookupKeepsWhatWasSaved) {
  test_support::TempDir dir;
  const std::string saved = SavedMemo(dir, 5);
  ContentHashMemo lazy;
  lazy.LoadOnFirstUse(saved);
  const std::string again = dir.Join("memo/again.bin");
  ASSERT_TRUE(lazy.Save(again).ok());  // never looked anything up
  ContentHashMemo reread;
  ASSERT_TRUE(reread.Load(again).ok());
  EXPECT_EQ(reread.size(), 5u);
  for (uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(reread.Lookup(Info(i, i * 10)), CrcOf(i)) << i;
  // Saving over the very file it was to load from keeps them too.
  ContentHashMemo same;
  same.LoadOnFirstUse(saved);
  ASSERT_TRUE(same.Save(saved).ok());
  ContentHashMemo after;
  ASSERT_TRUE(after.Load(saved).ok());
  EXPECT_EQ(after.size(), 5u);
}

TEST(ContentHashMemoLazyLoad, ClearBeforeFirstUseForgetsTheSavedEntries) {
  test_support::TempDir dir;
  const std::string saved = SavedMemo(dir, 5);
  ContentHashMemo lazy;
  lazy.LoadOnFirstUse(saved);
  lazy.Clear();
  EXPECT_EQ(lazy.size(), 0u);  // not loaded later either
  EXPECT_FALSE(lazy.Lookup(Info(1, 10)).has_value());
  EXPECT_TRUE(lazy.dirty());
  ASSERT_TRUE(lazy.Save(saved).ok());
  ContentHashMemo reread;
  ASSERT_TRUE(reread.Load(saved).ok());
  EXPECT_EQ(reread.size(), 0u);
  EXPECT_FALSE(reread.Lookup(Info(1, 10)).has_value());
}

TEST(ContentHashMemoLazyLoad, AnInsertBeforeFirstUseOverridesTheSavedEntry) {
  test_support::TempDir dir;
  const std::string saved = SavedMemo(dir, 5);
  // The file behind inode 2 changed (new size) and was hashed again before
  // anything was looked up: the new hash must win over the saved one.
  ContentHashMemo lazy;
  lazy.LoadOnFirstUse(saved);
  lazy.Insert(Info(2, 21), 0xBEEF, kHashedAt);
  EXPECT_EQ(lazy.Lookup(Info(2, 21)), 0xBEEFu);
  EXPECT_FALSE(lazy.Lookup(Info(2, 20)).has_value());  // the saved key is gone
  EXPECT_EQ(lazy.Lookup(Info(3, 30)), CrcOf(3));      // the rest was loaded
  EXPECT_EQ(lazy.size(), 5u);
  // Same key, new hash (as after a same-stat re-hash): also the newer one.
  ContentHashMemo same_key;
  same_key.LoadOnFirstUse(saved);
  same_key.Insert(Info(4, 40), 0xF00D, kHashedAt);
  EXPECT_EQ(same_key.Lookup(Info(4, 40)), 0xF00Du);
  // And what is saved then is the override.
  ASSERT_TRUE(lazy.Save(saved).ok());
  ContentHashMemo reread;
  ASSERT_TRUE(reread.Load(saved).ok());
  EXPECT_EQ(reread.Lookup(Info(2, 21)), 0xBEEFu);
  EXPECT_FALSE(reread.Lookup(Info(2, 20)).has_value());
}

TEST(ContentHashMemoLazyLoad, ThreadsMakingTheirFirstLookupAtOnceAllSeeTheFile) {
  test_support::TempDir dir;
  constexpr uint64_t kEntries = 20000;  // a load that takes a while
  const std::string saved = SavedMemo(dir, kEntries);
  for (int round = 0; round < 5; ++round) {
    ContentHashMemo lazy;
    lazy.LoadOnFirstUse(saved);
    constexpr int kThreads = 8;
    std::atomic<int> ready{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        ++ready;
        while (ready.load() < kThreads) {
        }
        for (uint64_t i = 1 + static_cast<uint64_t>(t); i <= kEntries; i += 997) {
          auto got = lazy.Lookup(Info(i, i * 10));
          if (!got || *got != CrcOf(i)) ++wrong;
        }
      });
    for (auto& th : threads) th.join();
    EXPECT_EQ(wrong.load(), 0) << "round " << round;
    EXPECT_EQ(lazy.size(), kEntries);
    EXPECT_FALSE(lazy.dirty());  // loading is not a change
  }
}

}  // namespace
}  // namespace jlcache
