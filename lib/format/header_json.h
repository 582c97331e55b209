// The JSON object of `jlcache inspect --json` and jlcache_header_to_json.
// Keys (stable; tests check them):
//   format_version, layout ("A", "B", "B'", "C13a", "C13b", "C13c", "C15"),
//   julia_version, git_branch, git_commit, os, arch, pointer_size,
//   pkgimage_marker, checksum ("0x" + 16 hex), datastartpos, dataendpos,
//   syntax_version (null before format 13), gc_abi, ji_flags (null before 15),
//   flags {byte, use_pkgimages, debug_level, check_bounds, inline, opt_level},
//   modules [{name, uuid (canonical or null), build_id ("0x" + 32 hex)}],
//   totbytes,
//   includes [{path (raw), fsize, hash ("0x" + 8 hex; both null in layout A),
//              mtime, module (root name, null for Main), submodule_path [..],
//              tracked_by ("content" | "mtime"), kind ("include" | "include_dependency")}],
//   requires [{module, submodule_path [..], name, uuid (null when zero)}],
//   srctext_files [..],
//   preferences ([..] or null), preferences_hash ("0x" + 16 hex, or null),
//   preferences_blob (string or null), srctextpos,
//   required_modules [{name, uuid, build_id}],
//   clone_targets_size, clone_target_encoding ("none" | "legacy32" | "cpufeatures"),
//   file_size, crc_ok, file_crc ("0x" + 8 hex), pkgimage_crc ("0x" + 8 hex).
#pragma once

#include <string>

#include "core/json_writer.h"
#include "format/cache_header.h"

namespace jlcache {

void WriteCacheHeaderJson(JsonWriter& w, const CacheHeader& h);
std::string CacheHeaderToJson(const CacheHeader& h, bool pretty = false);

}  // namespace jlcache
