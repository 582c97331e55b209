// Staleness scenarios on real-shaped depots, across layouts: each test builds
// a world, edits it the way users do, and checks the verdict and its codes.
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/file_io.h"
#include "gtest/gtest.h"
#include "stale/opened_sources.h"
#include "stale/session.h"
#include "support/cache_writer.h"
#include "support/open_fds.h"
#include "support/scenario.h"

namespace jlcache {
namespace {

using test_support::CompileOptions;
using test_support::Scenario;

std::vector<std::string> Codes(const Verdict& v) {
  std::vector<std::string> out;
  for (const auto& r : v.reasons) out.emplace_back(ReasonCodeName(r.code));
  return out;
}

bool HasCode(const Verdict& v, std::string_view code) {
  for (const auto& r : v.reasons)
    if (ReasonCodeName(r.code) == code) return true;
  return false;
}

Verdict Check(const Scenario& s, const std::string& pkg) {
  auto session = s.OpenSession();
  EXPECT_NE(session, nullptr);
  if (!session) return Verdict{};
  auto v = session->IsStale(pkg);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : Verdict{};
}

using test_support::Describe;

// A world with one package Foo, compiled with `options`, and Foo's verdict.
Verdict CompileFooAndCheck(Scenario& s, const CompileOptions& options) {
  s.AddPackage("Foo");
  s.WriteEnvironment();
  s.Compile("Foo", options);
  return Check(s, "Foo");
}

// One Julia release per supported line, each with its own layout and rules.
struct Line {
  HeaderLayout layout;
  const char* version;
};

// Nothing but "the syntax-version check is not reproduced" left undecided,
// on a candidate or through a dependency's candidates (other candidates may
// have been rejected outright).
bool OnlySyntaxUndecided(const std::vector<StalenessReason>& reasons) {
  bool any = false;
  for (const auto& r : reasons) {
    if (!r.unknown) continue;
    if (r.code != ReasonCode::kSyntaxVersionUnverifiable &&
        !(r.code == ReasonCode::kDepStale && OnlySyntaxUndecided(r.because)))
      return false;
    any = true;
  }
  return any;
}

class EveryLayout : public ::testing::TestWithParam<Line> {
 protected:
  // The layout under test (tests compare against it), and a world of it.
  HeaderLayout Layout() const { return GetParam().layout; }
  Scenario World() const { return Scenario(GetParam().layout, true, GetParam().version); }
  const JuliaRules& Rules() const {
    rules_ = *RulesFor(*JuliaVersion::Parse(GetParam().version));
    return rules_;
  }
  // 1.14-dev's syntax-version check is never taken as passed, so a cache
  // Julia would use is "unknown" there, for that reason only.
  bool SyntaxUndecided() const { return Rules().checks_syntax_version; }
  bool Usable(const Verdict& v) const {
    if (SyntaxUndecided())
      return v.kind == VerdictKind::kUnknown && OnlySyntaxUndecided(v.reasons);
    return v.kind == VerdictKind::kFresh;
  }
  bool BlobPreferences() const {
    const auto& forms = Rules().preference_forms;
    return Layout() != HeaderLayout::kC13a &&
           std::find(forms.begin(), forms.end(), PreferencesForm::kBlob) != forms.end();
  }

