// A small fixed pool of threads for stat/read/hash work. Network filesystems
// make per-file latency dominate; running checks in parallel hides it.
#pragma once

#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace jlcache {

class IoPool {
 public:
  explicit IoPool(int threads);  // threads <= 1: everything runs on the caller
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(i) for i in [0, n), on the pool and the calling thread; returns
  // when all calls have finished. fn must not throw. Safe to nest: a nested
  // call made from a worker runs inline.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  struct Job {
    const std::function<void(size_t)>* fn;
    size_t n;
    size_t next = 0;
    size_t done = 0;
  };
  void WorkerLoop();
  bool RunOne(Job* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::vector<Job*> jobs_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace jlcache
