// Copies of strings that live as long as the arena, packed into large
// blocks: one allocation per ~64 KiB of text instead of one per string. A
// query's tables keep thousands of paths; as std::strings each was its own
// allocation (and its own freshly faulted heap), the largest part of a
// re-check's CPU time outside the system calls.
//
// Not thread-safe: an owner that shares it holds its own lock.
#pragma once

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace jlcache {

class StringArena {
 public:
  StringArena() = default;
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;

  // A NUL-terminated copy of s (so the view can be handed to a system call
  // as view.data()), valid until the arena is destroyed.
  std::string_view Copy(std::string_view s) {
    const size_t need = s.size() + 1;
    if (need > left_) {
      // A string larger than a quarter block gets a block of its own, so
      // the current block's remainder is not thrown away for it.
      if (need > kBlock / 4) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(need));
        return Place(blocks_.back().get(), s);
      }
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(kBlock));
      next_ = blocks_.back().get();
      left_ = kBlock;
    }
    std::string_view out = Place(next_, s);
    next_ += need;
    left_ -= need;
    return out;
  }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  static std::string_view Place(char* at, std::string_view s) {
    if (!s.empty()) std::memcpy(at, s.data(), s.size());
    at[s.size()] = '\0';
    return {at, s.size()};
  }
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace jlcache
