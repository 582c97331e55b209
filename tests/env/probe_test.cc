// The probe protocol against tests/support/fake_julia (no Julia in CI).
#include "env/probe.h"

#include <xxhash.h>

#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/pidfile_lock.h"
#include "env/host_cpu.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::TempDir;

const std::string kFakeJulia = std::string(JLCACHE_SOURCE_DIR) + "/tests/support/fake_julia";

class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    julia = tmp.Join("julia-1.11.7/bin/julia");
    test_support::WriteFileOrDie(julia, test_support::ReadFileOrDie(kFakeJulia));
    ASSERT_EQ(::chmod(julia.c_str(), 0755), 0);
    test_support::MakeDirsOrDie(tmp.Join("julia-1.11.7/share/julia/stdlib/v1.11"));
    test_support::MakeDirsOrDie(tmp.Join("home"));
    depot = tmp.Join("depot");
    options.julia = julia;
    options.env = {{"HOME", tmp.Join("home")},
                   {"PATH", "/usr/bin:/bin"},
                   {"JULIA_DEPOT_PATH", depot},
                   {"FAKE_JULIA_LOG", tmp.Join("runs.log")}};
    options.cwd = tmp.path();
  }
  int Runs() {
    auto text = ReadFile(tmp.Join("runs.log"));
    if (!text.ok()) return 0;
    return static_cast<int>(std::count(text->begin(), text->end(), '\n'));
  }
  TempDir tmp;
  std::string julia, depot;
  ProbeOptions options;
};

TEST(ProbeScriptTest, EmbeddedScriptIsTheJuliaFile) {
  std::string file = test_support::ReadFileOrDie(std::string(JLCACHE_SOURCE_DIR) + "/lib/env/probe_script.jl");
  EXPECT_EQ(std::string(ProbeScript()), file)
      << "the build must embed lib/env/probe_script.jl verbatim (lib/env/probe_script.cc.in)";
}

TEST_F(ProbeTest, RunsJuliaOnceThenUsesTheCache) {
  options.env["FAKE_JULIA_CLONES"] = "0a0b0c:1 ffee:0";
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->from_cache);
  EXPECT_TRUE(r->cache_written);
  ASSERT_TRUE(r->cache_path.has_value());
  EXPECT_EQ(r->cache_path->rfind(depot + "/jlcache/probe-", 0), 0u) << *r->cache_path;
  EXPECT_TRUE(IsFile(*r->cache_path));
  const RuntimeProfile& p = r->profile;
  EXPECT_TRUE(p.validated());
  EXPECT_EQ(p.julia_version_text, "1.11.7");
  EXPECT_EQ(p.git_branch, "release-1.11");
  EXPECT_EQ(p.julia_bin, julia);
  EXPECT_EQ(p.image_file, tmp.Join("julia-1.11.7/lib/julia/sys.so"));
  EXPECT_EQ(p.stdlib_dir, tmp.Join("julia-1.11.7/share/julia/stdlib/v1.11"));
  EXPECT_EQ(p.cache_flags, 0xa3);
  EXPECT_EQ(p.pkgimages, PkgImagesMode::kYes);
  EXPECT_EQ(p.preferences_name_form, PreferencesNameForm::kHash);
  ASSERT_EQ(p.sysimage_modules.size(), 4u);
  EXPECT_EQ(p.sysimage_modules[3].name, "Dates");
  const unsigned char blob[] = {0x0a, 0x0b, 0x0c};
  EXPECT_TRUE(p.AcceptsCloneTargets(XXH64(blob, 3, 0)));
  const unsigned char rejected[] = {0xff, 0xee};
  EXPECT_FALSE(p.AcceptsCloneTargets(XXH64(rejected, 2, 0)));
  EXPECT_TRUE(p.KnowsCloneTargets(XXH64(rejected, 2, 0)));
  // Only installation facts are cached.
  EXPECT_FALSE(p.depot_path.has_value());
  EXPECT_EQ(Runs(), 1);

  auto again = ProbeJulia(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(Runs(), 1);
  EXPECT_EQ(again->profile.ToToml(true), p.ToToml(true));

  // A changed binary (new mtime) is a new key: probed again.
  test_support::SetMtimeOrDie(julia, 1700000000, 0);
  auto third = ProbeJulia(options);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->from_cache);
  EXPECT_EQ(Runs(), 2);
  // --force ignores the cache.
  options.force = true;
  ASSERT_TRUE(ProbeJulia(options).ok());
  EXPECT_EQ(Runs(), 3);
}

