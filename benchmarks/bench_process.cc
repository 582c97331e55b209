// bench_process: whole-process timing of `jlcache status` (start-up
// included), farm-bench style: min / median / max over repeated runs.
//
//   bench_process [--packages N] [--layout 1.10|1.11] [--runs K] [--cli PATH]
//                 [--world DIR]   (an existing gen_env output instead of a new one)
//                 [--baseline] [--floor PATH] [--floor-threads T] [--keep]
//
// Rows: the CLI's start-up alone (`jlcache --version`), status with the
// persisted memos (warm: the remembered answer and the content-hash memo),
// status with only the remembered answer removed (re-check), status with
// both memo files removed before each run (cold-ish: the OS page cache stays
// warm), and `jlcache precompile` on the fresh world (the fast path: the
// world's julia_bin does not exist, so any launch would fail the run).
// The CLI is spawned with an argv and an explicit environment, never a shell.
//
// --baseline (issue 15) also runs floor_process, a separate minimal
// executable, over the same files, interleaved with the CLI in the same
// iterations: before each warm status the stat floor (stat every file),
// before each re-check the read floor (io_floor.cc's warm work: list the
// cache directories, stat every candidate, read the headers the verdict
// needs, stat every source), before each cold-ish status the cold floor
// (io_floor.cc's cold work). It prints each row's ratio to its floor
// (median / median, and the median of the per-iteration ratios) and CPU
// times (user + system, from wait4). Needs a generated world (no --world).
// --keep leaves the generated world and the floors' operation lists in
// place (for profiling one row by hand) and prints where.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "env_generator.h"

namespace {

using jlcache::bench::GeneratedWorld;

struct Run {
  double ms = 0;
  double cpu_ms = 0;  // user + system of the child
  int exit_code = -1;
};

// Spawns argv with env, output to /dev/null; returns wall time and exit code.
Run Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  Run r;
  pid_t pid;
  auto t0 = std::chrono::steady_clock::now();
  if (posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data()) == 0) {
    int status = 0;
    struct rusage ru {};
    while (wait4(pid, &status, 0, &ru) < 0) {
    }
    r.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
               (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&fa);
  return r;
}

