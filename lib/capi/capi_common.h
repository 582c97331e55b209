// Shared by the lib/capi/*.cc files: the thread-local error message, status
// mapping, and the guard that keeps exceptions from crossing the boundary.
#pragma once

#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "core/error.h"
#include "jlcache.h"

namespace jlcache::capi {

void SetLastError(std::string_view message);
void ClearLastError();
const char* LastErrorCStr();
jlcache_status StatusCodeFor(ErrorKind kind);
// Records the message and returns the mapped code (JLCACHE_OK for ok).
jlcache_status Report(const absl::Status& status);
jlcache_status InvalidArgument(std::string_view message);
// A malloc'd copy, freed by jlcache_string_free.
char* CopyToC(std::string_view s);

// Runs body() (returning jlcache_status); any exception becomes an error.
template <typename F>
jlcache_status Guard(F&& body) noexcept {
  try {
    ClearLastError();
    return body();
  } catch (const std::bad_alloc&) {
    SetLastError("out of memory");
    return JLCACHE_E_INTERNAL;
  } catch (const std::exception& e) {
    SetLastError(std::string("internal error: ") + e.what());
    return JLCACHE_E_INTERNAL;
  } catch (...) {
    SetLastError("internal error: unknown exception");
    return JLCACHE_E_INTERNAL;
  }
}

// For getters that cannot report a status: returns fallback on exception.
template <typename T, typename F>
T GuardValue(T fallback, F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fallback;
  }
}

}  // namespace jlcache::capi