 private:
  mutable JuliaRules rules_;
};

// Every supported line, and both 1.14-dev formats, so that no per-version
// branch of the engine goes unexercised.
INSTANTIATE_TEST_SUITE_P(Lines, EveryLayout,
                         ::testing::Values(Line{HeaderLayout::kA, "1.9.4"},
                                           Line{HeaderLayout::kA, "1.10.4"},
                                           Line{HeaderLayout::kB, "1.11.0"},
                                           Line{HeaderLayout::kB, "1.11.7"},
                                           Line{HeaderLayout::kB, "1.12.2"},
                                           Line{HeaderLayout::kBPrime, "1.13.0-rc1"},
                                           Line{HeaderLayout::kC13c, "1.14.0-DEV"},
                                           Line{HeaderLayout::kC15, "1.14.0-DEV"}),
                         [](const auto& info) {
                           std::string n = std::string("Julia") + info.param.version + "_" +
                                           std::string(LayoutName(info.param.layout));
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST_P(EveryLayout, FreshWorldIsFresh) {
  Scenario s = World();
  s.AddCompiledChain();
  for (const char* pkg : {"Words", "Greetings", "Hello"}) {
    Verdict v = Check(s, pkg);
    EXPECT_TRUE(Usable(v)) << pkg << " " << Describe(v);
    if (!SyntaxUndecided()) {
      EXPECT_EQ(v.cache, s.LatestCache(pkg).ji_path);
    }
  }
}

TEST_P(EveryLayout, EditedSourceMakesItAndItsDependentsStale) {
  Scenario s = World();
  s.AddCompiledChain();
  s.WriteSource("Words", "src/impl.jl", "greet() = \"changed, and longer than before\"\n");
  Verdict words = Check(s, "Words");
  EXPECT_EQ(words.kind, VerdictKind::kStale) << Describe(words);
  EXPECT_TRUE(HasCode(words, "file_changed")) << Describe(words);
  Verdict hello = Check(s, "Hello");
  EXPECT_EQ(hello.kind, VerdictKind::kStale) << Describe(hello);
  ASSERT_TRUE(HasCode(hello, "dep_stale")) << Describe(hello);
  // Hello's cache requires Words directly (transitive list): it names Words.
  bool names_words = false;
  for (const auto& r : hello.reasons)
    if (r.code == ReasonCode::kDepStale && r.dependency && r.dependency->find("Words") == 0)
      names_words = true;
  EXPECT_TRUE(names_words) << Describe(hello);
}

TEST_P(EveryLayout, SameSizeEditIsCaught) {
  Scenario s = World();
  s.AddCompiledChain();
  std::string path = s.SourcePath("Words", "src/impl.jl");
  std::string text = test_support::ReadFileOrDie(path);
  text[text.size() - 3] ^= 0x01;  // same size, different content
  auto st = StatPath(path);
  test_support::WriteFileOrDie(path, text);
  // Keep the mtime, so only the content rule can see it (1.11+).
  test_support::SetMtimeOrDie(path, st->mtime_sec, st->mtime_nsec);
  Verdict v = Check(s, "Words");
  if (Layout() == HeaderLayout::kA) {
    // 1.10 records mtimes only: Julia cannot see this edit either.
    EXPECT_EQ(v.kind, VerdictKind::kFresh) << Describe(v);
  } else {
    EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
    EXPECT_TRUE(HasCode(v, "file_changed"));
  }
}

TEST_P(EveryLayout, TouchedButUnchanged) {
  Scenario s = World();
  s.AddCompiledChain();
  std::string path = s.SourcePath("Words", "src/impl.jl");
  test_support::SetMtimeOrDie(path, 2000000000, 123456789);
  Verdict v = Check(s, "Words");
  if (Layout() == HeaderLayout::kA) {
    EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
    EXPECT_TRUE(HasCode(v, "file_changed"));
  } else {
    EXPECT_TRUE(Usable(v)) << Describe(v);
  }
}

TEST_P(EveryLayout, SeedFalseNegativeIsCaught) {
  // A depends on B; A's cache was built against B's build X. B is upgraded
  // (new tree hash, new cache with build Y) and removed from the project's
  // [deps], staying in the manifest as A's dependency.
  Scenario s = World();
  s.AddPackage("B");
  s.AddPackage("A", {"B"});
  s.WriteEnvironment();
  auto b1 = s.Compile("B");
  s.Compile("A");
  ASSERT_TRUE(Usable(Check(s, "A")));
  s.Upgrade("B");
  s.WriteEnvironment({"A"});
  auto b2 = s.Compile("B");
  ASSERT_NE(b1.build_id, b2.build_id);
  Verdict a = Check(s, "A");
  EXPECT_EQ(a.kind, VerdictKind::kStale) << Describe(a);
  bool found = false;
  for (const auto& r : a.reasons) {
    if (r.code != ReasonCode::kDepStale) continue;
    found = true;
    EXPECT_NE(r.dependency->find("B ["), std::string::npos);
    EXPECT_NE(r.detail.find(b1.build_id.ToString()), std::string::npos) << r.detail;
  }
  EXPECT_TRUE(found) << Describe(a);
  EXPECT_TRUE(Usable(Check(s, "B")));
}

TEST_P(EveryLayout, RemovedDependencyIsDepMissing) {
  Scenario s = World();
  s.AddPackage("B");
  s.AddPackage("A", {"B"});
  s.WriteEnvironment();
  s.Compile("B");
  s.Compile("A");
  // B disappears from the project and the manifest.
  std::string manifest = test_support::ReadFileOrDie(s.project_dir() + "/Manifest.toml");
  auto start = manifest.find("[[deps.B]]");
  ASSERT_NE(start, std::string::npos);
  manifest.erase(start, manifest.find("[[deps.", start + 5) == std::string::npos
                            ? std::string::npos
                            : manifest.find("[[deps.", start + 5) - start);
  manifest.erase(manifest.find("deps = [\"B\"]\n"), 13);
  test_support::WriteFileOrDie(s.project_dir() + "/Manifest.toml", manifest);
  test_support::WriteFileOrDie(s.project_dir() + "/Project.toml",
                          "[deps]\nA = \"" + s.UuidOf("A").ToString() + "\"\n");
  Verdict a = Check(s, "A");
  EXPECT_EQ(a.kind, VerdictKind::kStale) << Describe(a);
  EXPECT_TRUE(HasCode(a, "dep_missing")) << Describe(a);
}

TEST_P(EveryLayout, FlagsMismatch) {
  Scenario s = World();
  CompileOptions o;
  o.flags = 0x83;  // --inline=no
  Verdict v = CompileFooAndCheck(s, o);
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"flags_mismatch"}) << Describe(v);
}

TEST_P(EveryLayout, MissingNativeLibrary) {
  Scenario s = World();
  CompileOptions o;
  o.write_so = false;
  Verdict v = CompileFooAndCheck(s, o);
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"ocachefile_missing"}) << Describe(v);
}

