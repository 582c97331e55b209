// precompile_if_stale end to end, with the stand-in julia (tests/fake_julia):
// zero launches when fresh, one launch for the stale roots, one launch for 16
// processes, recovery from a killed runner, failures and timeouts.
#include "precompile/precompile_coordinator.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "format/header_reader.h"
#include "gtest/gtest.h"
#include "precompile/child_group_record.h"
#include "core/pidfile_lock.h"
#include "support/cache_writer.h"
#include "support/process_group.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::ReadFileOrDie;
using test_support::Scenario;
using test_support::WriteFileOrDie;
namespace fs = std::filesystem;

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

// One launch of the stand-in, as it logged it.
struct Launch {
  std::string roots;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  pid_t pid = -1;
};

// A scenario with N independent packages P00..P(N-1), except that P10
// depends on P05, all compiled (fresh); the stand-in julia installed as the
// runtime's julia_bin; and a plan file the stand-in reads.
class World {
 public:
  explicit World(int n = 50, HeaderLayout layout = HeaderLayout::kB) : s_(layout, true) {
    for (int i = 0; i < n; ++i) {
      std::string name = Name(i);
      if (i == 10 && n > 10)
        s_.AddPackage(name, {Name(5)});
      else
        s_.AddPackage(name);
    }
    s_.WriteEnvironment();
    for (int i = 0; i < n; ++i) s_.Compile(Name(i));
    // The profile's julia_bin is <dir>/julia/bin/julia: make it the stand-in.
    s_.InstallJulia(JLCACHE_FAKE_JULIA_PATH);
    plan_ = s_.dir().Join("fake-julia-plan.txt");
    log_ = s_.dir().Join("launches.log");
    staging_ = s_.dir().Join("staging");
    test_support::MakeDirsOrDie(staging_);
    plan_lines_ = {"log\t" + log_};
    WritePlan();
  }

  static std::string Name(int i) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "P%02d", i);
    return buf;
  }

  Scenario& s() { return s_; }

  // Edits P05 so that P05 and P10 (which requires it) become stale, and
  // stages their recompiled caches for the stand-in under root `root`.
  void MakeP05Stale(const std::string& root = "P10") {
    s_.WriteSource("P05", "src/impl.jl", "greet() = \"changed\"\n");
    Stage("P05", root);
    Stage("P10", root);
  }

  // The cache Julia would write for `name` now, kept aside; the stand-in
  // installs it (native library first, then the .ji) when `root` is named.
  void Stage(const std::string& name, const std::string& root) {
    test_support::CompiledCache c = s_.Compile(name);
    for (const std::string& path : {c.so_path, c.ji_path}) {
      if (path.empty()) continue;
      std::string staged = JoinPath(staging_, std::to_string(staged_++) + "-" + BaseName(path));
      fs::rename(path, staged);
      plan_lines_.push_back("cache\t" + root + "\t" + path + "\t" + staged);
    }
    WritePlan();
  }

  void AddPlan(const std::string& line) {
    plan_lines_.push_back(line);
    WritePlan();
  }
  void ResetPlanModes() {
    std::vector<std::string> keep;
    for (const auto& l : plan_lines_)
      if (l.rfind("log\t", 0) == 0 || l.rfind("cache\t", 0) == 0) keep.push_back(l);
    plan_lines_ = keep;
    WritePlan();
  }

  PrecompileOptions Options() const {
    PrecompileOptions o;
    o.timeout_seconds = 120;
    o.extra_child_env = {{"JLCACHE_FAKE_JULIA_PLAN", plan_}};
    return o;
  }

  std::vector<Launch> Launches() const {
    std::vector<Launch> out;
    if (!PathExists(log_)) return out;
    std::istringstream in(ReadFileOrDie(log_));
    for (std::string line; std::getline(in, line);) {
      Launch l;
      for (const std::string& field : SplitOn(line, '\t')) {
        if (field.rfind("roots=", 0) == 0) l.roots = field.substr(6);
        if (field.rfind("argv=", 0) == 0) l.argv = SplitOn(field.substr(5), '\x1f');
        if (field.rfind("pid=", 0) == 0) l.pid = std::stoi(field.substr(4));
        if (field.rfind("env=", 0) == 0 && field.size() > 4)
          for (const std::string& kv : SplitOn(field.substr(4), '\x1f')) {
            size_t eq = kv.find('=');
            l.env[kv.substr(0, eq)] = kv.substr(eq + 1);
          }
      }
      out.push_back(l);
    }
    return out;
  }

  std::string CompiledDir() const { return JoinPath(s_.depot(), "compiled/v" + s_.MajorMinor()); }

  std::vector<std::string> Pidfiles() const {
    std::vector<std::string> out;
    auto names = ListDir(CompiledDir());
    if (names.ok())
      for (const auto& n : *names)
        if (n.size() > 8 && n.compare(n.size() - 8, 8, ".pidfile") == 0) out.push_back(n);
    return out;
  }

 private:
  void WritePlan() {
    std::string text;
    for (const auto& l : plan_lines_) text += l + "\n";
    WriteFileOrDie(plan_, text);
  }

  Scenario s_;
  std::string plan_, log_, staging_;
  std::vector<std::string> plan_lines_;
  int staged_ = 0;
};

