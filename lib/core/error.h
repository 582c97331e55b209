// absl::Status conventions. Each error carries an ErrorKind payload so the C ABI
// can map it to a distinct status code without parsing messages.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"

namespace jlcache {

enum class ErrorKind {
  kNone = 0,
  kInvalidArgument,
  kIo,
  kNotFound,          // a file or directory that must exist does not
  kPermission,        // EACCES / EPERM
  kSymlinkLoop,       // ELOOP
  kCorruptCache,      // a .ji that cannot be parsed
  kUnsupported,       // unknown format or Julia line
  kToml,              // TOML syntax error (message names file:line:col)
  kManifestMissing,
  kPackageNotFound,   // name not in the environment
  kNotInstalled,      // declared but its source is absent
  kRuntime,           // bad or incomplete runtime profile
  kTimeout,
  kChildFailed,
  kInternal,
};

// Debian's abseil is built with its own absl::string_view (not std's), so
// std::string_view does not convert to it. Convert explicitly at absl calls.
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view FromAbsl(absl::string_view s) { return {s.data(), s.size()}; }

// Concatenates strings, string views, characters and numbers.
template <typename... Args>
std::string Cat(const Args&... args) {
  std::string out;
  auto add = [&out](const auto& a) {
    using T = std::decay_t<decltype(a)>;
    if constexpr (std::is_same_v<T, char>) {
      out.push_back(a);
    } else if constexpr (std::is_same_v<T, bool>) {
      out += a ? "true" : "false";
    } else if constexpr (std::is_arithmetic_v<T>) {
      out += std::to_string(a);
    } else if constexpr (std::is_same_v<T, absl::string_view>) {
      out.append(a.data(), a.size());
    } else {
      out += std::string_view(a);
    }
  };
  (add(args), ...);
  return out;
}

absl::Status MakeError(ErrorKind kind, std::string_view message);
template <typename... Args>
absl::Status Error(ErrorKind kind, const Args&... args) {
  return MakeError(kind, Cat(args...));
}
// The message of a status as std::string_view.
inline std::string_view Message(const absl::Status& s) { return FromAbsl(s.message()); }
ErrorKind KindOf(const absl::Status& status);
std::string_view ErrorKindName(ErrorKind kind);

// Maps errno from a failed call on `path` to a status with the right kind.
absl::Status ErrnoError(int err, std::string_view what, std::string_view path);

}  // namespace jlcache

#define JLC_RETURN_IF_ERROR(expr)                 \
  do {                                            \
    ::absl::Status jlc_status_ = (expr);          \
    if (!jlc_status_.ok()) return jlc_status_;    \
  } while (0)

#define JLC_CONCAT_INNER(a, b) a##b
#define JLC_CONCAT(a, b) JLC_CONCAT_INNER(a, b)
#define JLC_ASSIGN_OR_RETURN(lhs, expr) \
  JLC_ASSIGN_OR_RETURN_IMPL(JLC_CONCAT(jlc_statusor_, __LINE__), lhs, expr)
#define JLC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
