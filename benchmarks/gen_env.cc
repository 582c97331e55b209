// gen_env: writes a generated Julia world (see env_generator.h) and prints the
// command that runs `jlcache status` on it.
//
//   gen_env --out DIR [--packages N] [--seed S] [--layout 1.10|1.11]
//           [--stale-fraction F] [--probe-deps K] [--size-scale X]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.h"
#include "env_generator.h"

namespace {

int Usage(const char* why) {
  std::fprintf(stderr,
               "gen_env: %s\n"
               "usage: gen_env --out DIR [--packages N] [--seed S] [--layout 1.10|1.11]\n"
               "               [--stale-fraction F] [--probe-deps K] [--size-scale X]\n",
               why);
  return 2;
}

bool ParseInt(const char* s, long long lo, long long hi, long long* out) {
  char* end = nullptr;
  long long v = std::strtoll(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

bool ParseDouble(const char* s, double* out) {
  char* end = nullptr;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  jlcache::bench::GeneratorOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      Usage("generate a benchmark environment");
      return 0;
    }
    if (i + 1 >= argc) return Usage("every option takes a value");
    const char* v = argv[++i];
    long long n = 0;
    double d = 0;
    if (a == "--out") {
      opt.out_dir = v;
    } else if (a == "--packages") {
      if (!ParseInt(v, 1, 100000, &n)) return Usage("--packages takes 1..100000");
      opt.packages = static_cast<int>(n);
    } else if (a == "--seed") {
      if (!ParseInt(v, 0, (1LL << 62), &n)) return Usage("--seed takes a non-negative integer");
      opt.seed = static_cast<uint64_t>(n);
    } else if (a == "--layout") {
      if (std::string_view(v) == "1.10") {
        opt.layout = jlcache::bench::WorldLayout::kJulia110;
      } else if (std::string_view(v) == "1.11") {
        opt.layout = jlcache::bench::WorldLayout::kJulia111;
      } else {
        return Usage("--layout takes 1.10 or 1.11");
      }
    } else if (a == "--stale-fraction") {
      if (!ParseDouble(v, &d) || d < 0 || d > 1) return Usage("--stale-fraction takes 0..1");
      opt.stale_fraction = d;
    } else if (a == "--probe-deps") {
      if (!ParseInt(v, 0, 100000, &n)) return Usage("--probe-deps takes a count");
      opt.probe_dependencies = static_cast<int>(n);
    } else if (a == "--size-scale") {
      if (!ParseDouble(v, &d) || d <= 0 || d > 100) return Usage("--size-scale takes (0, 100]");
      opt.size_scale = d;
    } else {
      return Usage("unknown option");
    }
  }
  if (opt.out_dir.empty()) return Usage("--out is required");
  auto world = jlcache::bench::GenerateWorld(opt);
  if (!world.ok()) {
    std::fprintf(stderr, "gen_env: %s\n", std::string(jlcache::Message(world.status())).c_str());
    return 1;
  }
  std::printf("%s\n\n", world->Summary().c_str());
  std::printf("The probe package with %d dependencies: %s\n",
              world->probe_package >= 0 ? world->packages[world->probe_package].closure_size : 0,
              world->probe_package >= 0 ? world->packages[world->probe_package].name.c_str()
                                        : "(none: too few packages)");
  std::printf("Wait 2 s before the first run so that the hash memo trusts the new files.\n\n");
  std::printf("JULIA_DEPOT_PATH=%s HOME=%s %s status --runtime %s --project=%s\n",
              world->DepotPathVar().c_str(), world->home.c_str(), JLCACHE_CLI_PATH,
              world->profile_path.c_str(), world->project_dir.c_str());
  return 0;
}