// Every file under `dir` with its size and mtime.
std::map<std::string, std::pair<uintmax_t, int64_t>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, int64_t>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st;
    if (lstat(e.path().c_str(), &st) != 0) continue;
    out[e.path().string()] = {static_cast<uintmax_t>(st.st_size),
                              static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
                                  st.st_mtim.tv_nsec};
  }
  return out;
}

// Dead: no such process, or a zombie nobody has reaped yet.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() &&
         (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X');
}

bool EventuallyGone(pid_t pid) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ProcessGone(pid)) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::map<std::string, PrecompileResult> Results(const PrecompileReport& r) {
  std::map<std::string, PrecompileResult> out;
  for (const auto& p : r.packages) out[p.name] = p.result;
  return out;
}

// NAME's only cache then records the compile-time preference Mode (hash
// 0x5eed), which is set: its hash needs Julia's Base.hash, so the verdict is
// "unknown" until Julia reports it.
void ReplaceWithUnverifiablePreferenceCache(World& w, const std::string& name) {
  const test_support::CompiledCache old = w.s().LatestCache(name);
  fs::remove(old.ji_path);
  fs::remove(old.so_path);
  test_support::CompileOptions with_prefs;
  with_prefs.preference_names = {"Mode"};
  with_prefs.preferences_hash = 0x5eed;
  w.s().Compile(name, with_prefs);
  w.s().WritePreferences(absl::StrCat("[", name, "]\nMode = \"fast\"\n"));
}

// Every .ji under `dir` is complete: it parses and its whole-file CRC holds.
void ExpectNoPartialCacheFiles(const std::string& dir) {
  int count = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string p = e.path().string();
    if (p.size() < 3 || p.compare(p.size() - 3, 3, ".ji") != 0) continue;
    ++count;
    auto h = ReadCacheHeaderFile(p);
    ASSERT_TRUE(h.ok()) << p << ": " << h.status();
    EXPECT_TRUE(h->crc_ok) << p << " is a partial or corrupt cache file";
  }
  EXPECT_GT(count, 0);
}

TEST(PrecompileIfStale, FreshEnvironmentLaunchesNothingAndWritesNothing) {
  World w;
  auto session = w.s().OpenSession();
  ASSERT_NE(session, nullptr);
  auto before = Snapshot(w.s().depot());
  auto report = PrecompileIfStale(*session, {}, w.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->launched);
  EXPECT_FALSE(report->waited_for_other_runner);
  EXPECT_EQ(report->packages.size(), 50u);
  EXPECT_TRUE(report->AllFresh());
  EXPECT_TRUE(report->lock_path.empty());
  EXPECT_TRUE(w.Launches().empty());
  EXPECT_TRUE(w.Pidfiles().empty());
  EXPECT_EQ(Snapshot(w.s().depot()), before);
}

