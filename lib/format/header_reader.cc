#include "format/header_reader.h"

#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "format/byte_reader.h"
#include "rules/julia_rules.h"
#include "rules/julia_version.h"

namespace jlcache {
namespace {

constexpr char kMagic[8] = {'\xFB', 'j', 'l', 'i', '\r', '\n', '\x1A', '\n'};
constexpr size_t kTrailerSize = 8;  // crc_so u32, crc_ji u32
constexpr uint32_t kJiFlagPkgimage = 1u << 0;
// Headers are a few KiB (one entry per source file and dependency): read
// 8 KiB first, then 128 KiB, then the whole file.
constexpr size_t kHeaderPrefixBytes = 8 * 1024;
constexpr size_t kHeaderPrefixMaxBytes = 128 * 1024;

// One way to read the body between the worklist and srctextpos.
struct BodyForm {
  DependencyEntryForm entries;
  PreferencesForm prefs;
};

std::string_view FormName(const BodyForm& f) {
  if (f.entries == DependencyEntryForm::kMtimeOnly) return "mtime-only entries";
  return f.prefs == PreferencesForm::kBlob ? "size+hash entries, preferences blob"
                                           : "size+hash entries, preference names + hash";
}

// Where fields that are checked after the prelude sit, for error messages.
struct FieldOffsets {
  size_t julia_version = 0;
  size_t datastartpos = 0;
  size_t srctextpos = 0;
};

absl::Status ReadPrelude(ByteReader& r, CacheHeader& h, FieldOffsets& at) {
  const size_t start = r.pos();
  JLC_ASSIGN_OR_RETURN(std::string_view magic, r.Bytes(8, "magic"));
  if (std::memcmp(magic.data(), kMagic, 8) != 0)
    return r.CorruptAt(start, "magic", "not a Julia cache file: bad magic");
  JLC_ASSIGN_OR_RETURN(h.format_version, r.U16("format_version"));
  if (h.format_version != 12 && h.format_version != 13 && h.format_version != 15)
    return Error(ErrorKind::kUnsupported, "unsupported cache format version ", h.format_version,
                 " (supported: 12, 13, 15)");
  const size_t bom_at = r.pos();
  JLC_ASSIGN_OR_RETURN(std::string_view bom, r.Bytes(2, "bom"));
  if (bom == std::string_view("\xFE\xFF", 2))
    return Error(ErrorKind::kUnsupported, "big-endian cache files are not supported");
  if (bom != std::string_view("\xFF\xFE", 2))
    return r.CorruptAt(bom_at, "bom", "bad byte-order mark");
  const size_t ptr_at = r.pos();
  JLC_ASSIGN_OR_RETURN(h.pointer_size, r.U8("pointer_size"));
  if (h.pointer_size != 4 && h.pointer_size != 8)
    return r.CorruptAt(ptr_at, "pointer_size", Cat("bad pointer size ", h.pointer_size));
  JLC_ASSIGN_OR_RETURN(std::string_view os, r.CStr("os"));
  JLC_ASSIGN_OR_RETURN(std::string_view arch, r.CStr("arch"));
  at.julia_version = r.pos();
  JLC_ASSIGN_OR_RETURN(std::string_view version, r.CStr("julia_version"));
  h.os = os;
  h.arch = arch;
  h.julia_version = version;
  if (h.format_version == 15) {
    JLC_ASSIGN_OR_RETURN(std::string_view gc_abi, r.CStr("gc_abi"));
    h.gc_abi = std::string(gc_abi);
    JLC_ASSIGN_OR_RETURN(uint32_t ji_flags, r.U32("ji_flags"));
    h.ji_flags = ji_flags;
    if (!(ji_flags & kJiFlagPkgimage))
      return Error(ErrorKind::kUnsupported,
                   "format-15 image without JI_FLAG_PKGIMAGE is a system image, not a package cache");
    JLC_ASSIGN_OR_RETURN(std::string_view branch, r.CStr("git_branch"));
    JLC_ASSIGN_OR_RETURN(std::string_view commit, r.CStr("git_commit"));
    h.git_branch = branch;
    h.git_commit = commit;
    JLC_ASSIGN_OR_RETURN(uint32_t checksum, r.U32("checksum"));
    h.checksum = checksum;
  } else {
    JLC_ASSIGN_OR_RETURN(std::string_view branch, r.CStr("git_branch"));
    JLC_ASSIGN_OR_RETURN(std::string_view commit, r.CStr("git_commit"));
    h.git_branch = branch;
    h.git_commit = commit;
    JLC_ASSIGN_OR_RETURN(h.pkgimage_marker, r.U8("pkgimage_marker"));
    const size_t checksum_at = r.pos();
    JLC_ASSIGN_OR_RETURN(h.checksum, r.U64("checksum"));
    if ((h.checksum >> 32) != kPackageChecksumTag)
      return r.CorruptAt(checksum_at, "checksum",
                         Cat("checksum ", Hex64(h.checksum), " lacks the package tag 0xfafbfcfd"));
  }
  at.datastartpos = r.pos();
  JLC_ASSIGN_OR_RETURN(h.datastartpos, r.U64("datastartpos"));
  JLC_ASSIGN_OR_RETURN(h.dataendpos, r.U64("dataendpos"));
  return absl::OkStatus();
}

std::vector<BodyForm> CandidateForms(const CacheFormatRules& format) {
  std::vector<BodyForm> forms;
  for (auto e : format.dependency_entry_forms)
    for (auto p : format.preference_forms) {
      // Layout A never had the blob.
      if (e == DependencyEntryForm::kMtimeOnly && p == PreferencesForm::kBlob) continue;
      forms.push_back({e, p});
    }
  return forms;
}

absl::Status ReadModPath(ByteReader& r, int64_t dep_index, std::vector<std::string>& out) {
  for (int64_t k = 0;; ++k) {
    JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName("dependencies", dep_index, "modpath", k)));
    if (n == 0) return absl::OkStatus();
    JLC_ASSIGN_OR_RETURN(std::string_view name,
                         r.Bytes(n, FieldName("dependencies", dep_index, "modpath", k)));
    out.emplace_back(name);
  }
}

