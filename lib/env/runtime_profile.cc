#include "env/runtime_profile.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include <xxhash.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/toml.h"
#include "env/toml_cache.h"

namespace jlcache {
namespace {

// Keys, exactly as spelled in the TOML file and in the C ABI setters.
constexpr std::string_view kStringKeys[] = {
    "julia_version", "git_branch", "git_commit", "os",       "arch",
    "julia_bin",     "image_file", "cpu_target", "stdlib_dir", "build_stdlib_dir",
    "bindir",        "pkgimages",  "gc_abi",     "active_project", "preferences_name_form"};
constexpr std::string_view kIntKeys[] = {"pointer_size", "cache_flags"};
constexpr std::string_view kListKeys[] = {"depot_path", "load_path", "accepted_clone_targets",
                                          "rejected_clone_targets"};
constexpr std::string_view kRequiredKeys[] = {
    "julia_version", "git_branch", "git_commit", "os",        "arch",      "pointer_size",
    "julia_bin",     "image_file", "cpu_target", "stdlib_dir", "pkgimages", "cache_flags",
    "sysimage_modules"};

template <size_t N>
bool In(const std::string_view (&keys)[N], std::string_view k) {
  return std::find(std::begin(keys), std::end(keys), k) != std::end(keys);
}

std::string Where(std::string_view source, const toml::node& n) {
  const auto& b = n.source().begin;
  return Cat(source, ":", static_cast<uint64_t>(b.line), ":", static_cast<uint64_t>(b.column),
             ": ");
}

std::string TomlQuote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

std::string StringList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += TomlQuote(items[i]);
  }
  return out + "]";
}

absl::StatusOr<uint64_t> ParseDigest(std::string_view key, std::string_view text) {
  auto v = ParseHex64(text);
  if (!v)
    return Error(ErrorKind::kRuntime, "key '", key, "': expected \"0x\" and 1 to 16 hex digits, got '",
                 text, "'");
  return *v;
}

