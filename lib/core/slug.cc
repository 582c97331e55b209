#include "core/slug.h"

#include "core/crc32c.h"

namespace jlcache {

std::string Slug(uint32_t x, int p) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(static_cast<size_t>(p));
  for (int i = 0; i < p; ++i) {
    out.push_back(kAlphabet[x % 62]);
    x /= 62;
  }
  return out;
}

uint32_t UuidCrc(const Uuid& uuid) {
  unsigned char bytes[16];
  uuid.ToLittleEndianBytes(bytes);
  return Crc32c(bytes, sizeof bytes);
}

std::string PackageSlug(const Uuid& uuid) { return Slug(UuidCrc(uuid), 5); }

std::string VersionSlug(const Uuid& uuid, std::string_view tree_sha1_raw, int p) {
  return Slug(Crc32cStr(tree_sha1_raw, UuidCrc(uuid)), p);
}

}  // namespace jlcache