struct Row {
  explicit Row(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<double> ms;
  std::vector<double> cpu_ms;
  int bad_exit = 0;  // runs whose exit code was not the expected one
  int last_exit = 0;
  void Add(const Run& r) {
    ms.push_back(r.ms);
    cpu_ms.push_back(r.cpu_ms);
    if (r.exit_code != 0) ++bad_exit, last_exit = r.exit_code;
  }
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The ratio of a row to its floor, both measured in the same iterations.
void PrintRatio(const Row& r, const Row& floor, double target) {
  if (r.ms.empty() || r.ms.size() != floor.ms.size()) return;
  std::vector<double> per;
  for (size_t i = 0; i < r.ms.size(); ++i) per.push_back(r.ms[i] / floor.ms[i]);
  const double ratio = Median(r.ms) / Median(floor.ms);
  std::printf("%-38s %6.2fx %6.2fx %6.2fx   (target <= %.2fx: %s)\n", r.name.c_str(), ratio,
              Median(per), Median(r.cpu_ms) / Median(floor.cpu_ms), target,
              ratio <= target ? "met" : "missed");
}

// The floor's operations for a generated world (see the file comment).
enum class FloorOps { kStat, kRead, kCold };
std::string FloorOpsText(const GeneratedWorld& w, FloorOps kind) {
  std::string out;
  auto op = [&](const char* k, const std::string& path, uint64_t len = 0) {
    out += k;
    out += ' ';
    if (*k == 'R') out += std::to_string(len) + ' ';
    out += path;
    out += '\n';
  };
  if (kind == FloorOps::kStat) {
    op("S", w.project_dir + "/Project.toml");
    op("S", w.project_dir + "/Manifest.toml");
    for (const auto& p : w.packages) {
      for (const auto& c : p.caches) {
        op("S", c.ji_path);
        if (!c.so_path.empty()) op("S", c.so_path);
      }
      for (const auto& s : p.sources) op("S", s);
    }
    return out;
  }
  // io_floor.cc's Worker::Package, written out as operations.
  op("R", w.project_dir + "/Manifest.toml", 0);
  const std::string ver = w.layout == jlcache::bench::WorldLayout::kJulia110 ? "v1.10" : "v1.11";
  for (const auto& p : w.packages) {
    for (const auto& depot : w.depots) op("L", depot + "/compiled/" + ver + "/" + p.name);
    const bool read_all =
        w.layout == jlcache::bench::WorldLayout::kJulia111 && p.caches.size() > 1;
    const jlcache::bench::GeneratedCache* fresh = nullptr;
    for (const auto& c : p.caches) {
      op("S", c.ji_path);
      if (c.kind == jlcache::bench::CandidateKind::kFresh) {
        fresh = &c;
        continue;
      }
      if (read_all || c.kind != jlcache::bench::CandidateKind::kOlderBuild)
        op("R", c.ji_path, c.header_bytes);
    }
    if (kind == FloorOps::kRead) {
      if (fresh) {
        op("R", fresh->ji_path, fresh->header_bytes);
        op("S", fresh->so_path);
      }
      for (const auto& s : p.sources) op("S", s);
    } else {
      if (fresh) {
        op("C", fresh->ji_path);
        op("C", fresh->so_path);
      }
      for (const auto& s : p.sources)
        op(w.layout == jlcache::bench::WorldLayout::kJulia110 ? "S" : "C", s);
    }
  }
  return out;
}

void Print(const Row& r) {
  if (r.ms.empty()) return;
  std::vector<double> v = r.ms;
  std::sort(v.begin(), v.end());
  double median = Median(v);
  std::printf("%-38s %9.2f %9.2f %9.2f %9.2f   %zu", r.name.c_str(), v.front(), median, v.back(),
              Median(r.cpu_ms), v.size());
  if (r.bad_exit) std::printf("   (%d runs exited %d)", r.bad_exit, r.last_exit);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int packages = 400, runs = 20, floor_threads = 4;
  bool baseline = false, keep = false;
  std::string cli = JLCACHE_CLI_PATH, world_dir, floor_bin = JLCACHE_FLOOR_PATH;
  auto layout = jlcache::bench::WorldLayout::kJulia111;
  for (int i = 1; i < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--baseline" || a == "--keep") {
      (a == "--keep" ? keep : baseline) = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_process: %s needs a value\n", argv[i]);
      return 2;
    }
    const char* v = argv[i + 1];
    if (a == "--floor") {
      floor_bin = v;
    } else if (a == "--floor-threads") {
      floor_threads = std::max(1, std::atoi(v));
    } else if (a == "--packages") {
      packages = std::atoi(v);
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(v));
    } else if (a == "--cli") {
      cli = v;
    } else if (a == "--world") {
      world_dir = v;
    } else if (a == "--layout") {
      layout = std::string_view(v) == "1.10" ? jlcache::bench::WorldLayout::kJulia110
                                             : jlcache::bench::WorldLayout::kJulia111;
    } else {
      std::fprintf(stderr, "bench_process: unknown option %s\n", argv[i]);
      return 2;
    }
  }

  std::string tmp;
  GeneratedWorld w;
  if (world_dir.empty()) {
    const char* base = std::getenv("JLCACHE_BENCH_DIR");
    tmp = std::string(base && *base ? base : "/tmp") + "/jlcache-process-XXXXXX";
    if (!mkdtemp(tmp.data())) return 1;
    jlcache::bench::GeneratorOptions o;
    o.out_dir = tmp + "/world";
    o.packages = packages;
    o.layout = layout;
    auto g = jlcache::bench::GenerateWorld(o);
    if (!g.ok()) {
      std::fprintf(stderr, "bench_process: %s\n", std::string(jlcache::Message(g.status())).c_str());
      return 1;
    }
    w = *std::move(g);
    jlcache::bench::WaitUntilMemoTrustable(w);
  } else {
    if (baseline) {
      std::fprintf(stderr, "bench_process: --baseline needs a generated world (no --world)\n");
      return 2;
    }
    // A gen_env world: its fixed sub-paths.
    w.root = world_dir;
    w.depots = {world_dir + "/depot-user", world_dir + "/depot-shared"};
    w.project_dir = world_dir + "/project";
    w.profile_path = world_dir + "/runtime.toml";
    w.home = world_dir + "/home";
  }
  std::printf("%s\n", w.packages.empty() ? ("world " + w.root).c_str() : w.Summary().c_str());

