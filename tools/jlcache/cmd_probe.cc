// `jlcache probe --julia PATH [-o FILE] [--force] [--no-write] [--project[=DIR]]`:
// runs that julia once and writes the runtime profile (installation facts)
// to FILE, or prints it. The result is also kept in the probe cache under
// the first depot unless --no-write, so a second probe is instant.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "env/probe.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"

namespace jlcache::cli {
namespace {

int RunProbe(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args, {{"--julia", true}, {"-o", true}, {"--force", false}});
  if (!opts.ok()) {
    PrintError("probe", opts.status());
    return kExitError;
  }
  if (!opts->positional.empty()) {
    std::fprintf(stderr, "jlcache probe: unexpected argument '%s'\n", opts->positional[0].c_str());
    return kExitError;
  }
  ProbeOptions po;
  po.julia = opts->Has("--julia") ? opts->flags.at("--julia") : "julia";
  po.env = ProcessEnvVars();
  po.project = opts->project;
  po.no_write = opts->no_write;
  po.force = opts->Has("--force");
  po.on_stderr_line = [](std::string_view line) {
    std::fprintf(stderr, "julia: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  auto r = ProbeJulia(po);
  if (!r.ok()) {
    PrintError("probe", r.status());
    return kExitError;
  }
  std::string text = r->profile.ToToml(/*installation_only=*/true);
  if (opts->Has("-o")) {
    const std::string& out = opts->flags.at("-o");
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::fprintf(stderr, "jlcache probe: cannot write %s\n", out.c_str());
      return kExitError;
    }
  } else {
    std::fputs(text.c_str(), stdout);
  }
  std::fprintf(stderr, "jlcache probe: %s %s%s\n", r->profile.julia_version_text.c_str(),
               r->from_cache ? "from the probe cache " : "probed; ",
               r->cache_path ? (r->from_cache || r->cache_written ? r->cache_path->c_str() : "(not cached)")
                             : "(no depot: not cached)");
  return kExitOk;
}

CommandRegistrar reg({"probe", "probe --julia PATH [-o FILE] [--force] [--no-write]",
                      "run julia once and write the runtime profile of that installation",
                      RunProbe});

}  // namespace
}  // namespace jlcache::cli
