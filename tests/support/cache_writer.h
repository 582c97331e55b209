// TEST-ONLY: writes byte-exact Julia cache files (.ji) for every layout
// (A, B, B', C13a/b/c, C15), so tests can build any scenario in a TempDir.
// Never linked into the shipped library.
//
// Two levels:
//
// 1. WriteCacheFile(header, body): the exact encoder. It writes `header` in
//    the encoding of header.layout and computes what Julia computes while
//    writing: totbytes, srctextpos, the heap offsets and 64-byte padding, and
//    the whole-file CRC (crc_ji). It returns the bytes and the header exactly
//    as ParseCacheHeader will read it back (so reader(writer(x)) == x holds by
//    comparing with WrittenCache::header).
//
// 2. MakePackageCache(spec): a typical package cache in one call, e.g.
//
//      PackageCacheSpec spec;
//      spec.layout = HeaderLayout::kB;                 // Julia 1.11.7 by default
//      spec.name = "Foo"; spec.uuid = *Uuid::Parse("...");
//      spec.build_id_lo = 0x1234; spec.heap_crc = 0xabcd;
//      spec.files = {EntryFile("@depot/packages/Foo/abcde/src/Foo.jl", text),
//                    IncludedFile("@depot/packages/Foo/abcde/src/impl.jl", text2)};
//      spec.requires = {PkgId{bar_uuid, "Bar"}};
//      spec.required_modules.push_back(RequiredModuleFor(bar_cache));
//      WrittenCache foo = MakePackageCache(spec);
//      WriteFileOrDie(dir.Join("compiled/v1.11/Foo/xxxxx_yyyyy.ji"), foo.bytes);
//
//    Content-tracked files get fsize = text size, hash = CRC-32C(text) and
//    mtime -1.0 (layouts B and later); mtime-tracked files (all files in
//    layout A) record SourceFileSpec::mtime. include() files go into the
//    source-text section with their text; include_dependency files do not.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/uuid.h"
#include "format/cache_header.h"

namespace jlcache::test_support {

// Everything in a .ji besides the CacheHeader fields.
struct CacheBody {
  // Text stored in the source-text section, by stored path. A path without an
  // entry is stored with empty text.
  std::map<std::string, std::string> source_texts;
  // Heap image bytes: written for plain caches (formats 12/13 with empty
  // clone targets) and always for C15; ignored for 12/13 pkgimages.
  std::string heap;
  // JL_CACHE_BYTE_ALIGNMENT: 64, or 128 on aarch64-darwin (and ppc64 from 1.11).
  uint32_t alignment = 64;
  // false: no source-text section and srctextpos 0 (a writer without a
  // dependency list).
  bool write_srctext = true;
};

struct WrittenCache {
  std::string bytes;
  CacheHeader header;  // exactly what ParseCacheHeader(bytes) returns
};

// The exact encoder. Taken from `header` as given: every prelude string, the
// checksum (formats 12/13 need the 0xfafbfcfd tag in the high word; C15 keeps
// the low 32 bits), flags, syntax_version (0 when absent in 13/15), gc_abi
// ("stock" when absent in C15), ji_flags (PKGIMAGE, plus SPLIT when there are
// clone targets, when absent in C15), modules, includes (fsize/hash 0 when
// absent in layouts B+), requires_, dependency_order, preferences in the
// layout's form (absent = empty list + hash 0, or empty blob), required
// modules, clone targets and pkgimage_crc (crc_so).
// Computed: format_version (from the layout), totbytes, srctextpos,
// datastartpos/dataendpos, clone_target_encoding, file_crc, crc_ok, file_size,
// and each include's kind (from source-text membership). A format-13 layout
// other than C13a is set from the clone-target encoding, as the reader does
// (a plain C13c cache is byte-identical to a plain C13b one and reads as C13b).
// srctext_files: if header.srctext_files is empty, the include() entries
// (kind kInclude) in dependency-list order; otherwise taken as given.
WrittenCache WriteCacheFile(const CacheHeader& header, const CacheBody& body = {});

// Recomputes the trailing whole-file CRC after a test edited bytes.
void RecomputeFileCrc(std::string& bytes);
// Little-endian patch helpers for corruption tests.
void PatchU32(std::string& bytes, size_t offset, uint32_t value);
void PatchU64(std::string& bytes, size_t offset, uint64_t value);

// ---------------------------------------------------------------- level 2

struct SourceFileSpec {
  std::string path;  // stored path: absolute, or "@depot/..." (layouts B+)
  std::string text;  // content; include() files also store it as source text
  IncludeKind kind = IncludeKind::kInclude;
  bool track_content = true;  // layouts B+: size + CRC-32C, mtime -1.0
  double mtime = 0;           // when tracked by mtime (always in layout A)
  int32_t module_index = 1;   // n1: 0 = Main/top level (the entry file), else worklist index
  std::vector<std::string> submodule_path;
  // Overrides of the values computed from `text` (e.g. a directory's hash).
  std::optional<uint64_t> fsize;
  std::optional<uint32_t> hash;
};

// The package's entry file, as Julia records it: n1 = 0, in the source text.
SourceFileSpec EntryFile(std::string path, std::string text, double mtime = 0);
// A file include()d from the package module (n1 = 1) or a submodule.
SourceFileSpec IncludedFile(std::string path, std::string text, double mtime = 0,
                            std::vector<std::string> submodule_path = {});
// include_dependency(path): recorded from Main (n1 = 0), not in the source text.
SourceFileSpec DependencyFile(std::string path, std::string text, bool track_content = true,
                              double mtime = 0);

struct PackageCacheSpec {
  HeaderLayout layout = HeaderLayout::kB;
  std::string julia_version;  // "" = DefaultJuliaVersion(layout)
  std::string os = "Linux";
  std::string arch = "x86_64";
  std::string git_branch;
  std::string git_commit;

