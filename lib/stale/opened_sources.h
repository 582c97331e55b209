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
// At most kMaxOpen descriptors are kept; a candidate with more files has the
// rest stat'ed. Whatever is not taken is closed with the object.
// Not thread-safe: one candidate's check runs on one thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/unique_fd.h"

namespace jlcache {

class OpenedSources {
 public:
  // ~Tens of descriptors per thread: a host process's own opens must not
  // run out because a check is running.
  static constexpr size_t kMaxOpen = 32;

  explicit OpenedSources(bool open_when_stating = false) : open_(open_when_stating) {}
  // Whether the next stat should open (asked for, and room left).
  bool WantsOpen() const { return open_ && kept_.size() < kMaxOpen; }
  void Keep(std::string_view path, UniqueFd fd) {
    if (fd.valid()) kept_.emplace_back(std::string(path), std::move(fd));
  }
  // The descriptor kept for path, if any (it is then no longer kept).
  UniqueFd Take(std::string_view path) {
    for (auto it = kept_.begin(); it != kept_.end(); ++it) {
      if (it->first != path) continue;
      UniqueFd fd = std::move(it->second);
      kept_.erase(it);
      return fd;
    }
    return UniqueFd();
  }

 private:
  bool open_;
  std::vector<std::pair<std::string, UniqueFd>> kept_;
};

}  // namespace jlcache
