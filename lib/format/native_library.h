// The companion native library of a pkgimage cache (spec §9). Julia's
// ocachefile_from_cachefile (base/loading.jl, same in 1.10.4 and 1.11.0):
// chopsuffix(cachefile, ".ji") * "." * dlext. The cache's trailer stores the
// CRC-32C of the whole library file (crc_so), which isvalid_pkgimage_crc checks.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "format/cache_header.h"

namespace jlcache {

// "so" (Linux, FreeBSD, ...), "dylib" (Darwin), "dll" (NT / Windows), from
// the header's OS string (JL_BUILD_UNAME).
std::string_view DlextForOs(std::string_view os);
// foo/Ab_cD.ji -> foo/Ab_cD.so; a path without ".ji" gets ".so" appended.
std::string NativeLibraryPath(std::string_view ji_path, std::string_view dlext = "so");

// True when the file's CRC-32C equals header.pkgimage_crc. Errors: the file
// cannot be read (NotFound when absent).
absl::StatusOr<bool> NativeLibraryMatches(const CacheHeader& header, const std::string& so_path);

}  // namespace jlcache