TEST(PrecompileIfStale, OneStaleAmongFiftyLaunchesOnceNamingOnlyTheStaleRoots) {
  World w;
  w.MakeP05Stale();
  // What only Julia knows, printed by the child script.
  const std::string blob = "\x01\x02\x03 clone targets";
  w.AddPlan("out\tJLCACHE-CLONE-OK " + HexBytes(blob));
  w.AddPlan("out\tJLCACHE-PREFS-HASH " + w.s().UuidOf("P05").ToString() + " 1f2e " +
            HexBytes("Mode"));
  w.AddPlan("err\tPrecompiling P10...");
  auto session = w.s().OpenSession();
  ASSERT_NE(session, nullptr);
  PrecompileOptions o = w.Options();
  o.jobs = 3;
  std::vector<PrecompileProgress::Phase> phases;
  std::vector<std::string> output;
  o.progress = [&](const PrecompileProgress& p) {
    phases.push_back(p.phase);
    if (p.phase == PrecompileProgress::Phase::kOutput) output.push_back(p.line);
  };
  auto report = PrecompileIfStale(*session, {}, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->launched);
  EXPECT_EQ(report->exit_status, 0);
  ASSERT_EQ(report->roots.size(), 1u);
  EXPECT_EQ(report->roots[0].name, "P10");  // P05 comes with it as a dependency
  EXPECT_TRUE(report->AllFresh()) << report->output_tail;

  std::vector<Launch> launches = w.Launches();
  ASSERT_EQ(launches.size(), 1u);
  Launch& l = launches[0];
  EXPECT_EQ(l.roots, "P10");
  const RuntimeProfile rt = w.s().Profile();
  ASSERT_GE(l.argv.size(), 4u);
  EXPECT_EQ(l.argv[0], rt.julia_bin);
  EXPECT_EQ(l.argv[1], "-J");
  EXPECT_EQ(l.argv[2], rt.image_file);
  auto has = [&](const std::string& a) {
    return std::find(l.argv.begin(), l.argv.end(), a) != l.argv.end();
  };
  EXPECT_TRUE(has("--startup-file=no"));
  EXPECT_TRUE(has("-O2"));  // cache flags 0xa3
  EXPECT_TRUE(has("-g1"));
  EXPECT_TRUE(has("--inline=yes"));
  EXPECT_TRUE(has("--pkgimages=yes"));
  EXPECT_TRUE(has("--project=" + *session->environment().active_project()));
  EXPECT_EQ(l.env["JULIA_DEPOT_PATH"], w.s().depot());
  EXPECT_EQ(l.env["JULIA_CPU_TARGET"], "native");
  EXPECT_EQ(l.env["JULIA_NUM_PRECOMPILE_TASKS"], "3");
  EXPECT_EQ(l.env.count("JULIA_PROJECT"), 0u);

  // Output streamed (the report lines are consumed, not shown).
  EXPECT_NE(std::find(output.begin(), output.end(), "Precompiling P10..."), output.end());
  for (const auto& line : output) EXPECT_EQ(line.rfind("JLCACHE-", 0), std::string::npos) << line;
  EXPECT_NE(std::find(phases.begin(), phases.end(), PrecompileProgress::Phase::kCompiling),
            phases.end());
  // Recorded like probe results.
  ASSERT_EQ(report->learned.accepted_clone_targets.size(), 1u);
  EXPECT_EQ(report->learned.accepted_clone_targets[0], XXH64(blob.data(), blob.size(), 0));
  ASSERT_EQ(report->learned.preference_hashes.size(), 1u);
  EXPECT_EQ(report->learned.preference_hashes[0].uuid, w.s().UuidOf("P05"));
  EXPECT_EQ(report->learned.preference_hashes[0].hash, 0x1f2eu);
  EXPECT_EQ(report->learned.preference_hashes[0].names, std::vector<std::string>{"Mode"});
  EXPECT_EQ(report->learned.preference_hashes[0].sources_digest,
            *session->environment().PreferencesSourcesDigest(w.s().UuidOf("P05")));

  // The lock is gone, and the next call takes the fast path.
  EXPECT_TRUE(w.Pidfiles().empty());
  auto again = PrecompileIfStale(*session, {}, w.Options());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->launched);
  EXPECT_TRUE(again->AllFresh());
  EXPECT_EQ(w.Launches().size(), 1u);
}

TEST(PrecompileIfStale, NamedPackagesOnlyNameTheirStaleRoots) {
  World w(20);
  w.MakeP05Stale("P05");  // asking for P05 alone must name P05 alone
  auto session = w.s().OpenSession();
  auto report = PrecompileIfStale(*session, {"P05", "P01"}, w.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->packages.size(), 2u);
  EXPECT_EQ(report->packages[0].name, "P05");
  EXPECT_EQ(report->packages[0].result, PrecompileResult::kFresh) << report->output_tail;
  EXPECT_EQ(report->packages[1].result, PrecompileResult::kFresh);
  ASSERT_EQ(w.Launches().size(), 1u);
  EXPECT_EQ(w.Launches()[0].roots, "P05");
}

