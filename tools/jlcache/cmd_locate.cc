// `jlcache locate NAME|NAME=UUID|UUID... [--runtime FILE] [--project[=DIR]]
// [--json]`: for each name, the PkgId, entry file and package directory Julia would use,
// the cache candidates in Julia's order and the name a new cache would get.
// Exit 0 all found, 1 some not found (not in the environment, not installed,
// no manifest), 2 on an error.
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"
#include "core/uuid.h"
#include "env/environment.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"

namespace jlcache::cli {
namespace {

struct Answer {
  std::string name;
  absl::StatusOr<LocatedPackage> located = absl::UnknownError("unset");
  CacheCandidates candidates;
  std::optional<std::string> new_cache_file;
  std::optional<std::string> pidfile;
  absl::Status candidates_status;
};

// NAME=UUID is Julia's locate_package(PkgId) itself, so any manifest entry
// can be located, indirect dependencies too; a bare UUID names the active
// manifest's entry with it; a NAME is looked up as `using NAME` would.
absl::StatusOr<LocatedPackage> LocateArgument(const Environment& env, const std::string& arg) {
  if (size_t eq = arg.find('='); eq != std::string::npos) {
    auto uuid = Uuid::Parse(std::string_view(arg).substr(eq + 1));
    if (!uuid || eq == 0)
      return Error(ErrorKind::kInvalidArgument, "expected NAME=UUID, got '", arg, "'");
    return env.Locate(PkgId{uuid, arg.substr(0, eq)});
  }
  if (auto uuid = Uuid::Parse(arg)) {
    JLC_ASSIGN_OR_RETURN(std::vector<ManifestPackage> pkgs, env.ManifestPackages());
    for (const auto& p : pkgs)
      if (p.id.uuid == *uuid) return env.Locate(p.id);
    return Error(ErrorKind::kPackageNotFound, "no entry of the active manifest has UUID ", arg);
  }
  return env.LocateByName(arg);
}

Answer Resolve(const Environment& env, const std::string& name) {
  Answer a;
  a.name = name;
  a.located = LocateArgument(env, name);
  if (!a.located.ok()) return a;
  const LocatedPackage& p = *a.located;
  // An extension whose UUID is unknown has no cache identity yet.
  const bool identity_known = p.id.uuid || !p.extension_parent;
  if (identity_known) {
    auto c = env.FindCacheCandidates(p.id);
    if (c.ok())
      a.candidates = std::move(c).value();
    else
      a.candidates_status = c.status();
    a.new_cache_file = env.NewCacheFileName(p.id);
    a.pidfile = env.PidfilePath(p.id);
  }
  return a;
}

void WriteJson(JsonWriter& w, const Answer& a) {
  w.BeginObject();
  w.Key("name").String(a.name);
  if (!a.located.ok()) {
    w.Key("uuid").Null();
    w.Key("error").String(Message(a.located.status()));
    w.Key("error_kind").String(ErrorKindName(KindOf(a.located.status())));
    w.EndObject();
    return;
  }
  const LocatedPackage& p = *a.located;
  w.Key("uuid").OptString(p.id.uuid ? std::optional<std::string>(p.id.uuid->ToString()) : std::nullopt);
  w.Key("entry_file").String(p.entry_file);
  w.Key("package_dir").String(p.package_dir);
  w.Key("environment").String(p.environment);
  if (p.extension_parent) {
    w.Key("extension_of").BeginObject();
    w.Key("name").String(p.extension_parent->name);
    w.Key("uuid").OptString(p.extension_parent->uuid
                                ? std::optional<std::string>(p.extension_parent->uuid->ToString())
                                : std::nullopt);
    w.EndObject();
  }
  w.Key("candidates").BeginArray();
  for (const auto& c : a.candidates.files) w.String(c.path);
  w.EndArray();
  w.Key("candidates_order_exact").Bool(a.candidates.order_exact);
  if (!a.candidates_status.ok()) w.Key("candidates_error").String(Message(a.candidates_status));
  w.Key("new_cache_file").OptString(a.new_cache_file);
  w.Key("pidfile").OptString(a.pidfile);
  w.EndObject();
}

void PrintHuman(const Answer& a) {
  if (!a.located.ok()) {
    std::printf("%s: %s\n", a.name.c_str(), std::string(Message(a.located.status())).c_str());
    return;
  }
  const LocatedPackage& p = *a.located;
  std::printf("%s [%s]\n", p.id.name.c_str(), p.id.uuid ? p.id.uuid->ToString().c_str() : "no uuid");
  if (p.extension_parent)
    std::printf("  extension of: %s\n", p.extension_parent->ToString().c_str());
  std::printf("  entry file:   %s\n", p.entry_file.c_str());
  std::printf("  package dir:  %s\n", p.package_dir.c_str());
  std::printf("  environment:  %s\n", p.environment.c_str());
  std::printf("  cache candidates (Julia's order%s):%s\n", a.candidates.order_exact ? "" : ", not exact",
              a.candidates.files.empty() ? " none" : "");
  for (const auto& c : a.candidates.files) std::printf("    %s\n", c.path.c_str());
  if (!a.candidates_status.ok())
    std::printf("    (cannot list: %s)\n", std::string(Message(a.candidates_status)).c_str());
  std::printf("  new cache:    %s\n", a.new_cache_file ? a.new_cache_file->c_str() : "(unknown)");
}

int RunLocate(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args);
  if (!opts.ok()) {
    PrintError("locate", opts.status());
    return kExitError;
  }
  if (opts->positional.empty()) {
    std::fprintf(stderr, "jlcache locate: give at least one package NAME\n");
    return kExitError;
  }
  auto env = OpenEnvironment(*opts);
  if (!env.ok()) {
    PrintError("locate", env.status());
    return kExitError;
  }
  std::vector<Answer> answers;
  int code = kExitOk;
  for (const auto& name : opts->positional) {
    answers.push_back(Resolve(**env, name));
    const Answer& a = answers.back();
    if (!a.located.ok()) {
      int c = ExitCodeForError(a.located.status());
      code = std::max(code, c);
      if (!opts->json) PrintError("locate", a.located.status());
    }
  }
  if (opts->json) {
    JsonWriter w(true);
    if (answers.size() == 1) {
      WriteJson(w, answers[0]);
    } else {
      w.BeginArray();
      for (const auto& a : answers) WriteJson(w, a);
      w.EndArray();
    }
    std::printf("%s\n", w.str().c_str());
  } else {
    for (const auto& a : answers)
      if (a.located.ok()) PrintHuman(a);
  }
  return code;
}

CommandRegistrar reg({"locate",
                      "locate NAME|NAME=UUID|UUID... [--runtime FILE] [--project[=DIR]] [--json]",
                      "where Julia finds a package: entry file, cache candidates, new cache name",
                      RunLocate});

}  // namespace
}  // namespace jlcache::cli
