#include "tools/jlcache/session_for_cli.h"

#include <cstdlib>

#include "core/error.h"
#include "tools/jlcache/process_end.h"

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

absl::StatusOr<CheckedSession> OpenAndCheck(const CommonOptions& options, const SessionCheck& check) {
  EnvVars env = ProcessEnvVars();
  JLC_ASSIGN_OR_RETURN(RuntimeChoice choice, ChooseRuntime(options, env));
  CheckedSession out;
  out.probe_cache = choice.probe_cache;
  JLC_ASSIGN_OR_RETURN(out.session, Open(options, choice.profile, env));
  JLC_ASSIGN_OR_RETURN(out.verdicts, check(*out.session));
  if (!choice.probed_julia || !NeedsJuliaFacts(out.verdicts)) return out;
  // The cached probe predates a cache this julia has not judged yet.
  auto fresh = ChooseRuntime(options, env, /*force_probe=*/true);
  if (!fresh.ok()) return out;  // keep "unknown"; never guess
  JLC_ASSIGN_OR_RETURN(out.session, Open(options, fresh->profile, env));
  JLC_ASSIGN_OR_RETURN(out.verdicts, check(*out.session));
  return out;
}

absl::StatusOr<std::vector<Verdict>> CheckWithReprobe(const CommonOptions& options,
                                                      const SessionCheck& check) {
  JLC_ASSIGN_OR_RETURN(CheckedSession checked, OpenAndCheck(options, check));
  KeepUntilExit(std::move(checked.session));
  return std::move(checked.verdicts);
}

}  // namespace jlcache::cli