TEST(PrecompileIfStale, SixteenProcessesLaunchOnceAndAllEndFresh) {
  World w;
  w.MakeP05Stale();
  w.AddPlan("sleep\t0.5");  // the runner holds the lock while the others arrive
  constexpr int kProcs = 16;
  std::vector<pid_t> pids;
  std::vector<int> read_ends;
  for (int i = 0; i < kProcs; ++i) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      char verdict = 'e';
      {
        auto session = w.s().OpenSession();
        if (session) {
          auto report = PrecompileIfStale(*session, {}, w.Options());
          if (report.ok()) verdict = report->AllFresh() ? (report->launched ? 'L' : 'F') : 's';
        }
      }
      (void)!write(fds[1], &verdict, 1);
      _exit(0);
    }
    close(fds[1]);
    pids.push_back(pid);
    read_ends.push_back(fds[0]);
  }
  int fresh = 0, launched = 0;
  for (int i = 0; i < kProcs; ++i) {
    char v = '?';
    ASSERT_EQ(read(read_ends[i], &v, 1), 1) << "process " << i << " died";
    close(read_ends[i]);
    int status = 0;
    waitpid(pids[i], &status, 0);
    EXPECT_TRUE(v == 'F' || v == 'L') << "process " << i << " reported " << v;
    fresh += v == 'F' || v == 'L';
    launched += v == 'L';
  }
  EXPECT_EQ(fresh, kProcs);
  EXPECT_EQ(launched, 1);
  EXPECT_EQ(w.Launches().size(), 1u);
  EXPECT_TRUE(w.Pidfiles().empty());
}

TEST(PrecompileIfStale, KilledRunnerIsRecoveredAfterTheStaleAgeAndLeavesNoPartialCache) {
  World w;
  w.MakeP05Stale();
  w.AddPlan("die_mid_write");
  w.AddPlan("kill_parent");  // kill -9 of the runner and its julia, mid-write
  pid_t runner = fork();
  ASSERT_GE(runner, 0);
  if (runner == 0) {
    auto session = w.s().OpenSession();
    if (session) (void)PrecompileIfStale(*session, {}, w.Options());
    _exit(0);  // not reached: the stand-in kills us
  }
  int status = 0;
  ASSERT_EQ(waitpid(runner, &status, 0), runner);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  ASSERT_EQ(w.Launches().size(), 1u);
  // The dead runner's lock is still there, naming it.
  std::vector<std::string> pidfiles = w.Pidfiles();
  ASSERT_EQ(pidfiles.size(), 1u);
  PidfileInfo info = ParsePidfile(JoinPath(w.CompiledDir(), pidfiles[0]));
  EXPECT_EQ(info.pid, static_cast<uint32_t>(runner));
  ExpectNoPartialCacheFiles(w.s().depot());

  // The next caller waits out the stale age, removes the lock and compiles.
  // The lock's mtime is set to now first: under sanitizers the kill can take
  // longer than the stale age, and then nobody would have to wait.
  w.ResetPlanModes();
  auto session = w.s().OpenSession();
  PrecompileOptions o = w.Options();
  o.lock_stale_age = 1.0;
  ASSERT_EQ(utimensat(AT_FDCWD, JoinPath(w.CompiledDir(), pidfiles[0]).c_str(), nullptr, 0), 0);
  auto report = PrecompileIfStale(*session, {}, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->waited_for_other_runner);
  EXPECT_TRUE(report->recovered_stale_lock);
  EXPECT_TRUE(report->launched);
  EXPECT_TRUE(report->AllFresh()) << report->output_tail;
  EXPECT_EQ(w.Launches().size(), 2u);
  EXPECT_TRUE(w.Pidfiles().empty());
  ExpectNoPartialCacheFiles(w.s().depot());
}

TEST(PrecompileIfStale, FailingChildIsReportedWithItsOutputAndNothingBecomesFresh) {
  World w;
  w.MakeP05Stale();
  w.AddPlan("fail\t3");
  auto session = w.s().OpenSession();
  auto report = PrecompileIfStale(*session, {}, w.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->launched);
  EXPECT_EQ(report->exit_status, 3);
  EXPECT_NE(report->output_tail.find("ERROR: LoadError"), std::string::npos) << report->output_tail;
  auto results = Results(*report);
  EXPECT_EQ(results["P05"], PrecompileResult::kFailed);
  EXPECT_EQ(results["P10"], PrecompileResult::kFailed);
  EXPECT_EQ(results["P00"], PrecompileResult::kFresh);
  for (const auto& p : report->packages) {
    if (p.result == PrecompileResult::kFailed) {
      EXPECT_NE(p.verdict.kind, VerdictKind::kFresh);
    }
  }
  EXPECT_TRUE(w.Pidfiles().empty());
}