  const std::vector<std::string> env = {"JULIA_DEPOT_PATH=" + w.DepotPathVar(), "HOME=" + w.home,
                                        "PATH=/usr/bin:/bin"};
  const std::vector<std::string> status = {cli, "status", "--runtime", w.profile_path,
                                           "--project=" + w.project_dir};
  const std::vector<std::string> precompile = {cli, "precompile", "--runtime", w.profile_path,
                                               "--project=" + w.project_dir};
  const std::string memo = w.depots[0] + "/jlcache/hashmemo-v1.bin";
  const std::string answers = w.depots[0] + "/jlcache/status-v1.bin";

  // The floors' operation lists, written once.
  std::vector<std::string> floor_stat, floor_read, floor_cold;
  if (baseline) {
    size_t files = 0;
    for (const auto& [kind, argv_out, name] :
         {std::tuple{FloorOps::kStat, &floor_stat, "/floor-stat.ops"},
          std::tuple{FloorOps::kRead, &floor_read, "/floor-read.ops"},
          std::tuple{FloorOps::kCold, &floor_cold, "/floor-cold.ops"}}) {
      const std::string path = tmp + name;
      const std::string text = FloorOpsText(w, kind);
      if (kind == FloorOps::kStat) files = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
      if (auto s = jlcache::WriteFileAtomically(path, text); !s.ok()) {
        std::fprintf(stderr, "bench_process: %s\n", std::string(jlcache::Message(s)).c_str());
        return 1;
      }
      *argv_out = {floor_bin, path, std::to_string(floor_threads)};
    }
    std::printf("floor: %s, %d threads; %zu files stat'ed by the stat floor\n", floor_bin.c_str(),
                floor_threads, files);
  }

  // The first run fills and persists the memo; it must say "all fresh".
  Run first = Spawn(status, env);
  if (first.exit_code != 0) {
    std::fprintf(stderr,
                 "bench_process: `%s status` exited %d on a world that is all fresh; "
                 "the rows below are not comparable\n",
                 cli.c_str(), first.exit_code);
  }

  Row startup("startup (jlcache --version)"), warm("status, persisted memos (warm)"),
      recheck("status, remembered answer removed"), cold("status, both memos removed (cold-ish)"),
      fast("precompile, all fresh (fast path)"), fstat_row("floor: stat every file"),
      fread_row("floor: stat + read headers"), fcold_row("floor: cold (read + CRC)");
  for (int k = 0; k < runs; ++k) {
    startup.Add(Spawn({cli, "--version"}, env));

    if (baseline) fstat_row.Add(Spawn(floor_stat, env));
    warm.Add(Spawn(status, env));

    fast.Add(Spawn(precompile, env));

    ::unlink(answers.c_str());
    if (baseline) fread_row.Add(Spawn(floor_read, env));
    recheck.Add(Spawn(status, env));

    ::unlink(answers.c_str());
    ::unlink(memo.c_str());
    if (baseline) fcold_row.Add(Spawn(floor_cold, env));
    cold.Add(Spawn(status, env));
  }
  // Leave the memo in place for whoever runs the printed command next.
  (void)Spawn(status, env);

  std::printf("\n%-38s %9s %9s %9s %9s   %s\n", "wall time, ms", "min", "median", "max",
              "cpu med", "runs");
  Print(startup);
  Print(warm);
  Print(recheck);
  Print(cold);
  Print(fast);
  if (baseline) {
    Print(fstat_row);
    Print(fread_row);
    Print(fcold_row);
    std::printf("\n%-38s %7s %7s %7s\n", "against its floor (issue 15)", "med/med", "med(r)",
                "cpu");
    PrintRatio(warm, fstat_row, 1.25);
    PrintRatio(recheck, fread_row, 2.0);
    PrintRatio(cold, fcold_row, 1.5);
  }
  if (keep && !tmp.empty()) {
    std::printf("\nkept: %s (the world and the floors' operation lists)\n", tmp.c_str());
  } else if (!tmp.empty()) {
    (void)jlcache::bench::RemoveWorld(tmp);
  }
  return (warm.bad_exit || recheck.bad_exit || cold.bad_exit || fast.bad_exit ||
          fstat_row.bad_exit || fread_row.bad_exit || fcold_row.bad_exit)
             ? 1
             : 0;
}
