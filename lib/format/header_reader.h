// Reads the header of a Julia package cache (.ji) of every supported layout
// (docs/cache-format.md). The layout is chosen from the format number and the
// header's own Julia version string (via lib/rules), and confirmed by the
// totbytes accounting: within a known release line, the candidate layouts the
// rules allow are tried and exactly the one whose accounting ends at zero is
// taken. An unknown format number or Julia line is ErrorKind::kUnsupported;
// anything malformed is ErrorKind::kCorruptCache with the byte offset and the
// field in the message. A file whose whole-file CRC does not match still
// parses (crc_ok = false): callers decide what that means.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/file_io.h"
#include "format/cache_header.h"

namespace jlcache {

absl::StatusOr<CacheHeader> ParseCacheHeader(std::string_view file_bytes);

// Reads the whole file and parses it. Files over max_bytes are refused.
// `files`: how the caller reads (a query's, so its journal sees the file).
absl::StatusOr<CacheHeader> ReadCacheHeaderFile(const FileAccess& files, const std::string& path,
                                                uint64_t max_bytes = uint64_t{1} << 32);
inline absl::StatusOr<CacheHeader> ReadCacheHeaderFile(const std::string& path,
                                                       uint64_t max_bytes = uint64_t{1} << 32) {
  return ReadCacheHeaderFile(FileAccess(), path, max_bytes);  // outside any query: the no-query overload
}

// Reads only what a staleness check needs: the header (which ends before the
// heap image and the source text) and the 8-byte trailer. The result has
// extent kHeaderOnly: srctext_files is empty, include kinds are unset, and
// crc_ok is not computed (see CrcTrailerValid). A small file is read whole
// (extent kWholeFile). Errors are worded as ReadCacheHeaderFile's: a header
// that does not parse from the prefix is re-read from the whole file.
absl::StatusOr<CacheHeader> ReadCacheHeaderOnly(const FileAccess& files, const std::string& path);
inline absl::StatusOr<CacheHeader> ReadCacheHeaderOnly(const std::string& path) {
  return ReadCacheHeaderOnly(FileAccess(), path);  // outside any query: the no-query overload
}

// The pure core of ReadCacheHeaderOnly: `prefix` is the file's first bytes
// (ending before its trailer), `trailer` its last 8, `file_size` its length.
// nullopt when the header does not end within the prefix (read more). An
// error, or a header, is exactly what ParseCacheHeader gives for the header
// part of the whole file: bounds are checked against the file, not the prefix.
absl::StatusOr<std::optional<CacheHeader>> ParseCacheHeaderPrefix(std::string_view prefix,
                                                                  uint64_t file_size,
                                                                  std::string_view trailer);

// crc_ok from the CRC-32C of the whole file, trailer included (as the
// content-hash memo stores it): Julia's isvalid_file_crc holds exactly when
// the whole-file CRC is the CRC-32C residue.
bool CrcTrailerValid(uint32_t whole_file_crc);

// One file of the source-text section, borrowed from the file's bytes.
struct SourceTextEntry {
  std::string_view path;
  std::string_view text;
};
// The source-text section of a parsed file, in order (empty when srctextpos is 0).
absl::StatusOr<std::vector<SourceTextEntry>> ReadSourceTexts(std::string_view file_bytes,
                                                             const CacheHeader& header);

// True when the bytes are a well-formed clone-target blob in that encoding
// (it is consumed exactly). Used to tell C13b from C13c.
bool IsValidCloneTargets(std::string_view blob, CloneTargetEncoding encoding);

}  // namespace jlcache
