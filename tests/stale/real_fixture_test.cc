// Ground truth: caches written by a real Julia 1.10.4, placed at the absolute
// path they record (/srv/jlcache-fixture), with the recorded mtimes restored.
// Real Julia said isprecompiled(...; ignore_loaded=true) is true for all three;
// we must agree, and after touching Cee's impl.jl all three must be stale.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/file_io.h"
#include "core/toml.h"
#include "gtest/gtest.h"
#include "stale/session.h"
#include "support/json_value.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRoot = "/srv/jlcache-fixture";

std::string FixtureSource() { return std::string(JLCACHE_SOURCE_DIR) + "/tests/fixtures/julia-1.10.4"; }

// The runtime profile of that Julia, from the facts it printed.
std::string ProfileFromFacts(bool pkgimages) {
  toml::table facts = toml::parse_file(FixtureSource() + "/runtime-facts.toml");
  std::string t;
  for (const char* k : {"julia_version", "git_branch", "git_commit", "os", "arch", "cpu_target"})
    t += std::string(k) + " = \"" + facts[k].value_or(std::string()) + "\"\n";
  t += "pointer_size = " + std::to_string(facts["pointer_size"].value_or(int64_t{0})) + "\n";
  t += "julia_bin = \"/opt/julia-1.10.4/bin/julia\"\n";
  t += "image_file = \"/opt/julia-1.10.4/lib/julia/sys.so\"\n";
  t += "stdlib_dir = \"/opt/julia-1.10.4/share/julia/stdlib/v1.10\"\n";
  int64_t flags = facts["cache_flags_default"].value_or(int64_t{0});
  if (pkgimages) flags |= 1;
  t += std::string("pkgimages = \"") + (pkgimages ? "yes" : "no") + "\"\n";
  t += "cache_flags = " + std::to_string(flags) + "\n";
  for (const auto& m : *facts["sysimage_modules"].as_array()) {
    const toml::table& mt = *m.as_table();
    t += "\n[[sysimage_modules]]\nname = \"" + mt["name"].value_or(std::string()) + "\"\n";
    if (mt.contains("uuid")) t += "uuid = \"" + mt["uuid"].value_or(std::string()) + "\"\n";
    t += "build_id = \"" + mt["build_id"].value_or(std::string()) + "\"\n";
  }
  return t;
}

