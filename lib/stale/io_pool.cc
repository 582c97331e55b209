#include "stale/io_pool.h"


namespace jlcache {
namespace {
thread_local bool t_in_pool_worker = false;
}

IoPool::IoPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

IoPool::~IoPool() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  for (auto& t : workers_) t.join();
}

bool IoPool::RunOne(Job* job) {
  if (job->next >= job->n) return false;
  size_t i = job->next++;
  mu_.Unlock();
  (*job->fn)(i);
  mu_.Lock();
  ++job->done;
  return true;
}

void IoPool::WorkerLoop() {
  t_in_pool_worker = true;
  absl::MutexLock lock(&mu_);
  for (;;) {
    mu_.Await(absl::Condition(
        +[](IoPool* p) ABSL_NO_THREAD_SAFETY_ANALYSIS {
          if (p->stop_) return true;
          for (Job* j : p->jobs_)
            if (j->next < j->n) return true;
          return false;
        },
        this));
    if (stop_) return;
    for (Job* j : jobs_) {
      if (RunOne(j)) break;
    }
  }
}

void IoPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || t_in_pool_worker) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job{&fn, n};
  absl::MutexLock lock(&mu_);
  jobs_.push_back(&job);
  while (RunOne(&job)) {
  }
  mu_.Await(absl::Condition(
      +[](Job* j) { return j->done == j->n; }, &job));
  std::erase(jobs_, &job);
}

}  // namespace jlcache
