// `jlcache precompile`: exit codes 0/1/2/3, --json per package, plain
// progress lines when not on a terminal, one launch then the fast path.
#include <filesystem>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "gtest/gtest.h"
#include "support/json_value.h"
#include "support/run_process.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using testing::JsonValue;

// Foo depends on Bar; Baz stands alone. Bar is edited, so Bar and Foo are
// stale; the stand-in julia installs their recompiled caches when Foo is named.
struct CliWorld {
  testing::Scenario s{HeaderLayout::kB, true};
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
    testing::WriteFileOrDie(plan, text);
  }

  testing::ProcessResult Run(std::vector<std::string> args,
                             std::vector<std::string> extra_env = {}) {
    args.insert(args.begin(), {JLCACHE_CLI_PATH, "precompile", "--runtime", profile,
                               "--project=" + s.project_dir()});
    std::vector<std::string> env = s.CliEnv();
    env.push_back("JLCACHE_FAKE_JULIA_PLAN=" + plan);
    for (auto& e : extra_env) env.push_back(e);
    return testing::RunProcess(args, env);
  }

  size_t Launches() const {
    if (!PathExists(log)) return 0;
    std::string text = testing::ReadFileOrDie(log);
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
};

TEST(PrecompileCli, StaleThenFreshWithJson) {
  CliWorld w;
  testing::ProcessResult r = w.Run({"--json", "-j", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto json = testing::ParseJson(r.out);
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

  testing::ProcessResult again = w.Run({});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("3 packages: 3 fresh"), std::string::npos) << again.out;
  EXPECT_EQ(w.Launches(), 1u);
}

TEST(PrecompileCli, FailureIsExitOneWithTheOutputTail) {
  CliWorld w;
  w.plan_lines.push_back("fail\t1");
  w.WritePlan();
  testing::ProcessResult r = w.Run({"Foo"}, {"NO_COLOR=1"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Foo: failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ERROR: LoadError"), std::string::npos) << r.out;
}

TEST(PrecompileCli, TimeoutIsExitThree) {
  CliWorld w;
  w.plan_lines.push_back("sleep\t30");
  w.WritePlan();
  testing::ProcessResult r = w.Run({"--timeout", "0.5", "--json"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  auto json = testing::ParseJson(r.out);
  ASSERT_TRUE(json.has_value()) << r.out;
  EXPECT_TRUE((*json)["timed_out"].boolean);
  for (size_t i = 0; i < (*json)["packages"].size(); ++i) {
    const JsonValue& p = (*json)["packages"][i];
    EXPECT_EQ(p["result"].str(), p["name"].str() == "Baz" ? "fresh" : "timeout");
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