TEST_P(EveryLayout, CorruptCrcs) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  auto c = s.Compile("Foo");
  // The native library changed after the cache was written.
  test_support::WriteFileOrDie(c.so_path, "\x7f" "ELF other bytes");
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(Codes(v), std::vector<std::string>{"ocache_checksum_invalid"}) << Describe(v);
  // A flipped byte in the source-text section of the .ji: parses, fails CRC.
  s.Compile("Foo");
  std::string path = s.LatestCache("Foo").ji_path;
  std::string bytes = test_support::ReadFileOrDie(path);
  size_t pos = bytes.find("hello from Foo");
  ASSERT_NE(pos, std::string::npos);
  bytes[pos] = 'J';
  test_support::WriteFileOrDie(path, bytes);
  v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_TRUE(HasCode(v, "checksum_invalid")) << Describe(v);
}

TEST_P(EveryLayout, TruncatedCandidateIsCorruptNotAnError) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  auto c = s.Compile("Foo");
  std::string bytes = test_support::ReadFileOrDie(c.ji_path);
  test_support::WriteFileOrDie(c.ji_path, bytes.substr(0, bytes.size() / 2));
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"corrupt_cache"}) << Describe(v);
}

TEST_P(EveryLayout, DifferentJuliaCommit) {
  Scenario s = World();
  CompileOptions o;
  o.git_commit = "0123456789abcdef0123456789abcdef01234567";
  Verdict v = CompileFooAndCheck(s, o);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"incompatible_header"}) << Describe(v);
}

TEST_P(EveryLayout, OnlyAnOlderCandidateIsFresh) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  CompileOptions older;
  older.cache_mtime = 1700000000.0;
  auto good = s.Compile("Foo", older);
  CompileOptions newer;
  newer.cache_mtime = 1800000000.0;
  newer.git_commit = "fedcba9876543210fedcba9876543210fedcba98";
  s.Compile("Foo", newer);
  Verdict v = Check(s, "Foo");
  if (SyntaxUndecided()) {
    // The good cache is tried first and left undecided; the other is rejected.
    EXPECT_EQ(v.kind, VerdictKind::kUnknown) << Describe(v);
    EXPECT_EQ(Codes(v), (std::vector<std::string>{"syntax_version_unverifiable",
                                                  "incompatible_header"}));
    return;
  }
  EXPECT_EQ(v.kind, VerdictKind::kFresh) << Describe(v);
  EXPECT_EQ(v.cache, good.ji_path);
  if (Layout() == HeaderLayout::kA) {
    // 1.10: newest first, so the other Julia's cache is tried and rejected.
    EXPECT_EQ(Codes(v), std::vector<std::string>{"incompatible_header"});
  } else {
    // 1.11+: only valid headers count as pkgimages, and pkgimages sort first,
    // so the good cache is tried first and the other never needs a look.
    EXPECT_TRUE(v.reasons.empty()) << Describe(v);
  }
}

