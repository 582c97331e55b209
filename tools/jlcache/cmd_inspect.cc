// `jlcache inspect FILE.ji [--json]`: decode a cache header.
// Exit 0 for a valid file, 1 when the whole-file CRC fails (the header is
// still shown), 2 when the file cannot be read or parsed (stderr says why).
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/hex.h"
#include "format/header_json.h"
#include "format/header_reader.h"
#include "tools/jlcache/command.h"

namespace jlcache::cli {
namespace {

std::string Dotted(const CacheHeader& h, int32_t module_index, const std::vector<std::string>& sub) {
  // n1 = 0: evaluated at top level (the entry file) or in Main (include_dependency).
  std::string out = module_index == 0 ? "top level" : h.ModuleName(module_index);
  for (const std::string& s : sub) out += "." + s;
  return out;
}

// Shortest text that reads back as the same double (Julia's mtime).
std::string ShortestDouble(double v) {
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(v);
}

std::string UuidText(const std::optional<Uuid>& u) { return u ? u->ToString() : "no uuid"; }

const char* CheckBoundsName(int v) {
  switch (v) {
    case 0: return "default";
    case 1: return "yes";
    case 2: return "no";
  }
  return "?";
}

void PrintHuman(const std::string& path, const CacheHeader& h) {
  std::printf("%s\n", path.c_str());
  std::printf("  format %u, layout %s: Julia %s on %s %s, %d-bit\n", h.format_version,
              std::string(LayoutName(h.layout)).c_str(), h.julia_version.c_str(), h.os.c_str(),
              h.arch.c_str(), h.pointer_size * 8);
  std::printf("  git branch \"%s\", commit \"%s\"\n", h.git_branch.c_str(), h.git_commit.c_str());
  if (h.gc_abi)
    std::printf("  gc abi %s, ji flags 0x%x\n", h.gc_abi->c_str(), h.ji_flags.value_or(0));
  else
    std::printf("  pkgimage marker %u\n", h.pkgimage_marker);
  std::printf("  checksum %s\n", Hex64(h.checksum).c_str());
  std::printf("  flags 0x%02x: pkgimages=%s debug=%d check-bounds=%s inline=%s opt=%d\n",
              h.flags.byte, h.flags.use_pkgimages() ? "yes" : "no", h.flags.debug_level(),
              CheckBoundsName(h.flags.check_bounds()), h.flags.inline_() ? "yes" : "no",
              h.flags.opt_level());
  if (h.syntax_version) std::printf("  syntax version %u\n", *h.syntax_version);

  std::printf("  modules (%zu):\n", h.modules.size());
  for (const WorklistModule& m : h.modules)
    std::printf("    %s [%s] build %s\n", m.name.c_str(), UuidText(m.uuid).c_str(),
                h.ModuleBuildId(m).ToString().c_str());

  std::printf("  includes (%zu):\n", h.includes.size());
  for (const IncludeEntry& inc : h.includes) {
    const char* kind = inc.kind == IncludeKind::kInclude ? "include           " : "include_dependency";
    std::string tracked;
    if (inc.tracked_by_content())
      tracked = Cat("size ", *inc.fsize, ", crc32c ", Hex32(*inc.hash));
    else
      tracked = Cat("mtime ", ShortestDouble(inc.mtime));
    std::printf("    %s %s\n      in %s, %s\n", kind, inc.path.c_str(),
                Dotted(h, inc.module_index, inc.submodule_path).c_str(), tracked.c_str());
  }
  std::printf("  requires (%zu):\n", h.requires_.size());
  for (const RequiresEntry& r : h.requires_)
    std::printf("    %s uses %s [%s]\n", Dotted(h, r.module_index, r.submodule_path).c_str(),
                r.imported.name.c_str(), UuidText(r.imported.uuid).c_str());

  if (h.preferences_blob) {
    std::printf("  preferences blob (%zu bytes)%s\n", h.preferences_blob->size(),
                h.preferences_blob->empty() ? ": none queried" : ":");
    if (!h.preferences_blob->empty()) std::printf("%s\n", h.preferences_blob->c_str());
  } else if (h.preference_names) {
    std::string names;
    for (const std::string& n : *h.preference_names) names += (names.empty() ? "" : ", ") + n;
    std::printf("  preferences: %s (hash %s)\n", names.empty() ? "none" : names.c_str(),
                Hex64(h.preferences_hash.value_or(0)).c_str());
  }

  std::printf("  required modules (%zu):\n", h.required_modules.size());
  for (const RequiredModule& m : h.required_modules)
    std::printf("    %-24s %s [%s]\n", m.name.c_str(), m.build_id.ToString().c_str(),
                UuidText(m.uuid).c_str());

  if (h.has_native_code())
    std::printf("  native code: clone targets %zu bytes (%s), library crc32c %s\n",
                h.clone_targets.size(),
                std::string(CloneTargetEncodingName(h.clone_target_encoding)).c_str(),
                Hex32(h.pkgimage_crc).c_str());
  else
    std::printf("  native code: none (plain cache)\n");
  if (h.datastartpos || h.dataendpos)
    std::printf("  heap image [%llu, %llu)\n", static_cast<unsigned long long>(h.datastartpos),
                static_cast<unsigned long long>(h.dataendpos));
  std::printf("  source text at %lld (%zu files):\n", static_cast<long long>(h.srctextpos),
              h.srctext_files.size());
  for (const std::string& f : h.srctext_files) std::printf("    %s\n", f.c_str());
  std::printf("  file: %llu bytes, crc32c %s %s\n", static_cast<unsigned long long>(h.file_size),
              Hex32(h.file_crc).c_str(), h.crc_ok ? "(ok)" : "(MISMATCH)");
}

int RunInspect(const std::vector<std::string>& args) {
  std::string path;
  bool json = false;
  for (const std::string& a : args) {
    if (a == "--json") {
      json = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      std::fprintf(stderr, "jlcache inspect: unknown option '%s'\nusage: jlcache inspect FILE.ji [--json]\n",
                   a.c_str());
      return kExitError;
    } else if (path.empty()) {
      path = a;
    } else {
      std::fprintf(stderr, "jlcache inspect: one file at a time\n");
      return kExitError;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: jlcache inspect FILE.ji [--json]\n");
    return kExitError;
  }
  absl::StatusOr<CacheHeader> h = ReadCacheHeaderFile(path);
  if (!h.ok()) {
    std::fprintf(stderr, "jlcache inspect: %s (%s)\n", std::string(Message(h.status())).c_str(),
                 std::string(ErrorKindName(KindOf(h.status()))).c_str());
    return kExitError;
  }
  if (json)
    std::printf("%s\n", CacheHeaderToJson(*h, /*pretty=*/true).c_str());
  else
    PrintHuman(path, *h);
  if (!h->crc_ok) {
    std::fprintf(stderr,
                 "jlcache inspect: %s: whole-file CRC-32C does not match the stored %s "
                 "(the file was changed or truncated after Julia wrote it)\n",
                 path.c_str(), Hex32(h->file_crc).c_str());
    return kExitNegative;
  }
  return kExitOk;
}

const CommandRegistrar reg({"inspect", "inspect FILE.ji [--json]",
                            "decode a cache header (exit 1: CRC mismatch, 2: unreadable)",
                            RunInspect});

}  // namespace
}  // namespace jlcache::cli
