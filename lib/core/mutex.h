// The library's mutex: std::mutex with abseil's thread-safety annotations.
//
// Not absl::Mutex: the first time any absl::Mutex in a process has to block,
// abseil measures the CPU's frequency by sleeping 1, 2, 4 ms... (when the
// kernel does not publish it, as on the VMs we measure), and it does so
// while it holds that mutex's internal lock, so every thread that wants the
// mutex waits too. A `jlcache status` is a new process that lives ~50 ms:
// that was ~3 ms of it (benchmarks/RESULTS.md §17). std::mutex blocks on a
// futex and measures nothing.
#pragma once

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace jlcache {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace jlcache
