// A small fixed pool of threads for stat/read/hash work. Network filesystems
// make per-file latency dominate; running checks in parallel hides it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jlcache {

class IoPool {
 public:
  explicit IoPool(int threads);  // threads <= 1: everything runs on the caller
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  // Calls fn(i) for i in [0, n), on the pool and the calling thread; returns
  // when all calls have finished. Safe to nest: a nested call made from a
  // worker runs inline. Safe to call from several threads. If a call throws
  // (std::bad_alloc, which the C ABI turns into an error), the items not yet
  // started are skipped and the first exception is rethrown here once no
  // worker is inside.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  // Items are claimed with an atomic counter, not under the lock: a status
  // hands out thousands, and the lock is only for joining and leaving.
  struct Job {
    const std::function<void(size_t)>* fn;
    size_t n;
    std::atomic<size_t> next{0};
    int helpers = 0;                       // workers inside Drain(), guarded by mu_
    std::exception_ptr failure = nullptr;  // the first exception, guarded by mu_
  };
  // Runs items until none is left; returns what an item threw (and then
  // claims every remaining item, so that nobody starts another).
  static std::exception_ptr Drain(Job* job);
  void WorkerLoop();

  // A bare std::mutex (core/mutex.h says why not absl::Mutex): the
  // condition variables need one.
  std::mutex mu_;
  std::condition_variable work_;  // a job was posted, or stop_
  std::condition_variable left_;  // a worker left a job
  std::vector<Job*> jobs_;        // guarded by mu_
  bool stop_ = false;             // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace jlcache
