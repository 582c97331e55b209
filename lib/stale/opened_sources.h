// Descriptors of one candidate's files, opened when they were first stat'ed
// so that hashing them does not open each a second time.
//
// A cold check hashes every source and the native library: stat, then open,
// fstat and read made two path lookups and two stats per file. Opening at
// once gives the query the same stat (fstat of what the path named) and the
// descriptor to read. The engine opens a candidate's files this way only
// when the content memo does not know its cache file: then its sources are
// most likely unknown too. Otherwise each is only stat'ed, as a warm check
// needs (the memo answers for its contents).
//
// At most kMaxOpen descriptors are kept per candidate, and all candidates
// together hold at most what a shared budget allows (the engine's: a host
// process's own opens must not run out because a check is running); a file
// past either limit is stat'ed. Whatever is not taken is closed with the
// object. Not thread-safe (one candidate's check runs on one thread); the
// budget is atomic.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/unique_fd.h"

namespace jlcache {

class OpenedSources {
 public:
  static constexpr size_t kMaxOpen = 32;

  OpenedSources() = default;
  // budget: descriptors left for all candidates (null: no shared limit).
  OpenedSources(bool open_when_stating, std::atomic<int>* budget)
      : open_(open_when_stating), budget_(budget) {}
  OpenedSources(const OpenedSources&) = delete;
  OpenedSources& operator=(const OpenedSources&) = delete;
  ~OpenedSources() {
    if (budget_) budget_->fetch_add(static_cast<int>(kept_.size()), std::memory_order_relaxed);
  }

  // Whether the next stat may open its file: asked to, with room here and
  // in the budget. True reserves a descriptor; Keep() must follow.
  bool Reserve() {
    if (!open_ || kept_.size() >= kMaxOpen) return false;
    if (budget_ && budget_->fetch_sub(1, std::memory_order_relaxed) <= 0) {
      budget_->fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  // After Reserve(): keeps fd for path, or gives the reservation back when
  // there is none (the file was not a regular file, or not opened).
  void Keep(std::string_view path, UniqueFd fd) {
    if (fd.valid()) {
      kept_.emplace_back(std::string(path), std::move(fd));
    } else if (budget_) {
      budget_->fetch_add(1, std::memory_order_relaxed);
    }
  }
  // The descriptor kept for path, if any (no longer kept or counted).
  UniqueFd Take(std::string_view path) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->first != path) continue;
      UniqueFd fd = std::move(it->second);
      kept_.erase(it);
      if (budget_) budget_->fetch_add(1, std::memory_order_relaxed);
      return fd;
    }
    return UniqueFd();
  }

 private:
  bool open_ = false;
  std::atomic<int>* budget_ = nullptr;
  std::vector<std::pair<std::string, UniqueFd>> kept_;
};

}  // namespace jlcache