// Another system image's Core: 1.11+ rejects the cache as made by another
// Julia; 1.9 and 1.10 (ignore_loaded) try to locate Core instead, and find
// nothing.
TEST_P(EveryLayout, AnotherSysimagesCore) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  s.Compile("Foo");
  RuntimeProfile profile = s.Profile();
  bool changed = false;
  for (SysimageModule& m : profile.sysimage_modules)
    if (m.name == "Core" && !m.uuid) {
      m.build_id.lo ^= 1;
      changed = true;
    }
  ASSERT_TRUE(changed);
  auto session = s.OpenSession(profile);
  ASSERT_NE(session, nullptr);
  auto v = session->IsStale("Foo");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kStale) << Describe(*v);
  if (Rules().core_mismatch_is_immediately_stale) {
    EXPECT_EQ(Codes(*v), std::vector<std::string>{"wrong_julia"}) << Describe(*v);
  } else {
    EXPECT_EQ(Codes(*v), std::vector<std::string>{"dep_missing"}) << Describe(*v);
    EXPECT_EQ(v->reasons.at(0).dependency, std::optional<std::string>("Core"));
  }
}

TEST_P(EveryLayout, NoCacheAtAll) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"no_cache"});
}

TEST_P(EveryLayout, Preferences) {
  Scenario s = World();
  s.AddPackage("Foo");
  s.WriteEnvironment();
  bool blob = BlobPreferences();
  CompileOptions o;
  if (blob) {
    o.preferences_blob = "[" + s.UuidOf("Foo").ToString() + "]\nlevel = 3\n";
  } else {
    o.preference_names = {"level"};
    o.preferences_hash = 0x1234abcd;
  }
  s.Compile("Foo", o);
  s.WritePreferences("[Foo]\nlevel = 3\n");
  Verdict v = Check(s, "Foo");
  if (blob) {
    EXPECT_TRUE(Usable(v)) << Describe(v);  // unchanged, decided exactly
  } else {
    // Set, with a non-zero stored hash: only Julia's Base.hash can tell.
    EXPECT_EQ(v.kind, VerdictKind::kUnknown) << Describe(v);
    EXPECT_EQ(Codes(v), std::vector<std::string>{"preferences_unverifiable"});
    // With the bindings' callback the answer is exact, both ways.
    auto session = s.OpenSession();
    session->SetPreferencesHashOracle(
        [](const Uuid&, const std::vector<std::string>&) { return std::optional<uint64_t>(0x1234abcd); });
    EXPECT_EQ(session->IsStale("Foo")->kind, VerdictKind::kFresh);
    session->SetPreferencesHashOracle(
        [](const Uuid&, const std::vector<std::string>&) { return std::optional<uint64_t>(7); });
    session->ClearMemo();
    EXPECT_EQ(session->IsStale("Foo")->kind, VerdictKind::kStale);
  }
  // Changed: the key is removed.
  s.WritePreferences("[Foo]\nother = 1\n");
  v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"preferences_changed"});
}

TEST(ScenarioB, RelocatedDepotStaysFresh) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::string moved = s.dir().Join("moved-depot");
  std::filesystem::rename(s.depot(), moved);
  auto session_opts = s.Profile();
  SessionOptions o;
  o.env = {{"JULIA_DEPOT_PATH", moved}, {"HOME", s.dir().Join("home")}};
  o.env_given = true;
  o.project = s.project_dir();
  auto session = Session::Open(s.Profile(), o);
  ASSERT_TRUE(session.ok()) << session.status();
  auto v = (*session)->IsStale("Hello");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->kind, VerdictKind::kFresh) << Describe(*v);
  EXPECT_EQ(v->cache->rfind(moved, 0), 0u);
}

// Foo lives in a second, shared depot, so its @depot paths are first looked
// for in the user's depot. Its .ji is longer than the engine's first header
// read; the engine reads the rest (the source-text list) only when the
// includes do not all resolve to one depot, as when a file is gone.
class SplitDepots : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = s_.AddDepot();
    s_.AddPackage("Foo", {}, shared_);
    s_.WriteEnvironment();
    s_.WriteSource("Foo", "src/impl.jl", "# " + std::string(20000, 'x') + "\n");
    s_.WriteSource("Foo", "data/table.txt", "1 2 3\n");
    CompileOptions o;
    o.include_dependencies = {"data/table.txt"};
    const std::string ji = s_.Compile("Foo", o).ji_path;
    auto st = StatPath(ji);
    ASSERT_TRUE(st.ok());
    ASSERT_GT(st->size, 8u * 1024 + 8) << "the header-only read would read the whole file";
  }
  Scenario s_{HeaderLayout::kB};
  std::string shared_;
};