// Reads from the totbytes field through srctextpos in one form. On success the
// header's dependency, preference and srctextpos fields are filled.
absl::Status ReadDependencySection(ByteReader& r, const BodyForm& form, CacheHeader& h,
                                   FieldOffsets& at) {
  h.includes.clear();
  h.requires_.clear();
  h.dependency_order.clear();
  h.preference_names.reset();
  h.preferences_hash.reset();
  h.preferences_blob.reset();
  const size_t totbytes_at = r.pos();
  JLC_ASSIGN_OR_RETURN(h.totbytes, r.U64("totbytes"));
  if (h.totbytes < 8 || h.totbytes - 8 > r.remaining())
    return r.CorruptAt(totbytes_at, "totbytes",
                       Cat("totbytes ", h.totbytes, " does not fit in the file"));
  // Typical counts, so most headers fill these without growing them.
  h.includes.reserve(16);
  const bool sized = form.entries == DependencyEntryForm::kSizeHashMtime;
  const int32_t nmodules = static_cast<int32_t>(h.modules.size());
  bool canonical_order = true;
  for (int64_t i = 0;; ++i) {
    const size_t entry_at = r.pos();
    JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName("dependencies", i, "depname")));
    if (n == 0) break;
    JLC_ASSIGN_OR_RETURN(std::string_view depname, r.Bytes(n, FieldName("dependencies", i, "depname")));
    std::optional<uint64_t> fsize;
    std::optional<uint32_t> hash;
    if (sized) {
      JLC_ASSIGN_OR_RETURN(uint64_t fs, r.U64(FieldName("dependencies", i, "fsize")));
      JLC_ASSIGN_OR_RETURN(uint32_t hs, r.U32(FieldName("dependencies", i, "hash")));
      fsize = fs;
      hash = hs;
    }
    JLC_ASSIGN_OR_RETURN(double mtime, r.F64(FieldName("dependencies", i, "mtime")));
    const size_t n1_at = r.pos();
    JLC_ASSIGN_OR_RETURN(int32_t n1, r.I32(FieldName("dependencies", i, "n1")));
    if (n1 < 0 || n1 > nmodules)
      return r.CorruptAt(n1_at, FieldName("dependencies", i, "n1"),
                         Cat("module index ", n1, " outside the worklist of ", nmodules));
    std::vector<std::string> modpath;
    if (n1 != 0) JLC_RETURN_IF_ERROR(ReadModPath(r, i, modpath));
    if (depname[0] == '\0') {
      if (depname.size() < 17)
        return r.CorruptAt(entry_at, FieldName("dependencies", i, "depname"),
                           Cat("requires record of ", depname.size(), " bytes (at least 17 needed)"));
      RequiresEntry req;
      req.module_index = n1;
      req.submodule_path = std::move(modpath);
      Uuid uuid = Uuid::FromLittleEndianBytes(
          reinterpret_cast<const unsigned char*>(depname.data() + 1));
      if (!uuid.IsZero()) req.imported.uuid = uuid;
      req.imported.name = std::string(depname.substr(17));
      if (!canonical_order)
        h.dependency_order.push_back({true, static_cast<uint32_t>(h.requires_.size())});
      h.requires_.push_back(std::move(req));
    } else {
      IncludeEntry inc;
      inc.path = std::string(depname);
      inc.fsize = fsize;
      inc.hash = hash;
      inc.mtime = mtime;
      inc.module_index = n1;
      inc.submodule_path = std::move(modpath);
      if (canonical_order && !h.requires_.empty()) {
        // The first include after a requires entry: the order so far was
        // all includes, then all requires entries; from here it is kept.
        canonical_order = false;
        for (uint32_t k = 0; k < h.includes.size(); ++k) h.dependency_order.push_back({false, k});
        for (uint32_t k = 0; k < h.requires_.size(); ++k) h.dependency_order.push_back({true, k});
      }
      if (!canonical_order)
        h.dependency_order.push_back({false, static_cast<uint32_t>(h.includes.size())});
      h.includes.push_back(std::move(inc));
    }
  }
  if (form.prefs == PreferencesForm::kHashList) {
    std::vector<std::string> names;
    for (int64_t k = 0;; ++k) {
      JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName("preferences", k)));
      if (n == 0) break;
      JLC_ASSIGN_OR_RETURN(std::string_view name, r.Bytes(n, FieldName("preferences", k)));
      names.emplace_back(name);
    }
    h.preference_names = std::move(names);
    JLC_ASSIGN_OR_RETURN(uint64_t hash, r.U64("preferences_hash"));
    h.preferences_hash = hash;
  } else {
    JLC_ASSIGN_OR_RETURN(std::string_view blob, r.JStr("preferences_blob"));
    h.preferences_blob = std::string(blob);
  }
  const size_t srctextpos_at = r.pos();
  if (srctextpos_at - totbytes_at != h.totbytes)
    return r.CorruptAt(totbytes_at, "totbytes",
                       Cat("totbytes ", h.totbytes, " disagrees with the ",
                           srctextpos_at - totbytes_at, " bytes read as ", FormName(form)));
  at.srctextpos = r.pos();
  JLC_ASSIGN_OR_RETURN(h.srctextpos, r.I64("srctextpos"));
  return absl::OkStatus();
}

