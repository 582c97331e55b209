// stale/io_pool.h: every index runs exactly once, whatever the pool size,
// nesting or number of concurrent callers, and ParallelFor returns only
// after the last one has finished.
#include "stale/io_pool.h"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace jlcache {
namespace {

void ExpectEachIndexOnce(IoPool& pool, size_t n) {
  std::vector<std::atomic<int>> runs(n);
  pool.ParallelFor(n, [&](size_t i) { runs[i].fetch_add(1); });
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "index " << i;
}

TEST(IoPoolTest, RunsEachIndexExactlyOnce) {
  for (int threads : {0, 1, 2, 4, 8}) {
    IoPool pool(threads);
    EXPECT_EQ(pool.threads(), threads <= 1 ? 1 : threads);
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{7}, size_t{1000}}) {
      ExpectEachIndexOnce(pool, n);
    }
  }
}

TEST(IoPoolTest, ReturnsOnlyAfterTheSlowestItem) {
  IoPool pool(4);
  std::atomic<int> finished{0};
  pool.ParallelFor(8, [&](size_t i) {
    if (i == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished.fetch_add(1);
  });
  EXPECT_EQ(finished.load(), 8);
}

TEST(IoPoolTest, UsesMoreThanOneThread) {
  IoPool pool(4);
  std::atomic<int> inside{0}, most{0};
  pool.ParallelFor(64, [&](size_t) {
    int now = inside.fetch_add(1) + 1;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    inside.fetch_sub(1);
  });
  EXPECT_GT(most.load(), 1);
}

TEST(IoPoolTest, NestedCallsRunInline) {
  IoPool pool(4);
  std::vector<std::atomic<int>> runs(20 * 30);
  pool.ParallelFor(20, [&](size_t i) {
    pool.ParallelFor(30, [&](size_t j) { runs[i * 30 + j].fetch_add(1); });
  });
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
}

TEST(IoPoolTest, SeveralCallersAtOnce) {
  IoPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> runs(97);
        pool.ParallelFor(runs.size(), [&](size_t i) { runs[i].fetch_add(1); });
        for (const auto& r : runs) wrong += r.load() != 1;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(IoPoolTest, AnExceptionReachesTheCallerAndStopsTheRest) {
  IoPool pool(4);
  for (size_t thrower : {size_t{0}, size_t{5}, size_t{63}}) {
    std::atomic<int> ran{0};
    bool caught = false;
    try {
      pool.ParallelFor(64, [&](size_t i) {
        ran.fetch_add(1);
        if (i == thrower) throw std::runtime_error("item failed");
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "item failed";
    }
    EXPECT_TRUE(caught) << "thrower " << thrower;
    EXPECT_LE(ran.load(), 64);
    // The pool is still usable, and no worker is left inside the old job.
    ExpectEachIndexOnce(pool, 100);
  }
}

}  // namespace
}  // namespace jlcache
