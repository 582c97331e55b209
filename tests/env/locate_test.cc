// identify_package / locate_package / manifests, per version
// (docs/loading.md §3-§4).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "core/slug.h"
#include "core/hex.h"
#include "env/environment.h"
#include "support/cache_writer.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::ManifestBuilder;
using test_support::PackageSpec;
using test_support::Pkg;
using test_support::ProjectSpec;
using test_support::TempDir;
using test_support::U;

const char* kExampleUuid = "7876af07-990d-54b4-ab0e-23690620f79a";
const char* kExampleTree = "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc";
const char* kDatesUuid = "ade2ca70-3891-5945-98fb-dc099432e06a";

std::shared_ptr<const Environment> MakeEnv(const DepotBuilder& b, const std::vector<std::string>& depots,
                                           std::optional<std::string> project,
                                           RuntimeProfile rt) {
  auto env = Environment::Create(rt, b.Options(depots, std::move(project)));
  EXPECT_TRUE(env.ok()) << env.status();
  return env.ok() ? *env : nullptr;
}
std::shared_ptr<const Environment> MakeEnv(const DepotBuilder& b, const std::vector<std::string>& depots,
                                           std::optional<std::string> project = std::nullopt) {
  return MakeEnv(b, depots, std::move(project), b.Profile());
}

std::string Raw(const char* hex) { return *ParseHexBytes(hex); }

// Two stacked depots, a registry package, a path package, a stdlib, one
// package with an extension: the shape of a real user environment.
class LocateTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    b = std::make_unique<DepotBuilder>(tmp.path(), GetParam());
    d1 = b->AddDepot("depot1");
    d2 = b->AddDepot("depot2");
    example = Pkg("Example", kExampleUuid);
    dev = Pkg("Dev", "3b5c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e");
    dates = Pkg("Dates", kDatesUuid);
    b->InstallRegistryPackage(d2, example, kExampleTree);
    b->WritePackage(tmp.Join("dev/Dev"), dev);
    b->AddStdlib(dates);
    ProjectSpec ps;
    ps.deps = {{"Example", example.uuid}, {"Dev", dev.uuid}, {"Dates", dates.uuid}};
    ManifestBuilder m(2, GetParam());
    m.Tree(example, kExampleTree);
    m.Path(dev, "../dev/Dev");
    m.Stdlib(dates);
    proj = b->AddProject("proj", ps, m);
    env = MakeEnv(*b, {d1, d2}, proj);
  }
  TempDir tmp;
  std::unique_ptr<DepotBuilder> b;
  std::string d1, d2, proj;
  PackageSpec example, dev, dates;
  std::shared_ptr<const Environment> env;
};

TEST_P(LocateTest, IdentifiesTopLevelNames) {
  ASSERT_TRUE(env);
  auto id = env->Identify("Example");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, (PkgId{example.uuid, "Example"}));
  auto missing = env->Identify("Nope");
  EXPECT_EQ(KindOf(missing.status()), ErrorKind::kPackageNotFound);
}

TEST_P(LocateTest, RegistryPackageInSecondDepot) {
  ASSERT_TRUE(env);
  auto loc = env->Locate(PkgId{example.uuid, "Example"});
  ASSERT_TRUE(loc.ok()) << loc.status();
  std::string dir = d2 + "/packages/Example/" + VersionSlug(example.uuid, Raw(kExampleTree), 5);
  EXPECT_EQ(dir, d2 + "/packages/Example/aqsx3");  // loading.md §5.3 vector
  EXPECT_EQ(loc->entry_file, dir + "/src/Example.jl");
  EXPECT_EQ(loc->package_dir, dir);
  EXPECT_EQ(loc->environment, proj + "/Project.toml");
}

TEST_P(LocateTest, PathDependencyRelativeToManifest) {
  ASSERT_TRUE(env);
  auto loc = env->LocateByName("Dev");
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->entry_file, tmp.Join("dev/Dev/src/Dev.jl"));
  EXPECT_EQ(loc->package_dir, tmp.Join("dev/Dev"));
}

