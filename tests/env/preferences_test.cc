// get_preferences(uuid): sources, stack order, workspace chain (1.12+),
// recursive merge with __clear__, and the sources digest (loading.md §10).
#include <gtest/gtest.h>

#include <sstream>

#include "core/error.h"
#include "env/environment.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::ProjectSpec;
using test_support::TempDir;
using test_support::U;

const Uuid kFoo = U("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");

std::string Dump(const toml::table& t) {
  std::ostringstream s;
  s << toml::json_formatter(t);
  return s.str();
}

class PreferencesTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Environment> Make(const char* version, const std::vector<std::string>& load_path) {
    b = std::make_unique<DepotBuilder>(tmp.path(), version);
    d = b->AddDepot("d");
    RuntimeProfile rt = b->Profile();
    for (const auto& e : load_path) EXPECT_TRUE(rt.AddString("load_path", e).ok());
    EXPECT_TRUE(rt.Validate().ok());
    auto env = Environment::Create(rt, b->Options({d}));
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }
  std::string Project(const std::string& rel, const std::string& extra = "",
                      std::optional<std::vector<std::string>> ws = std::nullopt) {
    ProjectSpec ps;
    ps.deps = {{"Foo", kFoo}};
    ps.extra_toml = extra;
    ps.workspace_projects = ws;
    return b->AddProject(rel, ps);
  }
  TempDir tmp;
  std::unique_ptr<DepotBuilder> b;
  std::string d;
};

TEST_F(PreferencesTest, EarlierEnvironmentsOverrideLaterOnes) {
  auto env = Make("1.11.7", {tmp.Join("a"), tmp.Join("b")});
  Project("a", "[preferences.Foo]\nx = 1\n");
  Project("b", "[preferences.Foo]\nx = 2\ny = \"b\"\n");
  auto prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok()) << prefs.status();
  EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 1);
  EXPECT_EQ(prefs->at_path("y").value<std::string>(), "b");
}

TEST_F(PreferencesTest, LocalPreferencesOverrideProjectAndJuliaLocalHidesLocal) {
  auto env = Make("1.11.7", {tmp.Join("a")});
  std::string a = Project("a", "[preferences.Foo]\nx = 1\nz = 0\n");
  b->WritePreferences(a, "[Foo]\nx = 10\n");
  auto prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok());
  EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 10);
  EXPECT_EQ(prefs->at_path("z").value<int64_t>(), 0);
  b->WritePreferences(a, "[Foo]\nx = 20\n", "JuliaLocalPreferences.toml");
  prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok());
  EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 20);
}

TEST_F(PreferencesTest, OnlyEnvironmentsThatNameTheUuidContribute) {
  auto env = Make("1.11.7", {tmp.Join("a"), tmp.Join("b")});
  ProjectSpec none;
  none.extra_toml = "[preferences.Foo]\nx = 1\n";
  b->AddProject("a", none);  // Foo not in deps/extras/weakdeps: ignored
  ProjectSpec extras;
  extras.extras = {{"Foo", kFoo}};
  extras.extra_toml = "[preferences.Foo]\nx = 3\n";
  b->AddProject("b", extras);
  auto prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok());
  EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 3);
  // The package's own project names it by its name and uuid.
  ProjectSpec own;
  own.name = "Foo";
  own.uuid = kFoo;
  own.extra_toml = "[preferences.Foo]\nx = 4\n";
  b->AddProject("a", own);
  prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok());
  EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 4);
}

TEST_F(PreferencesTest, RecursiveMergeAndClear) {
  auto env = Make("1.11.7", {tmp.Join("a"), tmp.Join("b")});
  Project("b", "[preferences.Foo]\nkeep = 1\ndrop = 2\n[preferences.Foo.nested]\np = 1\nq = 2\n");
  Project("a", "[preferences.Foo]\n__clear__ = [\"drop\"]\n[preferences.Foo.nested]\nq = 3\n__clear__ = [\"p\"]\n");
  auto prefs = env->Preferences(kFoo);
  ASSERT_TRUE(prefs.ok());
  EXPECT_EQ(prefs->at_path("keep").value<int64_t>(), 1);
  EXPECT_FALSE(prefs->contains("drop"));
  EXPECT_FALSE(prefs->at_path("nested.p"));
  EXPECT_EQ(prefs->at_path("nested.q").value<int64_t>(), 3);
  // __clear__ itself stays in the result, as in Julia.
  EXPECT_TRUE(prefs->contains("__clear__"));
}

