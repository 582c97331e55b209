#include "format/header_json.h"

#include "core/hex.h"

namespace jlcache {
namespace {

void OptUuid(JsonWriter& w, const std::optional<Uuid>& u) {
  if (u)
    w.String(u->ToString());
  else
    w.Null();
}

void StringArray(JsonWriter& w, const std::vector<std::string>& items) {
  w.BeginArray();
  for (const std::string& s : items) w.String(s);
  w.EndArray();
}

void ModuleName(JsonWriter& w, const CacheHeader& h, int32_t idx) {
  if (idx <= 0 || static_cast<size_t>(idx) > h.modules.size())
    w.Null();
  else
    w.String(h.modules[static_cast<size_t>(idx) - 1].name);
}

}  // namespace

void WriteCacheHeaderJson(JsonWriter& w, const CacheHeader& h) {
  w.BeginObject();
  w.Key("format_version").UInt(h.format_version);
  w.Key("layout").String(LayoutName(h.layout));
  w.Key("julia_version").String(h.julia_version);
  w.Key("git_branch").String(h.git_branch);
  w.Key("git_commit").String(h.git_commit);
  w.Key("os").String(h.os);
  w.Key("arch").String(h.arch);
  w.Key("pointer_size").UInt(h.pointer_size);
  w.Key("pkgimage_marker").UInt(h.pkgimage_marker);
  w.Key("checksum").String(Hex64(h.checksum));
  w.Key("datastartpos").UInt(h.datastartpos);
  w.Key("dataendpos").UInt(h.dataendpos);
  w.Key("syntax_version");
  if (h.syntax_version) w.UInt(*h.syntax_version); else w.Null();
  w.Key("gc_abi").OptString(h.gc_abi);
  w.Key("ji_flags");
  if (h.ji_flags) w.UInt(*h.ji_flags); else w.Null();

  w.Key("flags").BeginObject();
  w.Key("byte").UInt(h.flags.byte);
  w.Key("use_pkgimages").Bool(h.flags.use_pkgimages());
  w.Key("debug_level").Int(h.flags.debug_level());
  w.Key("check_bounds").Int(h.flags.check_bounds());
  w.Key("inline").Bool(h.flags.inline_());
  w.Key("opt_level").Int(h.flags.opt_level());
  w.EndObject();

  w.Key("modules").BeginArray();
  for (const WorklistModule& m : h.modules) {
    w.BeginObject();
    w.Key("name").String(m.name);
    w.Key("uuid");
    OptUuid(w, m.uuid);
    w.Key("build_id").String(h.ModuleBuildId(m).ToString());
    w.EndObject();
  }
  w.EndArray();
  w.Key("totbytes").UInt(h.totbytes);

  w.Key("includes").BeginArray();
  for (const IncludeEntry& inc : h.includes) {
    w.BeginObject();
    w.Key("path").String(inc.path);
    w.Key("fsize");
    if (inc.fsize) w.UInt(*inc.fsize); else w.Null();
    w.Key("hash");
    if (inc.hash) w.String(Hex32(*inc.hash)); else w.Null();
    w.Key("mtime").Double(inc.mtime);
    w.Key("module");
    ModuleName(w, h, inc.module_index);
    w.Key("submodule_path");
    StringArray(w, inc.submodule_path);
    w.Key("tracked_by").String(inc.tracked_by_content() ? "content" : "mtime");
    w.Key("kind").String(inc.kind == IncludeKind::kInclude ? "include" : "include_dependency");
    w.EndObject();
  }
  w.EndArray();

  w.Key("requires").BeginArray();
  for (const RequiresEntry& r : h.requires_) {
    w.BeginObject();
    w.Key("module");
    ModuleName(w, h, r.module_index);
    w.Key("submodule_path");
    StringArray(w, r.submodule_path);
    w.Key("name").String(r.imported.name);
    w.Key("uuid");
    OptUuid(w, r.imported.uuid);
    w.EndObject();
  }
  w.EndArray();

  w.Key("srctext_files");
  StringArray(w, h.srctext_files);
  w.Key("preferences");
  if (h.preference_names) StringArray(w, *h.preference_names); else w.Null();
  w.Key("preferences_hash");
  if (h.preferences_hash) w.String(Hex64(*h.preferences_hash)); else w.Null();
  w.Key("preferences_blob").OptString(h.preferences_blob);
  w.Key("srctextpos").Int(h.srctextpos);

  w.Key("required_modules").BeginArray();
  for (const RequiredModule& m : h.required_modules) {
    w.BeginObject();
    w.Key("name").String(m.name);
    w.Key("uuid");
    OptUuid(w, m.uuid);
    w.Key("build_id").String(m.build_id.ToString());
    w.EndObject();
  }
  w.EndArray();

  w.Key("clone_targets_size").UInt(h.clone_targets.size());
  w.Key("clone_target_encoding").String(CloneTargetEncodingName(h.clone_target_encoding));
  w.Key("file_size").UInt(h.file_size);
  w.Key("crc_ok").Bool(h.crc_ok);
  w.Key("file_crc").String(Hex32(h.file_crc));
  w.Key("pkgimage_crc").String(Hex32(h.pkgimage_crc));
  w.EndObject();
}

std::string CacheHeaderToJson(const CacheHeader& h, bool pretty) {
  JsonWriter w(pretty);
  WriteCacheHeaderJson(w, h);
  return w.Take();
}

}  // namespace jlcache
