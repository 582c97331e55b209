// DEPOT_PATH, LOAD_PATH and active-project rules, one test per rule and per
// version difference (docs/loading.md §1-§2).
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "env/env_paths.h"
#include "env/environment.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::ProjectSpec;
using test_support::TempDir;

JuliaRules Rules(const char* v) { return *RulesFor(*JuliaVersion::Parse(v)); }

const std::string kHome = "/home/u";
const std::string kBin = "/opt/julia/bin";
const std::string H = "/home/u/.julia";
const std::string L = "/opt/julia/local/share/julia";
const std::string S = "/opt/julia/share/julia";

std::vector<std::string> Depots(const char* version, std::optional<std::string> var) {
  return InitDepotPath(Rules(version), var, kHome, kBin);
}

using V = std::vector<std::string>;

TEST(DepotPathTest, DefaultIsHomeThenBundled) {
  for (const char* v : {"1.10.4", "1.11.0", "1.11.7", "1.12.2", "1.13.0-rc1"})
    EXPECT_EQ(Depots(v, std::nullopt), (V{H, L, S})) << v;
}

TEST(DepotPathTest, EmptyVariableMeansNoDepot) {
  for (const char* v : {"1.10.4", "1.11.1", "1.12.2"}) EXPECT_TRUE(Depots(v, "").empty()) << v;
}

TEST(DepotPathTest, SingleEntryIsTakenAsIsNotMadeAbsolute) {
  EXPECT_EQ(Depots("1.11.7", "/a"), (V{"/a"}));
  EXPECT_EQ(Depots("1.11.7", "rel/depot"), (V{"rel/depot"}));
  EXPECT_EQ(Depots("1.11.7", "~/d"), (V{"/home/u/d"}));
}

TEST(DepotPathTest, DuplicatesAreDropped) {
  EXPECT_EQ(Depots("1.12.2", "/a:/b:/a"), (V{"/a", "/b"}));
}

// loading.md §1.2 table, column 1.10.
TEST(DepotPathTest, V110EmptyEntryInsertsHomeAndBundled) {
  EXPECT_EQ(Depots("1.10.4", "/a:"), (V{"/a", H, L, S}));
  EXPECT_EQ(Depots("1.10.4", ":/a"), (V{H, L, S, "/a"}));
  EXPECT_EQ(Depots("1.10.4", ":"), (V{H, L, S}));
}

// julia#51448 (1.11.0, 1.11.1): empty entry = bundled only; home only when
// there is no non-empty entry at all.
TEST(DepotPathTest, V1110EmptyEntryInsertsBundledOnly) {
  for (const char* v : {"1.11.0", "1.11.1"}) {
    EXPECT_EQ(Depots(v, "/a:"), (V{"/a", L, S})) << v;
    EXPECT_EQ(Depots(v, ":/a"), (V{L, S, "/a"})) << v;
    EXPECT_EQ(Depots(v, ":"), (V{H, L, S})) << v;
  }
}

// julia#56195 (1.11.2+): home is prepended when the first entry is empty.
TEST(DepotPathTest, V1112LeadingEmptyEntryAddsHome) {
  for (const char* v : {"1.11.2", "1.11.7", "1.12.2", "1.13.0-rc1", "1.14.0-DEV"}) {
    EXPECT_EQ(Depots(v, "/a:"), (V{"/a", L, S})) << v;
    EXPECT_EQ(Depots(v, ":/a"), (V{H, L, S, "/a"})) << v;
    EXPECT_EQ(Depots(v, ":"), (V{H, L, S})) << v;
  }
}

TEST(LoadPathTest, DefaultAndEmpty) {
  EXPECT_EQ(InitLoadPath(std::nullopt, "/", kHome), (V{"@", "@v#.#", "@stdlib"}));
  EXPECT_TRUE(InitLoadPath(std::string(""), "/", kHome).empty());
}

TEST(LoadPathTest, EmptyEntryAppendsMissingDefaults) {
  EXPECT_EQ(InitLoadPath(std::string("@stdlib:"), "/", kHome), (V{"@stdlib", "@", "@v#.#"}));
  EXPECT_EQ(InitLoadPath(std::string("/x::~/y"), "/", kHome),
            (V{"/x", "@", "@v#.#", "@stdlib", "/home/u/y"}));
}

