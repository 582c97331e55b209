#include "tools/jlcache/session_for_cli.h"

#include <cstdlib>

#include "core/error.h"

namespace jlcache::cli {
namespace {

absl::StatusOr<std::unique_ptr<Session>> Open(const CommonOptions& options, RuntimeProfile profile,
                                              EnvVars env) {
  SessionOptions so;
  so.env = std::move(env);
  so.env_given = true;
  so.project = options.project;
  so.no_write = options.no_write;
  if (auto it = options.flags.find("--io-threads"); it != options.flags.end()) {
    int n = std::atoi(it->second.c_str());
    if (n < 1 || n > 256) return Error(ErrorKind::kInvalidArgument, "--io-threads takes 1..256");
    so.io_threads = n;
  }
  return Session::Open(profile, std::move(so));
}

}  // namespace

bool NeedsReprobe(const std::vector<Verdict>& verdicts) {
  for (const auto& v : verdicts) {
    if (v.kind != VerdictKind::kUnknown) continue;
    for (const auto& r : v.reasons)
      if (r.code == ReasonCode::kCloneTargetsUnverifiable ||
          r.code == ReasonCode::kPreferencesUnverifiable)
        return true;
  }
  return false;
}

absl::StatusOr<std::vector<Verdict>> CheckWithReprobe(
    const CommonOptions& options,
    const std::function<absl::StatusOr<std::vector<Verdict>>(Session&)>& check) {
  EnvVars env = ProcessEnvVars();
  JLC_ASSIGN_OR_RETURN(RuntimeChoice choice, ChooseRuntime(options, env));
  JLC_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Open(options, choice.profile, env));
  JLC_ASSIGN_OR_RETURN(std::vector<Verdict> verdicts, check(*session));
  if (!choice.probed_julia || !NeedsReprobe(verdicts)) return verdicts;
  // The cached probe predates a cache this julia has not judged yet.
  auto fresh = ChooseRuntime(options, env, /*force_probe=*/true);
  if (!fresh.ok()) return verdicts;  // keep "unknown"; never guess
  JLC_ASSIGN_OR_RETURN(session, Open(options, fresh->profile, env));
  return check(*session);
}

}  // namespace jlcache::cli
