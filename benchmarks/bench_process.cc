// bench_process: whole-process timing of `jlcache status` (start-up
// included), farm-bench style: min / median / max over repeated runs.
//
//   bench_process [--packages N] [--layout 1.10|1.11] [--runs K] [--cli PATH]
//                 [--world DIR]   (an existing gen_env output instead of a new one)
//
// Rows: the CLI's start-up alone (`jlcache --version`), status with the
// persisted memos (warm: the remembered answer and the content-hash memo),
// status with only the remembered answer removed (re-check), status with
// both memo files removed before each run (cold-ish: the OS page cache stays
// warm), and `jlcache precompile` on the fresh world (the fast path: the
// world's julia_bin does not exist, so any launch would fail the run).
// The CLI is spawned with an argv and an explicit environment, never a shell.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "env_generator.h"

namespace {

using jlcache::bench::GeneratedWorld;

struct Run {
  double ms = 0;
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
    while (waitpid(pid, &status, 0) < 0) {
    }
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
  int bad_exit = 0;  // runs whose exit code was not the expected one
  int last_exit = 0;
};

void Print(const Row& r) {
  if (r.ms.empty()) return;
  std::vector<double> v = r.ms;
  std::sort(v.begin(), v.end());
  double median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  std::printf("%-38s %9.2f %9.2f %9.2f   %zu", r.name.c_str(), v.front(), median, v.back(),
              v.size());
  if (r.bad_exit) std::printf("   (%d runs exited %d)", r.bad_exit, r.last_exit);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  int packages = 400, runs = 20;
  std::string cli = JLCACHE_CLI_PATH, world_dir;
  auto layout = jlcache::bench::WorldLayout::kJulia111;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--packages") {
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
      fast("precompile, all fresh (fast path)");
  for (int k = 0; k < runs; ++k) {
    Run s = Spawn({cli, "--version"}, env);
    startup.ms.push_back(s.ms);
    if (s.exit_code != 0) ++startup.bad_exit, startup.last_exit = s.exit_code;

    Run r = Spawn(status, env);
    warm.ms.push_back(r.ms);
    if (r.exit_code != 0) ++warm.bad_exit, warm.last_exit = r.exit_code;

    Run p = Spawn(precompile, env);
    fast.ms.push_back(p.ms);
    if (p.exit_code != 0) ++fast.bad_exit, fast.last_exit = p.exit_code;

    ::unlink(answers.c_str());
    Run q = Spawn(status, env);
    recheck.ms.push_back(q.ms);
    if (q.exit_code != 0) ++recheck.bad_exit, recheck.last_exit = q.exit_code;

    ::unlink(answers.c_str());
    ::unlink(memo.c_str());
    Run c = Spawn(status, env);
    cold.ms.push_back(c.ms);
    if (c.exit_code != 0) ++cold.bad_exit, cold.last_exit = c.exit_code;
  }
  // Leave the memo in place for whoever runs the printed command next.
  (void)Spawn(status, env);

  std::printf("\n%-38s %9s %9s %9s   %s\n", "wall time, ms", "min", "median", "max", "runs");
  Print(startup);
  Print(warm);
  Print(recheck);
  Print(cold);
  Print(fast);
  if (!tmp.empty()) {
    (void)jlcache::bench::RemoveWorld(tmp);
  }
  return (warm.bad_exit || recheck.bad_exit || cold.bad_exit || fast.bad_exit) ? 1 : 0;
}
