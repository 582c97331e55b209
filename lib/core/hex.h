// Fixed-width lower-case hex formatting used in JSON and messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jlcache {

// Value of one hex digit (either case), or -1.
int HexDigitValue(char c);
std::string Hex8(uint8_t v);     // "0x" + 2 digits
std::string Hex32(uint32_t v);   // "0x" + 8 digits
std::string Hex64(uint64_t v);   // "0x" + 16 digits
std::string HexBytes(std::string_view bytes);  // plain digits, no prefix
// Parses hex digits without prefix into bytes; nullopt on odd length or bad digit.
std::optional<std::string> ParseHexBytes(std::string_view hex);
// Parses "0x..." (1..16 digits) into a u64.
std::optional<uint64_t> ParseHex64(std::string_view text);

}  // namespace jlcache
