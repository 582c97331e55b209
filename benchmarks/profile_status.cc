// profile_status: runs whole-environment status on a generated world a few
// times, for profilers (perf, callgrind, strace), printing time and stat/open
// counts per run. Not a benchmark: no statistics, no floor.
//
//   profile_status [--packages N] [--layout 1.10|1.11] [--mode warm|recheck|cold|reuse]
//                  [--runs K] [--threads T] [--keep DIR] [--by-name 0|1]
//                  [--stale-fraction F]
// --by-name 1 passes every package name to Status() (what
// precompile_if_stale does) instead of none.
//
// Exit status 1 when any run's verdicts disagree with the generator (the
// number of fresh packages must be N minus the packages it made stale), so
// it doubles as a smoke test of the generator against the engine.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/cleanup/cleanup.h"
#include "core/error.h"
#include "core/file_io.h"
#include "env/runtime_profile.h"
#include "env_generator.h"
#include "io_floor.h"
#include "stale/session.h"

using namespace jlcache;
using namespace jlcache::bench;

int main(int argc, char** argv) {
  int packages = 400, runs = 3, threads = 4;
  std::string mode = "warm", keep;
  bool by_name = false;
  double stale_fraction = 0;
  WorldLayout layout = WorldLayout::kJulia111;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--packages") packages = std::atoi(v);
    else if (a == "--runs") runs = std::atoi(v);
    else if (a == "--threads") threads = std::atoi(v);
    else if (a == "--mode") mode = v;
    else if (a == "--keep") keep = v;
    else if (a == "--by-name") by_name = std::atoi(v) != 0;
    else if (a == "--stale-fraction") stale_fraction = std::atof(v);
    else if (a == "--layout") layout = std::string_view(v) == "1.10" ? WorldLayout::kJulia110 : WorldLayout::kJulia111;
    else { std::fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  std::string dir = keep, tmp_parent;
  if (dir.empty()) {
    const char* base = std::getenv("JLCACHE_BENCH_DIR");
    tmp_parent = std::string(base && *base ? base : "/tmp") + "/jlcache-profile-XXXXXX";
    if (!mkdtemp(tmp_parent.data())) return 1;
    dir = tmp_parent + "/world";
  }
  absl::Cleanup remove_world = [&] {
    if (!tmp_parent.empty()) (void)RemoveWorld(tmp_parent);
  };
  GeneratorOptions o;
  o.out_dir = dir;
  o.packages = packages;
  o.layout = layout;
  o.stale_fraction = stale_fraction;
  auto w = GenerateWorld(o);
  if (!w.ok()) { std::fprintf(stderr, "%s\n", std::string(Message(w.status())).c_str()); return 1; }
  std::fprintf(stderr, "%s\n", w->Summary().c_str());
  WaitUntilMemoTrustable(*w);
  auto profile = RuntimeProfile::FromFile(w->profile_path);
  if (!profile.ok()) { std::fprintf(stderr, "%s\n", std::string(Message(profile.status())).c_str()); return 1; }
  SessionOptions so;
  so.env = w->Env();
  so.env_given = true;
  so.project = w->project_dir;
  so.cwd = w->root;
  so.io_threads = threads;
  so.no_write = true;
  auto s = Session::Open(*profile, so);
  if (!s.ok()) { std::fprintf(stderr, "%s\n", std::string(Message(s.status())).c_str()); return 1; }
  auto status = [&]() -> absl::StatusOr<std::vector<Verdict>> {
    if (by_name) {
      auto names = (*s)->PackageNames();
      if (!names.ok()) return names.status();
      return (*s)->Status(*names);
    }
    return (*s)->Status();
  };
  int disagreements = 0;
  // CPU seconds of the whole process (every thread), user and system.
  auto cpu = [] {
    struct rusage ru;
    ::getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return std::pair<double, double>(sec(ru.ru_utime), sec(ru.ru_stime));
  };
  auto run = [&](const char* what) {
    // A marker for strace logs: split the trace at "/jlcache-profile-mark-<what>".
    (void)::access((std::string("/jlcache-profile-mark-") + what).c_str(), F_OK);
    uint64_t ops0 = IoOperationCount();
    auto cpu0 = cpu();
    auto t0 = std::chrono::steady_clock::now();
    auto v = status();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    auto cpu1 = cpu();
    size_t fresh = 0;
    if (v.ok()) for (const auto& x : *v) fresh += x.kind == VerdictKind::kFresh;
    const size_t expected = w->packages.size() - static_cast<size_t>(w->stale_packages);
    if (!v.ok() || v->size() != w->packages.size() || fresh != expected) {
      std::fprintf(stderr, "%s: %zu fresh, the generator expects %zu of %zu%s%s\n", what, fresh,
                   expected, w->packages.size(), v.ok() ? "" : ": ",
                   v.ok() ? "" : std::string(Message(v.status())).c_str());
      disagreements++;
    }
    std::printf("%-6s %8.2f ms  %8llu stat/open  %zu/%zu fresh  cpu user %.1f sys %.1f ms\n", what, ms,
                static_cast<unsigned long long>(IoOperationCount() - ops0), fresh, v.ok() ? v->size() : 0,
                (cpu1.first - cpu0.first) * 1e3, (cpu1.second - cpu0.second) * 1e3);
  };
  run("first");
  for (int k = 0; k < runs; ++k) {
    if (mode == "cold") { (*s)->ClearMemo(); (*s)->ClearContentMemo(); }
    if (mode == "warm") (*s)->ClearMemo();
    if (mode == "recheck") {
      (*s)->ClearMemo();
      (*s)->ClearRememberedAnswers();
    }
    run(mode.c_str());
  }
  (void)::access("/jlcache-profile-mark-floor", F_OK);
  auto cpu0 = cpu();
  auto t0 = std::chrono::steady_clock::now();
  FloorCounts fc = RunIoFloor(*w, mode == "cold" ? FloorKind::kCold : FloorKind::kWarm, threads);
  auto cpu1 = cpu();
  std::printf("floor  %8.2f ms  %8llu stat/open               cpu user %.1f sys %.1f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
              static_cast<unsigned long long>(fc.operations()),
              (cpu1.first - cpu0.first) * 1e3, (cpu1.second - cpu0.second) * 1e3);
  return disagreements ? 1 : 0;
}
