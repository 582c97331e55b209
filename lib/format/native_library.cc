#include "format/native_library.h"

#include "core/file_io.h"

namespace jlcache {

std::string_view DlextForOs(std::string_view os) {
  if (os == "Darwin") return "dylib";
  if (os == "NT" || os == "WINNT" || os == "Windows") return "dll";
  return "so";
}

std::string NativeLibraryPath(std::string_view ji_path, std::string_view dlext) {
  constexpr std::string_view kSuffix = ".ji";
  std::string out(ji_path);
  if (out.size() >= kSuffix.size() && std::string_view(out).substr(out.size() - kSuffix.size()) == kSuffix)
    out.resize(out.size() - kSuffix.size());
  out += ".";
  out += dlext;
  return out;
}

absl::StatusOr<bool> NativeLibraryMatches(const CacheHeader& header, const std::string& so_path) {
  absl::StatusOr<uint32_t> crc = Crc32cOfFile(so_path);  // outside any query: header inspection (capi), not a verdict
  if (!crc.ok()) return crc.status();
  return *crc == header.pkgimage_crc;
}

}  // namespace jlcache
