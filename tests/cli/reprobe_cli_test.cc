// Without --runtime, jlcache probes `julia` on PATH once and caches the
// answers. A cache whose clone targets that probe never judged is "unknown";
// jlcache then re-probes once, and the verdict becomes exact.
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "support/run_process.h"
#include "support/scenario.h"

namespace jlcache {
namespace {

using test_support::RunProcess;
using test_support::Scenario;

BuildId Id(uint64_t lo) { return BuildId{0xfdfcfbfa5f3e2a1bull, lo}; }

TEST(ReprobeCli, UnseenCloneTargetsTriggerOneFreshProbe) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Foo");
  s.WriteEnvironment();
  // The caches of the Julia that tests/support/fake_julia impersonates.
  test_support::CompileOptions o;
  o.git_branch = "release-1.11";
  o.git_commit = "4d2dcd0d60cb7868f9c38135e61a0f9c459f623e";
  o.required_modules = std::vector<RequiredModule>{
      {"Core", std::nullopt, Id(0xa1)}, {"Base", std::nullopt, Id(0xa2)}, {"Main", std::nullopt, Id(0xa3)}};
  auto cache = s.Compile("Foo", o);
  std::string bindir = s.dir().Join("fakejulia/bin");
  test_support::MakeDirsOrDie(bindir);
  std::string julia = bindir + "/julia";
  test_support::WriteFileOrDie(julia, test_support::ReadFileOrDie(std::string(JLCACHE_SOURCE_DIR) +
                                                        "/tests/support/fake_julia"));
  ASSERT_EQ(::chmod(julia.c_str(), 0755), 0);
  std::string log = s.dir().Join("julia-runs.log");
  std::vector<std::string> env = {"JULIA_DEPOT_PATH=" + s.depot(), "HOME=" + s.dir().Join("home"),
                                  "PATH=" + bindir + ":/usr/bin:/bin", "FAKE_JULIA_LOG=" + log};
  std::vector<std::string> argv = {JLCACHE_CLI_PATH, "status", "Foo", "--json",
                                   "--project=" + s.project_dir()};

  // 1. This julia reports no clone targets: undecided, even after a re-probe.
  auto r = RunProcess(argv, env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("clone_targets_unverifiable"), std::string::npos) << r.out;
  int runs = 0;
  for (char c : test_support::ReadFileOrDie(log)) runs += c == '\n';
  EXPECT_EQ(runs, 2);  // the first probe, and one re-probe

  // 2. Now julia accepts the blob: the cached probe lacks it, so jlcache
  //    re-probes once and the answer is exact.
  std::string hex;
  for (unsigned char c : cache.header.clone_targets) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", c);
    hex += b;
  }
  env.push_back("FAKE_JULIA_CLONES=" + hex + ":1");
  r = RunProcess(argv, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"verdict\": \"fresh\""), std::string::npos) << r.out;
  runs = 0;
  for (char c : test_support::ReadFileOrDie(log)) runs += c == '\n';
  EXPECT_EQ(runs, 3);

  // 3. The accepted digest is cached now: no julia run at all.
  r = RunProcess(argv, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  runs = 0;
  for (char c : test_support::ReadFileOrDie(log)) runs += c == '\n';
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace jlcache
