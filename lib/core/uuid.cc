#include "core/uuid.h"

#include <cstdio>

#include "core/hex.h"

namespace jlcache {
std::string Uuid::ToString() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::optional<Uuid> Uuid::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Uuid u;
  int nibbles = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    int d = HexDigitValue(text[i]);
    if (d < 0) return std::nullopt;
    uint64_t& word = nibbles < 16 ? u.hi : u.lo;
    word = word << 4 | static_cast<uint64_t>(d);
    ++nibbles;
  }
  return u;
}

void Uuid::ToLittleEndianBytes(unsigned char out[16]) const {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(lo >> (8 * i));
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<unsigned char>(hi >> (8 * i));
}

Uuid Uuid::FromLittleEndianBytes(const unsigned char in[16]) {
  Uuid u;
  for (int i = 7; i >= 0; --i) u.lo = u.lo << 8 | in[i];
  for (int i = 7; i >= 0; --i) u.hi = u.hi << 8 | in[8 + i];
  return u;
}

std::string BuildId::ToString() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "0x%016llx%016llx", static_cast<unsigned long long>(hi),
                static_cast<unsigned long long>(lo));
  return buf;
}

std::optional<BuildId> BuildId::Parse(std::string_view text) {
  if (text.size() < 3 || text.size() > 34 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return std::nullopt;
  BuildId b;
  for (char c : text.substr(2)) {
    int d = HexDigitValue(c);
    if (d < 0) return std::nullopt;
    b.hi = b.hi << 4 | b.lo >> 60;
    b.lo = b.lo << 4 | static_cast<uint64_t>(d);
  }
  return b;
}

std::string PkgId::ToString() const {
  if (!uuid) return name;
  return name + " [" + uuid->ToString() + "]";
}

}  // namespace jlcache
