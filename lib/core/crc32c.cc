#include "core/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <nmmintrin.h>
#define JLCACHE_HAVE_X86 1
#endif

namespace jlcache {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

// Slicing-by-8 tables: table[k][b] is the CRC of byte b followed by k zero bytes.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; ++b)
    for (int k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;  // little-endian host assumed (checked at configure time)
}

}  // namespace

uint32_t Crc32cPortable(const void* data, size_t len, uint32_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~seed;
  while (len >= 8) {
    uint64_t v = Load64(p) ^ c;
    c = kTables[7][v & 0xFF] ^ kTables[6][(v >> 8) & 0xFF] ^ kTables[5][(v >> 16) & 0xFF] ^
        kTables[4][(v >> 24) & 0xFF] ^ kTables[3][(v >> 32) & 0xFF] ^
        kTables[2][(v >> 40) & 0xFF] ^ kTables[1][(v >> 48) & 0xFF] ^ kTables[0][v >> 56];
    p += 8;
    len -= 8;
  }
  while (len--) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xFF];
  return ~c;
}

#if JLCACHE_HAVE_X86
namespace {
__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(const unsigned char* p, size_t len,
                                                        uint32_t seed) {
  uint64_t c = ~seed;
#if defined(__x86_64__)
  while (len >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    len -= 8;
  }
#endif
  uint32_t c32 = static_cast<uint32_t>(c);
  while (len--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool DetectSse42() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_SSE4_2) != 0;
}
}  // namespace

bool Crc32cHardwareAvailable() {
  static const bool available = DetectSse42();
  return available;
}

bool Crc32cHardware(const void* data, size_t len, uint32_t seed, uint32_t* out) {
  if (!Crc32cHardwareAvailable()) return false;
  *out = Crc32cSse42(static_cast<const unsigned char*>(data), len, seed);
  return true;
}
#else
bool Crc32cHardwareAvailable() { return false; }
bool Crc32cHardware(const void*, size_t, uint32_t, uint32_t*) { return false; }
#endif

uint32_t Crc32c(const void* data, size_t len, uint32_t seed) {
  uint32_t out;
  if (Crc32cHardware(data, len, seed, &out)) return out;
  return Crc32cPortable(data, len, seed);
}

}  // namespace jlcache
