// `jlcache env [--runtime FILE] [--project[=DIR]] [--json]`: the expanded
// DEPOT_PATH, the load path with each entry's project and manifest, and the
// active project, as the runtime's Julia version resolves them.
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"
#include "env/environment.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"

namespace jlcache::cli {
namespace {

int RunEnv(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args);
  if (!opts.ok()) {
    PrintError("env", opts.status());
    return kExitError;
  }
  if (!opts->positional.empty()) {
    std::fprintf(stderr, "jlcache env: unexpected argument '%s'\n", opts->positional[0].c_str());
    return kExitError;
  }
  auto env = OpenEnvironment(*opts);
  if (!env.ok()) {
    PrintError("env", env.status());
    return kExitError;
  }
  const Environment& e = **env;
  auto entries = e.Environments();
  if (!entries.ok()) {
    PrintError("env", entries.status());
    return kExitError;
  }
  const RuntimeProfile& rt = e.runtime();
  if (opts->json) {
    JsonWriter w(true);
    w.BeginObject();
    w.Key("julia_version").String(rt.julia_version_text);
    w.Key("julia_bin").String(rt.julia_bin);
    w.Key("stdlib_dir").String(rt.stdlib_dir);
    w.Key("depots").BeginArray();
    for (const auto& d : e.depots()) w.String(d);
    w.EndArray();
    w.Key("load_path").BeginArray();
    for (const auto& entry : *entries) {
      w.BeginObject();
      w.Key("entry").String(entry.raw);
      w.Key("path").String(entry.path);
      w.Key("kind").String(EnvKindName(entry.kind));
      w.Key("project").OptString(entry.project_file);
      w.Key("manifest").OptString(entry.manifest_file);
      w.EndObject();
    }
    w.EndArray();
    w.Key("active_project").OptString(e.active_project());
    w.EndObject();
    std::printf("%s\n", w.str().c_str());
    return kExitOk;
  }
  std::printf("julia %s (%s)\n", rt.julia_version_text.c_str(), rt.julia_bin.c_str());
  std::printf("depots:%s\n", e.depots().empty() ? " (none)" : "");
  for (size_t i = 0; i < e.depots().size(); ++i) std::printf("  %zu. %s\n", i + 1, e.depots()[i].c_str());
  std::printf("load path:%s\n", entries->empty() ? " (empty)" : "");
  for (const auto& entry : *entries) {
    std::printf("  %s -> %s (%s", entry.raw.c_str(), entry.path.c_str(),
                std::string(EnvKindName(entry.kind)).c_str());
    if (entry.kind == EnvKind::kExplicit)
      std::printf(", manifest %s", entry.manifest_file ? entry.manifest_file->c_str() : "none");
    std::printf(")\n");
  }
  std::printf("active project: %s\n", e.active_project() ? e.active_project()->c_str() : "(none)");
  return kExitOk;
}

CommandRegistrar reg({"env", "env [--runtime FILE] [--project[=DIR]] [--json]",
                      "show depots, load path (with projects and manifests) and the active project",
                      RunEnv});

}  // namespace
}  // namespace jlcache::cli