TEST(PrecompileIfStale, TimeoutKillsTheChildAndItsGrandchildAndReleasesTheLock) {
  World w(12);
  w.MakeP05Stale();
  std::string grandchild_file = w.s().dir().Join("grandchild.pid");
  w.AddPlan("grandchild\t" + grandchild_file);
  auto session = w.s().OpenSession();
  PrecompileOptions o = w.Options();
  o.timeout_seconds = 1.0;
  o.kill_grace_seconds = 0.5;
  auto report = PrecompileIfStale(*session, {}, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->launched);
  EXPECT_TRUE(report->timed_out);
  auto results = Results(*report);
  EXPECT_EQ(results["P05"], PrecompileResult::kTimeout);
  EXPECT_EQ(results["P10"], PrecompileResult::kTimeout);
  EXPECT_EQ(results["P00"], PrecompileResult::kFresh);
  ASSERT_EQ(w.Launches().size(), 1u);
  EXPECT_TRUE(EventuallyGone(w.Launches()[0].pid)) << "the julia child survived";
  std::string gpid = ReadFileOrDie(grandchild_file);
  ASSERT_FALSE(gpid.empty());
  EXPECT_TRUE(EventuallyGone(std::stoi(gpid))) << "orphaned grandchild " << gpid;
  EXPECT_TRUE(w.Pidfiles().empty());
}

TEST(PrecompileIfStale, KilledRunnerTakesItsJuliaAndItsGrandchildWithIt) {
  World w(12);
  w.MakeP05Stale();
  std::string grandchild_file = w.s().dir().Join("grandchild.pid");
  w.AddPlan("grandchild\t" + grandchild_file);
  pid_t runner = fork();
  ASSERT_GE(runner, 0);
  if (runner == 0) {
    auto session = w.s().OpenSession();
    if (session) (void)PrecompileIfStale(*session, {}, w.Options());
    _exit(0);
  }
  std::string gpid;
  for (int i = 0; i < 1000 && gpid.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (PathExists(grandchild_file)) gpid = ReadFileOrDie(grandchild_file);
  }
  kill(runner, SIGKILL);
  ASSERT_EQ(waitpid(runner, nullptr, 0), runner);
  ASSERT_FALSE(gpid.empty()) << "the stand-in never started its grandchild";
  ASSERT_EQ(w.Launches().size(), 1u);
  // kill -9 of the runner: its watchdog ends julia's whole group.
  EXPECT_TRUE(EventuallyGone(w.Launches()[0].pid)) << "julia outlived its runner";
  EXPECT_TRUE(EventuallyGone(std::stoi(gpid))) << "orphaned grandchild " << gpid;
}

TEST(PrecompileIfStale, TakeoverEndsADeadRunnersLeftoverJuliaBeforeLaunching) {
  World w(12);
  w.MakeP05Stale();
  auto session = w.s().OpenSession();
  auto lock_path = PrecompileLockPath(*session);
  ASSERT_TRUE(lock_path.has_value());
  fs::create_directories(DirName(*lock_path));
  // A runner that died (with its watchdog) left its lock, long unrefreshed,
  // and the record of its julia, which still runs in a group of its own.
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);
  WriteFileOrDie(*lock_path, FormatPidfile(static_cast<uint32_t>(dead), LocalHostName()));
  struct timespec old[2] = {{time(nullptr) - 100, 0}, {time(nullptr) - 100, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, lock_path->c_str(), old, 0), 0);
  pid_t leftover = test_support::StartSleepingGroupLeader();
  ASSERT_GT(leftover, 0);
  ASSERT_TRUE(WriteChildGroupRecord(*lock_path, leftover).ok());

  PrecompileOptions o = w.Options();
  o.lock_stale_age = 1.0;
  auto report = PrecompileIfStale(*session, {}, o);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->recovered_stale_lock);
  EXPECT_EQ(report->ended_leftover_processes, 1);
  int status = 0;
  ASSERT_EQ(waitpid(leftover, &status, 0), leftover);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_TRUE(report->launched);
  EXPECT_TRUE(report->AllFresh()) << report->output_tail;
  EXPECT_TRUE(w.Pidfiles().empty());
  EXPECT_FALSE(PathExists(ChildGroupRecordPath(*lock_path)));
}