TEST_P(LocateTest, StdlibEntryInManifest) {
  ASSERT_TRUE(env);
  auto loc = env->LocateByName("Dates");
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->entry_file, b->stdlib_dir() + "/Dates/src/Dates.jl");
}

TEST_P(LocateTest, StdlibFallbackWhenInNoEnvironment) {
  PackageSpec printf = Pkg("Printf", "de0858da-6303-5e67-8744-51eddeeeb8d7");
  b->AddStdlib(printf);
  auto loc = env->Locate(PkgId{printf.uuid, "Printf"});
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->entry_file, b->stdlib_dir() + "/Printf/src/Printf.jl");
  EXPECT_EQ(loc->environment, b->stdlib_dir());
}

TEST_P(LocateTest, FourCharacterSlugIsTriedAfterFiveInEveryDepot) {
  TempDir t;
  DepotBuilder bb(t.path(), GetParam());
  std::string a = bb.AddDepot("a"), c = bb.AddDepot("c");
  // 4-char slug in the first depot, 5-char in the second: the 5 wins.
  bb.InstallRegistryPackage(a, example, kExampleTree, 4);
  bb.InstallRegistryPackage(c, example, kExampleTree, 5);
  ProjectSpec ps;
  ps.deps = {{"Example", example.uuid}};
  ManifestBuilder m(2, GetParam());
  m.Tree(example, kExampleTree);
  std::string p = bb.AddProject("p", ps, m);
  auto e = MakeEnv(bb, {a, c}, p);
  auto loc = e->Locate(PkgId{example.uuid, "Example"});
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->entry_file, c + "/packages/Example/aqsx3/src/Example.jl");
  // Only the 4-char one left: it is used.
  test_support::RemoveTreeOrDie(c + "/packages");
  loc = e->Locate(PkgId{example.uuid, "Example"});
  ASSERT_TRUE(loc.ok());
  EXPECT_EQ(loc->entry_file, a + "/packages/Example/aqsx/src/Example.jl");
}

TEST_P(LocateTest, MissingTreeStopsTheSearchAndSaysNotInstalled) {
  // A second environment on the load path has Example as a path package;
  // Julia never gets there: the missing sentinel stops the search.
  TempDir t;
  DepotBuilder bb(t.path(), GetParam());
  std::string a = bb.AddDepot("a");
  bb.WritePackage(t.Join("alt/Example"), example);
  ProjectSpec ps;
  ps.deps = {{"Example", example.uuid}};
  ManifestBuilder m1(2, GetParam());
  m1.Tree(example, kExampleTree);
  std::string p1 = bb.AddProject("p1", ps, m1);
  ManifestBuilder m2(2, GetParam());
  m2.Path(example, "../alt/Example");
  std::string p2 = bb.AddProject("p2", ps, m2);
  RuntimeProfile rt = bb.Profile();
  ASSERT_TRUE(rt.AddString("load_path", p1).ok());
  ASSERT_TRUE(rt.AddString("load_path", p2).ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto e = MakeEnv(bb, {a}, std::nullopt, rt);
  auto loc = e->Locate(PkgId{example.uuid, "Example"});
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kNotInstalled) << loc.status();
  EXPECT_NE(Message(loc.status()).find("aqsx3"), std::string_view::npos);
}

TEST_P(LocateTest, PathEntryWithoutSourceIsNotInstalled) {
  test_support::RemoveTreeOrDie(tmp.Join("dev/Dev/src"));
  auto loc = env->Locate(PkgId{dev.uuid, "Dev"});
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kNotInstalled) << loc.status();
}

INSTANTIATE_TEST_SUITE_P(Versions, LocateTest,
                         ::testing::Values("1.10.4", "1.11.1", "1.11.7", "1.12.2", "1.13.0-rc1"));

// ------------------------------------------------------------------ per version

