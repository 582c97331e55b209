#include "stale/io_pool.h"

#include <algorithm>

namespace jlcache {
namespace {
thread_local bool t_in_pool_worker = false;
}

IoPool::IoPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

IoPool::~IoPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_.notify_all();
  for (auto& t : workers_) t.join();
}

std::exception_ptr IoPool::Drain(Job* job) {
  try {
    for (size_t i = job->next.fetch_add(1, std::memory_order_relaxed); i < job->n;
         i = job->next.fetch_add(1, std::memory_order_relaxed)) {
      (*job->fn)(i);
    }
  } catch (...) {
    job->next.store(job->n, std::memory_order_relaxed);
    return std::current_exception();
  }
  return nullptr;
}

void IoPool::WorkerLoop() {
  t_in_pool_worker = true;
  std::unique_lock lock(mu_);
  for (;;) {
    Job* job = nullptr;
    work_.wait(lock, [&] {
      if (stop_) return true;
      auto open = std::find_if(jobs_.begin(), jobs_.end(), [](Job* j) {
        return j->next.load(std::memory_order_relaxed) < j->n;
      });
      job = open == jobs_.end() ? nullptr : *open;
      return job != nullptr;
    });
    if (stop_) return;
    // Joined under the lock: the job's owner cannot return while helpers > 0.
    ++job->helpers;
    lock.unlock();
    std::exception_ptr failure = Drain(job);
    lock.lock();
    if (failure && !job->failure) job->failure = failure;
    if (--job->helpers == 0) left_.notify_all();
  }
}

void IoPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || t_in_pool_worker) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job{&fn, n};
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(&job);
  }
  work_.notify_all();
  std::exception_ptr failure = Drain(&job);
  // Every item is claimed now, so no worker can join; wait for those inside.
  std::unique_lock lock(mu_);
  left_.wait(lock, [&] { return job.helpers == 0; });
  std::erase(jobs_, &job);
  if (!failure) failure = job.failure;
  lock.unlock();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace jlcache