TEST(PrecompileIfStale, InterruptForwardsTheSignalAndReleasesTheLock) {
  World w(12);
  w.MakeP05Stale();
  std::string grandchild_file = w.s().dir().Join("grandchild.pid");
  w.AddPlan("grandchild\t" + grandchild_file);
  auto session = w.s().OpenSession();
  std::atomic<int> interrupt{0};
  PrecompileOptions o = w.Options();
  o.interrupt = &interrupt;
  o.kill_grace_seconds = 30;  // the forwarded SIGINT must end the stand-in
  std::thread signaller([&] {
    // Until the stand-in wrote its grandchild's pid (created, then written).
    for (int i = 0; i < 1000; ++i) {
      if (auto t = ReadFile(grandchild_file); t.ok() && !t->empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    interrupt = SIGINT;
  });
  auto report = PrecompileIfStale(*session, {}, o);
  signaller.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->interrupted_by, SIGINT);
  EXPECT_TRUE(report->launched);
  EXPECT_EQ(report->exit_status, 128 + SIGINT);
  EXPECT_EQ(Results(*report)["P05"], PrecompileResult::kFailed);
  EXPECT_NE(report->note.find("interrupted by signal"), std::string::npos) << report->note;
  ASSERT_EQ(w.Launches().size(), 1u);
  EXPECT_TRUE(EventuallyGone(w.Launches()[0].pid));
  EXPECT_TRUE(EventuallyGone(std::stoi(ReadFileOrDie(grandchild_file))));
  EXPECT_TRUE(w.Pidfiles().empty());
  EXPECT_FALSE(PathExists(ChildGroupRecordPath(*PrecompileLockPath(*session))));
}

TEST(PrecompileIfStale, InterruptEndsAWaitForAnotherRunner) {
  World w(12);
  w.MakeP05Stale();
  auto session = w.s().OpenSession();
  auto other = PidfileLock::TryAcquire(*PrecompileLockPath(*session), PidfileOptions{});
  ASSERT_TRUE(other.ok() && *other);
  std::atomic<int> interrupt{0};
  PrecompileOptions o = w.Options();
  o.interrupt = &interrupt;
  std::thread signaller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    interrupt = SIGTERM;
  });
  auto report = PrecompileIfStale(*session, {}, o);
  signaller.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->interrupted_by, SIGTERM);
  EXPECT_TRUE(report->waited_for_other_runner);
  EXPECT_FALSE(report->launched);
  EXPECT_TRUE(w.Launches().empty());
  EXPECT_TRUE((*other)->held());
}

TEST(PrecompileIfStale, WaiterRechecksFromScratchAfterAnotherRunnerFinishes) {
  World w(12);
  w.MakeP05Stale();
  auto session = w.s().OpenSession();
  auto lock_path = PrecompileLockPath(*session);
  ASSERT_TRUE(lock_path.has_value());
  // Another runner holds the environment's lock, compiles, and releases.
  auto other = PidfileLock::TryAcquire(*lock_path, PidfileOptions{});
  ASSERT_TRUE(other.ok() && *other);
  std::thread runner([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (const char* name : {"P05", "P10"}) w.s().Compile(name);
    (*other)->Release();
  });
  auto report = PrecompileIfStale(*session, {}, w.Options());
  runner.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->waited_for_other_runner);
  EXPECT_FALSE(report->launched);
  EXPECT_TRUE(report->AllFresh());
  EXPECT_TRUE(w.Launches().empty());
}

TEST(PrecompileIfStale, NotWaitingReportsTheOtherRunnerAndWaitingHonoursTheTimeout) {
  World w(12);
  w.MakeP05Stale();
  auto session = w.s().OpenSession();
  auto other = PidfileLock::TryAcquire(*PrecompileLockPath(*session), PidfileOptions{});
  ASSERT_TRUE(other.ok() && *other);

  PrecompileOptions no_wait = w.Options();
  no_wait.wait_for_other_runner = false;
  auto report = PrecompileIfStale(*session, {}, no_wait);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->launched);
  EXPECT_NE(report->note.find("pid " + std::to_string(getpid())), std::string::npos)
      << report->note;
  EXPECT_EQ(Results(*report)["P05"], PrecompileResult::kStale);

  PrecompileOptions short_wait = w.Options();
  short_wait.timeout_seconds = 0.3;
  report = PrecompileIfStale(*session, {}, short_wait);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->launched);
  EXPECT_TRUE(report->timed_out);
  EXPECT_EQ(Results(*report)["P05"], PrecompileResult::kTimeout);
  EXPECT_EQ(Results(*report)["P00"], PrecompileResult::kFresh);
  EXPECT_TRUE(w.Launches().empty());
  EXPECT_TRUE((*other)->held());
}