TEST(LoadPathTest, DotIsExpandedAtStartupAndDroppedWhenAbsent) {
  TempDir tmp;
  test_support::WriteFileOrDie(tmp.Join("proj/Project.toml"), "");
  test_support::MakeDirsOrDie(tmp.Join("proj/sub/deeper"));
  EXPECT_EQ(InitLoadPath(std::string("@.:@stdlib"), tmp.Join("proj/sub/deeper"), kHome),
            (V{tmp.Join("proj/Project.toml"), "@stdlib"}));
  EXPECT_EQ(InitLoadPath(std::string("@.:@stdlib"), tmp.path(), kHome), (V{"@stdlib"}));
}

TEST(CurrentProjectTest, JuliaProjectFirstAndStopsAtHome) {
  TempDir tmp;
  test_support::WriteFileOrDie(tmp.Join("a/Project.toml"), "");
  test_support::WriteFileOrDie(tmp.Join("a/JuliaProject.toml"), "");
  test_support::MakeDirsOrDie(tmp.Join("a/home/x"));
  EXPECT_EQ(CurrentProject(tmp.Join("a"), kHome), tmp.Join("a/JuliaProject.toml"));
  // The walk stops after checking the home directory.
  EXPECT_EQ(CurrentProject(tmp.Join("a/home/x"), tmp.Join("a/home")), std::nullopt);
  EXPECT_EQ(CurrentProject(tmp.Join("a/home/x"), kHome), tmp.Join("a/JuliaProject.toml"));
}

class EnvironmentPathsTest : public ::testing::Test {
 protected:
  TempDir tmp;
};

TEST_F(EnvironmentPathsTest, NamedEnvironmentFoundInLaterDepotElseFirstDepotPath) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d1 = b.AddDepot("d1"), d2 = b.AddDepot("d2");
  b.AddNamedEnvironment(d2, "v1.11", ProjectSpec{});
  auto env = Environment::Create(b.Profile(), b.Options({d1, d2}));
  ASSERT_TRUE(env.ok()) << env.status();
  auto envs = (*env)->Environments();
  ASSERT_TRUE(envs.ok());
  ASSERT_EQ(envs->size(), 2u);  // "@" expands to nothing without --project
  EXPECT_EQ((*envs)[0].raw, "@v#.#");
  EXPECT_EQ((*envs)[0].path, d2 + "/environments/v1.11/Project.toml");
  EXPECT_EQ((*envs)[0].kind, EnvKind::kExplicit);
  EXPECT_EQ((*envs)[1].path, b.stdlib_dir());
  EXPECT_EQ((*envs)[1].kind, EnvKind::kImplicit);
  // The active project is the first load-path file.
  EXPECT_EQ((*env)->active_project(), d2 + "/environments/v1.11/Project.toml");

  // Nothing anywhere: the name in the first depot (not created).
  TempDir tmp2;
  DepotBuilder b2(tmp2.path(), "1.10.4");
  std::string e1 = b2.AddDepot("e1");
  auto env2 = Environment::Create(b2.Profile(), b2.Options({e1}));
  ASSERT_TRUE(env2.ok());
  EXPECT_EQ((*env2)->active_project(), e1 + "/environments/v1.10/Project.toml");
  EXPECT_FALSE(PathExists(e1 + "/environments"));
}

TEST_F(EnvironmentPathsTest, VersionPlaceholdersTakeMajorMinorPatch) {
  DepotBuilder b(tmp.path(), "1.12.2");
  std::string d = b.AddDepot("d");
  RuntimeProfile rt = b.Profile();
  ASSERT_TRUE(rt.AddString("load_path", "@v#.#.#").ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b.Options({d}));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ((*env)->active_project(), d + "/environments/v1.12.2/Project.toml");
}

TEST_F(EnvironmentPathsTest, ProjectFlagForms) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  std::string proj = b.AddProject("work/proj", ProjectSpec{});
  test_support::MakeDirsOrDie(tmp.Join("work/proj/src/inner"));
  // --project=DIR: the directory's project file.
  auto e1 = Environment::Create(b.Profile(), b.Options({d}, proj));
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ((*e1)->active_project(), proj + "/Project.toml");
  // --project=DIR without a project file: DIR/Project.toml (may not exist).
  auto e2 = Environment::Create(b.Profile(), b.Options({d}, tmp.Join("nowhere")));
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ((*e2)->active_project(), tmp.Join("nowhere/Project.toml"));
  // Bare --project means @.: walk up from the working directory.
  auto o = b.Options({d}, "@.");
  o.cwd = tmp.Join("work/proj/src/inner");
  auto e3 = Environment::Create(b.Profile(), o);
  ASSERT_TRUE(e3.ok());
  EXPECT_EQ((*e3)->active_project(), proj + "/Project.toml");
  // Relative --project is taken from the working directory.
  auto o4 = b.Options({d}, "work/proj");
  auto e4 = Environment::Create(b.Profile(), o4);
  ASSERT_TRUE(e4.ok());
  EXPECT_EQ((*e4)->active_project(), proj + "/Project.toml");
}

