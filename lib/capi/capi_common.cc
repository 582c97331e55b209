#include "capi/capi_common.h"

#include <cstdlib>

namespace jlcache::capi {
namespace {
thread_local std::string t_last_error;
}

void SetLastError(std::string_view message) {
  try {
    t_last_error.assign(message);
  } catch (...) {
    t_last_error.clear();
  }
}

void ClearLastError() { t_last_error.clear(); }
const char* LastErrorCStr() { return t_last_error.c_str(); }

jlcache_status StatusCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return JLCACHE_OK;
    case ErrorKind::kInvalidArgument: return JLCACHE_E_INVALID_ARGUMENT;
    case ErrorKind::kIo: return JLCACHE_E_IO;
    case ErrorKind::kNotFound: return JLCACHE_E_NOT_FOUND;
    case ErrorKind::kPermission: return JLCACHE_E_PERMISSION;
    case ErrorKind::kSymlinkLoop: return JLCACHE_E_SYMLINK_LOOP;
    case ErrorKind::kCorruptCache: return JLCACHE_E_CORRUPT_CACHE;
    case ErrorKind::kUnsupported: return JLCACHE_E_UNSUPPORTED;
    case ErrorKind::kToml: return JLCACHE_E_TOML;
    case ErrorKind::kManifestMissing: return JLCACHE_E_MANIFEST_MISSING;
    case ErrorKind::kPackageNotFound: return JLCACHE_E_PACKAGE_NOT_FOUND;
    case ErrorKind::kNotInstalled: return JLCACHE_E_NOT_INSTALLED;
    case ErrorKind::kRuntime: return JLCACHE_E_RUNTIME;
    case ErrorKind::kTimeout: return JLCACHE_E_TIMEOUT;
    case ErrorKind::kChildFailed: return JLCACHE_E_CHILD_FAILED;
    case ErrorKind::kInternal: return JLCACHE_E_INTERNAL;
  }
  return JLCACHE_E_INTERNAL;
}

jlcache_status Report(const absl::Status& status) {
  if (status.ok()) {
    ClearLastError();
    return JLCACHE_OK;
  }
  SetLastError(Message(status));
  return StatusCodeFor(KindOf(status));
}

jlcache_status InvalidArgument(std::string_view message) {
  SetLastError(message);
  return JLCACHE_E_INVALID_ARGUMENT;
}

jlcache_status CheckOptionsVersion(uint32_t version, uint32_t known, std::string_view function,
                                   std::string_view known_name, std::string_view init) {
  if (version == known) return JLCACHE_OK;
  return InvalidArgument(Cat(function, ": options.version is ", version, "; this library knows ",
                             known_name, " ", known, " (fill the options with ", init, ")"));
}

char* CopyToC(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

}  // namespace jlcache::capi

using namespace jlcache::capi;

extern "C" {

JLCACHE_API int32_t jlcache_abi_version(void) { return JLCACHE_ABI_VERSION; }

JLCACHE_API const char* jlcache_version_string(void) { return JLCACHE_VERSION_STRING; }

JLCACHE_API const char* jlcache_status_name(jlcache_status status) {
  switch (status) {
    case JLCACHE_OK: return "ok";
    case JLCACHE_E_INVALID_ARGUMENT: return "invalid_argument";
    case JLCACHE_E_IO: return "io";
    case JLCACHE_E_NOT_FOUND: return "not_found";
    case JLCACHE_E_PERMISSION: return "permission";
    case JLCACHE_E_SYMLINK_LOOP: return "symlink_loop";
    case JLCACHE_E_CORRUPT_CACHE: return "corrupt_cache";
    case JLCACHE_E_UNSUPPORTED: return "unsupported";
    case JLCACHE_E_TOML: return "toml";
    case JLCACHE_E_MANIFEST_MISSING: return "manifest_missing";
    case JLCACHE_E_PACKAGE_NOT_FOUND: return "package_not_found";
    case JLCACHE_E_NOT_INSTALLED: return "not_installed";
    case JLCACHE_E_RUNTIME: return "runtime";
    case JLCACHE_E_TIMEOUT: return "timeout";
    case JLCACHE_E_CHILD_FAILED: return "child_failed";
    case JLCACHE_E_INTERNAL: return "internal";
  }
  return "unknown_status";
}

JLCACHE_API const char* jlcache_last_error(void) {
  return GuardValue<const char*>("", [] { return jlcache::capi::LastErrorCStr(); });
}

JLCACHE_API void jlcache_string_free(char* s) { std::free(s); }

}  // extern "C"