TEST(PrecompileIfStale, AnUnknownIsResolvedOnceByWhatTheChildReports) {
  World w(6);
  ReplaceWithUnverifiablePreferenceCache(w, "P03");
  auto session = w.s().OpenSession();
  auto before = session->IsStale("P03");
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(before->kind, VerdictKind::kUnknown);

  // Unknown counts as stale: one launch, and Julia says what the hash is.
  w.AddPlan("out\tJLCACHE-PREFS-HASH " + w.s().UuidOf("P03").ToString() + " 5eed " +
            HexBytes("Mode"));
  auto report = PrecompileIfStale(*session, {"P03"}, w.Options());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->launched);
  ASSERT_EQ(report->packages.size(), 1u);
  EXPECT_EQ(report->packages[0].result, PrecompileResult::kFresh) << report->output_tail;

  // Recorded for the session: the next call is the fast path.
  auto again = PrecompileIfStale(*session, {"P03"}, w.Options());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->launched);
  EXPECT_TRUE(again->AllFresh());
  EXPECT_EQ(w.Launches().size(), 1u);

  // Only while the preference files are unchanged.
  w.s().WritePreferences("[P03]\nMode = \"slow\"\n");
  session->ClearMemo();
  EXPECT_EQ(session->IsStale("P03")->kind, VerdictKind::kUnknown);
}

TEST(PrecompileIfStale, WhatOneRunnerLearnedIsPublishedAndSparesAnotherTheLaunch) {
  World w(6);
  ReplaceWithUnverifiablePreferenceCache(w, "P03");

  // The runner publishes what its child reported.
  std::vector<JuliaFacts> published;
  w.AddPlan("out\tJLCACHE-PREFS-HASH " + w.s().UuidOf("P03").ToString() + " 5eed " +
            HexBytes("Mode"));
  auto runner = w.s().OpenSession();
  PrecompileOptions ro = w.Options();
  // Published while the lock is still held: waiters re-check the moment it
  // goes, and must find the facts by then (8 real jlcache processes launched
  // julia twice when they came after the release).
  size_t locks_held_when_published = 0;
  ro.publish_facts = [&](const JuliaFacts& f) {
    published.push_back(f);
    locks_held_when_published = w.Pidfiles().size();
  };
  auto first = PrecompileIfStale(*runner, {"P03"}, ro);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->launched);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(locks_held_when_published, 1u);
  ASSERT_EQ(published[0].preference_hashes.size(), 1u);
  EXPECT_EQ(published[0].preference_hashes[0].hash, 0x5eedu);

  // Another process (a new session) still cannot decide alone; with the
  // published facts it does not launch julia.
  auto other = w.s().OpenSession();
  ASSERT_EQ(other->IsStale("P03")->kind, VerdictKind::kUnknown);
  int fetched = 0;
  PrecompileOptions oo = w.Options();
  oo.fetch_shared_facts = [&]() -> std::optional<JuliaFacts> {
    ++fetched;
    return published[0];
  };
  auto second = PrecompileIfStale(*other, {"P03"}, oo);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->launched);
  EXPECT_TRUE(second->AllFresh());
  EXPECT_EQ(fetched, 1);
  EXPECT_EQ(w.Launches().size(), 1u);

  // Facts that do not decide it (nothing shared yet) still lead to a launch.
  auto third = w.s().OpenSession();
  PrecompileOptions to = w.Options();
  to.fetch_shared_facts = []() -> std::optional<JuliaFacts> { return std::nullopt; };
  w.AddPlan("out\tJLCACHE-PREFS-HASH " + w.s().UuidOf("P03").ToString() + " 5eed " +
            HexBytes("Mode"));
  auto last = PrecompileIfStale(*third, {"P03"}, to);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_TRUE(last->launched);
  EXPECT_EQ(w.Launches().size(), 2u);
}

TEST(PrecompileIfStale, UnknownPackageIsAnError) {
  World w(3);
  auto session = w.s().OpenSession();
  auto report = PrecompileIfStale(*session, {"NoSuchPackage"}, w.Options());
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(w.Launches().empty());
}

// ---------------------------------------------------------------- pieces

