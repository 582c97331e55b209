// `jlcache why PKG [--runtime FILE] [--project[=DIR]] [--json]`: the full chain
// of reasons for one package, through its dependencies. Exit codes as status.
#include <cstdio>

#include "core/error.h"
#include "core/json_writer.h"
#include "stale/verdict_json.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"
#include "tools/jlcache/session_for_cli.h"
#include "tools/jlcache/verdict_render.h"

namespace jlcache::cli {
namespace {

int RunWhy(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args, {{"--io-threads", true}});
  if (!opts.ok()) {
    PrintError("why", opts.status());
    return kExitError;
  }
  if (opts->positional.size() != 1) {
    PrintError("why", Error(ErrorKind::kInvalidArgument, "usage: jlcache why PKG"));
    return kExitError;
  }
  auto verdicts = CheckWithReprobe(*opts, [&](Session& s) -> absl::StatusOr<std::vector<Verdict>> {
    JLC_ASSIGN_OR_RETURN(Verdict one, s.IsStale(opts->positional.front()));
    return std::vector<Verdict>{std::move(one)};
  });
  if (!verdicts.ok()) {
    PrintError("why", verdicts.status());
    return kExitError;
  }
  const Verdict* v = &verdicts->front();
  if (opts->json) {
    JsonWriter w(true);
    WriteVerdictJson(w, *v, WhySentence(*v));
    std::printf("%s\n", w.str().c_str());
  } else {
    PrintWhy(stdout, *v, StyleFor(stdout));
  }
  return v->kind == VerdictKind::kFresh ? kExitOk : kExitNegative;
}

CommandRegistrar reg({"why", "why PKG [--runtime F] [--project[=DIR]] [--json]",
                      "the chain of reasons behind a package's verdict", RunWhy});

}  // namespace
}  // namespace jlcache::cli
