#include "core/error.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/cord.h"

namespace jlcache {
namespace {
constexpr std::string_view kPayloadUrl = "jlcache/kind";

absl::StatusCode CodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kToml:
    case ErrorKind::kRuntime:
      return absl::StatusCode::kInvalidArgument;
    case ErrorKind::kNotFound:
    case ErrorKind::kManifestMissing:
    case ErrorKind::kPackageNotFound:
    case ErrorKind::kNotInstalled:
      return absl::StatusCode::kNotFound;
    case ErrorKind::kPermission:
      return absl::StatusCode::kPermissionDenied;
    case ErrorKind::kCorruptCache:
      return absl::StatusCode::kDataLoss;
    case ErrorKind::kUnsupported:
      return absl::StatusCode::kUnimplemented;
    case ErrorKind::kTimeout:
      return absl::StatusCode::kDeadlineExceeded;
    case ErrorKind::kChildFailed:
      return absl::StatusCode::kAborted;
    case ErrorKind::kIo:
    case ErrorKind::kSymlinkLoop:
      return absl::StatusCode::kFailedPrecondition;
    case ErrorKind::kNone:
    case ErrorKind::kInternal:
      break;
  }
  return absl::StatusCode::kInternal;
}
}  // namespace

absl::Status MakeError(ErrorKind kind, std::string_view message) {
  absl::Status s(CodeFor(kind), ToAbsl(message));
  s.SetPayload(ToAbsl(kPayloadUrl), absl::Cord(std::to_string(static_cast<int>(kind))));
  return s;
}

ErrorKind KindOf(const absl::Status& status) {
  if (status.ok()) return ErrorKind::kNone;
  auto payload = status.GetPayload(ToAbsl(kPayloadUrl));
  if (!payload) return ErrorKind::kInternal;
  int v = std::atoi(std::string(*payload).c_str());
  if (v <= 0 || v > static_cast<int>(ErrorKind::kInternal)) return ErrorKind::kInternal;
  return static_cast<ErrorKind>(v);
}

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "ok";
    case ErrorKind::kInvalidArgument: return "invalid_argument";
    case ErrorKind::kIo: return "io";
    case ErrorKind::kNotFound: return "not_found";
    case ErrorKind::kPermission: return "permission";
    case ErrorKind::kSymlinkLoop: return "symlink_loop";
    case ErrorKind::kCorruptCache: return "corrupt_cache";
    case ErrorKind::kUnsupported: return "unsupported";
    case ErrorKind::kToml: return "toml";
    case ErrorKind::kManifestMissing: return "manifest_missing";
    case ErrorKind::kPackageNotFound: return "package_not_found";
    case ErrorKind::kNotInstalled: return "not_installed";
    case ErrorKind::kRuntime: return "runtime";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kChildFailed: return "child_failed";
    case ErrorKind::kInternal: return "internal";
  }
  return "internal";
}

absl::Status ErrnoError(int err, std::string_view what, std::string_view path) {
  ErrorKind kind = ErrorKind::kIo;
  if (err == ENOENT || err == ENOTDIR) kind = ErrorKind::kNotFound;
  if (err == EACCES || err == EPERM) kind = ErrorKind::kPermission;
  if (err == ELOOP) kind = ErrorKind::kSymlinkLoop;
  return Error(kind, what, " ", path, ": ", std::strerror(err));
}

}  // namespace jlcache
