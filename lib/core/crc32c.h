// CRC-32C (Castagnoli), the function Julia calls crc32c. Chainable:
// Crc32c(b, Crc32c(a)) == Crc32c(a ‖ b), and a seed of 0 gives the plain CRC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jlcache {

// Dispatches to the SSE4.2 path when the CPU has it, the table path otherwise.
uint32_t Crc32c(const void* data, size_t len, uint32_t seed = 0);
inline uint32_t Crc32cStr(std::string_view s, uint32_t seed = 0) {
  return Crc32c(s.data(), s.size(), seed);
}

// Both implementations are exposed so tests can check that they agree.
uint32_t Crc32cPortable(const void* data, size_t len, uint32_t seed = 0);
// Returns false (and leaves *out alone) when the CPU lacks SSE4.2.
bool Crc32cHardware(const void* data, size_t len, uint32_t seed, uint32_t* out);
bool Crc32cHardwareAvailable();

}  // namespace jlcache