TEST_F(EnvironmentPathsTest, JuliaProjectVariableAndEmptyValue) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  std::string proj = b.AddProject("p", ProjectSpec{});
  auto o = b.Options({d});
  o.env["JULIA_PROJECT"] = proj;
  auto e1 = Environment::Create(b.Profile(), o);
  ASSERT_TRUE(e1.ok());
  EXPECT_EQ((*e1)->active_project(), proj + "/Project.toml");
  // --project wins over JULIA_PROJECT.
  o.project = tmp.Join("other");
  auto e2 = Environment::Create(b.Profile(), o);
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ((*e2)->active_project(), tmp.Join("other/Project.toml"));
  // JULIA_PROJECT="" means no explicit project: the load path decides.
  o.project.reset();
  o.env["JULIA_PROJECT"] = "";
  auto e3 = Environment::Create(b.Profile(), o);
  ASSERT_TRUE(e3.ok());
  EXPECT_EQ((*e3)->active_project(), d + "/environments/v1.11/Project.toml");
}

TEST_F(EnvironmentPathsTest, ExistingNonProjectPathsAreSkippedForActiveProject) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  test_support::MakeDirsOrDie(tmp.Join("implicit"));
  std::string proj = b.AddProject("p", ProjectSpec{});
  RuntimeProfile rt = b.Profile();
  for (const char* e : {"@", "IMPL", "PROJ"})
    ASSERT_TRUE(rt.AddString("load_path", std::string(e) == "IMPL"   ? tmp.Join("implicit")
                                          : std::string(e) == "PROJ" ? proj
                                                                     : std::string(e))
                    .ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b.Options({d}));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ((*env)->active_project(), proj + "/Project.toml");
}

TEST_F(EnvironmentPathsTest, TempEnvironmentIs112Only) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  RuntimeProfile rt = b.Profile();
  ASSERT_TRUE(rt.AddString("load_path", "@temp").ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b.Options({d}));
  ASSERT_TRUE(env.ok());
  // 1.11: "@temp" is a named environment.
  EXPECT_EQ((*env)->active_project(), d + "/environments/temp/Project.toml");
  TempDir tmp2;
  DepotBuilder b2(tmp2.path(), "1.12.2");
  std::string d2 = b2.AddDepot("d");
  RuntimeProfile rt2 = b2.Profile();
  ASSERT_TRUE(rt2.AddString("load_path", "@temp").ok());
  ASSERT_TRUE(rt2.Validate().ok());
  auto env2 = Environment::Create(rt2, b2.Options({d2}));
  ASSERT_TRUE(env2.ok());
  EXPECT_EQ((*env2)->active_project(), std::nullopt);  // a fresh empty directory
}

TEST_F(EnvironmentPathsTest, ScriptEnvironmentSuffixRuleChangedIn1116) {
  for (const char* v : {"1.11.5", "1.11.6"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    b.AddProject("app", ProjectSpec{});
    test_support::MakeDirsOrDie(t.Join("app/scripts/sub"));
    auto o = b.Options({d}, "@script/sub");
    o.program_file = t.Join("app/scripts/run.jl");
    auto env = Environment::Create(b.Profile(), o);
    ASSERT_TRUE(env.ok());
    if (std::string(v) == "1.11.5")  // abspath(dir * rel), no upward search
      EXPECT_EQ((*env)->active_project(), t.Join("app/scripts/sub/Project.toml")) << v;
    else  // julia#56351: current_project(dir * rel)
      EXPECT_EQ((*env)->active_project(), t.Join("app/Project.toml")) << v;
  }
}

TEST_F(EnvironmentPathsTest, ProfileOverridesReplaceVariables) {
  DepotBuilder b(tmp.path(), "1.12.2");
  std::string d = b.AddDepot("d"), other = b.AddDepot("other");
  RuntimeProfile rt = b.Profile();
  ASSERT_TRUE(rt.AddString("depot_path", other).ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b.Options({d}));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ((*env)->depots(), (V{other}));
}

}  // namespace
}  // namespace jlcache
