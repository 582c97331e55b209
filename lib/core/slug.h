// Julia's base-62 slugs that name package directories and cache files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/uuid.h"

namespace jlcache {

// `p` base-62 digits of x, least significant first.
std::string Slug(uint32_t x, int p);
// CRC-32C of the UUID's 16 little-endian bytes.
uint32_t UuidCrc(const Uuid& uuid);
// compiled/vX.Y/<Name>/<package_slug>_*.ji
std::string PackageSlug(const Uuid& uuid);
// packages/<Name>/<version_slug>; tree_sha1 is the 20 raw bytes (not hex).
std::string VersionSlug(const Uuid& uuid, std::string_view tree_sha1_raw, int p = 5);

}  // namespace jlcache
