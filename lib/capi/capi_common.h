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

// Option structs follow libgit2: `<name>_init` fills the defaults of a
// version this library knows, and every call taking the struct checks its
// version first. `known_name` is the header's constant, for the message.
template <typename Options>
jlcache_status InitOptions(Options* options, uint32_t version, uint32_t known,
                           std::string_view function, std::string_view known_name) {
  if (!options) return InvalidArgument(Cat(function, ": NULL argument"));
  if (version != known)
    return InvalidArgument(Cat(function, ": unknown version ", version, "; this library knows ",
                               known_name, " ", known));
  *options = Options{};
  options->version = version;
  return JLCACHE_OK;
}
// JLCACHE_OK when `version` is `known`; otherwise the error, naming `init`.
jlcache_status CheckOptionsVersion(uint32_t version, uint32_t known, std::string_view function,
                                   std::string_view known_name, std::string_view init);

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
