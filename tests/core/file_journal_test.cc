// The file journal's sharding (core/file_journal.h, core/shard_index.h): many
// I/O threads record at once, and the journal must still see every path,
// list each once in order, and notice one path seen two ways.
#include "core/file_journal.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/hash/hash.h"
#include "core/memo_table.h"
#include "core/shard_index.h"
#include "gtest/gtest.h"

namespace jlcache {
namespace {

TEST(ShardIndexTest, TakesTheTopBitsOfTheHash) {
  constexpr size_t kTop = size_t{1} << (sizeof(size_t) * 8 - 4);
  EXPECT_EQ(ShardIndex<16>(0), 0u);
  EXPECT_EQ(ShardIndex<16>(0xF), 0u);  // low bits: the map's control tag, not the shard
  EXPECT_EQ(ShardIndex<16>(kTop), 1u);
  EXPECT_EQ(ShardIndex<16>(kTop * 15 + 0xF), 15u);
  EXPECT_EQ(ShardIndex<16>(~size_t{0}), 15u);
  EXPECT_EQ(ShardIndex<2>(~size_t{0}), 1u);
}

// Within one shard the keys' low hash bits (absl's control tag) still vary,
// so a shard's flat_hash_map filters as well as an unsharded one would.
TEST(ShardIndexTest, KeysInOneShardKeepDistinctLowHashBits) {
  std::vector<std::set<size_t>> tags(16);
  for (int i = 0; i < 4000; ++i) {
    const std::string path = "/depot/packages/P" + std::to_string(i) + "/src/file.jl";
    const size_t h = absl::Hash<std::string_view>{}(path);
    tags[ShardIndex<16>(h)].insert(h & 0x7F);
  }
  for (size_t s = 0; s < tags.size(); ++s) {
    // ~250 keys per shard; 128 possible tags. Low-bit sharding leaves 8.
    EXPECT_GT(tags[s].size(), 64u) << "shard " << s;
  }
}

TEST(MemoTableTest, ComputesEachKeyOnceAcrossThreadsAndShards) {
  MemoTable<std::string, int> table;
  table.Reserve(512);
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 256; ++i) {
        const std::string key = "k" + std::to_string(i);
        EXPECT_EQ(table.Get(key, [&] {
          ++computed;
          return i;
        }),
                  i);
      }
    });
  for (auto& th : threads) th.join();
  // Computed at least once per key; a second lookup never computes again.
  EXPECT_GE(computed.load(), 256);
  const int before = computed.load();
  for (int i = 0; i < 256; ++i)
    EXPECT_EQ(table.Get("k" + std::to_string(i), [&] { ++computed; return -1; }), i);
  EXPECT_EQ(computed.load(), before);
}

FileSignature Sig(uint64_t ino, uint64_t size) {
  FileSignature s;
  s.present = true;
  s.dev = 42;
  s.ino = ino;
  s.size = size;
  s.mode = 0100644;
  s.mtime_sec = 1'700'000'000;
  s.ctime_sec = 1'700'000'000;
  return s;
}

std::string PathOf(int i) { return "/depot/compiled/v1.10/P" + std::to_string(i) + "/x.ji"; }

TEST(FileJournalTest, ManyThreadsRecordEveryShardCompletelyAndInOrder) {
  constexpr int kPaths = 600;
  constexpr int kThreads = 6;
  // The paths reach every shard, so every lock and map is exercised.
  std::set<size_t> shards;
  for (int i = 0; i < kPaths; ++i) shards.insert(ShardIndex<16>(absl::Hash<std::string_view>{}(PathOf(i))));
  ASSERT_EQ(shards.size(), 16u);

  FileJournal journal(kPaths);
  std::atomic<bool> done{false};
  // A reader takes consistent snapshots while the writers run.
  std::thread reader([&] {
    while (!done.load()) {
      auto snap = journal.Entries();
      ASSERT_TRUE(std::is_sorted(snap.begin(), snap.end(),
                                 [](const auto& a, const auto& b) { return a.first < b.first; }));
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t)
    writers.emplace_back([&, t] {
      // Every thread records every path (in its own order) with the same
      // signature: overlapping observations that agree.
      for (int k = 0; k < kPaths; ++k) {
        const int i = (k * 7 + t * 101) % kPaths;
        journal.Record(PathOf(i), Sig(static_cast<uint64_t>(i), 10));
      }
    });
  for (auto& th : writers) th.join();
  done = true;
  reader.join();

  EXPECT_FALSE(journal.tainted()) << journal.taint_reason();
  auto entries = journal.Entries();
  ASSERT_EQ(entries.size(), static_cast<size_t>(kPaths));
  for (size_t i = 1; i < entries.size(); ++i) EXPECT_LT(entries[i - 1].first, entries[i].first) << i;
  std::vector<std::string> expected;
  for (int i = 0; i < kPaths; ++i) expected.push_back(PathOf(i));
  std::sort(expected.begin(), expected.end());
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(entries[i].first, expected[i]);
    const int n = std::stoi(entries[i].first.substr(std::string("/depot/compiled/v1.10/P").size()));
    EXPECT_EQ(entries[i].second, Sig(static_cast<uint64_t>(n), 10)) << entries[i].first;
  }
}

TEST(FileJournalTest, OnePathSeenTwoWaysFromDifferentThreadsTaints) {
  FileJournal journal;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) journal.Record(PathOf(t * 100 + i), Sig(static_cast<uint64_t>(i), 1));
    });
  for (auto& th : threads) th.join();
  ASSERT_FALSE(journal.tainted()) << journal.taint_reason();
  // One path observed by two threads with different sizes (it changed mid-query).
  std::thread first([&] { journal.Record("/depot/changing.jl", Sig(1, 10)); });
  first.join();
  EXPECT_FALSE(journal.tainted());
  std::thread second([&] { journal.Record("/depot/changing.jl", Sig(1, 11)); });
  second.join();
  EXPECT_TRUE(journal.tainted());
  EXPECT_NE(journal.taint_reason().find("/depot/changing.jl"), std::string::npos) << journal.taint_reason();
  // Listed once, with what was seen first.
  auto entries = journal.Entries();
  EXPECT_EQ(entries.size(), 401u);
  auto it = std::find_if(entries.begin(), entries.end(),
                         [](const auto& e) { return e.first == "/depot/changing.jl"; });
  ASSERT_NE(it, entries.end());
  EXPECT_EQ(it->second, Sig(1, 10));
}

TEST(FileJournalTest, TwoDifferentSignaturesRacingFromManyThreadsAlwaysTaint) {
  for (int round = 0; round < 20; ++round) {
    FileJournal journal;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        while (!go.load()) {
        }
        for (int i = 0; i < 40; ++i) journal.Record(PathOf(t * 1000 + i), Sig(1, 1));
        journal.Record("/depot/raced.jl", Sig(7, t % 2 ? 100 : 200));
      });
    go = true;
    for (auto& th : threads) th.join();
    EXPECT_TRUE(journal.tainted()) << "round " << round;
    EXPECT_EQ(journal.Entries().size(), 161u);
  }
}

}  // namespace
}  // namespace jlcache