TEST(PreferencesWorkspaceTest, WorkspaceChainFrom112) {
  for (const char* v : {"1.11.7", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    ProjectSpec root;
    root.deps = {{"Foo", kFoo}};
    root.workspace_projects = std::vector<std::string>{"sub"};
    root.extra_toml = "[preferences.Foo]\nroot = true\nx = 1\n";
    b.AddProject("ws", root);
    ProjectSpec sub;
    sub.deps = {{"Foo", kFoo}};
    sub.extra_toml = "[preferences.Foo]\nx = 2\n";
    b.AddProject("ws/sub", sub);
    RuntimeProfile rt = b.Profile();
    ASSERT_TRUE(rt.AddString("load_path", t.Join("ws/sub")).ok());
    ASSERT_TRUE(rt.Validate().ok());
    auto env = Environment::Create(rt, b.Options({d}));
    ASSERT_TRUE(env.ok());
    auto prefs = (*env)->Preferences(kFoo);
    ASSERT_TRUE(prefs.ok()) << prefs.status();
    EXPECT_EQ(prefs->at_path("x").value<int64_t>(), 2) << v;
    EXPECT_EQ(prefs->contains("root"), std::string(v) == "1.12.2") << v << Dump(*prefs);
  }
}

TEST_F(PreferencesTest, SourcesDigestFollowsTheFilesRead) {
  auto env = Make("1.11.7", {tmp.Join("a")});
  std::string a = Project("a", "[preferences.Foo]\nx = 1\n");
  auto d1 = env->PreferencesSourcesDigest(kFoo);
  ASSERT_TRUE(d1.ok());
  b->WritePreferences(a, "[Foo]\nx = 2\n");
  auto d2 = env->PreferencesSourcesDigest(kFoo);
  ASSERT_TRUE(d2.ok());
  EXPECT_NE(*d1, *d2);
  // A file not read for this uuid does not matter.
  b->WritePreferences(a, "[Foo]\nx = 3\n", "Other.toml");
  EXPECT_EQ(*env->PreferencesSourcesDigest(kFoo), *d2);
  // A recorded hash is used only while the digest matches.
  RuntimeProfile rt = b->Profile();
  ASSERT_TRUE(rt.AddString("load_path", tmp.Join("a")).ok());
  rt.preference_hashes.push_back(PreferenceHashRecord{kFoo, {"x"}, *d2, 0x1234});
  ASSERT_TRUE(rt.Validate().ok());
  auto env2 = Environment::Create(rt, b->Options({d}));
  ASSERT_TRUE(env2.ok());
  EXPECT_EQ((*env2)->RecordedPreferencesHash(kFoo, {"x"}), 0x1234u);
  EXPECT_EQ((*env2)->RecordedPreferencesHash(kFoo, {"y"}), std::nullopt);
  b->WritePreferences(a, "[Foo]\nx = 4\n");
  EXPECT_EQ((*env2)->RecordedPreferencesHash(kFoo, {"x"}), std::nullopt);
}

TEST_F(PreferencesTest, BrokenPreferencesFileIsATomlError) {
  auto env = Make("1.11.7", {tmp.Join("a")});
  std::string a = Project("a");
  b->WritePreferences(a, "[Foo]\nx = \n");
  auto prefs = env->Preferences(kFoo);
  ASSERT_FALSE(prefs.ok());
  EXPECT_EQ(KindOf(prefs.status()), ErrorKind::kToml);
  EXPECT_NE(Message(prefs.status()).find(a + "/LocalPreferences.toml:2:"), std::string_view::npos)
      << prefs.status();
}

}  // namespace
}  // namespace jlcache