TEST_F(SplitDepots, FreshWhenEverythingIsInTheSharedDepot) {
  Verdict v = Check(s_, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kFresh) << Describe(v);
}

TEST_F(SplitDepots, AMissingSourceFollowsTheOtherSourcesDepot) {
  // An include()d file that resolves nowhere is restored with the depot of
  // the other sources, and then found missing (parse_cache_header).
  std::filesystem::remove(s_.SourcePath("Foo", "src/impl.jl"));
  Verdict v = Check(s_, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"file_missing"}) << Describe(v);
}

TEST_F(SplitDepots, AMissingIncludeDependencyStaysUnresolved) {
  // include_dependency files resolve one by one (julia#52161): it keeps its
  // @depot tag. Only the source-text list tells the two cases apart.
  std::filesystem::remove(s_.SourcePath("Foo", "data/table.txt"));
  Verdict v = Check(s_, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"unresolved_depot"}) << Describe(v);
}

TEST(ScenarioB, IncludeDependencyTrackedByMtimeAndByContent) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Foo");
  s.WriteEnvironment();
  s.WriteSource("Foo", "data/table.txt", "1 2 3\n");
  s.WriteSource("Foo", "data/dir/a.txt", "a");
  CompileOptions o;
  o.include_dependencies = {"data/table.txt", "data/dir"};
  s.Compile("Foo", o);
  EXPECT_EQ(Check(s, "Foo").kind, VerdictKind::kFresh);
  // Touch: content-tracked, still fresh.
  test_support::SetMtimeOrDie(s.SourcePath("Foo", "data/table.txt"), 2000000000, 0);
  EXPECT_EQ(Check(s, "Foo").kind, VerdictKind::kFresh);
  // A new file in the directory changes the directory's hash.
  s.WriteSource("Foo", "data/dir/b.txt", "b");
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);

  Scenario m(HeaderLayout::kB);
  m.AddPackage("Foo");
  m.WriteEnvironment();
  m.WriteSource("Foo", "data/table.txt", "1 2 3\n");
  CompileOptions mo;
  mo.include_dependencies = {"data/table.txt"};
  mo.track_content = false;
  m.Compile("Foo", mo);
  EXPECT_EQ(Check(m, "Foo").kind, VerdictKind::kFresh);
  test_support::SetMtimeOrDie(m.SourcePath("Foo", "data/table.txt"), 2000000000, 0);
  v = Check(m, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  EXPECT_TRUE(HasCode(v, "file_changed"));
}

// Each tolerance of the mtime rule, on 1.10's mtime-only records.
TEST(ScenarioA, MtimeTolerances) {
  struct Case {
    const char* name;
    int64_t sec;
    int64_t nsec;
    bool fresh;
  };
  Scenario s(HeaderLayout::kA);
  s.AddPackage("Foo");
  s.WriteEnvironment();
  std::string path = s.SourcePath("Foo", "src/impl.jl");
  // Recorded: 1700000000.123456789 (as Julia's double).
  test_support::SetMtimeOrDie(path, 1700000000, 123456789);
  s.Compile("Foo");
  double r = 1700000000.0 + 123456789 * 1e-9;
  double tr = std::trunc(r * 1e6) / 1e6;
  int64_t tr_ns = static_cast<int64_t>(std::llround((tr - 1700000000.0) * 1e9));
  for (const Case& c : {Case{"exact", 1700000000, 123456789, true},
                        Case{"floor (Docker)", 1700000000, 0, true},
                        Case{"ceil (CI caches)", 1700000001, 0, true},
                        Case{"microseconds (GlusterFS)", 1700000000, tr_ns, true},
                        Case{"Nix epoch", 1, 0, true},
                        Case{"later", 1700000002, 0, false},
                        Case{"slightly later", 1700000000, 123556789, false}}) {
    test_support::SetMtimeOrDie(path, c.sec, c.nsec);
    Verdict v = Check(s, "Foo");
    EXPECT_EQ(v.kind, c.fresh ? VerdictKind::kFresh : VerdictKind::kStale)
        << c.name << ": " << Describe(v);
  }
}