absl::Status ReadModuleList(ByteReader& r, bool with_build_hi, const char* what, CacheHeader& h) {
  if (with_build_hi) h.required_modules.reserve(32);  // a typical count, as above
  for (int64_t i = 0;; ++i) {
    JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName(what, i, "name")));
    if (n == 0) return absl::OkStatus();
    JLC_ASSIGN_OR_RETURN(std::string_view name, r.Bytes(n, FieldName(what, i, "name")));
    Uuid uuid;
    JLC_ASSIGN_OR_RETURN(uuid.hi, r.U64(FieldName(what, i, "uuid")));
    JLC_ASSIGN_OR_RETURN(uuid.lo, r.U64(FieldName(what, i, "uuid")));
    std::optional<Uuid> maybe_uuid;
    if (!uuid.IsZero()) maybe_uuid = uuid;
    if (with_build_hi) {
      RequiredModule m;
      m.name = std::string(name);
      m.uuid = maybe_uuid;
      JLC_ASSIGN_OR_RETURN(m.build_id.hi, r.U64(FieldName(what, i, "build_id_hi")));
      JLC_ASSIGN_OR_RETURN(m.build_id.lo, r.U64(FieldName(what, i, "build_id_lo")));
      h.required_modules.push_back(std::move(m));
    } else {
      WorklistModule m;
      m.name = std::string(name);
      m.uuid = maybe_uuid;
      JLC_ASSIGN_OR_RETURN(m.build_id_lo, r.U64(FieldName(what, i, "build_id_lo")));
      h.modules.push_back(std::move(m));
    }
  }
}

