// Bad input gets a clear message and a distinct ErrorKind: broken TOML
// (file:line:col), missing manifest, declared but not installed, unreadable
// directory, symlink loop. Permission cases run as an unprivileged user
// (support/unprivileged.h). Never skipped.
#include <sys/stat.h>

#include <functional>

#include <gtest/gtest.h>

#include "core/error.h"
#include "env/environment.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"
#include "support/unprivileged.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::OpenUp;
using test_support::ManifestBuilder;
using test_support::PackageSpec;
using test_support::Pkg;
using test_support::ProjectSpec;
using test_support::TempDir;

// body's ErrorKind as an int, or -1 (test_support::AsUnprivileged).
int AsUnprivileged(const std::function<ErrorKind()>& body) {
  return test_support::AsUnprivileged([&] { return static_cast<int>(body()); });
}

class EnvErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenUp(tmp.path());
    b = std::make_unique<DepotBuilder>(tmp.path(), "1.11.7");
    d = b->AddDepot("depot");
    example = Pkg("Example", "7876af07-990d-54b4-ab0e-23690620f79a");
    ProjectSpec ps;
    ps.deps = {{"Example", example.uuid}};
    m.Tree(example, "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc");
    proj = b->AddProject("proj", ps, m);
  }
  std::shared_ptr<const Environment> Env(std::optional<std::string> project) {
    auto env = Environment::Create(b->Profile(), b->Options({d}, std::move(project)));
    EXPECT_TRUE(env.ok()) << env.status();
    return env.ok() ? *env : nullptr;
  }
  TempDir tmp;
  std::unique_ptr<DepotBuilder> b;
  std::string d, proj;
  PackageSpec example;
  ManifestBuilder m{2, "1.11.7"};
};

TEST_F(EnvErrorsTest, NotInstalled) {
  auto env = Env(proj);
  auto loc = env->LocateByName("Example");
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kNotInstalled) << loc.status();
  EXPECT_NE(Message(loc.status()).find(d + "/packages/Example/aqsx3"), std::string_view::npos);
}

TEST_F(EnvErrorsTest, MissingManifest) {
  test_support::RemoveTreeOrDie(proj + "/Manifest.toml");
  auto env = Env(proj);
  auto loc = env->LocateByName("Example");
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kManifestMissing) << loc.status();
  EXPECT_EQ(KindOf(env->ManifestPackages().status()), ErrorKind::kManifestMissing);
}

TEST_F(EnvErrorsTest, BrokenProjectAndManifestTomlNameFileLineColumn) {
  test_support::WriteFileOrDie(proj + "/Manifest.toml", "manifest_format = \"2.0\"\n\n[[deps.Example]\nuuid = 1\n");
  auto env = Env(proj);
  auto loc = env->Locate(PkgId{example.uuid, "Example"});
  ASSERT_FALSE(loc.ok());
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kToml);
  EXPECT_EQ(Message(loc.status()).substr(0, proj.size() + 17), proj + "/Manifest.toml:3:") << loc.status();

  test_support::WriteFileOrDie(proj + "/Project.toml", "[deps]\nExample = \"7876af07\nx\n");
  auto id = env->Identify("Example");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(KindOf(id.status()), ErrorKind::kToml);
  EXPECT_EQ(Message(id.status()).substr(0, proj.size() + 16), proj + "/Project.toml:2:") << id.status();
  // Creating the environment does not parse the active project, so it still works.
  auto created = Environment::Create(b->Profile(), b->Options({d}, proj));
  EXPECT_TRUE(created.ok());
}

TEST_F(EnvErrorsTest, MalformedUuidInManifestIsAnError) {
  test_support::WriteFileOrDie(proj + "/Manifest.toml",
                          "manifest_format = \"2.0\"\n[[deps.Example]]\nuuid = \"not-a-uuid\"\n");
  auto env = Env(proj);
  auto loc = env->Locate(PkgId{example.uuid, "Example"});
  ASSERT_FALSE(loc.ok());
  EXPECT_NE(Message(loc.status()).find("not-a-uuid"), std::string_view::npos);
}

TEST_F(EnvErrorsTest, SymlinkLoop) {
  ASSERT_EQ(::symlink(tmp.Join("loop").c_str(), tmp.Join("loop").c_str()), 0);
  RuntimeProfile rt = b->Profile();
  ASSERT_TRUE(rt.AddString("load_path", tmp.Join("loop")).ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b->Options({d}));
  // load_path_expand stats the entry (isdir): ELOOP, as Julia would throw.
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(KindOf(env.status()), ErrorKind::kSymlinkLoop) << env.status();
  // A package directory that is a loop.
  b->WritePackage(tmp.Join("dev/Dev"), Pkg("Dev", "3b5c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e"));
  test_support::RemoveTreeOrDie(d + "/packages");
  test_support::MakeDirsOrDie(d + "/packages/Example");
  ASSERT_EQ(::symlink((d + "/packages/Example/aqsx3").c_str(), (d + "/packages/Example/aqsx3").c_str()), 0);
  auto env2 = Env(proj);
  auto loc = env2->LocateByName("Example");
  // ispath() on the slug directory hits the loop.
  EXPECT_EQ(KindOf(loc.status()), ErrorKind::kSymlinkLoop) << loc.status();
}

TEST_F(EnvErrorsTest, UnreadableDirectoriesAsAnUnprivilegedUser) {
  // Everything reachable for the unprivileged user, except what we lock.
  b->InstallRegistryPackage(d, example, "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc");
  for (const char* rel : {"depot", "depot/packages", "depot/packages/Example", "proj", "julia", "julia/bin",
                          "julia/share", "julia/share/julia", "julia/share/julia/stdlib",
                          "julia/share/julia/stdlib/v1.11", "home"})
    OpenUp(tmp.Join(rel));
  auto env = Env(proj);
  ASSERT_TRUE(env);
  // Sanity: readable, it is found.
  EXPECT_EQ(AsUnprivileged([&] { return KindOf(env->LocateByName("Example").status()); }),
            static_cast<int>(ErrorKind::kNone));
  // The depot's packages directory is unreadable: ispath() fails with EACCES.
  ::chmod((d + "/packages").c_str(), 0000);
  EXPECT_EQ(AsUnprivileged([&] { return KindOf(env->LocateByName("Example").status()); }),
            static_cast<int>(ErrorKind::kPermission));
  ::chmod((d + "/packages").c_str(), 0755);
  // The compiled/ directory of the package cannot be listed.
  test_support::MakeDirsOrDie(d + "/compiled/v1.11/Example");
  OpenUp(d + "/compiled");
  OpenUp(d + "/compiled/v1.11");
  ::chmod((d + "/compiled/v1.11/Example").c_str(), 0300);
  EXPECT_EQ(AsUnprivileged([&] {
              return KindOf(env->FindCacheCandidates(PkgId{example.uuid, "Example"}).status());
            }),
            static_cast<int>(ErrorKind::kPermission));
  // The environment directory itself is behind an unreadable directory.
  test_support::MakeDirsOrDie(tmp.Join("locked/env"));
  ::chmod(tmp.Join("locked").c_str(), 0000);
  RuntimeProfile rt = b->Profile();
  ASSERT_TRUE(rt.AddString("load_path", tmp.Join("locked/env")).ok());
  ASSERT_TRUE(rt.Validate().ok());
  EXPECT_EQ(AsUnprivileged([&] { return KindOf(Environment::Create(rt, b->Options({d})).status()); }),
            static_cast<int>(ErrorKind::kPermission));
  ::chmod(tmp.Join("locked").c_str(), 0755);
}

}  // namespace
}  // namespace jlcache
