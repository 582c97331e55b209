// A package UUID as Julia sees it: a 128-bit integer whose big-endian hex digits
// are the canonical text form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/hash/hash.h"

namespace jlcache {

struct Uuid {
  uint64_t hi = 0;  // most-significant 64 bits
  uint64_t lo = 0;

  bool IsZero() const { return hi == 0 && lo == 0; }
  // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case.
  std::string ToString() const;
  // Accepts the canonical 36-character form (either case). Nothing else.
  static std::optional<Uuid> Parse(std::string_view text);
  // The 128-bit value as 16 little-endian bytes: the form Julia hashes and the
  // form `requires` records store.
  void ToLittleEndianBytes(unsigned char out[16]) const;
  static Uuid FromLittleEndianBytes(const unsigned char in[16]);

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine(std::move(h), u.hi, u.lo);
  }
};

// A 128-bit module build id: hi is the cache checksum (or the tagged sysimage
// checksum), lo the per-module random half.
struct BuildId {
  uint64_t hi = 0;
  uint64_t lo = 0;

  // "0x" + 32 lower-case hex digits.
  std::string ToString() const;
  // Accepts "0x" + 1..32 hex digits.
  static std::optional<BuildId> Parse(std::string_view text);

  friend bool operator==(const BuildId&, const BuildId&) = default;
  friend auto operator<=>(const BuildId&, const BuildId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const BuildId& b) {
    return H::combine(std::move(h), b.hi, b.lo);
  }
};

// High-word tags (bits 32..63 of BuildId::hi) in formats 12/13.
inline constexpr uint32_t kPackageChecksumTag = 0xFAFBFCFDu;
inline constexpr uint32_t kSysimageChecksumTag = 0xFDFCFBFAu;

// Identity of a package: (UUID or none, name), Julia's PkgId.
struct PkgId {
  std::optional<Uuid> uuid;
  std::string name;

  std::string ToString() const;  // "Name [uuid]" or "Name"
  friend bool operator==(const PkgId&, const PkgId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const PkgId& p) {
    // absl cannot hash std::optional (Debian's absl has its own optional).
    return H::combine(std::move(h), p.uuid.has_value(), p.uuid.value_or(Uuid{}), p.name);
  }
};

}  // namespace jlcache
