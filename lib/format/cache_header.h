// The decoded header of a Julia package cache (.ji), every layout.
// Paths stay raw (possibly "@depot/..."); see depot_resolver.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/uuid.h"

namespace jlcache {

enum class HeaderLayout {
  kA,       // 1.9, 1.10: include entries carry mtime only
  kB,       // 1.11 .. 1.13.0-beta: + fsize and CRC-32C; names list + hash preferences
  kBPrime,  // 1.13.0-rc1+: preferences as one TOML blob
  kC13a,    // 1.14-dev format 13: + syntax byte; list + hash preferences
  kC13b,    // format 13 with the preferences blob
  kC13c,    // format 13, blob, cpufeatures clone-target encoding
  kC15,     // format 15: new prelude, heap in the .ji
};
std::string_view LayoutName(HeaderLayout layout);  // "A", "B", "B'", "C13a", ...
// What each layout writes; the reader and the test writer both use these.
uint16_t FormatVersionOf(HeaderLayout layout);        // 12, 13 or 15
bool IncludesCarrySizeAndHash(HeaderLayout layout);   // every layout but A
bool UsesPreferencesBlob(HeaderLayout layout);        // B', C13b, C13c, C15
bool HasSyntaxVersion(HeaderLayout layout);           // formats 13 and 15

// How the clone-target blob encodes CPU features (spec §4.6).
enum class CloneTargetEncoding {
  kNone,         // empty blob: no native code
  kLegacy32,     // 1.9 .. 1.14-dev C13b: u32 feature words (Base.parse_image_targets)
  kCpufeatures,  // C13c, C15: the cpufeatures library's u64 feature words
};
std::string_view CloneTargetEncodingName(CloneTargetEncoding e);  // "none", "legacy32", "cpufeatures"

// Position of one entry of the dependency list. Julia records include and
// `requires` entries in one list, in the order they happened; this keeps that
// interleaving so a file can be rewritten byte for byte.
struct DependencySlot {
  bool is_requires = false;
  uint32_t index = 0;  // into includes or requires_
  friend bool operator==(const DependencySlot&, const DependencySlot&) = default;
};

// The CacheFlags byte, "OOICCDDP".
struct CacheFlags {
  uint8_t byte = 0;
  bool use_pkgimages() const { return byte & 1; }
  int debug_level() const { return (byte >> 1) & 3; }
  int check_bounds() const { return (byte >> 3) & 3; }
  bool inline_() const { return (byte >> 5) & 1; }
  int opt_level() const { return (byte >> 6) & 3; }
  friend bool operator==(const CacheFlags&, const CacheFlags&) = default;
};

struct WorklistModule {
  std::string name;
  std::optional<Uuid> uuid;  // nullopt when stored as zero
  uint64_t build_id_lo = 0;
  friend bool operator==(const WorklistModule&, const WorklistModule&) = default;
};

struct RequiredModule {
  std::string name;
  std::optional<Uuid> uuid;
  BuildId build_id;
  friend bool operator==(const RequiredModule&, const RequiredModule&) = default;
};

enum class IncludeKind { kInclude, kIncludeDependency };

struct IncludeEntry {
  std::string path;                  // raw, as stored
  std::optional<uint64_t> fsize;     // layout B and later
  std::optional<uint32_t> hash;      // layout B and later
  double mtime = 0;                  // -1.0 when content-tracked
  int32_t module_index = 0;          // n1: 0 = Main / top level, else 1-based worklist index
  std::vector<std::string> submodule_path;
  IncludeKind kind = IncludeKind::kInclude;  // from the source-text section

  bool tracked_by_content() const { return fsize.has_value() && mtime == -1.0; }
  friend bool operator==(const IncludeEntry&, const IncludeEntry&) = default;
};

struct RequiresEntry {
  int32_t module_index = 0;  // importing worklist module (1-based)
  std::vector<std::string> submodule_path;
  PkgId imported;
  friend bool operator==(const RequiresEntry&, const RequiresEntry&) = default;
};

enum class HeaderExtent : uint8_t { kWholeFile, kHeaderOnly };

struct CacheHeader {
  // Prelude.
  uint16_t format_version = 0;
  HeaderLayout layout = HeaderLayout::kA;
  uint8_t pointer_size = 0;
  std::string os, arch, julia_version, git_branch, git_commit;
  uint8_t pkgimage_marker = 0;                 // formats 12/13
  std::optional<std::string> gc_abi;           // format 15
  std::optional<uint32_t> ji_flags;            // format 15
  uint64_t checksum = 0;                       // tagged u64 (12/13) or zero-extended u32 (15)
  uint64_t datastartpos = 0, dataendpos = 0;

  CacheFlags flags;
  std::optional<uint8_t> syntax_version;       // formats 13, 15

  std::vector<WorklistModule> modules;
  uint64_t totbytes = 0;
  std::vector<IncludeEntry> includes;
  std::vector<RequiresEntry> requires_;  // `requires` is a C++20 keyword
  // The interleaving of includes and requires_ in the file. Empty means the
  // canonical order (all includes, then all requires_); the reader leaves it
  // empty whenever the file is in that order.
  std::vector<DependencySlot> dependency_order;
  // Preferences: exactly one of the two forms is present.
  std::optional<std::vector<std::string>> preference_names;
  std::optional<uint64_t> preferences_hash;
  std::optional<std::string> preferences_blob;
  int64_t srctextpos = 0;

  std::vector<RequiredModule> required_modules;
  std::string clone_targets;  // raw blob; empty = no native code
  CloneTargetEncoding clone_target_encoding = CloneTargetEncoding::kNone;
  std::vector<std::string> srctext_files;

  // How much of the file was read. A header-only read (ReadCacheHeaderOnly)
  // stops before the heap image and source text: srctext_files is empty,
  // include kinds are unset and crc_ok is not computed.
  HeaderExtent extent = HeaderExtent::kWholeFile;

  // Trailer.
  uint32_t pkgimage_crc = 0;   // crc_so
  uint32_t file_crc = 0;       // crc_ji as stored
  bool crc_ok = false;         // crc_ji matches the file's bytes
  // kWholeFile: the CRC-32C of every byte, trailer included (what a
  // streamed check of the file computes; a content memo can keep it).
  std::optional<uint32_t> whole_file_crc;
  uint64_t file_size = 0;

  bool has_native_code() const { return !clone_targets.empty(); }
  // A worklist module's build id: (checksum << 64) | build_id_lo. The one
  // place the two halves are put together.
  BuildId ModuleBuildId(const WorklistModule& m) const { return BuildId{checksum, m.build_id_lo}; }
  // worklist[0]'s build id; {checksum, 0} for an empty worklist.
  BuildId PackageBuildId() const;
  // Name of worklist[idx-1], or "" for idx 0 (Main).
  std::string ModuleName(int32_t idx) const;
  // The dependency list in file order (expands an empty dependency_order).
  std::vector<DependencySlot> DependencyListOrder() const;

  friend bool operator==(const CacheHeader&, const CacheHeader&) = default;
};

}  // namespace jlcache