// Ranks of a job starting at once on a depot without a probe cache: one
// julia run; the others wait for its cache instead of each running julia.
TEST_F(ProbeTest, ConcurrentFirstProbesRunJuliaOnce) {
  options.env["FAKE_JULIA_SLEEP"] = "1";
  constexpr int kProcesses = 8;
  std::vector<absl::StatusOr<ProbeResult>> results(kProcesses, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i)
    threads.emplace_back([this, &results, i] { results[i] = ProbeJulia(options); });
  for (auto& t : threads) t.join();
  int probed = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    if (!r->from_cache) ++probed;
    EXPECT_EQ(r->profile.ToToml(true), results[0]->profile.ToToml(true));
  }
  EXPECT_EQ(Runs(), 1);
  EXPECT_EQ(probed, 1);
  ASSERT_TRUE(results[0]->cache_path.has_value());
  EXPECT_FALSE(PathExists(*results[0]->cache_path + ".pidfile")) << "the prober's lock is released";
}

// A prober that died holding its lock (pid 0 is never alive; older than
// the stale age) does not block the next one.
TEST_F(ProbeTest, ADeadProbersLockIsTakenOver) {
  auto cache = ProbeCachePath(julia, options.env);
  ASSERT_TRUE(cache.has_value());
  test_support::MakeDirsOrDie(DirName(*cache));
  test_support::WriteFileOrDie(*cache + ".pidfile", "0 " + LocalHostName());
  test_support::SetMtimeOrDie(*cache + ".pidfile", 1700000000, 0);
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->from_cache);
  EXPECT_TRUE(r->cache_written);
  EXPECT_EQ(Runs(), 1);
  EXPECT_FALSE(PathExists(*cache + ".pidfile"));
}

// --no-write leaves nothing behind, the lock included.
TEST_F(ProbeTest, NoWriteTakesNoLock) {
  options.no_write = true;
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(PathExists(depot)) << "neither the cache nor its lock";
  EXPECT_EQ(Runs(), 1);
}

// The probe reports JULIA_CPU_TARGET as the cpu_target (compilecache_path
// hashes it), so a profile cached under one value is not reused under another.
TEST_F(ProbeTest, CpuTargetVariableIsPartOfTheCacheKey) {
  auto plain = ProbeCachePath(julia, options.env);
  ASSERT_TRUE(plain.has_value());
  options.env["JULIA_CPU_TARGET"] = "generic";
  auto generic = ProbeCachePath(julia, options.env);
  ASSERT_TRUE(generic.has_value());
  EXPECT_NE(*plain, *generic);
  options.env["JULIA_CPU_TARGET"] = "haswell";
  EXPECT_NE(*ProbeCachePath(julia, options.env), *generic);
}

// Which clone targets a julia accepts depends on the CPU it runs on; nodes
// of a cluster sharing a depot must not share a probe.
TEST_F(ProbeTest, HostCpuIsPartOfTheCacheKey) {
  auto a = ProbeCachePath(julia, options.env, "model name=Xeon A\nflags=sse avx\n");
  auto b = ProbeCachePath(julia, options.env, "model name=Xeon A\nflags=sse avx avx512f\n");
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(*a, *ProbeCachePath(julia, options.env, "model name=Xeon A\nflags=sse avx\n"));
  EXPECT_EQ(*ProbeCachePath(julia, options.env), *ProbeCachePath(julia, options.env, HostCpuIdentity()));
  EXPECT_FALSE(HostCpuIdentity().empty());
}

