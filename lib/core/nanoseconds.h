// Times as nanoseconds since the epoch, computed without overflow.
//
// stat(2) times come from files, and the memo files hold them as written by
// whoever wrote the file: a time past the year 2262 (touch -d 2300-01-01) or
// a hostile value does not fit in int64 nanoseconds, and the plain product
// is undefined behaviour. Callers treat "does not fit" as "cannot be
// trusted", never as a match.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace jlcache {

// sec * 10^9 + nsec, or nullopt when it does not fit.
inline std::optional<int64_t> CheckedNs(int64_t sec, int64_t nsec) {
  int64_t out;
  if (__builtin_mul_overflow(sec, int64_t{1'000'000'000}, &out) ||
      __builtin_add_overflow(out, nsec, &out))
    return std::nullopt;
  return out;
}

// a - b, clamped to the int64 range.
inline int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t out;
  if (!__builtin_sub_overflow(a, b, &out)) return out;
  return b < 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
}

}  // namespace jlcache
