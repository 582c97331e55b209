// jlcache_header_*: the parsed cache header behind the C ABI. Every string a
// getter returns is laid out once, when the handle is created, and borrowed
// from the handle until jlcache_header_free.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capi/capi_common.h"
#include "format/cache_header.h"
#include "format/header_json.h"
#include "format/header_reader.h"
#include "format/native_library.h"

struct jlcache_header {
  jlcache::CacheHeader h;
  std::string layout;
  struct ModuleStrings {
    std::string uuid;
    bool has_uuid = false;
  };
  std::vector<ModuleStrings> modules, required;
  struct EntryStrings {
    std::string module, submodule_path, uuid;
    bool has_module = false, has_uuid = false;
  };
  std::vector<EntryStrings> includes, requires_;

  explicit jlcache_header(jlcache::CacheHeader header);
};

namespace {

using jlcache::CacheHeader;

std::string Dotted(const std::vector<std::string>& path) {
  std::string out;
  for (const std::string& p : path) {
    if (!out.empty()) out += '.';
    out += p;
  }
  return out;
}

jlcache_header::ModuleStrings UuidStrings(const std::optional<jlcache::Uuid>& u) {
  jlcache_header::ModuleStrings s;
  if (u) {
    s.uuid = u->ToString();
    s.has_uuid = true;
  }
  return s;
}

jlcache_header::EntryStrings EntryStringsFor(const CacheHeader& h, int32_t module_index,
                                             const std::vector<std::string>& submodule_path) {
  jlcache_header::EntryStrings e;
  if (module_index > 0 && static_cast<size_t>(module_index) <= h.modules.size()) {
    e.module = h.modules[static_cast<size_t>(module_index) - 1].name;
    e.has_module = true;
  }
  e.submodule_path = Dotted(submodule_path);
  return e;
}

jlcache_status NewHeader(absl::StatusOr<CacheHeader> parsed, jlcache_header** out) {
  if (!parsed.ok()) return jlcache::capi::Report(parsed.status());
  *out = new jlcache_header(*std::move(parsed));
  return JLCACHE_OK;
}

const char* Borrow(const std::string& s, bool present = true) {
  return present ? s.c_str() : nullptr;
}

}  // namespace

jlcache_header::jlcache_header(jlcache::CacheHeader header) : h(std::move(header)) {
  layout = std::string(jlcache::LayoutName(h.layout));
  for (const auto& m : h.modules) modules.push_back(UuidStrings(m.uuid));
  for (const auto& m : h.required_modules) required.push_back(UuidStrings(m.uuid));
  for (const auto& inc : h.includes)
    includes.push_back(EntryStringsFor(h, inc.module_index, inc.submodule_path));
  for (const auto& r : h.requires_) {
    EntryStrings e = EntryStringsFor(h, r.module_index, r.submodule_path);
    if (r.imported.uuid) {
      e.uuid = r.imported.uuid->ToString();
      e.has_uuid = true;
    }
    requires_.push_back(std::move(e));
  }
}

using namespace jlcache::capi;