TEST(HostCpuTest, IdentityIsTheFirstProcessorsModelAndFeatures) {
  const char* x86 =
      "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\n"
      "model name\t: Intel(R) Xeon(R)\nstepping\t: 7\ncpu MHz\t\t: 2793.438\n"
      "flags\t\t: fpu sse avx2\nbogomips\t: 5586.87\n\n"
      "processor\t: 1\nvendor_id\t: GenuineIntel\ncpu MHz\t\t: 1200.000\nflags\t\t: other\n\n";
  EXPECT_EQ(CpuIdentityFromCpuinfo(x86),
            "vendor_id=GenuineIntel\ncpu family=6\nmodel=85\nmodel name=Intel(R) Xeon(R)\n"
            "stepping=7\nflags=fpu sse avx2\n");
  // Clock speed and per-core lines do not change the identity.
  std::string slower(x86);
  slower.replace(slower.find("2793.438"), 8, "1000.000");
  EXPECT_EQ(CpuIdentityFromCpuinfo(slower), CpuIdentityFromCpuinfo(x86));
  const char* arm =
      "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd sve\nCPU implementer\t: 0x41\n"
      "CPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd40\nCPU revision\t: 1\n\n";
  EXPECT_EQ(CpuIdentityFromCpuinfo(arm),
            "Features=fp asimd sve\nCPU implementer=0x41\nCPU architecture=8\nCPU variant=0x1\n"
            "CPU part=0xd40\nCPU revision=1\n");
  EXPECT_EQ(CpuIdentityFromCpuinfo(""), "");
  EXPECT_EQ(CpuIdentityFromCpuinfo("\n\ngarbage without colons\n"), "");
}

TEST_F(ProbeTest, FactsAddedToTheCacheAreReadByTheNextProbe) {
  options.env["FAKE_JULIA_CLONES"] = "0a0b0c:1 ffee:0";
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->cache_written);
  const uint64_t ffee = CloneTargetsDigest(std::string("\xff\xee", 2));
  const uint64_t fresh_blob = 0x1234567890abcdefull;
  PreferenceHashRecord pref{Uuid::Parse("2d9c8f1e-4b7a-4c3e-9f1d-0a1b2c3d4e5f").value(), {"Mode"}, 7, 0x5eed};
  ASSERT_TRUE(AddFactsToProbeCache(*r->cache_path, {pref}, {fresh_blob, ffee}).ok());
  // Twice is the same as once.
  ASSERT_TRUE(AddFactsToProbeCache(*r->cache_path, {pref}, {fresh_blob}).ok());
  auto again = ProbeJulia(options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(Runs(), 1);
  const auto& acc = again->profile.accepted_clone_targets;
  EXPECT_EQ(std::count(acc.begin(), acc.end(), fresh_blob), 1);
  EXPECT_EQ(std::count(acc.begin(), acc.end(), ffee), 1);
  const auto& rej = again->profile.rejected_clone_targets;
  EXPECT_EQ(std::count(rej.begin(), rej.end(), ffee), 0) << "accepted now: no longer rejected";
  ASSERT_EQ(again->profile.preference_hashes.size(), 1u);
  EXPECT_EQ(again->profile.preference_hashes[0].hash, 0x5eedu);
  EXPECT_EQ(again->profile.preference_hashes[0].sources_digest, 7u);
  // No cache, nothing to extend.
  EXPECT_FALSE(AddFactsToProbeCache(tmp.Join("none.toml"), {pref}, {fresh_blob}).ok());
  EXPECT_FALSE(PathExists(tmp.Join("none.toml")));
}

TEST_F(ProbeTest, NoWriteLeavesTheDepotAlone) {
  options.no_write = true;
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->cache_written);
  EXPECT_FALSE(PathExists(depot));
  ASSERT_TRUE(ProbeJulia(options).ok());
  EXPECT_EQ(Runs(), 2);
}

