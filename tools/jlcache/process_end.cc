#include "tools/jlcache/process_end.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace jlcache::cli {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kTearDown = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
constexpr bool kTearDown = true;
#else
constexpr bool kTearDown = false;
#endif
#else
constexpr bool kTearDown = false;
#endif

}  // namespace

void KeepUntilExit(std::unique_ptr<Session> session) {
  if (kTearDown) return;  // freed here
  // Never destroyed: reachable until the process ends.
  static auto* kept = new std::vector<std::unique_ptr<Session>>();
  kept->push_back(std::move(session));
}

int EndProcess(int code) {
  if (kTearDown) return code;
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(code);
}

}  // namespace jlcache::cli