TEST(LocateVersionTest, ImplicitEnvironmentOrderChangedIn112) {
  for (const char* v : {"1.11.7", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    PackageSpec foo = Pkg("Foo", "e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
    b.WritePackage(t.Join("pkgs/Foo"), foo);
    test_support::WriteFileOrDie(t.Join("pkgs/Foo.jl"), "module Foo end\n");
    RuntimeProfile rt = b.Profile();
    ASSERT_TRUE(rt.AddString("load_path", t.Join("pkgs")).ok());
    ASSERT_TRUE(rt.Validate().ok());
    auto env = MakeEnv(b, {d}, std::nullopt, rt);
    auto id = env->Identify("Foo");
    ASSERT_TRUE(id.ok()) << v;
    if (std::string(v) == "1.11.7") {
      // The bare Foo.jl comes first: a package without a project, no UUID.
      EXPECT_EQ(*id, (PkgId{std::nullopt, "Foo"})) << v;
      auto loc = env->Locate(*id);
      ASSERT_TRUE(loc.ok());
      EXPECT_EQ(loc->entry_file, t.Join("pkgs/Foo.jl"));
    } else {
      EXPECT_EQ(*id, (PkgId{foo.uuid, "Foo"})) << v;
      auto loc = env->Locate(*id);
      ASSERT_TRUE(loc.ok());
      EXPECT_EQ(loc->entry_file, t.Join("pkgs/Foo/src/Foo.jl"));
    }
  }
}

// explicit_manifest_deps_get looks an extension's trigger up in the parent's
// weakdeps, and from 1.11.2 ("fix lookup when extension is in [deps]") then
// in its deps.
TEST(LocateVersionTest, ExtensionTriggerInDepsFoundFrom1112) {
  ManifestPackage parent;
  parent.id = PkgId{U("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d"), "Parent"};
  const PkgId weak{U("11111111-2222-4333-8444-555555555555"), "Weak"};
  const PkgId dep{U("66666666-7777-4888-8999-aaaaaaaaaaaa"), "Dep"};
  parent.weakdeps = {weak};
  parent.deps = {dep};
  for (const char* v : {"1.11.1", "1.11.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    auto env = MakeEnv(b, {d}, std::nullopt);
    EXPECT_EQ(env->ExtensionTrigger(parent, "Weak"), weak) << v;
    EXPECT_EQ(env->ExtensionTrigger(parent, "Nowhere"), std::nullopt) << v;
    const bool from_deps = std::string(v) == "1.11.2";
    EXPECT_EQ(env->ExtensionTrigger(parent, "Dep"), from_deps ? std::optional<PkgId>(dep) : std::nullopt)
        << v;
  }
}

TEST(LocateVersionTest, EntryfileHonouredFrom112) {
  for (const char* v : {"1.11.7", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    PackageSpec foo = Pkg("Foo", "e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
    b.WritePackage(t.Join("dev/Foo"), foo);
    test_support::WriteFileOrDie(t.Join("dev/Foo/lib/Main.jl"), "module Foo end\n");
    ProjectSpec ps;
    ps.deps = {{"Foo", foo.uuid}};
    ManifestBuilder m(2, v);
    m.Path(foo, "../dev/Foo").entryfile = "lib/Main.jl";
    std::string p = b.AddProject("p", ps, m);
    auto env = MakeEnv(b, {d}, p);
    auto loc = env->Locate(PkgId{foo.uuid, "Foo"});
    ASSERT_TRUE(loc.ok()) << v << loc.status();
    EXPECT_EQ(loc->entry_file, t.Join(std::string(v) == "1.12.2" ? "dev/Foo/lib/Main.jl"
                                                                 : "dev/Foo/src/Foo.jl"))
        << v;
    EXPECT_EQ(loc->package_dir, t.Join("dev/Foo")) << v;
  }
}

// An upgradable stdlib recorded with a git-tree-sha1 that is not installed:
// 1.12+ falls back to Sys.STDLIB, 1.10/1.11 report nothing.
TEST(LocateVersionTest, MissingStdlibFallsBackFrom112) {
  for (const char* v : {"1.11.7", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    PackageSpec dates = Pkg("Dates", kDatesUuid);
    b.AddStdlib(dates);
    ProjectSpec ps;
    ps.deps = {{"Dates", dates.uuid}};
    ManifestBuilder m(2, v);
    m.Tree(dates, DepotBuilder::FakeTreeSha1("dates"));
    std::string p = b.AddProject("p", ps, m);
    auto env = MakeEnv(b, {d}, p);
    auto loc = env->Locate(PkgId{dates.uuid, "Dates"});
    if (std::string(v) == "1.12.2") {
      ASSERT_TRUE(loc.ok()) << loc.status();
      EXPECT_EQ(loc->entry_file, b.stdlib_dir() + "/Dates/src/Dates.jl");
    } else {
      EXPECT_EQ(KindOf(loc.status()), ErrorKind::kNotInstalled) << loc.status();
    }
  }
}

TEST(ManifestDiscoveryTest, NamesAndPriorities) {
  struct Case {
    const char* version;
    std::vector<std::string> files;  // manifests present
    std::string expected;            // chosen one
  } cases[] = {
      {"1.11.7", {"Manifest.toml", "JuliaManifest.toml"}, "JuliaManifest.toml"},
      {"1.11.7", {"Manifest.toml", "Manifest-v1.11.toml"}, "Manifest-v1.11.toml"},
      {"1.11.7", {"Manifest-v1.11.toml", "JuliaManifest-v1.11.toml"}, "JuliaManifest-v1.11.toml"},
      {"1.11.7", {"Manifest.toml", "Manifest-v1.10.toml"}, "Manifest.toml"},
      {"1.10.4", {"Manifest.toml", "Manifest-v1.10.toml"}, "Manifest.toml"},
      {"1.10.8", {"Manifest.toml", "Manifest-v1.10.toml"}, "Manifest-v1.10.toml"},
      {"1.12.2", {"JuliaManifest.toml", "Manifest-v1.12.toml"}, "Manifest-v1.12.toml"},
  };
  for (const auto& c : cases) {
    TempDir t;
    DepotBuilder b(t.path(), c.version);
    std::string d = b.AddDepot("d");
    std::string p = b.AddProject("p", ProjectSpec{});
    for (const auto& f : c.files) test_support::WriteFileOrDie(p + "/" + f, "manifest_format = \"2.0\"\n");
    auto env = MakeEnv(b, {d}, p);
    auto envs = env->Environments();
    ASSERT_TRUE(envs.ok());
    ASSERT_TRUE((*envs)[0].manifest_file.has_value()) << c.version;
    EXPECT_EQ(*(*envs)[0].manifest_file, p + "/" + c.expected) << c.version;
  }
}

TEST(ManifestDiscoveryTest, ManifestKeyWinsWhenTheFileExists) {
  TempDir t;
  DepotBuilder b(t.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  ProjectSpec ps;
  ps.manifest = "../shared/Custom.toml";
  std::string p = b.AddProject("p", ps, ManifestBuilder(2));
  test_support::WriteFileOrDie(t.Join("shared/Custom.toml"), "manifest_format = \"2.0\"\n");
  auto env = MakeEnv(b, {d}, p);
  auto envs = env->Environments();
  ASSERT_TRUE(envs.ok());
  EXPECT_EQ((*envs)[0].manifest_file, t.Join("shared/Custom.toml"));
  // A manifest key naming a missing file falls back to the usual names.
  test_support::RemoveTreeOrDie(t.Join("shared"));
  envs = env->Environments();
  ASSERT_TRUE(envs.ok());
  EXPECT_EQ((*envs)[0].manifest_file, p + "/Manifest.toml");
}

TEST(ManifestDiscoveryTest, WorkspacesUseTheRootManifestFrom112) {
  for (const char* v : {"1.11.7", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    PackageSpec example = Pkg("Example", kExampleUuid);
    b.InstallRegistryPackage(d, example, kExampleTree);
    ProjectSpec root;
    root.workspace_projects = std::vector<std::string>{"test"};
    ManifestBuilder m(2, v);
    m.Tree(example, kExampleTree);
    b.AddProject("ws", root, m);
    ProjectSpec sub;
    sub.deps = {{"Example", example.uuid}};
    std::string test_dir = b.AddProject("ws/test", sub);
    auto env = MakeEnv(b, {d}, test_dir);
    auto loc = env->LocateByName("Example");
    if (std::string(v) == "1.12.2") {
      ASSERT_TRUE(loc.ok()) << loc.status();
      EXPECT_EQ(loc->entry_file, d + "/packages/Example/aqsx3/src/Example.jl");
      auto pkgs = env->ManifestPackages();
      ASSERT_TRUE(pkgs.ok());
      EXPECT_EQ(pkgs->size(), 1u);
    } else {
      EXPECT_EQ(KindOf(loc.status()), ErrorKind::kManifestMissing) << loc.status();
      EXPECT_EQ(KindOf(env->ManifestPackages().status()), ErrorKind::kManifestMissing);
    }
  }
}

TEST(ManifestFormatTest, Version1AndDepsAsListOrTable) {
  for (int format : {1, 2}) {
    for (bool table : {false, true}) {
      TempDir t;
      DepotBuilder b(t.path(), "1.11.7");
      std::string d = b.AddDepot("d");
      PackageSpec a = Pkg("A", "11111111-1111-4111-8111-111111111111");
      PackageSpec bb = Pkg("B", "22222222-2222-4222-8222-222222222222");
      a.deps = {{"B", bb.uuid}};
      b.WritePackage(t.Join("dev/A"), a);
      b.WritePackage(t.Join("dev/B"), bb);
      ProjectSpec ps;
      ps.deps = {{"A", a.uuid}};
      ManifestBuilder m(format, "1.11.7");
      m.Path(a, "../dev/A").deps_as_table = table;
      m.Path(bb, "../dev/B");
      std::string p = b.AddProject("p", ps, m);
      auto env = MakeEnv(b, {d}, p);
      auto id = env->Identify(PkgId{a.uuid, "A"}, "B");
      ASSERT_TRUE(id.ok()) << format << table << id.status();
      EXPECT_EQ(*id, (PkgId{bb.uuid, "B"}));
      // B is not a top-level name (only A is in [deps]).
      EXPECT_EQ(KindOf(env->Identify("B").status()), ErrorKind::kPackageNotFound);
      // Not a dependency of A: not found, and the search stops.
      EXPECT_EQ(KindOf(env->Identify(PkgId{a.uuid, "A"}, "C").status()), ErrorKind::kPackageNotFound);
      auto pkgs = env->ManifestPackages();
      ASSERT_TRUE(pkgs.ok());
      ASSERT_EQ(pkgs->size(), 2u);
      const ManifestPackage& pa = (*pkgs)[0].id.name == "A" ? (*pkgs)[0] : (*pkgs)[1];
      ASSERT_EQ(pa.deps.size(), 1u);
      EXPECT_EQ(pa.deps[0], (PkgId{bb.uuid, "B"}));
      EXPECT_EQ(pa.path, "../dev/A");
    }
  }
}

TEST(ManifestFormatTest, ListDepsNeedASingleTopLevelEntry) {
  TempDir t;
  DepotBuilder b(t.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  PackageSpec a = Pkg("A", "11111111-1111-4111-8111-111111111111");
  PackageSpec b1 = Pkg("B", "22222222-2222-4222-8222-222222222222");
  PackageSpec b2 = Pkg("B", "33333333-3333-4333-8333-333333333333");
  a.deps = {{"B", b1.uuid}};
  ProjectSpec ps;
  ps.deps = {{"A", a.uuid}};
  ManifestBuilder m(2, "1.11.7");
  m.Path(a, "../dev/A");
  m.Path(b1, "../dev/B1");
  m.Path(b2, "../dev/B2");
  std::string p = b.AddProject("p", ps, m);
  auto env = MakeEnv(b, {d}, p);
  auto id = env->Identify(PkgId{a.uuid, "A"}, "B");
  ASSERT_FALSE(id.ok());
  EXPECT_NE(Message(id.status()).find("expected a single entry"), std::string_view::npos);
}

TEST(IdentifyWhereTest, ProjectItselfUsesItsDepsAndStops) {
  TempDir t;
  DepotBuilder b(t.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  PackageSpec dep = Pkg("Dep", "22222222-2222-4222-8222-222222222222");
  ProjectSpec ps;
  ps.name = "App";
  ps.uuid = U("11111111-1111-4111-8111-111111111111");
  ps.deps = {{"Dep", dep.uuid}};
  std::string p = b.AddProject("p", ps);
  auto env = MakeEnv(b, {d}, p);
  PkgId app{ps.uuid, "App"};
  auto id = env->Identify(app, "Dep");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, (PkgId{dep.uuid, "Dep"}));
  EXPECT_EQ(KindOf(env->Identify(app, "Other").status()), ErrorKind::kPackageNotFound);
  // where.name == name: where itself.
  EXPECT_EQ(*env->Identify(app, "App"), app);
  // The project is found by its own name.
  EXPECT_EQ(*env->Identify("App"), app);
}

// julia#56148 (1.11.2+): a stdlib's deps come from its own Project.toml when
// the manifests do not list it.
TEST(IdentifyWhereTest, StdlibProjectFallbackFrom1112) {
  for (const char* v : {"1.11.1", "1.11.2", "1.12.2"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    PackageSpec printf = Pkg("Printf", "de0858da-6303-5e67-8744-51eddeeeb8d7");
    PackageSpec unicode = Pkg("Unicode", "4ec0a83e-493e-50e2-b9ac-8f72acf5a8f5");
    printf.deps = {{"Unicode", unicode.uuid}};
    b.AddStdlib(printf);
    b.AddStdlib(unicode);
    std::string p = b.AddProject("p", ProjectSpec{}, ManifestBuilder(2, v));
    // Without @stdlib on the load path (with it, the implicit stdlib
    // environment answers in every version).
    RuntimeProfile rt = b.Profile();
    ASSERT_TRUE(rt.AddString("load_path", p).ok());
    ASSERT_TRUE(rt.Validate().ok());
    auto env = MakeEnv(b, {d}, std::nullopt, rt);
    auto id = env->Identify(PkgId{printf.uuid, "Printf"}, "Unicode");
    if (std::string(v) == "1.11.1") {
      EXPECT_EQ(KindOf(id.status()), ErrorKind::kPackageNotFound) << v;
    } else {
      ASSERT_TRUE(id.ok()) << v << id.status();
      EXPECT_EQ(*id, (PkgId{unicode.uuid, "Unicode"})) << v;
    }
  }
}

// ------------------------------------------------------------------ extensions

// The cache of Parent's extension ParentExt (triggered by Trig) in `depot`:
// it names the extension's UUID and requires Parent and Trig.
void WriteParentExtCache(DepotBuilder& b, const std::string& depot, const char* v,
                         const Uuid& ext_uuid, const test_support::PackageSpec& parent,
                         const test_support::PackageSpec& trig) {
  test_support::PackageCacheSpec spec;
  spec.layout = std::string(v) == "1.10.4" ? HeaderLayout::kA : HeaderLayout::kB;
  spec.julia_version = v;
  spec.name = "ParentExt";
  spec.uuid = ext_uuid;
  spec.requires_ = {PkgId{parent.uuid, "Parent"}, PkgId{trig.uuid, "Trig"}};
  b.WriteCacheFile(depot, "ParentExt", PackageSlug(ext_uuid) + "_abcde.ji",
                   test_support::MakePackageCache(spec).bytes);
}

class ExtensionTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    v = GetParam();
    b = std::make_unique<DepotBuilder>(tmp.path(), v);
    d = b->AddDepot("d");
    trig = Pkg("Trig", "44444444-4444-4444-8444-444444444444");
    other = Pkg("Other", "55555555-5555-4555-8555-555555555555");
    parent = Pkg("Parent", "66666666-6666-4666-8666-666666666666");
    parent.deps = {{"Trig", trig.uuid}};
    parent.weakdeps = {{"Other", other.uuid}};
    parent.extensions = {{"ParentExt", {"Trig"}}};
    parent.ext_in_subdir = true;
    b->WritePackage(tmp.Join("dev/Parent"), parent);
    b->WritePackage(tmp.Join("dev/Trig"), trig);
    ProjectSpec ps;
    ps.deps = {{"Parent", parent.uuid}, {"Trig", trig.uuid}};
    ManifestBuilder m(2, v);
    m.Path(parent, "../dev/Parent");
    m.Path(trig, "../dev/Trig");
    proj = b->AddProject("p", ps, m);
  }
  // The extension's own cache, which names its UUID and requires Parent.
  void WriteExtCache() { WriteParentExtCache(*b, d, v, ext_uuid, parent, trig); }
  const char* v;
  TempDir tmp;
  std::unique_ptr<DepotBuilder> b;
  std::string d, proj;
  PackageSpec trig, other, parent;
  Uuid ext_uuid = U("77777777-7777-5777-8777-777777777777");
};

TEST_P(ExtensionTest, UuidComesFromTheExtensionsCacheHeader) {
  auto env = MakeEnv(*b, {d}, proj);
  EXPECT_EQ(env->ExtensionUuid(PkgId{parent.uuid, "Parent"}, "ParentExt"), std::nullopt);
  WriteExtCache();
  auto env2 = MakeEnv(*b, {d}, proj);
  EXPECT_EQ(env2->ExtensionUuid(PkgId{parent.uuid, "Parent"}, "ParentExt"), ext_uuid);
  // A cache that does not require the asked parent does not count.
  EXPECT_EQ(env2->ExtensionUuid(PkgId{other.uuid, "Other"}, "ParentExt"), std::nullopt);
}

TEST_P(ExtensionTest, LocatedFromTheParentsDirectory) {
  auto env = MakeEnv(*b, {d}, proj);
  // UUID unknown: still located by name, uuid left empty.
  auto loc = env->LocateByName("ParentExt");
  ASSERT_TRUE(loc.ok()) << loc.status();
  EXPECT_EQ(loc->id.uuid, std::nullopt);
  EXPECT_EQ(loc->entry_file, tmp.Join("dev/Parent/ext/ParentExt/ParentExt.jl"));
  ASSERT_TRUE(loc->extension_parent.has_value());
  EXPECT_EQ(loc->extension_parent->name, "Parent");
  WriteExtCache();
  auto env2 = MakeEnv(*b, {d}, proj);
  auto loc2 = env2->Locate(PkgId{ext_uuid, "ParentExt"});
  // ≤1.11 pass the extension file through entry_path too; it is a file.
  ASSERT_TRUE(loc2.ok()) << loc2.status();
  EXPECT_EQ(loc2->entry_file, tmp.Join("dev/Parent/ext/ParentExt/ParentExt.jl"));
  EXPECT_EQ(loc2->package_dir, tmp.Join("dev/Parent"));
  // The flat form ext/<E>.jl is used when ext/<E>/<E>.jl is absent.
  test_support::RemoveTreeOrDie(tmp.Join("dev/Parent/ext/ParentExt"));
  test_support::WriteFileOrDie(tmp.Join("dev/Parent/ext/ParentExt.jl"), "module ParentExt end\n");
  auto loc3 = env2->Locate(PkgId{ext_uuid, "ParentExt"});
  ASSERT_TRUE(loc3.ok());
  EXPECT_EQ(loc3->entry_file, tmp.Join("dev/Parent/ext/ParentExt.jl"));
}

TEST_P(ExtensionTest, ExtensionSeesParentTriggersAndParentDeps) {
  WriteExtCache();
  auto env = MakeEnv(*b, {d}, proj);
  PkgId ext{ext_uuid, "ParentExt"};
  auto p = env->Identify(ext, "Parent");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, (PkgId{parent.uuid, "Parent"}));
  auto t = env->Identify(ext, "Trig");
  // Trig is the trigger and is in Parent's deps (not weakdeps): found from
  // 1.11.2 ("fix lookup when extension is in [deps]"); before, a weakdeps
  // list without it answers "not found".
  if (std::string(v) == "1.10.4" || std::string(v) == "1.11.1") {
    EXPECT_EQ(KindOf(t.status()), ErrorKind::kPackageNotFound) << v;
  } else {
    ASSERT_TRUE(t.ok()) << v << t.status();
    EXPECT_EQ(*t, (PkgId{trig.uuid, "Trig"}));
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, ExtensionTest, ::testing::Values("1.10.4", "1.11.1", "1.11.7", "1.12.2"));

}  // namespace
}  // namespace jlcache

namespace jlcache {
namespace {

// One Environment shared by several threads (the staleness engine's I/O
// pool does this): same answers as a single thread, no data races.
TEST(EnvironmentConcurrencyTest, ConcurrentReadersAgree) {
  test_support::TempDir t;
  test_support::DepotBuilder b(t.path(), "1.12.2");
  std::string d = b.AddDepot("d");
  test_support::PackageSpec example = test_support::Pkg("Example", kExampleUuid);
  b.InstallRegistryPackage(d, example, kExampleTree);
  test_support::ProjectSpec ps;
  ps.deps = {{"Example", example.uuid}};
  ps.extra_toml = "[preferences.Example]\nmode = \"x\"\n";
  test_support::ManifestBuilder m(2, "1.12.2");
  m.Tree(example, kExampleTree);
  std::string p = b.AddProject("p", ps, m);
  auto env = MakeEnv(b, {d}, p);
  ASSERT_TRUE(env);
  const auto expected = env->LocateByName("Example");
  ASSERT_TRUE(expected.ok());
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 50; ++k) {
        auto loc = env->LocateByName("Example");
        auto prefs = env->Preferences(example.uuid);
        auto cands = env->FindCacheCandidates(PkgId{example.uuid, "Example"});
        auto ext = env->ExtensionUuid(PkgId{example.uuid, "Example"}, "ExampleExt");
        if (!loc.ok() || loc->entry_file != expected->entry_file || !prefs.ok() ||
            prefs->at_path("mode").value<std::string>() != "x" || !cands.ok() || ext.has_value())
          ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(LocateVersionTest, NamedEnvironmentIsNamedNotCreatedEvenOn114) {
  test_support::TempDir t;
  test_support::DepotBuilder b(t.path(), "1.14.0-DEV");
  std::string d = b.AddDepot("d");
  auto env = MakeEnv(b, {d});
  ASSERT_TRUE(env);
  // 1.14-dev's init_named_env! would write this file; jlcache only names it.
  EXPECT_EQ(env->active_project(), d + "/environments/v1.14/Project.toml");
  EXPECT_FALSE(PathExists(d + "/environments"));
}

}  // namespace
}  // namespace jlcache

namespace jlcache {
namespace {

// 1.11+ (implicit_env_project_file_extension): in a directory of packages,
// an extension finds its parent's project and sees the parent's weak deps.
// 1.10 only knows packages by their own name there.
TEST(LocateVersionTest, ImplicitEnvironmentKnowsExtensionsFrom111) {
  for (const char* v : {"1.10.4", "1.11.0"}) {
    test_support::TempDir t;
    test_support::DepotBuilder b(t.path(), v);
    std::string d = b.AddDepot("d");
    test_support::PackageSpec trig = test_support::Pkg("Trig", "44444444-4444-4444-8444-444444444444");
    test_support::PackageSpec parent = test_support::Pkg("Parent", "66666666-6666-4666-8666-666666666666");
    parent.weakdeps = {{"Trig", trig.uuid}};
    parent.extensions = {{"ParentExt", {"Trig"}}};
    b.WritePackage(t.Join("pkgs/Parent"), parent);
    b.WritePackage(t.Join("pkgs/Trig"), trig);
    const Uuid ext_uuid = test_support::U("77777777-7777-5777-8777-777777777777");
    WriteParentExtCache(b, d, v, ext_uuid, parent, trig);
    RuntimeProfile rt = b.Profile();
    ASSERT_TRUE(rt.AddString("load_path", t.Join("pkgs")).ok());
    ASSERT_TRUE(rt.Validate().ok());
    auto env = MakeEnv(b, {d}, std::nullopt, rt);
    auto id = env->Identify(PkgId{ext_uuid, "ParentExt"}, "Trig");
    if (std::string(v) == "1.10.4") {
      EXPECT_EQ(KindOf(id.status()), ErrorKind::kPackageNotFound) << id.status();
    } else {
      ASSERT_TRUE(id.ok()) << id.status();
      EXPECT_EQ(*id, (PkgId{trig.uuid, "Trig"}));
    }
  }
}

}  // namespace
}  // namespace jlcache
