// Options every environment-aware subcommand shares (env, locate, status,
// why, precompile): --runtime FILE, --project[=DIR], --json, --no-write, and
// the choice of runtime when --runtime is absent.
//
//   --runtime FILE | --runtime=FILE   a runtime profile (docs/runtime-profile.md)
//   --project                         like julia: bare means "@." (search upward)
//   --project=DIR                     the directory (or project file); as with
//                                     julia, "--project DIR" does NOT take DIR
//   --json                            machine-readable output
//   --no-write                        never write the probe cache or the hash memo
//
// Runtime selection without --runtime: the file named by JLCACHE_RUNTIME;
// otherwise the (cached) probe of `julia` on PATH; otherwise an error that
// says how to give one (exit 2).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "env/environment.h"
#include "env/runtime_profile.h"

namespace jlcache::cli {

// A subcommand-specific flag: "--name" alone, or "--name VALUE" / "--name=VALUE".
struct FlagSpec {
  std::string name;        // with dashes, e.g. "--julia" or "-o"
  bool takes_value = false;
};

struct CommonOptions {
  std::optional<std::string> runtime_file;
  std::optional<std::string> project;  // "@." for a bare --project
  bool json = false;
  bool no_write = false;
  std::vector<std::string> positional;
  // Values of the subcommand's own flags ("" for flags without a value).
  std::map<std::string, std::string> flags;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
};

// Errors (kInvalidArgument) name the offending argument.
absl::StatusOr<CommonOptions> ParseCommonOptions(const std::vector<std::string>& args,
                                                 const std::vector<FlagSpec>& extra = {});

// The runtime profile for this invocation (see the header comment).
// `env` is the process environment (ProcessEnvVars()).
absl::StatusOr<RuntimeProfile> SelectRuntime(const CommonOptions& options, const EnvVars& env);

// SelectRuntime, also saying whether the profile came from probing `julia` on
// PATH (then probed_julia is its path, and a forced re-probe can learn facts
// the cached probe lacks: new clone-target blobs, new preference lists).
struct RuntimeChoice {
  RuntimeProfile profile;
  std::optional<std::string> probed_julia;
  std::optional<std::string> probe_cache;  // where that probe is cached
};
absl::StatusOr<RuntimeChoice> ChooseRuntime(const CommonOptions& options, const EnvVars& env,
                                            bool force_probe = false);

// SelectRuntime, then the Environment for the process's variables and the
// --project flag.
absl::StatusOr<std::shared_ptr<const Environment>> OpenEnvironment(const CommonOptions& options);

// Exit code for a failed request: 1 for "not found" answers (the package is
// not in the environment, not installed, or its manifest is missing), 2 for
// everything else.
int ExitCodeForError(const absl::Status& status);

// Prints "jlcache <command>: <message>" to stderr.
void PrintError(std::string_view command, const absl::Status& status);

}  // namespace jlcache::cli
