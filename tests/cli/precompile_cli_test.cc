// `jlcache precompile`: exit codes 0/1/2/3, --json per package, plain
// progress lines when not on a terminal, one launch then the fast path.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "gtest/gtest.h"
#include "support/json_value.h"
#include "support/run_process.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::JsonValue;

// Foo depends on Bar; Baz stands alone. Bar is edited, so Bar and Foo are
// stale; the stand-in julia installs their recompiled caches when Foo is named.
struct CliWorld {
  test_support::Scenario s{HeaderLayout::kB, true};
  std::string plan, log, profile;
  std::vector<std::string> plan_lines;

  CliWorld() {
    s.AddPackage("Bar");
    s.AddPackage("Baz");
    s.AddPackage("Foo", {"Bar"});
    s.WriteEnvironment();
    for (const char* n : {"Bar", "Baz", "Foo"}) s.Compile(n);
    s.InstallJulia(JLCACHE_FAKE_JULIA_PATH);
    plan = s.dir().Join("plan.txt");
    log = s.dir().Join("launches.log");
    profile = s.WriteProfile();
    s.WriteSource("Bar", "src/impl.jl", "greet() = 2\n");
    plan_lines.push_back("log\t" + log);
    for (std::string& line : s.StageRecompiledCaches({"Bar", "Foo"}, "Foo"))
      plan_lines.push_back(std::move(line));
    WritePlan();
  }

  void WritePlan() {
    std::string text;
    for (const auto& l : plan_lines) text += l + "\n";
    test_support::WriteFileOrDie(plan, text);
  }

  test_support::ProcessResult Run(std::vector<std::string> args,
                             std::vector<std::string> extra_env = {}) {
    args.insert(args.begin(), {JLCACHE_CLI_PATH, "precompile", "--runtime", profile,
                               "--project=" + s.project_dir()});
    std::vector<std::string> env = s.CliEnv();
    env.push_back("JLCACHE_FAKE_JULIA_PLAN=" + plan);
    for (auto& e : extra_env) env.push_back(e);
    return test_support::RunProcess(args, env);
  }

