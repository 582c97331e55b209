// libFuzzer target: arbitrary bytes as an environment's Project.toml,
// Manifest.toml and LocalPreferences.toml (lib/env), resolved the way a
// status does: the manifest's entries, the reachable set, every name
// identified and located, extension lookups and preferences. These files are
// the user's (or a tool's), so anything that parses as TOML, or does not,
// must end in a value or an error. Any crash, sanitizer report, timeout or
// out-of-memory is a bug.
//
// Input: one selector byte (the Julia line whose rules apply), then the
// three files separated by NUL bytes; a missing part is a missing file.
// Seed corpus: tests/fuzz/corpus/environment/.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "env/environment.h"
#include "env/runtime_profile.h"
#include "scratch_dir.h"
#include "support/profile_text.h"

namespace {

std::string ScratchDir() { return jlcache::fuzz::ScratchDir("env"); }

const jlcache::RuntimeProfile& Profile(uint8_t selector) {
  static const std::vector<jlcache::RuntimeProfile> profiles = [] {
    std::vector<jlcache::RuntimeProfile> out;
    for (const char* v : {"1.10.4", "1.11.7", "1.12.1", "1.13.0"}) {
      const std::string text = jlcache::test_support::RuntimeProfileToml(
          v, "/nonexistent/bin/julia", "/nonexistent/lib/julia/sys.so", ScratchDir() + "/stdlib");
      auto p = jlcache::RuntimeProfile::FromTomlString(text, "<environment_fuzzer>");
      if (!p.ok()) {  // the harness itself is wrong
        std::fprintf(stderr, "environment_fuzzer: %s\n", std::string(jlcache::Message(p.status())).c_str());
        std::abort();
      }
      out.push_back(*std::move(p));
    }
    return out;
  }();
  return profiles[selector % profiles.size()];
}

void Put(const std::string& path, std::optional<std::string_view> text) {
  if (!text) {
    ::unlink(path.c_str());
    return;
  }
  if (!jlcache::WriteFileAtomically(path, *text, jlcache::Durability::kCache).ok()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::optional<std::string_view> parts[3];
  for (auto& part : parts) {
    if (rest.data() == nullptr) break;
    const size_t cut = rest.find('\0');
    part = rest.substr(0, cut);
    rest = cut == std::string_view::npos ? std::string_view() : rest.substr(cut + 1);
  }
  const std::string project = ScratchDir() + "/project";
  if (::mkdir(project.c_str(), 0755) != 0 && errno != EEXIST) std::abort();
  Put(project + "/Project.toml", parts[0]);
  Put(project + "/Manifest.toml", parts[1]);
  Put(project + "/LocalPreferences.toml", parts[2]);

  jlcache::EnvironmentOptions o;
  o.home = ScratchDir();
  o.cwd = ScratchDir();
  o.env["HOME"] = o.home;
  o.env["JULIA_DEPOT_PATH"] = ScratchDir() + "/depot";
  o.project = project;
  auto env = jlcache::Environment::Create(Profile(selector), o);
  if (!env.ok()) return 0;
  const jlcache::Environment& e = **env;
  (void)e.Environments();
  auto manifest = e.ManifestPackages();
  auto active = e.ActivePackages();
  std::vector<std::string> names = {"Foo", "Main", ""};
  if (manifest.ok()) {
    for (const jlcache::ManifestPackage& m : *manifest) {
      names.push_back(m.id.name);
      (void)e.Locate(m.id);
      (void)e.FindCacheCandidates(m.id);
      (void)e.NewCacheFileName(m.id);
      if (m.id.uuid) {
        (void)e.Preferences(*m.id.uuid);
        (void)e.PreferencesSourcesDigest(*m.id.uuid);
      }
      for (const auto& [ext, triggers] : m.extensions) {
        (void)e.ExtensionUuid(m.id, ext);
        for (const std::string& t : triggers) (void)e.ExtensionTrigger(m, t);
      }
      for (const jlcache::PkgId& dep : m.deps) (void)e.Identify(m.id, dep.name);
    }
  }
  for (const std::string& n : names) (void)e.LocateByName(n);
  return 0;
}