// Walks a clone-target blob; false unless it is consumed exactly.
bool WalkCloneTargets(std::string_view blob, bool cpufeatures) {
  ByteReader r(blob);
  auto u32 = [&r](uint32_t* v) {
    auto s = r.U32("clone_targets");
    if (!s.ok()) return false;
    *v = *s;
    return true;
  };
  uint32_t ntargets;
  if (!u32(&ntargets)) return false;
  for (uint32_t t = 0; t < ntargets; ++t) {
    uint32_t flags, words, len;
    if (!u32(&flags)) return false;
    if (cpufeatures) {
      uint32_t base;
      if (!u32(&base)) return false;
      // base: -1 = none, else the index of another target
      if (static_cast<int32_t>(base) < -1 ||
          (static_cast<int32_t>(base) >= 0 && base >= ntargets))
        return false;
    }
    if (!u32(&words)) return false;
    const uint64_t word_size = cpufeatures ? 8 : 4;
    if (static_cast<int32_t>(words) < 0 || 2 * word_size * words > r.remaining()) return false;
    if (!r.Skip(2 * word_size * words, "clone_targets").ok()) return false;
    for (int k = 0; k < 2; ++k) {  // name, ext_features
      if (!u32(&len)) return false;
      if (static_cast<int32_t>(len) < 0 || !r.Skip(len, "clone_targets").ok()) return false;
    }
  }
  return r.remaining() == 0;
}

absl::Status ReadSourceText(ByteReader& r, CacheHeader& h) {
  if (h.srctextpos == 0) return absl::OkStatus();
  JLC_RETURN_IF_ERROR(r.Seek(static_cast<uint64_t>(h.srctextpos), "srctextpos"));
  for (int64_t i = 0;; ++i) {
    JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName("srctext", i, "path")));
    if (n == 0) return absl::OkStatus();
    JLC_ASSIGN_OR_RETURN(std::string_view path, r.Bytes(n, FieldName("srctext", i, "path")));
    JLC_ASSIGN_OR_RETURN(uint64_t len, r.U64(FieldName("srctext", i, "length")));
    JLC_RETURN_IF_ERROR(r.Skip(len, FieldName("srctext", i, "content")));
    h.srctext_files.emplace_back(path);
  }
}

HeaderLayout LayoutFor(const CacheHeader& h, const BodyForm& form) {
  const bool blob = form.prefs == PreferencesForm::kBlob;
  switch (h.format_version) {
    case 15: return HeaderLayout::kC15;
    case 13:
      if (!blob) return HeaderLayout::kC13a;
      return h.clone_target_encoding == CloneTargetEncoding::kCpufeatures ? HeaderLayout::kC13c
                                                                         : HeaderLayout::kC13b;
    default:
      if (form.entries == DependencyEntryForm::kMtimeOnly) return HeaderLayout::kA;
      return blob ? HeaderLayout::kBPrime : HeaderLayout::kB;
  }
}

}  // namespace