// Par with the extension ParTrigExt (triggered by Trig): both packages
// compiled, the extension not.
void AddParWithUncompiledExtension(Scenario& s) {
  s.AddPackage("Trig");
  s.AddPackage("Par");
  s.AddExtension("Par", "ParTrigExt", "Trig");
  s.WriteEnvironment();
  s.Compile("Trig");
  s.Compile("Par");
}

TEST(ScenarioB, ExtensionUuidComesFromItsCacheHeader) {
  Scenario s(HeaderLayout::kB);
  AddParWithUncompiledExtension(s);
  auto session = s.OpenSession();
  auto before = session->IsStale("ParTrigExt");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->kind, VerdictKind::kStale) << Describe(*before);  // no cache at all
  s.Compile("ParTrigExt");
  auto after = s.OpenSession()->IsStale("ParTrigExt");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->kind, VerdictKind::kFresh) << Describe(*after);
  EXPECT_EQ(after->package.uuid, s.UuidOf("ParTrigExt"));
}

// An extension whose UUID no cache header names: Julia computes it, we
// cannot. No cache file under its name is stale; a file we cannot read as a
// header is unknown (never fresh); a directory we cannot list is unknown too.
TEST(ScenarioB, ExtensionWithoutAKnownUuid) {
  Scenario s(HeaderLayout::kB);
  AddParWithUncompiledExtension(s);
  auto none = s.OpenSession()->IsStale("ParTrigExt");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->kind, VerdictKind::kStale) << Describe(*none);
  EXPECT_EQ(Codes(*none), std::vector<std::string>{"no_cache"}) << Describe(*none);

  std::string dir = s.depot() + "/compiled/v" + s.MajorMinor() + "/ParTrigExt";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  test_support::WriteFileOrDie(dir + "/abcde_12345.ji", "not a cache header");
  auto garbage = s.OpenSession()->IsStale("ParTrigExt");
  ASSERT_TRUE(garbage.ok()) << garbage.status();
  EXPECT_EQ(garbage->kind, VerdictKind::kUnknown) << Describe(*garbage);
  EXPECT_TRUE(HasCode(*garbage, "unknown_extension_uuid")) << Describe(*garbage);

  ASSERT_EQ(::unlink((dir + "/abcde_12345.ji").c_str()), 0);
  ASSERT_EQ(::rmdir(dir.c_str()), 0);
  ASSERT_EQ(::symlink(dir.c_str(), dir.c_str()), 0);  // a loop: ELOOP on listing
  auto loop = s.OpenSession()->IsStale("ParTrigExt");
  ASSERT_TRUE(loop.ok()) << loop.status();
  EXPECT_EQ(loop->kind, VerdictKind::kUnknown) << Describe(*loop);
  EXPECT_EQ(Codes(*loop), std::vector<std::string>{"io_error"}) << Describe(*loop);
}

TEST(ScenarioB, StdlibDependencyFromTheBundledDepot) {
  Scenario s(HeaderLayout::kB);
  s.AddStdlib("Lib");
  s.AddPackage("UsesLib", {"Lib"});
  s.WriteEnvironment();
  s.Compile("Lib");
  s.Compile("UsesLib");
  Verdict v = Check(s, "UsesLib");
  EXPECT_EQ(v.kind, VerdictKind::kFresh) << Describe(v);
  s.WriteSource("Lib", "src/impl.jl", "stdlib_fn() = 43 # patched\n");
  v = Check(s, "UsesLib");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  EXPECT_TRUE(HasCode(v, "dep_stale"));
}

TEST(ScenarioB, WholeEnvironmentStatusIsParallelAndConsistent) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  s.WriteSource("Greetings", "src/impl.jl", "greet() = 2\n");
  auto session = s.OpenSession(4);
  auto all = session->Status();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  std::map<std::string, VerdictKind> kinds;
  for (const auto& v : *all) kinds[v.package.name] = v.kind;
  EXPECT_EQ(kinds["Words"], VerdictKind::kFresh);
  EXPECT_EQ(kinds["Greetings"], VerdictKind::kStale);
  EXPECT_EQ(kinds["Hello"], VerdictKind::kStale);
}

TEST(ScenarioB, RequiresRecordedWithoutUuidDoesNotMatchAPackageWithOne) {
  // A zero UUID in a requires record is PkgId(nothing, name) (base/pkgid.jl's
  // constructor); here `Bar` now resolves to a package with a UUID.
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Bar");
  s.AddPackage("Foo", {"Bar"});
  s.WriteEnvironment();
  s.Compile("Bar");
  CompileOptions o;
  o.requires_ = std::vector<PkgId>{PkgId{std::nullopt, "Bar"}};
  s.Compile("Foo", o);
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(v.kind, VerdictKind::kStale);
  EXPECT_EQ(Codes(v), std::vector<std::string>{"dep_identity_changed"}) << Describe(v);
}

