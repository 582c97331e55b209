// `jlcache status [PKG...] [--runtime FILE] [--project[=DIR]] [--json]
//  [--no-write] [--touch] [--io-threads N]`: a verdict for every package of the
// environment (or the named ones). Exit 0 all fresh, 1 any stale or unknown,
// 2 on an error in the request.
#include <cstdio>

#include "core/json_writer.h"
#include "stale/cache_touch.h"
#include "stale/verdict_json.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"
#include "tools/jlcache/session_for_cli.h"
#include "tools/jlcache/verdict_render.h"

namespace jlcache::cli {
namespace {

int RunStatus(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args, {{"--touch", false}, {"--io-threads", true}});
  if (!opts.ok()) {
    PrintError("status", opts.status());
    return kExitError;
  }
  auto verdicts = CheckWithReprobe(*opts, [&](Session& s) { return s.Status(opts->positional); });
  if (!verdicts.ok()) {
    PrintError("status", verdicts.status());
    return kExitError;
  }
  bool all_fresh = true;
  for (const auto& v : *verdicts) {
    all_fresh &= v.kind == VerdictKind::kFresh;
    if (opts->Has("--touch") && v.kind == VerdictKind::kFresh && v.cache) {
      if (auto st = TouchCache(*v.cache); !st.ok()) PrintError("status", st);
    }
  }
  if (opts->json) {
    JsonWriter w(true);
    w.BeginObject().Key("packages").BeginArray();
    for (const auto& v : *verdicts) WriteVerdictJson(w, v);
    w.EndArray().EndObject();
    std::printf("%s\n", w.str().c_str());
  } else {
    PrintStatusTable(stdout, *verdicts, StyleFor(stdout));
  }
  return all_fresh ? kExitOk : kExitNegative;
}

CommandRegistrar reg({"status", "status [PKG...] [--runtime F] [--project[=DIR]] [--json]",
                      "is each package's cache usable by a fresh process?", RunStatus});

}  // namespace
}  // namespace jlcache::cli