bool IsValidCloneTargets(std::string_view blob, CloneTargetEncoding encoding) {
  switch (encoding) {
    case CloneTargetEncoding::kNone: return blob.empty();
    case CloneTargetEncoding::kLegacy32: return WalkCloneTargets(blob, false);
    case CloneTargetEncoding::kCpufeatures: return WalkCloneTargets(blob, true);
  }
  return false;
}

namespace {

// What of the file the parser sees: all of it, or a prefix that ends at or
// before the trailer plus the trailer itself.
struct ParseInput {
  std::string_view bytes;    // the whole file, or a prefix of it
  uint64_t file_size = 0;
  std::string_view trailer;  // header-only: the file's last kTrailerSize bytes
  bool whole = true;
};

// *overrun: a header-only parse needed bytes past the prefix; its outcome
// (success or error) is then not the whole file's.
absl::StatusOr<CacheHeader> Parse(const ParseInput& in, bool* overrun) {
  std::string_view bytes = in.bytes;
  CacheHeader h;
  h.file_size = in.file_size;
  h.extent = in.whole ? HeaderExtent::kWholeFile : HeaderExtent::kHeaderOnly;
  // The trailer is not part of anything the header points at.
  ByteReader r = in.whole ? ByteReader(bytes) : ByteReader(bytes, in.file_size - kTrailerSize, overrun);
  if (in.whole && bytes.size() >= kTrailerSize) r.Limit(bytes.size() - kTrailerSize);

  FieldOffsets at;
  JLC_RETURN_IF_ERROR(ReadPrelude(r, h, at));
  std::optional<JuliaVersion> version = JuliaVersion::Parse(h.julia_version);
  if (!version)
    return r.CorruptAt(at.julia_version, "julia_version",
                       Cat("unrecognizable Julia version string \"", h.julia_version, "\""));
  JLC_ASSIGN_OR_RETURN(JuliaRules rules, RulesFor(*version));
  JLC_ASSIGN_OR_RETURN(CacheFormatRules format, rules.ForFormat(h.format_version));

  JLC_ASSIGN_OR_RETURN(uint8_t flags, r.U8("flags"));
  h.flags.byte = flags;
  if (h.format_version >= 13) {
    JLC_ASSIGN_OR_RETURN(uint8_t syntax, r.U8("syntax_version"));
    h.syntax_version = syntax;
  }
  JLC_RETURN_IF_ERROR(ReadModuleList(r, false, "modules", h));

  // Try each body form the rules allow, most likely first; the totbytes
  // accounting accepts at most one in any real file.
  const std::vector<BodyForm> forms = CandidateForms(format);
  std::optional<absl::Status> first_error;
  std::optional<BodyForm> chosen;
  const size_t body_at = r.pos();
  for (const BodyForm& form : forms) {
    ByteReader attempt = r;
    absl::Status s = ReadDependencySection(attempt, form, h, at);
    if (s.ok()) {
      chosen = form;
      r = attempt;
      break;
    }
    if (!first_error) first_error = s;
  }
  if (!chosen) {
    if (forms.size() == 1) return *first_error;
    return Error(ErrorKind::kCorruptCache, Message(*first_error), " (no layout allowed for Julia ",
                 h.julia_version, " fits the dependency section at offset ", HexOffset(body_at),
                 ")");
  }

  JLC_RETURN_IF_ERROR(ReadModuleList(r, true, "required_modules", h));
  uint64_t clone_len;
  const size_t clone_at = r.pos();
  if (h.format_version == 15) {
    JLC_ASSIGN_OR_RETURN(uint32_t len, r.U32("clone_targets_length"));
    clone_len = len;
    if (static_cast<int32_t>(len) < 0)
      return r.CorruptAt(clone_at, "clone_targets_length", Cat("negative length ", static_cast<int32_t>(len)));
  } else {
    JLC_ASSIGN_OR_RETURN(int32_t len, r.I32("clone_targets_length"));
    if (len < 0) return r.CorruptAt(clone_at, "clone_targets_length", Cat("negative length ", len));
    clone_len = static_cast<uint64_t>(len);
  }
  JLC_ASSIGN_OR_RETURN(std::string_view clone, r.Bytes(clone_len, "clone_targets"));
  h.clone_targets = std::string(clone);
  const size_t header_end = r.pos();

  if (clone.empty()) {
    h.clone_target_encoding = CloneTargetEncoding::kNone;
  } else if (h.format_version == 12) {
    h.clone_target_encoding = CloneTargetEncoding::kLegacy32;
  } else if (h.format_version == 15) {
    h.clone_target_encoding = CloneTargetEncoding::kCpufeatures;
  } else {
    // Format 13 changed the encoding without a version bump (julia#61292).
    // When both walk cleanly the later encoding is taken.
    if (IsValidCloneTargets(clone, CloneTargetEncoding::kCpufeatures))
      h.clone_target_encoding = CloneTargetEncoding::kCpufeatures;
    else if (IsValidCloneTargets(clone, CloneTargetEncoding::kLegacy32))
      h.clone_target_encoding = CloneTargetEncoding::kLegacy32;
    else
      return r.CorruptAt(clone_at, "clone_targets",
                         "clone-target blob fits neither known encoding");
  }
  h.layout = LayoutFor(h, *chosen);

  // Heap image: plain caches of formats 12/13 and every format-15 file.
  const uint64_t body_end = r.size();  // the trailer is already out of reach
  if (h.datastartpos != 0 || h.dataendpos != 0) {
    if (h.datastartpos < header_end || h.datastartpos > h.dataendpos || h.dataendpos > body_end)
      return r.CorruptAt(at.datastartpos, "datastartpos",
                         Cat("heap image [", HexOffset(h.datastartpos), ", ",
                             HexOffset(h.dataendpos), ") does not lie between the header end ",
                             HexOffset(header_end), " and the trailer at ", HexOffset(body_end)));
  }
  if (h.srctextpos != 0) {
    const uint64_t min_pos = std::max<uint64_t>(header_end, h.dataendpos);
    if (h.srctextpos < 0 || static_cast<uint64_t>(h.srctextpos) < min_pos ||
        static_cast<uint64_t>(h.srctextpos) > body_end)
      return r.CorruptAt(at.srctextpos, "srctextpos",
                         Cat("srctextpos ", h.srctextpos, " lies outside [", HexOffset(min_pos),
                             ", ", HexOffset(body_end), "]"));
  }
  if (!in.whole) {
    // The prefix was cut before the trailer, so the header ends before it.
    ByteReader trailer(in.trailer);
    JLC_ASSIGN_OR_RETURN(h.pkgimage_crc, trailer.U32("crc_so"));
    JLC_ASSIGN_OR_RETURN(h.file_crc, trailer.U32("crc_ji"));
    return h;
  }
  JLC_RETURN_IF_ERROR(ReadSourceText(r, h));

  if (bytes.size() < header_end + kTrailerSize)
    return Error(ErrorKind::kCorruptCache, "truncated at offset ", HexOffset(bytes.size()),
                 " reading trailer (file of ", bytes.size(), " bytes ends inside the header)");
  ByteReader trailer(bytes);
  JLC_RETURN_IF_ERROR(trailer.Seek(bytes.size() - kTrailerSize, "trailer"));
  JLC_ASSIGN_OR_RETURN(h.pkgimage_crc, trailer.U32("crc_so"));
  JLC_ASSIGN_OR_RETURN(h.file_crc, trailer.U32("crc_ji"));
  const uint32_t before_crc_ji = Crc32c(bytes.data(), bytes.size() - 4);
  h.crc_ok = before_crc_ji == h.file_crc;
  h.whole_file_crc = Crc32c(bytes.data() + bytes.size() - 4, 4, before_crc_ji);

  absl::flat_hash_set<std::string_view> srcfiles;
  for (const std::string& f : h.srctext_files) srcfiles.insert(f);
  for (IncludeEntry& inc : h.includes)
    inc.kind = srcfiles.contains(inc.path) ? IncludeKind::kInclude : IncludeKind::kIncludeDependency;
  return h;
}

}  // namespace