TEST(ScenarioB, RequiresThatNowResolvesElsewhereIsStale) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Bar");
  s.AddPackage("Foo", {"Bar"});
  s.WriteEnvironment();
  s.Compile("Bar");
  CompileOptions o;
  o.requires_ = std::vector<PkgId>{PkgId{Uuid{1, 2}, "Bar"}};  // another Bar
  s.Compile("Foo", o);
  Verdict v = Check(s, "Foo");
  EXPECT_EQ(Codes(v), std::vector<std::string>{"dep_identity_changed"}) << Describe(v);
}

TEST(ScenarioB, ALongLivedSessionSeesEditsWithoutClearingAnything) {
  // The Julia bindings keep one session for a whole Julia session.
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  auto session = s.OpenSession();
  ASSERT_EQ(session->IsStale("Hello")->kind, VerdictKind::kFresh);
  ASSERT_EQ((*session->Status())[0].kind, VerdictKind::kFresh);
  s.WriteSource("Words", "src/impl.jl", "greet() = \"edited while the session lived\"\n");
  EXPECT_EQ(session->IsStale("Hello")->kind, VerdictKind::kStale);
  EXPECT_EQ(session->IsStale("Words")->kind, VerdictKind::kStale);
  // And an environment edit: Words leaves the manifest and the project.
  test_support::WriteFileOrDie(s.project_dir() + "/Project.toml", "[deps]\n");
  test_support::WriteFileOrDie(s.project_dir() + "/Manifest.toml", "manifest_format = \"2.0\"\n");
  EXPECT_EQ(KindOf(session->IsStale("Hello").status()), ErrorKind::kPackageNotFound);
}

TEST(ScenarioB, UnknownPackageIsAnError) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  auto session = s.OpenSession();
  auto v = session->IsStale("NotThere");
  EXPECT_FALSE(v.ok());
  EXPECT_EQ(KindOf(v.status()), ErrorKind::kPackageNotFound);
}

TEST(ScenarioB, WarmCheckUsesTheContentMemo) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  // Make the sources old enough to be trusted by the racy-timestamp guard.
  for (const char* p : {"Words", "Greetings", "Hello"}) {
    test_support::SetMtimeOrDie(s.SourcePath(p), 1600000000, 0);
    test_support::SetMtimeOrDie(s.SourcePath(p, "src/impl.jl"), 1600000000, 0);
  }
  auto session = s.OpenSession();
  ASSERT_EQ(session->IsStale("Hello")->kind, VerdictKind::kFresh);
  session->ClearMemo();
  // Same answer from the memo, and a content change is still seen (ctime moves).
  EXPECT_EQ(session->IsStale("Hello")->kind, VerdictKind::kFresh);
  s.WriteSource("Words", "src/impl.jl", "greet() = \"hello from Wordz\"\n");
  test_support::SetMtimeOrDie(s.SourcePath("Words", "src/impl.jl"), 1600000000, 0);
  session->ClearMemo();
  EXPECT_EQ(session->IsStale("Hello")->kind, VerdictKind::kStale);
}


