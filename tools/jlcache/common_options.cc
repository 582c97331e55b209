#include "tools/jlcache/common_options.h"

#include <cstdio>

#include "core/error.h"
#include "core/subprocess.h"
#include "env/probe.h"
#include "tools/jlcache/command.h"

namespace jlcache::cli {
namespace {


}  // namespace

absl::StatusOr<CommonOptions> ParseCommonOptions(const std::vector<std::string>& args,
                                                 const std::vector<FlagSpec>& extra) {
  CommonOptions o;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.empty() || a[0] != '-' || a == "-") {
      o.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--no-write") {
      o.no_write = true;
    } else if (a == "--project") {
      o.project = "@.";
    } else if (a.starts_with("--project=")) {
      o.project = a.substr(10);
    } else if (a == "--runtime") {
      if (i + 1 >= args.size()) return Error(ErrorKind::kInvalidArgument, "--runtime needs a FILE");
      o.runtime_file = args[++i];
    } else if (a.starts_with("--runtime=")) {
      o.runtime_file = a.substr(10);
    } else {
      bool matched = false;
      for (const FlagSpec& f : extra) {
        if (a == f.name) {
          if (f.takes_value) {
            if (i + 1 >= args.size()) return Error(ErrorKind::kInvalidArgument, f.name, " needs a value");
            o.flags[f.name] = args[++i];
          } else {
            o.flags[f.name] = "";
          }
          matched = true;
        } else if (f.takes_value && a.starts_with(f.name + "=")) {
          o.flags[f.name] = a.substr(f.name.size() + 1);
          matched = true;
        }
        if (matched) break;
      }
      if (!matched) return Error(ErrorKind::kInvalidArgument, "unknown option '", a, "'");
    }
  }
  return o;
}

absl::StatusOr<RuntimeChoice> ChooseRuntime(const CommonOptions& options, const EnvVars& env,
                                            bool force_probe) {
  if (options.runtime_file) {
    JLC_ASSIGN_OR_RETURN(RuntimeProfile p, RuntimeProfile::FromFile(*options.runtime_file));
    return RuntimeChoice{std::move(p), std::nullopt, std::nullopt};
  }
  if (auto it = env.find("JLCACHE_RUNTIME"); it != env.end() && !it->second.empty()) {
    auto p = RuntimeProfile::FromFile(it->second);
    if (!p.ok()) return Error(KindOf(p.status()), "JLCACHE_RUNTIME: ", Message(p.status()));
    return RuntimeChoice{*std::move(p), std::nullopt, std::nullopt};
  }
  auto path = env.find("PATH");
  std::optional<std::string> julia =
      FindProgramInPath("julia", path == env.end() ? std::string_view() : std::string_view(path->second));
  if (!julia)
    return Error(ErrorKind::kRuntime,
                 "no Julia runtime given. Pass --runtime FILE (a profile written by "
                 "`jlcache probe --julia /path/to/julia -o FILE`, see docs/runtime-profile.md), "
                 "set JLCACHE_RUNTIME=FILE, or put `julia` on PATH so jlcache can probe it");
  ProbeOptions po;
  po.julia = *julia;
  po.env = env;
  po.project = options.project;
  po.no_write = options.no_write;
  po.force = force_probe;
  auto r = ProbeJulia(po);
  if (!r.ok()) return Error(KindOf(r.status()), "probing ", *julia, ": ", Message(r.status()));
  return RuntimeChoice{std::move(r->profile), julia, r->cache_path};
}

absl::StatusOr<RuntimeProfile> SelectRuntime(const CommonOptions& options, const EnvVars& env) {
  JLC_ASSIGN_OR_RETURN(RuntimeChoice choice, ChooseRuntime(options, env));
  return std::move(choice.profile);
}

absl::StatusOr<std::shared_ptr<const Environment>> OpenEnvironment(const CommonOptions& options) {
  EnvVars env = ProcessEnvVars();
  JLC_ASSIGN_OR_RETURN(RuntimeProfile rt, SelectRuntime(options, env));
  EnvironmentOptions eo;
  eo.env = std::move(env);
  eo.project = options.project;
  eo.no_write = options.no_write;
  return Environment::Create(rt, std::move(eo));
}

int ExitCodeForError(const absl::Status& status) {
  switch (KindOf(status)) {
    case ErrorKind::kPackageNotFound:
    case ErrorKind::kNotInstalled:
    case ErrorKind::kManifestMissing:
      return kExitNegative;
    default:
      return kExitError;
  }
}

void PrintError(std::string_view command, const absl::Status& status) {
  std::fprintf(stderr, "jlcache %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(Message(status).size()), Message(status).data());
}

}  // namespace jlcache::cli