absl::StatusOr<CacheHeader> ParseCacheHeader(std::string_view bytes) {
  return Parse(ParseInput{bytes, bytes.size(), {}, true}, nullptr);
}

absl::StatusOr<std::optional<CacheHeader>> ParseCacheHeaderPrefix(std::string_view prefix,
                                                                  uint64_t file_size,
                                                                  std::string_view trailer) {
  if (trailer.size() != kTrailerSize || file_size < prefix.size() + kTrailerSize)
    return Error(ErrorKind::kInvalidArgument, "a header prefix must end before the ",
                 kTrailerSize, "-byte trailer");
  bool overrun = false;
  absl::StatusOr<CacheHeader> h = Parse(ParseInput{prefix, file_size, trailer, false}, &overrun);
  if (overrun) return std::optional<CacheHeader>();
  if (!h.ok()) return h.status();
  return std::optional<CacheHeader>(*std::move(h));
}

bool CrcTrailerValid(uint32_t whole_file_crc) {
  // A CRC followed by its own little-endian bytes always yields the same
  // residue, and only the right 4 bytes do (appending is a bijection).
  static const uint32_t residue = [] {
    const unsigned char zero_crc[4] = {0, 0, 0, 0};  // Crc32c of nothing, LE
    return Crc32c(zero_crc, sizeof zero_crc, Crc32c(nullptr, 0));
  }();
  return whole_file_crc == residue;
}