  size_t Launches() const {
    if (!PathExists(log)) return 0;
    std::string text = test_support::ReadFileOrDie(log);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
};

TEST(PrecompileCli, StaleThenFreshWithJson) {
  CliWorld w;
  test_support::ProcessResult r = w.Run({"--json", "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto json = test_support::ParseJson(r.out);
  ASSERT_TRUE(json.has_value()) << r.out;
  EXPECT_TRUE((*json)["launched"].boolean);
  ASSERT_EQ((*json)["roots"].size(), 1u);
  EXPECT_EQ((*json)["roots"][0].str(), "Foo");
  const JsonValue& pkgs = (*json)["packages"];
  ASSERT_EQ(pkgs.size(), 3u);
  for (size_t i = 0; i < pkgs.size(); ++i) {
    EXPECT_EQ(pkgs[i]["result"].str(), "fresh") << pkgs[i]["name"].str();
    EXPECT_EQ(pkgs[i]["uuid"].str(), w.s.UuidOf(pkgs[i]["name"].str()).ToString());
    EXPECT_TRUE(pkgs[i].Has("reasons"));
  }
  // Plain progress lines on a pipe, no escape sequences anywhere.
  EXPECT_NE(r.err.find("jlcache: checked 3 packages, 2 not fresh"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("jlcache: precompiling Foo"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\033'), std::string::npos);
  EXPECT_EQ(r.out.find('\033'), std::string::npos);
  EXPECT_EQ(w.Launches(), 1u);

  test_support::ProcessResult again = w.Run({});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("3 packages: 3 fresh"), std::string::npos) << again.out;
  EXPECT_EQ(w.Launches(), 1u);
}

TEST(PrecompileCli, FailureIsExitOneWithTheOutputTail) {
  CliWorld w;
  w.plan_lines.push_back("fail\t1");
  w.WritePlan();
  test_support::ProcessResult r = w.Run({"Foo"}, {"NO_COLOR=1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Foo: failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ERROR: LoadError"), std::string::npos) << r.out;
}

TEST(PrecompileCli, TimeoutIsExitThree) {
  CliWorld w;
  w.plan_lines.push_back("sleep\t30");
  w.WritePlan();
  test_support::ProcessResult r = w.Run({"--timeout", "0.5", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto json = test_support::ParseJson(r.out);
  ASSERT_TRUE(json.has_value()) << r.out;
  EXPECT_TRUE((*json)["timed_out"].boolean);
  for (size_t i = 0; i < (*json)["packages"].size(); ++i) {
    const JsonValue& p = (*json)["packages"][i];
    EXPECT_EQ(p["result"].str(), p["name"].str() == "Baz" ? "fresh" : "timeout");
  }
}

// The stand-in julia's pid from the launch log, once it is written.
pid_t LaunchedPid(const std::string& log) {
  if (!PathExists(log)) return 0;
  std::string text = test_support::ReadFileOrDie(log);
  size_t at = text.find("\tpid=");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::atol(text.c_str() + at + 5));
}

// The parent pid of `pid` from /proc (0 when gone).
pid_t ParentOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string state;
  long ppid = 0;
  fields >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

bool EventuallyGone(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t paren = stat.rfind(')');
    if (!in || paren == std::string::npos || stat[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// SIGINT, SIGTERM and SIGHUP to `jlcache precompile` while julia runs: julia's
// group gets the signal and is reaped, the lock goes, and the exit status is
// 128 + the signal, as a shell reports a job that a signal ended.
TEST(PrecompileCli, SignalsAreForwardedToJuliaAndEndInTheShellsExitStatus) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    CliWorld w;
    std::string grandchild = w.s.dir().Join("grandchild.pid");
    w.plan_lines.push_back("grandchild\t" + grandchild);
    w.WritePlan();
    pid_t julia = 0;
    std::thread signaller([&] {
      // Until the stand-in wrote its grandchild's pid (created, then written).
      for (int i = 0; i < 1500; ++i) {
        if (auto t = ReadFile(grandchild); t.ok() && !t->empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      julia = LaunchedPid(w.log);
      if (pid_t cli = julia ? ParentOf(julia) : 0; cli > 1) kill(cli, sig);
    });
    test_support::ProcessResult r = w.Run({"--json"});
    signaller.join();
    ASSERT_GT(julia, 0) << "julia never started\n" << r.err;
    EXPECT_EQ(r.exit_code, 128 + sig) << "signal " << sig << "\n" << r.out << r.err;
    auto json = test_support::ParseJson(r.out);
    ASSERT_TRUE(json.has_value()) << r.out;
    EXPECT_EQ((*json)["interrupted_by"].AsInt(), sig);
    EXPECT_TRUE(EventuallyGone(julia)) << "julia outlived the interrupted runner";
    EXPECT_TRUE(EventuallyGone(std::stoi(test_support::ReadFileOrDie(grandchild))));
    auto left = ListDir(JoinPath(w.s.depot(), "compiled/v" + w.s.MajorMinor()));
    ASSERT_TRUE(left.ok());
    for (const std::string& name : *left)
      EXPECT_EQ(name.find(".pidfile"), std::string::npos) << "left behind: " << name;
  }
}

TEST(PrecompileCli, BadRequestsAreExitTwo) {
  CliWorld w;
  EXPECT_EQ(w.Run({"-j", "zero"}).exit_code, 2);
  EXPECT_EQ(w.Run({"--timeout", "-1"}).exit_code, 2);
  EXPECT_EQ(w.Run({"NoSuchPackage"}).exit_code, 2);
  EXPECT_EQ(w.Run({"--bogus"}).exit_code, 2);
  EXPECT_EQ(w.Launches(), 0u);
}

}  // namespace
}  // namespace jlcache
