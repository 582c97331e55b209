#include "tools/jlcache/session_for_cli.h"

#include "core/error.h"

namespace jlcache::cli {

absl::StatusOr<std::unique_ptr<Session>> OpenSessionForCli(const CommonOptions& options) {
  EnvVars env = ProcessEnvVars();
  JLC_ASSIGN_OR_RETURN(RuntimeProfile profile, SelectRuntime(options, env));
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

}  // namespace jlcache::cli