absl::StatusOr<std::vector<SourceTextEntry>> ReadSourceTexts(std::string_view bytes,
                                                             const CacheHeader& h) {
  std::vector<SourceTextEntry> out;
  if (h.srctextpos == 0) return out;
  ByteReader r(bytes);
  if (bytes.size() >= kTrailerSize) r.Limit(bytes.size() - kTrailerSize);
  if (h.srctextpos < 0) return r.CorruptAt(0, "srctextpos", "negative srctextpos");
  JLC_RETURN_IF_ERROR(r.Seek(static_cast<uint64_t>(h.srctextpos), "srctextpos"));
  for (int64_t i = 0;; ++i) {
    JLC_ASSIGN_OR_RETURN(int32_t n, r.Length(FieldName("srctext", i, "path")));
    if (n == 0) return out;
    JLC_ASSIGN_OR_RETURN(std::string_view path, r.Bytes(n, FieldName("srctext", i, "path")));
    JLC_ASSIGN_OR_RETURN(uint64_t len, r.U64(FieldName("srctext", i, "length")));
    JLC_ASSIGN_OR_RETURN(std::string_view text, r.Bytes(len, FieldName("srctext", i, "content")));
    out.push_back({path, text});
  }
}

absl::StatusOr<CacheHeader> ReadCacheHeaderFile(const FileAccess& files, const std::string& path,
                                                uint64_t max_bytes) {
  JLC_ASSIGN_OR_RETURN(FileBytes bytes, files.ReadBytes(path, max_bytes));
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(bytes.view());
  if (!h.ok()) return MakeError(KindOf(h.status()), Cat(path, ": ", Message(h.status())));
  return h;
}

absl::StatusOr<CacheHeader> ReadCacheHeaderOnly(const FileAccess& files, const std::string& path) {
  for (size_t prefix = kHeaderPrefixBytes; prefix <= kHeaderPrefixMaxBytes; prefix *= 16) {
    JLC_ASSIGN_OR_RETURN(FilePrefix head, files.ReadPrefix(path, prefix, kTrailerSize));
    absl::StatusOr<std::optional<CacheHeader>> h =
        head.whole() ? absl::StatusOr<std::optional<CacheHeader>>(ParseCacheHeader(head.prefix.view()))
                     : ParseCacheHeaderPrefix(head.prefix.view(), head.file_size, head.suffix);
    if (!h.ok()) return MakeError(KindOf(h.status()), Cat(path, ": ", Message(h.status())));
    if (*h) return **std::move(h);
  }
  // A header this long: the whole file.
  return ReadCacheHeaderFile(files, path);
}

}  // namespace jlcache