extern "C" {

JLCACHE_API jlcache_status jlcache_header_open(const char* path, jlcache_header** out) {
  return Guard([&]() -> jlcache_status {
    if (!out) return InvalidArgument("jlcache_header_open: out is NULL");
    *out = nullptr;
    if (!path) return InvalidArgument("jlcache_header_open: path is NULL");
    return NewHeader(jlcache::ReadCacheHeaderFile(path), out);
  });
}

JLCACHE_API jlcache_status jlcache_header_parse(const void* data, size_t len,
                                                jlcache_header** out) {
  return Guard([&]() -> jlcache_status {
    if (!out) return InvalidArgument("jlcache_header_parse: out is NULL");
    *out = nullptr;
    if (!data && len > 0) return InvalidArgument("jlcache_header_parse: data is NULL");
    std::string_view bytes = data ? std::string_view(static_cast<const char*>(data), len)
                                  : std::string_view();
    return NewHeader(jlcache::ParseCacheHeader(bytes), out);
  });
}

JLCACHE_API void jlcache_header_free(jlcache_header* header) { delete header; }

JLCACHE_API jlcache_status jlcache_header_to_json(const jlcache_header* header, char** out_json) {
  return Guard([&]() -> jlcache_status {
    if (!out_json) return InvalidArgument("jlcache_header_to_json: out_json is NULL");
    *out_json = nullptr;
    if (!header) return InvalidArgument("jlcache_header_to_json: header is NULL");
    *out_json = CopyToC(jlcache::CacheHeaderToJson(header->h));
    return JLCACHE_OK;
  });
}

JLCACHE_API int32_t jlcache_header_format_version(const jlcache_header* h) {
  return h ? h->h.format_version : 0;
}
JLCACHE_API const char* jlcache_header_layout(const jlcache_header* h) {
  return h ? h->layout.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_header_julia_version(const jlcache_header* h) {
  return h ? h->h.julia_version.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_header_git_branch(const jlcache_header* h) {
  return h ? h->h.git_branch.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_header_git_commit(const jlcache_header* h) {
  return h ? h->h.git_commit.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_header_os(const jlcache_header* h) {
  return h ? h->h.os.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_header_arch(const jlcache_header* h) {
  return h ? h->h.arch.c_str() : nullptr;
}
JLCACHE_API uint8_t jlcache_header_flags(const jlcache_header* h) {
  return h ? h->h.flags.byte : 0;
}
JLCACHE_API uint64_t jlcache_header_checksum(const jlcache_header* h) {
  return h ? h->h.checksum : 0;
}
JLCACHE_API int32_t jlcache_header_crc_ok(const jlcache_header* h) {
  return h && h->h.crc_ok ? 1 : 0;
}
JLCACHE_API uint32_t jlcache_header_pkgimage_crc(const jlcache_header* h) {
  return h ? h->h.pkgimage_crc : 0;
}
JLCACHE_API uint64_t jlcache_header_clone_targets_size(const jlcache_header* h) {
  return h ? h->h.clone_targets.size() : 0;
}

JLCACHE_API jlcache_status jlcache_header_check_native_library(const jlcache_header* h,
                                                               const char* so_path,
                                                               int32_t* out_match) {
  return Guard([&]() -> jlcache_status {
    if (!out_match) return InvalidArgument("jlcache_header_check_native_library: out_match is NULL");
    *out_match = 0;
    if (!h) return InvalidArgument("jlcache_header_check_native_library: header is NULL");
    if (!so_path) return InvalidArgument("jlcache_header_check_native_library: so_path is NULL");
    absl::StatusOr<bool> match = jlcache::NativeLibraryMatches(h->h, so_path);
    if (!match.ok()) return Report(match.status());
    *out_match = *match ? 1 : 0;
    return JLCACHE_OK;
  });
}

JLCACHE_API size_t jlcache_header_module_count(const jlcache_header* h) {
  return h ? h->h.modules.size() : 0;
}

JLCACHE_API jlcache_status jlcache_header_module_at(const jlcache_header* h, size_t i,
                                                 jlcache_module* out) {
  return Guard([&]() -> jlcache_status {
    if (!h || !out) return InvalidArgument("jlcache_header_module_at: NULL argument");
    if (i >= h->h.modules.size())
      return InvalidArgument(jlcache::Cat("jlcache_header_module_at: index ", i, " out of range (",
                                          h->h.modules.size(), " modules)"));
    const auto& m = h->h.modules[i];
    out->name = m.name.c_str();
    out->uuid = Borrow(h->modules[i].uuid, h->modules[i].has_uuid);
    const jlcache::BuildId id = h->h.ModuleBuildId(m);
    out->build_id_hi = id.hi;
    out->build_id_lo = id.lo;
    return JLCACHE_OK;
  });
}

JLCACHE_API size_t jlcache_header_required_count(const jlcache_header* h) {
  return h ? h->h.required_modules.size() : 0;
}

JLCACHE_API jlcache_status jlcache_header_required_at(const jlcache_header* h, size_t i,
                                                   jlcache_module* out) {
  return Guard([&]() -> jlcache_status {
    if (!h || !out) return InvalidArgument("jlcache_header_required_at: NULL argument");
    if (i >= h->h.required_modules.size())
      return InvalidArgument(jlcache::Cat("jlcache_header_required_at: index ", i,
                                          " out of range (", h->h.required_modules.size(),
                                          " required modules)"));
    const auto& m = h->h.required_modules[i];
    out->name = m.name.c_str();
    out->uuid = Borrow(h->required[i].uuid, h->required[i].has_uuid);
    out->build_id_hi = m.build_id.hi;
    out->build_id_lo = m.build_id.lo;
    return JLCACHE_OK;
  });
}

JLCACHE_API size_t jlcache_header_include_count(const jlcache_header* h) {
  return h ? h->h.includes.size() : 0;
}

JLCACHE_API jlcache_status jlcache_header_include_at(const jlcache_header* h, size_t i,
                                                  jlcache_include* out) {
  return Guard([&]() -> jlcache_status {
    if (!h || !out) return InvalidArgument("jlcache_header_include_at: NULL argument");
    if (i >= h->h.includes.size())
      return InvalidArgument(jlcache::Cat("jlcache_header_include_at: index ", i, " out of range (",
                                          h->h.includes.size(), " includes)"));
    const auto& inc = h->h.includes[i];
    const auto& s = h->includes[i];
    out->path = inc.path.c_str();
    out->fsize = inc.fsize ? static_cast<int64_t>(*inc.fsize) : -1;
    out->hash = inc.hash ? static_cast<int64_t>(*inc.hash) : -1;
    out->mtime = inc.mtime;
    out->module = Borrow(s.module, s.has_module);
    out->submodule_path = s.submodule_path.c_str();
    out->tracked_by_content = inc.tracked_by_content() ? 1 : 0;
    out->is_include = inc.kind == jlcache::IncludeKind::kInclude ? 1 : 0;
    return JLCACHE_OK;
  });
}

JLCACHE_API size_t jlcache_header_requires_count(const jlcache_header* h) {
  return h ? h->h.requires_.size() : 0;
}

JLCACHE_API jlcache_status jlcache_header_requires_at(const jlcache_header* h, size_t i,
                                                         jlcache_requires* out) {
  return Guard([&]() -> jlcache_status {
    if (!h || !out) return InvalidArgument("jlcache_header_requires_at: NULL argument");
    if (i >= h->h.requires_.size())
      return InvalidArgument(jlcache::Cat("jlcache_header_requires_at: index ", i,
                                          " out of range (", h->h.requires_.size(),
                                          " requires entries)"));
    const auto& r = h->h.requires_[i];
    const auto& s = h->requires_[i];
    out->module = Borrow(s.module, s.has_module);
    out->submodule_path = s.submodule_path.c_str();
    out->name = r.imported.name.c_str();
    out->uuid = Borrow(s.uuid, s.has_uuid);
    return JLCACHE_OK;
  });
}

}  // extern "C"
