// `jlcache status` and `jlcache why` as a job script sees them: exit codes,
// JSON, and the same verdicts as the library.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stale/session.h"
#include "support/json_value.h"
#include "support/run_process.h"
#include "support/scenario.h"

namespace jlcache {
namespace {

using test_support::RunProcess;
using test_support::Scenario;

test_support::ProcessResult Cli(const Scenario& s, std::vector<std::string> args) {
  args.insert(args.begin(), JLCACHE_CLI_PATH);
  args.push_back("--runtime");
  args.push_back(s.WriteProfile());
  args.push_back("--project=" + s.project_dir());
  args.push_back("--no-write");
  return RunProcess(args, s.CliEnv());
}

TEST(StatusCli, AllFreshExitsZero) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  auto r = Cli(s, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 packages: 3 fresh, 0 stale, 0 unknown"), std::string::npos) << r.out;
}

TEST(StatusCli, JsonMatchesTheLibraryAndExitsOneWhenStale) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  s.WriteSource("Greetings", "src/impl.jl", "greet() = \"changed\"\n");
  auto r = Cli(s, {"status", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto json = test_support::ParseJson(r.out);
  ASSERT_TRUE(json) << r.out;
  auto session = s.OpenSession();
  auto lib = session->Status();
  ASSERT_TRUE(lib.ok());
  ASSERT_EQ((*json)["packages"].size(), lib->size());
  for (size_t i = 0; i < lib->size(); ++i) {
    const auto& p = (*json)["packages"][i];
    const Verdict& v = (*lib)[i];
    EXPECT_EQ(p["name"].str(), v.package.name);
    EXPECT_EQ(p["uuid"].str(), v.package.uuid->ToString());
    EXPECT_EQ(p["verdict"].str(), VerdictKindName(v.kind));
    ASSERT_EQ(p["reasons"].size(), v.reasons.size());
    for (size_t k = 0; k < v.reasons.size(); ++k) {
      EXPECT_EQ(p["reasons"][k]["code"].str(), ReasonCodeName(v.reasons[k].code));
      EXPECT_TRUE(p["reasons"][k].Has("detail"));
      EXPECT_TRUE(p["reasons"][k].Has("cache"));
      EXPECT_TRUE(p["reasons"][k].Has("dependency"));
    }
    if (v.kind == VerdictKind::kFresh)
      EXPECT_EQ(p["cache"].str(), *v.cache);
    else
      EXPECT_TRUE(p["cache"].is_null());
  }
}

TEST(StatusCli, NamedPackagesAndErrors) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  auto r = Cli(s, {"status", "Words", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto json = test_support::ParseJson(r.out);
  ASSERT_TRUE(json);
  EXPECT_EQ((*json)["packages"].size(), 1u);
  r = Cli(s, {"status", "NoSuchThing"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("NoSuchThing"), std::string::npos) << r.err;
  r = Cli(s, {"status", "--bogus-flag"});
  EXPECT_EQ(r.exit_code, 2);
  // A broken profile is an error in the request.
  test_support::WriteFileOrDie(s.dir().Join("broken.toml"), "julia_version = [\n");
  r = RunProcess({JLCACHE_CLI_PATH, "status", "--runtime", s.dir().Join("broken.toml")}, s.CliEnv());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken.toml"), std::string::npos) << r.err;
}

TEST(WhyCli, ShowsTheChainThroughDependencies) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  s.WriteSource("Words", "src/impl.jl", "greet() = \"a longer, changed greeting\"\n");
  auto r = Cli(s, {"why", "Hello"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("Hello is stale: dependency Words has no usable cache with build 0x"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Words's newest cache is stale because"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("impl.jl changed (size"), std::string::npos) << r.out;
  r = Cli(s, {"why", "Words", "--json"});
  auto json = test_support::ParseJson(r.out);
  ASSERT_TRUE(json) << r.out;
  EXPECT_EQ((*json)["verdict"].str(), "stale");
  EXPECT_NE((*json)["summary"].str().find("Words is stale"), std::string::npos);
  r = Cli(s, {"why"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace jlcache