// TOML allows "\u0000" in a string, but a path, a name or a C string ends at
// a NUL: such a profile would silently name another file. Rejected wherever
// it occurs (keys too), with the position of the string.
absl::Status RejectNulBytes(const toml::node& n, std::string_view source, std::string_view key) {
  if (const toml::table* t = n.as_table()) {
    for (const auto& [k, v] : *t) {
      if (k.str().find('\0') != std::string_view::npos)
        return Error(ErrorKind::kRuntime, Where(source, v), "a key holds a NUL byte");
      JLC_RETURN_IF_ERROR(RejectNulBytes(v, source, k.str()));
    }
  } else if (const toml::array* a = n.as_array()) {
    for (const auto& item : *a) JLC_RETURN_IF_ERROR(RejectNulBytes(item, source, key));
  } else if (const toml::value<std::string>* s = n.as_string()) {
    if (s->get().find('\0') != std::string::npos)
      return Error(ErrorKind::kRuntime, Where(source, n), "key '", key,
                   "': the string holds a NUL byte");
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t CloneTargetsDigest(std::string_view blob) { return XXH64(blob.data(), blob.size(), 0); }

std::string_view PkgImagesModeName(PkgImagesMode mode) {
  switch (mode) {
    case PkgImagesMode::kYes: return "yes";
    case PkgImagesMode::kNo: return "no";
    case PkgImagesMode::kExisting: return "existing";
  }
  return "yes";
}

absl::Status RuntimeProfile::SetString(std::string_view key, std::string_view value) {
  validated_ = false;
  std::string v(value);
  if (key == "julia_version") {
    auto parsed = JuliaVersion::Parse(value);
    if (!parsed) return Error(ErrorKind::kRuntime, "julia_version: cannot parse '", value, "'");
    julia_version_text = v;
    version = *parsed;
  } else if (key == "git_branch") {
    git_branch = v;
  } else if (key == "git_commit") {
    git_commit = v;
  } else if (key == "os") {
    os = v;
  } else if (key == "arch") {
    arch = v;
  } else if (key == "julia_bin") {
    julia_bin = v;
  } else if (key == "image_file") {
    image_file = v;
  } else if (key == "cpu_target") {
    cpu_target = v;
  } else if (key == "stdlib_dir") {
    stdlib_dir = v;
  } else if (key == "build_stdlib_dir") {
    build_stdlib_dir = v;
  } else if (key == "bindir") {
    bindir = v;
  } else if (key == "gc_abi") {
    gc_abi = v;
  } else if (key == "active_project") {
    active_project = v;
  } else if (key == "pkgimages") {
    if (value == "yes") pkgimages = PkgImagesMode::kYes;
    else if (value == "no") pkgimages = PkgImagesMode::kNo;
    else if (value == "existing") pkgimages = PkgImagesMode::kExisting;
    else
      return Error(ErrorKind::kRuntime, "pkgimages must be \"yes\", \"no\" or \"existing\", got '",
                   value, "'");
  } else if (key == "preferences_name_form") {
    if (value == "hash") preferences_name_form = PreferencesNameForm::kHash;
    else if (value == "blob") preferences_name_form = PreferencesNameForm::kBlob;
    else
      return Error(ErrorKind::kRuntime, "preferences_name_form must be \"hash\" or \"blob\", got '",
                   value, "'");
  } else {
    return Error(ErrorKind::kInvalidArgument, "unknown string key '", key, "'");
  }
  set_keys_.insert(std::string(key));
  return absl::OkStatus();
}

absl::Status RuntimeProfile::SetInt(std::string_view key, int64_t value) {
  validated_ = false;
  if (key == "pointer_size") {
    if (value != 4 && value != 8)
      return Error(ErrorKind::kRuntime, "pointer_size must be 4 or 8, got ", value);
    pointer_size = value;
  } else if (key == "cache_flags") {
    if (value < 0 || value > 255)
      return Error(ErrorKind::kRuntime, "cache_flags must be a byte (0 to 255), got ", value);
    cache_flags = static_cast<uint8_t>(value);
  } else {
    return Error(ErrorKind::kInvalidArgument, "unknown integer key '", key, "'");
  }
  set_keys_.insert(std::string(key));
  return absl::OkStatus();
}

absl::Status RuntimeProfile::AddString(std::string_view key, std::string_view value) {
  validated_ = false;
  if (key == "depot_path") {
    if (!depot_path) depot_path.emplace();
    depot_path->emplace_back(value);
  } else if (key == "load_path") {
    if (!load_path) load_path.emplace();
    load_path->emplace_back(value);
  } else if (key == "accepted_clone_targets" || key == "rejected_clone_targets") {
    JLC_ASSIGN_OR_RETURN(uint64_t d, ParseDigest(key, value));
    (key == "accepted_clone_targets" ? accepted_clone_targets : rejected_clone_targets).push_back(d);
  } else {
    return Error(ErrorKind::kInvalidArgument, "unknown list key '", key, "'");
  }
  set_keys_.insert(std::string(key));
  return absl::OkStatus();
}

absl::Status RuntimeProfile::AddSysimageModule(std::string_view name, std::optional<Uuid> uuid,
                                               BuildId id) {
  validated_ = false;
  if (name.empty()) return Error(ErrorKind::kRuntime, "sysimage module without a name");
  sysimage_modules.push_back(SysimageModule{std::string(name), uuid, id});
  set_keys_.insert("sysimage_modules");
  return absl::OkStatus();
}

bool RuntimeProfile::HasKey(std::string_view key) const {
  return set_keys_.contains(std::string(key));
}

absl::Status RuntimeProfile::Validate() {
  std::vector<std::string> missing;
  for (std::string_view k : kRequiredKeys)
    if (!HasKey(k)) missing.emplace_back(k);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    return Error(ErrorKind::kRuntime, source, ": runtime profile lacks required key(s): ", list,
                 " (see docs/runtime-profile.md)");
  }
  auto v = JuliaVersion::Parse(julia_version_text);
  if (!v) return Error(ErrorKind::kRuntime, source, ": julia_version: cannot parse '",
                       julia_version_text, "'");
  version = *v;
  auto r = RulesFor(version);
  if (!r.ok())
    return Error(ErrorKind::kRuntime, source, ": julia_version ", julia_version_text, ": ",
                 Message(r.status()));
  rules = *r;
  for (std::string_view k : {std::string_view("os"), std::string_view("arch"),
                             std::string_view("julia_bin"), std::string_view("image_file"),
                             std::string_view("stdlib_dir")}) {
    const std::string& val = k == "os"           ? os
                             : k == "arch"       ? arch
                             : k == "julia_bin"  ? julia_bin
                             : k == "image_file" ? image_file
                                                 : stdlib_dir;
    if (val.empty()) return Error(ErrorKind::kRuntime, source, ": key '", k, "' is empty");
  }
  if (pointer_size != 4 && pointer_size != 8)
    return Error(ErrorKind::kRuntime, source, ": pointer_size must be 4 or 8");
  // jl_cache_flags sets bit 0 exactly when --pkgimages=yes; a profile that
  // disagrees with itself could make a plain cache look usable.
  if (((cache_flags & 1) != 0) != (pkgimages == PkgImagesMode::kYes))
    return Error(ErrorKind::kRuntime, source, ": cache_flags ", std::to_string(cache_flags),
                 " disagrees with pkgimages = \"", PkgImagesModeName(pkgimages),
                 "\": bit 0 of cache_flags is set exactly when pkgimages is \"yes\"");
  bool core = false, base = false, main = false;
  for (const auto& m : sysimage_modules) {
    core |= m.name == "Core";
    base |= m.name == "Base";
    main |= m.name == "Main";
  }
  if (!core || !base || !main)
    return Error(ErrorKind::kRuntime, source,
                 ": sysimage_modules must include Core, Base and Main");
  validated_ = true;
  return absl::OkStatus();
}

std::string RuntimeProfile::BinDir() const {
  if (bindir) return *bindir;
  return DirName(julia_bin);
}

PreferencesNameForm RuntimeProfile::EffectivePreferencesNameForm() const {
  if (preferences_name_form != PreferencesNameForm::kUnknown) return preferences_name_form;
  const auto& forms = rules.preference_forms;
  if (forms.size() != 1) return PreferencesNameForm::kUnknown;
  return forms[0] == PreferencesForm::kBlob ? PreferencesNameForm::kBlob
                                            : PreferencesNameForm::kHash;
}

bool RuntimeProfile::AcceptsCloneTargets(uint64_t xxh64) const {
  return std::find(accepted_clone_targets.begin(), accepted_clone_targets.end(), xxh64) !=
         accepted_clone_targets.end();
}

bool RuntimeProfile::KnowsCloneTargets(uint64_t xxh64) const {
  return AcceptsCloneTargets(xxh64) ||
         std::find(rejected_clone_targets.begin(), rejected_clone_targets.end(), xxh64) !=
             rejected_clone_targets.end();
}

absl::StatusOr<RuntimeProfile> RuntimeProfile::FromFile(const std::string& path) {
  auto text = ReadFile(path, uint64_t{16} << 20);  // outside any query: reading the runtime profile
  // The file's own kind: a missing profile is not_found, as the C ABI promises.
  if (!text.ok())
    return Error(KindOf(text.status()), "runtime profile: ", Message(text.status()));
  return FromTomlString(*text, path);
}

absl::StatusOr<RuntimeProfile> RuntimeProfile::FromTomlString(std::string_view text,
                                                              std::string_view source_name) {
  JLC_ASSIGN_OR_RETURN(toml::table t, ParseTomlText(text, source_name));
  JLC_RETURN_IF_ERROR(RejectNulBytes(t, source_name, ""));
  RuntimeProfile p;
  p.source = std::string(source_name);
  auto fail = [&](const toml::node& n, const std::string& what) {
    return Error(ErrorKind::kRuntime, Where(source_name, n), what);
  };
  for (const auto& [k, node] : t) {
    std::string_view key = k.str();
    if (In(kStringKeys, key)) {
      auto s = node.value<std::string>();
      if (!node.is_string()) return fail(node, Cat("key '", key, "' must be a string"));
      absl::Status st = p.SetString(key, *s);
      if (!st.ok()) return fail(node, std::string(Message(st)));
    } else if (In(kIntKeys, key)) {
      if (!node.is_integer()) return fail(node, Cat("key '", key, "' must be an integer"));
      absl::Status st = p.SetInt(key, *node.value<int64_t>());
      if (!st.ok()) return fail(node, std::string(Message(st)));
    } else if (In(kListKeys, key)) {
      const toml::array* arr = node.as_array();
      if (!arr) return fail(node, Cat("key '", key, "' must be an array of strings"));
      // An empty list is meaningful (e.g. depot_path = [] means no depot).
      if (key == "depot_path" && !p.depot_path) p.depot_path.emplace();
      if (key == "load_path" && !p.load_path) p.load_path.emplace();
      p.set_keys_.insert(std::string(key));
      for (const auto& item : *arr) {
        if (!item.is_string()) return fail(item, Cat("key '", key, "' must hold strings only"));
        absl::Status st = p.AddString(key, *item.value<std::string>());
        if (!st.ok()) return fail(item, std::string(Message(st)));
      }
    } else if (key == "sysimage_modules") {
      const toml::array* arr = node.as_array();
      if (!arr || !arr->is_array_of_tables())
        return fail(node, "sysimage_modules must be an array of tables ([[sysimage_modules]])");
      for (const auto& item : *arr) {
        const toml::table& m = *item.as_table();
        auto name = m["name"].value<std::string>();
        auto id_text = m["build_id"].value<std::string>();
        if (!name) return fail(item, "sysimage module without a string 'name'");
        if (!id_text)
          return fail(item, Cat("sysimage module ", *name,
                                ": 'build_id' must be a string \"0x\" + up to 32 hex digits"));
        auto id = BuildId::Parse(*id_text);
        if (!id) return fail(item, Cat("sysimage module ", *name, ": bad build_id '", *id_text, "'"));
        std::optional<Uuid> uuid;
        if (const toml::node* u = m.get("uuid")) {
          auto ut = u->value<std::string>();
          if (!ut || !(uuid = Uuid::Parse(*ut)))
            return fail(*u, Cat("sysimage module ", *name, ": bad uuid"));
        }
        for (const auto& [mk, mv] : m)
          if (mk.str() != "name" && mk.str() != "build_id" && mk.str() != "uuid")
            return fail(mv, Cat("unknown key '", mk.str(), "' in [[sysimage_modules]]"));
        JLC_RETURN_IF_ERROR(p.AddSysimageModule(*name, uuid, *id));
      }
      p.set_keys_.insert("sysimage_modules");
    } else if (key == "preference_hashes") {
      const toml::array* arr = node.as_array();
      if (!arr || !arr->is_array_of_tables())
        return fail(node, "preference_hashes must be an array of tables ([[preference_hashes]])");
      for (const auto& item : *arr) {
        const toml::table& m = *item.as_table();
        PreferenceHashRecord rec;
        auto ut = m["uuid"].value<std::string>();
        auto u = ut ? Uuid::Parse(*ut) : std::nullopt;
        if (!u) return fail(item, "preference_hashes entry: 'uuid' must be a canonical UUID string");
        rec.uuid = *u;
        const toml::array* names = m["names"].as_array();
        if (!names) return fail(item, "preference_hashes entry: 'names' must be an array of strings");
        for (const auto& n : *names) {
          if (!n.is_string()) return fail(n, "preference_hashes entry: 'names' must hold strings");
          rec.names.push_back(*n.value<std::string>());
        }
        for (std::string_view f : {std::string_view("sources_digest"), std::string_view("hash")}) {
          auto s = m[f].value<std::string>();
          if (!s) return fail(item, Cat("preference_hashes entry: '", f, "' must be a \"0x...\" string"));
          auto d = ParseDigest(f, *s);
          if (!d.ok()) return fail(item, std::string(Message(d.status())));
          (f == "hash" ? rec.hash : rec.sources_digest) = *d;
        }
        p.preference_hashes.push_back(std::move(rec));
      }
      p.set_keys_.insert("preference_hashes");
    } else if (key == "cache_flags_default") {
      return fail(node, "unknown key 'cache_flags_default' (the profile key is 'cache_flags')");
    } else {
      return fail(node, Cat("unknown key '", key, "' (see docs/runtime-profile.md)"));
    }
  }
  JLC_RETURN_IF_ERROR(p.Validate());
  return p;
}

std::string RuntimeProfile::ToToml(bool installation_only) const {
  std::string o;
  auto str = [&](std::string_view k, std::string_view v) {
    o += Cat(k, " = ", TomlQuote(v), "\n");
  };
  o += "# jlcache runtime profile (docs/runtime-profile.md)\n";
  str("julia_version", julia_version_text);
  str("git_branch", git_branch);
  str("git_commit", git_commit);
  str("os", os);
  str("arch", arch);
  o += Cat("pointer_size = ", pointer_size, "\n");
  str("julia_bin", julia_bin);
  str("image_file", image_file);
  str("cpu_target", cpu_target);
  str("stdlib_dir", stdlib_dir);
  if (build_stdlib_dir) str("build_stdlib_dir", *build_stdlib_dir);
  if (bindir) str("bindir", *bindir);
  str("pkgimages", PkgImagesModeName(pkgimages));
  char flags[8];
  std::snprintf(flags, sizeof flags, "0x%02x", cache_flags);
  o += Cat("cache_flags = ", flags, "\n");
  str("gc_abi", gc_abi);
  if (preferences_name_form != PreferencesNameForm::kUnknown)
    str("preferences_name_form",
        preferences_name_form == PreferencesNameForm::kBlob ? "blob" : "hash");
  std::vector<std::string> targets;
  for (uint64_t d : accepted_clone_targets) targets.push_back(Hex64(d));
  o += Cat("accepted_clone_targets = ", StringList(targets), "\n");
  if (!rejected_clone_targets.empty()) {
    std::vector<std::string> rejected;
    for (uint64_t d : rejected_clone_targets) rejected.push_back(Hex64(d));
    o += Cat("rejected_clone_targets = ", StringList(rejected), "\n");
  }
  if (!installation_only) {
    if (depot_path) o += Cat("depot_path = ", StringList(*depot_path), "\n");
    if (load_path) o += Cat("load_path = ", StringList(*load_path), "\n");
    if (active_project) str("active_project", *active_project);
  }
  for (const auto& m : sysimage_modules) {
    o += "\n[[sysimage_modules]]\n";
    str("name", m.name);
    if (m.uuid) str("uuid", m.uuid->ToString());
    str("build_id", m.build_id.ToString());
  }
  for (const auto& r : preference_hashes) {
    o += "\n[[preference_hashes]]\n";
    str("uuid", r.uuid.ToString());
    o += Cat("names = ", StringList(r.names), "\n");
    str("sources_digest", Hex64(r.sources_digest));
    str("hash", Hex64(r.hash));
  }
  return o;
}

}  // namespace jlcache