// A cold check opens each hashed source when it first stats it and hashes it
// through that descriptor (stale/opened_sources.h), for at most
// OpenedSources::kMaxOpen sources of a candidate; the rest are stat'ed and
// opened to hash. An edit is seen on either side of that cap, the answers
// equal a warm check's, and no descriptor outlives the check.
TEST(ScenarioB, ColdCheckOfManySourcesSeesEveryEditAndClosesEverything) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Foo");
  s.WriteEnvironment();
  CompileOptions o;
  const size_t n = OpenedSources::kMaxOpen + 20;
  for (size_t i = 0; i < n; ++i) {
    const std::string rel = "data/f" + std::to_string(100 + i) + ".txt";
    s.WriteSource("Foo", rel, "contents " + std::to_string(100 + i) + "\n");
    o.include_dependencies.push_back(rel);
  }
  s.Compile("Foo", o);
  auto cold_check = [&] {
    auto session = s.OpenSession();
    session->ClearContentMemo();
    const int before = test_support::OpenFdCount();
    EXPECT_GE(before, 0);
    Verdict v = *session->IsStale("Foo");
    EXPECT_EQ(test_support::OpenFdCount(), before);
    return v;
  };
  EXPECT_EQ(cold_check().kind, VerdictKind::kFresh);
  for (size_t i : {size_t{2}, n - 3}) {  // opened at once; stat'ed past the cap
    const std::string rel = "data/f" + std::to_string(100 + i) + ".txt";
    s.WriteSource("Foo", rel, "CONTENTS " + std::to_string(100 + i) + "\n");  // same size
    Verdict v = cold_check();
    ASSERT_EQ(v.kind, VerdictKind::kStale) << i;
    ASSERT_FALSE(v.reasons.empty());
    EXPECT_EQ(ReasonCodeName(v.reasons.front().code), "file_changed");
    EXPECT_NE(v.reasons.front().detail.find(rel), std::string::npos) << v.reasons.front().detail;
    EXPECT_EQ(Check(s, "Foo").kind, VerdictKind::kStale) << "a warm check agrees";
    s.WriteSource("Foo", rel, "contents " + std::to_string(100 + i) + "\n");
  }
  EXPECT_EQ(cold_check().kind, VerdictKind::kFresh);
}

// A cache file longer than the header read (8 KiB) and within the whole-read
// limit (1 MiB) is read whole when the content memo does not know it, and
// check 12 takes that read's CRC; a header remembered from an earlier call
// goes through the content memo instead. Damage past the header fails
// check 12 either way.
TEST(ScenarioB, DamagePastTheHeaderOfAMidSizeCacheFailsItsChecksumColdAndAgain) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Foo");
  s.WriteEnvironment();
  s.WriteSource("Foo", "src/impl.jl", "# " + std::string(40000, 'x') + "\nf() = 1\n");
  const std::string ji = s.Compile("Foo").ji_path;
  std::string bytes = test_support::ReadFileOrDie(ji);
  ASSERT_GT(bytes.size(), size_t{16} << 10);
  ASSERT_LT(bytes.size(), size_t{1} << 20);
  {
    auto session = s.OpenSession();
    session->ClearContentMemo();
    ASSERT_EQ(session->IsStale("Foo")->kind, VerdictKind::kFresh);
  }
  bytes[bytes.size() - 100] ^= 0x20;  // in impl.jl's stored text, before the trailer
  test_support::WriteFileOrDie(ji, bytes);
  auto session = s.OpenSession();
  session->ClearContentMemo();
  for (const char* when : {"read now", "remembered header"}) {
    Verdict v = *session->IsStale("Foo");
    EXPECT_EQ(v.kind, VerdictKind::kStale) << when;
    EXPECT_TRUE(HasCode(v, "checksum_invalid")) << when << ": " << Describe(v);
  }
}

// A blob the probe recorded as refused (rejected_clone_targets) is stale, as
// Julia's isprecompiled says, not unknown. Found by tests/julia/
// test_callbacks.jl: the engine consulted only accepted_clone_targets.
TEST(CloneTargetRecords, RejectedBlobIsStaleAndUnknownBlobIsUnknown) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  SessionOptions o;
  o.env = {{"JULIA_DEPOT_PATH", s.depot()}, {"HOME", s.dir().Join("home")}};
  o.env_given = true;
  o.project = s.project_dir();
  o.cwd = s.dir().path();
  o.no_write = true;
  std::string blob = test_support::GenericCloneTargets(test_support::CloneTargetEncodingOf(s.layout()), "x86_64");
  uint64_t digest = XXH64(blob.data(), blob.size(), 0);
  RuntimeProfile rejected = s.Profile();
  rejected.accepted_clone_targets.clear();
  rejected.rejected_clone_targets = {digest};
  auto session = Session::Open(rejected, o);
  ASSERT_TRUE(session.ok()) << session.status();
  auto v = (*session)->IsStale("Hello");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kStale);
  EXPECT_TRUE(HasCode(*v, "cpu_target"));
  EXPECT_FALSE(HasCode(*v, "clone_targets_unverifiable"));

  RuntimeProfile unknown = s.Profile();
  unknown.accepted_clone_targets.clear();
  auto session2 = Session::Open(unknown, o);
  ASSERT_TRUE(session2.ok()) << session2.status();
  auto u = (*session2)->IsStale("Hello");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->kind, VerdictKind::kUnknown);
}

}  // namespace
}  // namespace jlcache
