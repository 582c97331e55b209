#include "support/cache_writer.h"

#include <cstring>
#include <set>
#include <stdexcept>

#include "core/crc32c.h"
#include "format/header_reader.h"

namespace jlcache::test_support {
namespace {

class Out {
 public:
  void Raw(std::string_view s) { buf_.append(s.data(), s.size()); }
  void U8(uint8_t v) { buf_.push_back(static_cast<char>(v)); }
  void Le(uint64_t v, int width) {
    for (int k = 0; k < width; ++k) buf_.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void I32(int32_t v) { Le(static_cast<uint32_t>(v), 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void F64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    Le(bits, 8);
  }
  void CStr(std::string_view s) {
    Raw(s);
    U8(0);
  }
  void JStr(std::string_view s) {
    I32(static_cast<int32_t>(s.size()));
    Raw(s);
  }
  void Zeros(size_t n) { buf_.append(n, '\0'); }
  size_t pos() const { return buf_.size(); }
  void PatchU64(size_t at, uint64_t v) { test_support::PatchU64(buf_, at, v); }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

void WriteUuidHiLo(Out& o, const std::optional<Uuid>& u) {
  o.U64(u ? u->hi : 0);
  o.U64(u ? u->lo : 0);
}

}  // namespace

void PatchU32(std::string& bytes, size_t offset, uint32_t value) {
  if (offset + 4 > bytes.size()) throw std::out_of_range("PatchU32");
  for (int k = 0; k < 4; ++k) bytes[offset + k] = static_cast<char>((value >> (8 * k)) & 0xFF);
}

void PatchU64(std::string& bytes, size_t offset, uint64_t value) {
  if (offset + 8 > bytes.size()) throw std::out_of_range("PatchU64");
  for (int k = 0; k < 8; ++k) bytes[offset + k] = static_cast<char>((value >> (8 * k)) & 0xFF);
}

void RecomputeFileCrc(std::string& bytes) {
  if (bytes.size() < 4) throw std::out_of_range("RecomputeFileCrc");
  PatchU32(bytes, bytes.size() - 4, Crc32c(bytes.data(), bytes.size() - 4));
}

WrittenCache WriteCacheFile(const CacheHeader& in, const CacheBody& body) {
  CacheHeader h = in;
  const HeaderLayout layout = h.layout;
  h.format_version = FormatVersionOf(layout);
  const bool f15 = h.format_version == 15;
  const bool sized = IncludesCarrySizeAndHash(layout);

  // Normalize the optional fields to what the reader reports for this layout.
  if (HasSyntaxVersion(layout)) {
    if (!h.syntax_version) h.syntax_version = 0;
  } else {
    h.syntax_version.reset();
  }
  if (f15) {
    if (!h.gc_abi) h.gc_abi = "stock";
    if (!h.ji_flags) h.ji_flags = 1u | (h.clone_targets.empty() ? 0u : 2u);
    h.checksum &= 0xFFFFFFFFu;
    h.pkgimage_marker = 0;
  } else {
    h.gc_abi.reset();
    h.ji_flags.reset();
  }
  for (IncludeEntry& inc : h.includes) {
    if (sized) {
      if (!inc.fsize) inc.fsize = 0;
      if (!inc.hash) inc.hash = 0;
    } else {
      inc.fsize.reset();
      inc.hash.reset();
    }
  }
  if (UsesPreferencesBlob(layout)) {
    if (!h.preferences_blob) h.preferences_blob = "";
    h.preference_names.reset();
    h.preferences_hash.reset();
  } else {
    if (!h.preference_names) h.preference_names = std::vector<std::string>{};
    if (!h.preferences_hash) h.preferences_hash = 0;
    h.preferences_blob.reset();
  }
  const std::vector<DependencySlot> order = h.DependencyListOrder();
  {
    // Keep dependency_order only when it is not the canonical order.
    std::vector<DependencySlot> canonical;
    for (size_t i = 0; i < h.includes.size(); ++i) canonical.push_back({false, uint32_t(i)});
    for (size_t i = 0; i < h.requires_.size(); ++i) canonical.push_back({true, uint32_t(i)});
    if (order == canonical) h.dependency_order.clear();
  }
  if (h.srctext_files.empty() && body.write_srctext) {
    for (const DependencySlot& s : order)
      if (!s.is_requires && h.includes[s.index].kind == IncludeKind::kInclude)
        h.srctext_files.push_back(h.includes[s.index].path);
  }
  if (!body.write_srctext) h.srctext_files.clear();
  {
    std::set<std::string> src(h.srctext_files.begin(), h.srctext_files.end());
    for (IncludeEntry& inc : h.includes)
      inc.kind = src.count(inc.path) ? IncludeKind::kInclude : IncludeKind::kIncludeDependency;
  }

  Out o;
  // Prelude.
  o.Raw(std::string_view("\xFBjli\r\n\x1A\n", 8));
  o.U16(h.format_version);
  o.Raw(std::string_view("\xFF\xFE", 2));
  o.U8(h.pointer_size ? h.pointer_size : 8);
  h.pointer_size = h.pointer_size ? h.pointer_size : 8;
  o.CStr(h.os);
  o.CStr(h.arch);
  o.CStr(h.julia_version);
  size_t offsets_at;
  if (f15) {
    o.CStr(*h.gc_abi);
    o.U32(*h.ji_flags);
    if (*h.ji_flags & 1u) {
      o.CStr(h.git_branch);
      o.CStr(h.git_commit);
    }
    o.U32(static_cast<uint32_t>(h.checksum));
    offsets_at = o.pos();
  } else {
    o.CStr(h.git_branch);
    o.CStr(h.git_commit);
    o.U8(h.pkgimage_marker);
    o.U64(h.checksum);
    offsets_at = o.pos();
  }
  o.U64(0);  // datastartpos, patched below
  o.U64(0);  // dataendpos
  o.U8(h.flags.byte);
  if (h.syntax_version) o.U8(*h.syntax_version);

  for (const WorklistModule& m : h.modules) {
    o.JStr(m.name);
    WriteUuidHiLo(o, m.uuid);
    o.U64(m.build_id_lo);
  }
  o.I32(0);

  // Dependency section.
  const size_t totbytes_at = o.pos();
  o.U64(0);
  auto write_modpath = [&o](int32_t n1, const std::vector<std::string>& path) {
    o.I32(n1);
    if (n1 != 0) {
      for (const std::string& p : path) o.JStr(p);
      o.I32(0);
    }
  };
  for (const DependencySlot& s : order) {
    if (s.is_requires) {
      const RequiresEntry& r = h.requires_.at(s.index);
      std::string depname(1, '\0');
      unsigned char uuid[16] = {};
      if (r.imported.uuid) r.imported.uuid->ToLittleEndianBytes(uuid);
      depname.append(reinterpret_cast<const char*>(uuid), 16);
      depname += r.imported.name;
      o.JStr(depname);
      if (sized) {
        o.U64(0);
        o.U32(0);
      }
      o.F64(0.0);
      write_modpath(r.module_index, r.submodule_path);
    } else {
      const IncludeEntry& inc = h.includes.at(s.index);
      o.JStr(inc.path);
      if (sized) {
        o.U64(*inc.fsize);
        o.U32(*inc.hash);
      }
      o.F64(inc.mtime);
      write_modpath(inc.module_index, inc.submodule_path);
    }
  }
  o.I32(0);
  if (UsesPreferencesBlob(layout)) {
    o.JStr(*h.preferences_blob);
  } else {
    for (const std::string& n : *h.preference_names) o.JStr(n);
    o.I32(0);
    o.U64(*h.preferences_hash);
  }
  const size_t srctextpos_at = o.pos();
  h.totbytes = srctextpos_at - totbytes_at;
  o.PatchU64(totbytes_at, h.totbytes);
  o.U64(0);  // srctextpos, patched below

  for (const RequiredModule& m : h.required_modules) {
    o.JStr(m.name);
    WriteUuidHiLo(o, m.uuid);
    o.U64(m.build_id.hi);
    o.U64(m.build_id.lo);
  }
  o.I32(0);
  if (f15)
    o.U32(static_cast<uint32_t>(h.clone_targets.size()));
  else
    o.I32(static_cast<int32_t>(h.clone_targets.size()));
  o.Raw(h.clone_targets);

  h.datastartpos = h.dataendpos = 0;
  if (f15 || h.clone_targets.empty()) {
    const size_t a = body.alignment ? body.alignment : 64;
    o.Zeros((a - o.pos() % a) % a);
    h.datastartpos = o.pos();
    o.Raw(body.heap);
    h.dataendpos = o.pos();
    o.PatchU64(offsets_at, h.datastartpos);
    o.PatchU64(offsets_at + 8, h.dataendpos);
  }

  h.srctextpos = 0;
  if (body.write_srctext) {
    h.srctextpos = static_cast<int64_t>(o.pos());
    o.PatchU64(srctextpos_at, static_cast<uint64_t>(h.srctextpos));
    for (const std::string& path : h.srctext_files) {
      auto it = body.source_texts.find(path);
      std::string_view text = it == body.source_texts.end() ? std::string_view() : it->second;
      o.JStr(path);
      o.U64(text.size());
      o.Raw(text);
    }
    o.I32(0);
  }

  // Trailer.
  o.U32(h.pkgimage_crc);
  h.file_crc = Crc32c(o.buf().data(), o.buf().size());
  o.U32(h.file_crc);
  h.crc_ok = true;
  h.whole_file_crc = Crc32c(o.buf().data() + o.buf().size() - 4, 4, h.file_crc);
  h.file_size = o.pos();

  if (h.clone_targets.empty())
    h.clone_target_encoding = CloneTargetEncoding::kNone;
  else if (h.format_version == 12)
    h.clone_target_encoding = CloneTargetEncoding::kLegacy32;
  else if (f15 || IsValidCloneTargets(h.clone_targets, CloneTargetEncoding::kCpufeatures))
    h.clone_target_encoding = CloneTargetEncoding::kCpufeatures;
  else
    h.clone_target_encoding = CloneTargetEncoding::kLegacy32;
  // Format 13 tells 13b from 13c only by the clone-target encoding, so a plain
  // 13c cache reads back as 13b (and a 13b blob in the new encoding as 13c).
  if (h.format_version == 13 && layout != HeaderLayout::kC13a)
    h.layout = h.clone_target_encoding == CloneTargetEncoding::kCpufeatures ? HeaderLayout::kC13c
                                                                           : HeaderLayout::kC13b;

  return WrittenCache{std::move(o.buf()), std::move(h)};
}

// ---------------------------------------------------------------- level 2

SourceFileSpec EntryFile(std::string path, std::string text, double mtime) {
  SourceFileSpec f;
  f.path = std::move(path);
  f.text = std::move(text);
  f.mtime = mtime;
  f.module_index = 0;
  return f;
}

SourceFileSpec IncludedFile(std::string path, std::string text, double mtime,
                            std::vector<std::string> submodule_path) {
  SourceFileSpec f;
  f.path = std::move(path);
  f.text = std::move(text);
  f.mtime = mtime;
  f.module_index = 1;
  f.submodule_path = std::move(submodule_path);
  return f;
}

SourceFileSpec DependencyFile(std::string path, std::string text, bool track_content,
                              double mtime) {
  SourceFileSpec f;
  f.path = std::move(path);
  f.text = std::move(text);
  f.kind = IncludeKind::kIncludeDependency;
  f.track_content = track_content;
  f.mtime = mtime;
  f.module_index = 0;
  return f;
}

std::string DefaultJuliaVersion(HeaderLayout layout) {
  switch (layout) {
    case HeaderLayout::kA: return "1.10.4";
    case HeaderLayout::kB: return "1.11.7";
    case HeaderLayout::kBPrime: return "1.13.0-rc1";
    default: return "1.14.0-DEV";
  }
}

std::vector<RequiredModule> DefaultSysimageModules() {
  const uint64_t hi = (uint64_t{kSysimageChecksumTag} << 32) | 0xa9b4ea8bu;
  return {
      RequiredModule{"Core", std::nullopt, BuildId{hi, 0x000002c91a2c2994ULL}},
      RequiredModule{"Base", std::nullopt, BuildId{hi, 0x000002e1a0777b29ULL}},
      RequiredModule{"Main", std::nullopt, BuildId{hi, 0x000002c91a2e6dcdULL}},
  };
}

RequiredModule RequiredModuleFor(const CacheHeader& dep) {
  RequiredModule m;
  if (!dep.modules.empty()) {
    m.name = dep.modules.front().name;
    m.uuid = dep.modules.front().uuid;
  }
  m.build_id = dep.PackageBuildId();
  return m;
}

CloneTargetEncoding CloneTargetEncodingOf(HeaderLayout layout) {
  return layout == HeaderLayout::kC13c || layout == HeaderLayout::kC15
             ? CloneTargetEncoding::kCpufeatures
             : CloneTargetEncoding::kLegacy32;
}

std::string GenericCloneTargets(CloneTargetEncoding encoding, std::string_view arch) {
  if (encoding == CloneTargetEncoding::kNone) return "";
  Out o;
  o.U32(1);  // ntargets
  o.U32(0);  // flags
  const bool cpuf = encoding == CloneTargetEncoding::kCpufeatures;
  uint32_t words;
  if (cpuf) {
    o.I32(-1);  // base: none
    words = arch == "x86_64" ? 4 : (arch == "aarch64" || arch == "riscv64") ? 5 : 1;
  } else {
    words = arch == "x86_64" ? 11 : (arch == "aarch64" || arch == "armv7l") ? 3 : 1;
  }
  o.U32(words);
  o.Zeros(2 * words * (cpuf ? 8 : 4));
  o.U32(7);
  o.Raw("generic");
  o.U32(0);
  return std::move(o.buf());
}

CacheHeader PackageHeader(const PackageCacheSpec& spec) {
  CacheHeader h;
  h.layout = spec.layout;
  h.format_version = FormatVersionOf(spec.layout);
  h.pointer_size = 8;
  h.os = spec.os;
  h.arch = spec.arch;
  h.julia_version = spec.julia_version.empty() ? DefaultJuliaVersion(spec.layout)
                                               : spec.julia_version;
  h.git_branch = spec.git_branch;
  h.git_commit = spec.git_commit;
  h.checksum = h.format_version == 15
                   ? spec.heap_crc
                   : ((uint64_t{kPackageChecksumTag} << 32) | spec.heap_crc);
  h.flags.byte = spec.flags;
  if (HasSyntaxVersion(spec.layout)) h.syntax_version = spec.syntax_version;
  h.modules.push_back(WorklistModule{spec.name, spec.uuid, spec.build_id_lo});

  const bool sized = IncludesCarrySizeAndHash(spec.layout);
  for (const SourceFileSpec& f : spec.files) {
    IncludeEntry inc;
    inc.path = f.path;
    inc.kind = f.kind;
    inc.module_index = f.module_index;
    inc.submodule_path = f.submodule_path;
    if (sized) {
      if (f.track_content) {
        inc.fsize = f.fsize ? *f.fsize : f.text.size();
        inc.hash = f.hash ? *f.hash : Crc32cStr(f.text);
        inc.mtime = -1.0;
      } else {
        inc.fsize = 0;
        inc.hash = 0;
        inc.mtime = f.mtime;
      }
    } else {
      inc.mtime = f.mtime;
    }
    h.includes.push_back(std::move(inc));
  }
  for (const PkgId& id : spec.requires_) {
    RequiresEntry r;
    r.module_index = 1;
    r.imported = id;
    h.requires_.push_back(std::move(r));
  }
  if (UsesPreferencesBlob(spec.layout)) {
    h.preferences_blob = spec.preferences_blob;
  } else {
    h.preference_names = spec.preference_names;
    h.preferences_hash = spec.preferences_hash;
  }
  h.required_modules =
      spec.required_modules.empty() ? DefaultSysimageModules() : spec.required_modules;
  if (spec.pkgimage)
    h.clone_targets = spec.clone_targets
                          ? *spec.clone_targets
                          : GenericCloneTargets(CloneTargetEncodingOf(spec.layout), spec.arch);
  h.pkgimage_crc = spec.crc_so;
  return h;
}

CacheBody PackageBody(const PackageCacheSpec& spec) {
  CacheBody b;
  for (const SourceFileSpec& f : spec.files)
    if (f.kind == IncludeKind::kInclude) b.source_texts[f.path] = f.text;
  b.heap = spec.heap;
  return b;
}

WrittenCache MakePackageCache(const PackageCacheSpec& spec) {
  return WriteCacheFile(PackageHeader(spec), PackageBody(spec));
}

}  // namespace jlcache::test_support