TEST(PrecompileChildScript, UsesThisVersionsPrecompiler) {
  auto rules_for = [](const char* v) { return *RulesFor(*JuliaVersion::Parse(v)); };
  std::vector<PkgId> roots = {PkgId{Uuid{1, 2}, "Foo"}, PkgId{Uuid{3, 4}, "Ba\"r$"}};
  std::string s110 = ChildScript(rules_for("1.10.4"), roots, roots);
  EXPECT_NE(s110.find("import Pkg\n"), std::string::npos);
  EXPECT_NE(s110.find("Pkg.precompile(jlcache_roots; strict=true, already_instantiated=true)"),
            std::string::npos);
  EXPECT_EQ(s110.find("Base.Precompilation"), std::string::npos);
  std::string s111 = ChildScript(rules_for("1.11.7"), roots, roots);
  EXPECT_NE(s111.find("Base.Precompilation.precompilepkgs"), std::string::npos);
  EXPECT_EQ(s111.find("import Pkg"), std::string::npos);
  // Names are Julia string literals; UUIDs travel for the PkgId form.
  EXPECT_NE(s111.find("jlcache_roots = String[\"Foo\", \"Ba\\\"r\\$\"]"), std::string::npos) << s111;
  EXPECT_NE(s111.find(Uuid{3, 4}.ToString()), std::string::npos);
  EXPECT_NE(s111.find("JLCACHE-PREFS-HASH"), std::string::npos);
  EXPECT_NE(s111.find("JLCACHE-CLONE-OK"), std::string::npos);
}

TEST(PrecompileChildReport, ParsesOnlyWellFormedLines) {
  JuliaFacts f;
  std::string uuid = "7876af07-990d-54b4-ab0e-23690620f79a";
  EXPECT_TRUE(ParseChildReportLine("JLCACHE-PREFS-HASH " + uuid + " ff " + HexBytes("a b") + " " +
                                       HexBytes("c"),
                                   &f));
  ASSERT_EQ(f.preference_hashes.size(), 1u);
  EXPECT_EQ(f.preference_hashes[0].hash, 0xffu);
  EXPECT_EQ(f.preference_hashes[0].names, (std::vector<std::string>{"a b", "c"}));
  EXPECT_TRUE(ParseChildReportLine("JLCACHE-PREFS-HASH " + uuid + " 0", &f));
  EXPECT_TRUE(f.preference_hashes[1].names.empty());
  EXPECT_FALSE(ParseChildReportLine("JLCACHE-PREFS-HASH not-a-uuid ff", &f));
  EXPECT_FALSE(ParseChildReportLine("JLCACHE-PREFS-HASH " + uuid + " 1ffffffffffffffff", &f));
  EXPECT_FALSE(ParseChildReportLine("JLCACHE-PREFS-HASH " + uuid + " ff zz", &f));
  EXPECT_FALSE(ParseChildReportLine("JLCACHE-CLONE-OK", &f));
  EXPECT_FALSE(ParseChildReportLine("JLCACHE-CLONE-OK xyz", &f));
  EXPECT_TRUE(ParseChildReportLine("JLCACHE-CLONE-OK 0102", &f));
  EXPECT_TRUE(ParseChildReportLine("JLCACHE-CLONE-OK 0102", &f));  // kept once
  EXPECT_EQ(f.accepted_clone_targets.size(), 1u);
  EXPECT_FALSE(ParseChildReportLine("Precompiling project...", &f));
  EXPECT_EQ(f.preference_hashes.size(), 2u);
}

TEST(PrecompileCommand, FlagsReproduceTheCacheFlagsByte) {
  World w(3);
  auto session = w.s().OpenSession();
  const std::vector<PkgId> roots = {PkgId{w.s().UuidOf("P01"), "P01"}};
  ChildCommand cmd = BuildChildCommand(*session, roots, roots, PrecompileOptions{});
  auto has = [&](const std::string& a) {
    return std::find(cmd.argv.begin(), cmd.argv.end(), a) != cmd.argv.end();
  };
  // 0xa3 = OO=2, I=1, CC=0, DD=1, P=1.
  EXPECT_TRUE(has("-O2") && has("-g1") && has("--inline=yes") && has("--pkgimages=yes"));
  EXPECT_FALSE(has("--check-bounds=yes") || has("--check-bounds=no"));
  EXPECT_TRUE(has("--color=no") && has("--history-file=no"));
  EXPECT_EQ(cmd.argv[cmd.argv.size() - 2], "-e");
  std::map<std::string, std::string> env(cmd.env.begin(), cmd.env.end());
  EXPECT_EQ(env["JULIA_DEPOT_PATH"], w.s().depot());
  EXPECT_EQ(env.count("JULIA_NUM_PRECOMPILE_TASKS"), 0u);
}

TEST(PrecompileLock, OnePerEnvironmentInTheFirstDepot) {
  World w(3);
  auto session = w.s().OpenSession();
  auto path = PrecompileLockPath(*session);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(DirName(*path), w.CompiledDir());
  EXPECT_EQ(BaseName(*path).rfind("jlcache-", 0), 0u);
  EXPECT_EQ(*PrecompileLockPath(*w.s().OpenSession()), *path) << "stable across sessions";
}

}  // namespace
}  // namespace jlcache