class RealJulia1104 : public ::testing::Test {
 protected:
  void SetUp() override {
    // Test processes may run in parallel (ctest -j); the fixture has one home.
    lock_fd_ = ::open("/srv/.jlcache-fixture.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(lock_fd_, 0) << "cannot create /srv/.jlcache-fixture.lock";
    ASSERT_EQ(::flock(lock_fd_, LOCK_EX), 0);
    std::error_code ec;
    fs::remove_all(kRoot, ec);
    fs::create_directories(fs::path(kRoot).parent_path(), ec);
    fs::copy(FixtureSource(), kRoot, fs::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << "cannot place the fixture at " << kRoot << ": " << ec.message();
    for (auto& e : fs::recursive_directory_iterator(kRoot))
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add, ec);
    // Restore the source mtimes the caches recorded.
    std::string json = test_support::ReadFileOrDie(FixtureSource() + "/decoded-headers.json");
    auto headers = test_support::ParseJson(json);
    ASSERT_TRUE(headers);
    for (const auto& [file, h] : headers->members) {
      for (const auto& inc : h["includes"].items) {
        double mtime = inc["mtime"].AsDouble();
        test_support::SetJuliaMtimeOrDie(inc["path"].str(), mtime);
        auto st = StatPath(inc["path"].str());
        ASSERT_TRUE(st.ok());
        ASSERT_EQ(st->JuliaMtime(), mtime) << inc["path"].str() << " mtime not restorable";
      }
    }
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(kRoot, ec);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  }

  std::unique_ptr<Session> Open(const std::string& depot, bool pkgimages) {
    auto profile = RuntimeProfile::FromTomlString(ProfileFromFacts(pkgimages), "runtime-facts");
    EXPECT_TRUE(profile.ok()) << profile.status();
    SessionOptions o;
    o.env = {{"JULIA_DEPOT_PATH", std::string(kRoot) + "/" + depot}, {"HOME", home_.path()}};
    o.env_given = true;
    o.project = std::string(kRoot) + "/proj";
    o.no_write = true;
    auto s = Session::Open(*profile, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  test_support::TempDir home_;
  int lock_fd_ = -1;
};

using test_support::Describe;

TEST_F(RealJulia1104, PlainCachesAreFreshAsJuliaSaid) {
  auto s = Open("depot-plain", false);
  ASSERT_NE(s, nullptr);
  for (const char* pkg : {"Ay", "Bee", "Cee"}) {
    auto v = s->IsStale(pkg);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, VerdictKind::kFresh) << pkg << ": " << Describe(*v);
    EXPECT_NE(v->cache->find(std::string("/compiled/v1.10/") + pkg + "/"), std::string::npos);
  }
}

TEST_F(RealJulia1104, TouchingCeeMakesTheWholeChainStale) {
  // Touch: a new mtime, same content. 1.10 records mtimes only.
  std::string impl = std::string(kRoot) + "/dev/Cee/src/impl.jl";
  ASSERT_EQ(::utimensat(AT_FDCWD, impl.c_str(), nullptr, 0), 0);
  auto s = Open("depot-plain", false);
  ASSERT_NE(s, nullptr);
  auto all = s->Status();
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, Verdict> by_name;
  for (const auto& v : *all) by_name[v.package.name] = v;
  ASSERT_EQ(by_name.size(), 3u);
  EXPECT_EQ(by_name["Cee"].kind, VerdictKind::kStale);
  ASSERT_EQ(by_name["Cee"].reasons.size(), 1u) << Describe(by_name["Cee"]);
  EXPECT_EQ(by_name["Cee"].reasons[0].code, ReasonCode::kFileChanged);
  EXPECT_NE(by_name["Cee"].reasons[0].detail.find("impl.jl"), std::string::npos);
  for (const char* dependent : {"Bee", "Ay"}) {
    const Verdict& v = by_name[dependent];
    EXPECT_EQ(v.kind, VerdictKind::kStale) << dependent;
    ASSERT_FALSE(v.reasons.empty());
    EXPECT_EQ(v.reasons[0].code, ReasonCode::kDepStale) << Describe(v);
    EXPECT_EQ(v.reasons[0].dependency->rfind("Cee [8c3f2e4a", 0), 0u) << Describe(v);
    ASSERT_FALSE(v.reasons[0].because.empty());
    EXPECT_EQ(v.reasons[0].because[0].code, ReasonCode::kFileChanged);
  }
}

TEST_F(RealJulia1104, PkgimageCachesWithoutTheirLibrariesAreStale) {
  // The fixture ships no .so files: Julia would reject these too.
  auto s = Open("depot-pkgimage", true);
  ASSERT_NE(s, nullptr);
  for (const char* pkg : {"Ay", "Bee", "Cee"}) {
    auto v = s->IsStale(pkg);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->kind, VerdictKind::kStale) << pkg << ": " << Describe(*v);
    bool missing = false;
    for (const auto& r : v->reasons) missing |= r.code == ReasonCode::kOcachefileMissing;
    EXPECT_TRUE(missing) << Describe(*v);
  }
}

// 1.10 has no `M == Core` rejection: with ignore_loaded a mismatched Core
// falls through to locate_package(Core), which an ordinary environment does
// not answer, so the cache is stale with "dependency Core not found" (1.11+
// says "wrong julia version"; see the EveryLayout sweep).
TEST_F(RealJulia1104, AnotherSysimageCoreIsAMissingDependency) {
  std::string text = ProfileFromFacts(false);
  // Core's build id of another sysimage.
  size_t pos = text.find("0xfdfcfbfaa9b4ea8b000002c91a2c2994");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 34, "0xfdfcfbfa11111111000002c91a2c2994");
  auto profile = RuntimeProfile::FromTomlString(text, "other-sysimage");
  ASSERT_TRUE(profile.ok()) << profile.status();
  SessionOptions o;
  o.env = {{"JULIA_DEPOT_PATH", std::string(kRoot) + "/depot-plain"}, {"HOME", home_.path()}};
  o.env_given = true;
  o.project = std::string(kRoot) + "/proj";
  o.no_write = true;
  auto s = Session::Open(*profile, o);
  ASSERT_TRUE(s.ok());
  auto v = (*s)->IsStale("Cee");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, VerdictKind::kStale);
  EXPECT_EQ(v->reasons.at(0).code, ReasonCode::kDepMissing) << Describe(*v);
  EXPECT_EQ(v->reasons.at(0).dependency, std::optional<std::string>("Core")) << Describe(*v);
}

}  // namespace
}  // namespace jlcache