  std::string name = "Foo";
  std::optional<Uuid> uuid;
  uint64_t build_id_lo = 0x0123456789abcdefULL;
  uint32_t heap_crc = 0x1a2b3c4d;  // checksum = 0xfafbfcfd << 32 | heap_crc (C15: heap_crc)
  uint8_t flags = 0xa3;            // default pkgimage flags; use 0xa2 for plain caches
  uint8_t syntax_version = 0;      // formats 13, 15
  bool pkgimage = true;            // false: plain .ji (no clone targets, heap in the file)

  std::vector<SourceFileSpec> files;  // in dependency-list order
  std::vector<PkgId> requires_;       // imported by worklist module 1 (after the files)
  // Required modules; empty = DefaultSysimageModules().
  std::vector<RequiredModule> required_modules;

  std::vector<std::string> preference_names;  // list layouts
  uint64_t preferences_hash = 0;
  std::string preferences_blob;               // blob layouts

  std::optional<std::string> clone_targets;  // default: GenericCloneTargets for the layout
  uint32_t crc_so = 0;                       // pkgimage CRC stored in the trailer
  std::string heap = std::string(256, '\x5a');  // plain caches and C15
};

CacheHeader PackageHeader(const PackageCacheSpec& spec);
CacheBody PackageBody(const PackageCacheSpec& spec);
WrittenCache MakePackageCache(const PackageCacheSpec& spec);

// "1.10.4" (A), "1.11.7" (B), "1.13.0-rc1" (B'), "1.14.0-DEV" (C13*, C15).
std::string DefaultJuliaVersion(HeaderLayout layout);
// Core, Base, Main with sysimage build ids (hi tagged 0xfdfcfbfa).
std::vector<RequiredModule> DefaultSysimageModules();
// The required-module entry a dependent cache records for `dep`: its name,
// UUID and full 128-bit build id.
RequiredModule RequiredModuleFor(const CacheHeader& dep);
// One "generic" target with zero feature words, in the given encoding
// (legacy32: nfeature 11 on x86_64, 3 on aarch64/armv7l, else 1;
// cpufeatures: nwords 4 on x86_64, 5 on aarch64/riscv64, else 1).
std::string GenericCloneTargets(CloneTargetEncoding encoding, std::string_view arch = "x86_64");
CloneTargetEncoding CloneTargetEncodingOf(HeaderLayout layout);  // non-empty blobs

}  // namespace jlcache::test_support