TEST_F(ProbeTest, FoundByNameOnPath) {
  options.julia = "julia";
  options.env["PATH"] = tmp.Join("julia-1.11.7/bin") + ":/usr/bin:/bin";
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->profile.julia_bin, julia);
  options.env["PATH"] = "/usr/bin:/bin";
  EXPECT_EQ(KindOf(ProbeJulia(options).status()), ErrorKind::kRuntime);
}

TEST_F(ProbeTest, PreferenceHashesCarryTheSourcesDigest) {
  using test_support::ProjectSpec;
  const Uuid foo = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
  ProjectSpec ps;
  ps.deps = {{"Foo", foo}};
  ps.extra_toml = "[preferences.Foo]\nmode = \"fast\"\n";
  test_support::WriteFileOrDie(tmp.Join("proj/Project.toml"), test_support::RenderProject(ps));
  options.project = tmp.Join("proj");
  options.env["FAKE_JULIA_PREFHASH"] = foo.ToString() + ":0x8000000000000123:mode,other";
  auto r = ProbeJulia(options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->profile.preference_hashes.size(), 1u);
  const auto& rec = r->profile.preference_hashes[0];
  EXPECT_EQ(rec.names, (std::vector<std::string>{"mode", "other"}));
  EXPECT_EQ(rec.hash, 0x8000000000000123ULL);
  // The engine's environment (same variables, same project) accepts it...
  EnvironmentOptions eo;
  eo.env = options.env;
  eo.project = options.project;
  eo.cwd = tmp.path();
  auto env = Environment::Create(r->profile, eo);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ((*env)->RecordedPreferencesHash(foo, {"mode", "other"}), 0x8000000000000123ULL);
  // ...until a preference source changes.
  test_support::WriteFileOrDie(tmp.Join("proj/LocalPreferences.toml"), "[Foo]\nmode = \"slow\"\n");
  EXPECT_EQ((*env)->RecordedPreferencesHash(foo, {"mode", "other"}), std::nullopt);
}

TEST_F(ProbeTest, FailuresAndTimeouts) {
  options.env["FAKE_JULIA_FAIL"] = "1";
  std::vector<std::string> stderr_lines;
  options.on_stderr_line = [&](std::string_view l) { stderr_lines.emplace_back(l); };
  auto r = ProbeJulia(options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(KindOf(r.status()), ErrorKind::kChildFailed);
  EXPECT_NE(Message(r.status()).find("simulated failure"), std::string_view::npos) << r.status();
  EXPECT_FALSE(stderr_lines.empty());
  options.env.erase("FAKE_JULIA_FAIL");
  options.env["FAKE_JULIA_SLEEP"] = "30";
  options.timeout_seconds = 0.5;
  auto t = ProbeJulia(options);
  EXPECT_EQ(KindOf(t.status()), ErrorKind::kTimeout) << t.status();
  // Nothing cached from a failed probe, and its lock is gone.
  EXPECT_TRUE(!PathExists(depot + "/jlcache") || std::filesystem::is_empty(depot + "/jlcache"));
}

TEST(ProbeOutputTest, IncompleteOrMalformedOutput) {
  EnvironmentOptions eo;
  EXPECT_EQ(KindOf(ParseProbeOutput("", eo).status()), ErrorKind::kChildFailed);
  EXPECT_EQ(KindOf(ParseProbeOutput("JLCACHE protocol 1\n", eo).status()), ErrorKind::kChildFailed);
  EXPECT_EQ(KindOf(ParseProbeOutput("JLCACHE protocol 1\nJLCACHE version zz\nJLCACHE done\n", eo).status()),
            ErrorKind::kRuntime);
  EXPECT_EQ(KindOf(ParseProbeOutput("JLCACHE protocol 2\nJLCACHE done\n", eo).status()), ErrorKind::kRuntime);
  // Complete but missing keys: the profile does not validate.
  EXPECT_EQ(KindOf(ParseProbeOutput("JLCACHE protocol 1\nJLCACHE done\n", eo).status()), ErrorKind::kRuntime);
}

}  // namespace
}  // namespace jlcache
