// Cache candidates (find_all_in_cache_path), new cache names
// (compilecache_path) and pidfiles: docs/loading.md §7-§9 with its vectors.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/slug.h"
#include "env/environment.h"
#include "support/cache_writer.h"
#include "support/depot_builder.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::TempDir;
using test_support::U;

const Uuid kFoo = U("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");

// The §8 inputs: an installation under /opt/julia-X and a project that need
// not exist (active_project keeps a .../Project.toml path as is).
std::shared_ptr<const Environment> VectorEnv(const TempDir& tmp, const char* version,
                                             const char* prefix) {
  DepotBuilder b(tmp.path(), version);
  RuntimeProfile rt = b.Profile();
  EXPECT_TRUE(rt.SetString("julia_bin", std::string(prefix) + "/bin/julia").ok());
  EXPECT_TRUE(rt.SetString("image_file", std::string(prefix) + "/lib/julia/sys.so").ok());
  EXPECT_TRUE(rt.AddString("depot_path", tmp.Join("depot")).ok());
  EXPECT_TRUE(rt.Validate().ok());
  auto env = Environment::Create(rt, b.Options({}, "/home/user/proj/Project.toml"));
  EXPECT_TRUE(env.ok()) << env.status();
  return *env;
}

TEST(NewCacheNameTest, HashEraVector) {
  TempDir tmp;
  auto env = VectorEnv(tmp, "1.11.7", "/opt/julia-1.11.7");
  EXPECT_EQ(env->active_project(), "/home/user/proj/Project.toml");
  EXPECT_EQ(env->NewCacheFileName(PkgId{kFoo, "Foo"}),
            tmp.Join("depot/compiled/v1.11/Foo/Ao9PJ_zCCm4.ji"));
  EXPECT_EQ(env->PidfilePath(PkgId{kFoo, "Foo"}),
            tmp.Join("depot/compiled/v1.11/Foo/Ao9PJ_R857k.ji.pidfile"));
}

TEST(NewCacheNameTest, BlobEraVector) {
  TempDir tmp;
  auto env = VectorEnv(tmp, "1.13.0", "/opt/julia-1.13.0");
  EXPECT_EQ(env->NewCacheFileName(PkgId{kFoo, "Foo"}),
            tmp.Join("depot/compiled/v1.13/Foo/Ao9PJ_U9aVK.ji"));
  EXPECT_EQ(env->PidfilePath(PkgId{kFoo, "Foo"}),
            tmp.Join("depot/compiled/v1.13/Foo/Ao9PJ_ROt3I.ji.pidfile"));
}

TEST(NewCacheNameTest, CpuTargetVariableAndUuidLessAndUnknownForm) {
  TempDir tmp;
  DepotBuilder b(tmp.path(), "1.11.7");
  RuntimeProfile rt = b.Profile();
  ASSERT_TRUE(rt.AddString("depot_path", tmp.Join("depot")).ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto o = b.Options({}, tmp.Join("p"));
  auto plain = Environment::Create(rt, o);
  o.env["JULIA_CPU_TARGET"] = "generic";
  auto generic = Environment::Create(rt, o);
  ASSERT_TRUE(plain.ok() && generic.ok());
  EXPECT_NE((*plain)->NewCacheFileName(PkgId{kFoo, "Foo"}), (*generic)->NewCacheFileName(PkgId{kFoo, "Foo"}));
  // The pidfile ignores the project, not the CPU target.
  EXPECT_NE((*plain)->PidfilePath(PkgId{kFoo, "Foo"}), (*generic)->PidfilePath(PkgId{kFoo, "Foo"}));
  EXPECT_EQ((*plain)->NewCacheFileName(PkgId{std::nullopt, "Script"}),
            tmp.Join("depot/compiled/v1.11/Script.ji"));
  // 1.13.0-beta3 may write either preference form: unknown unless recorded.
  TempDir tmp2;
  DepotBuilder b2(tmp2.path(), "1.13.0-beta3");
  RuntimeProfile rt2 = b2.Profile();
  ASSERT_TRUE(rt2.AddString("depot_path", tmp2.Join("depot")).ok());
  ASSERT_TRUE(rt2.Validate().ok());
  auto e2 = Environment::Create(rt2, b2.Options({}));
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ((*e2)->NewCacheFileName(PkgId{kFoo, "Foo"}), std::nullopt);
  ASSERT_TRUE(rt2.SetString("preferences_name_form", "blob").ok());
  ASSERT_TRUE(rt2.Validate().ok());
  auto e3 = Environment::Create(rt2, b2.Options({}));
  EXPECT_TRUE((*e3)->NewCacheFileName(PkgId{kFoo, "Foo"}).has_value());
  // No depot: nowhere to write.
  RuntimeProfile rt3 = b.Profile();
  auto o3 = b.Options({});
  o3.env["JULIA_DEPOT_PATH"] = "";
  auto e4 = Environment::Create(rt3, o3);
  ASSERT_TRUE(e4.ok());
  EXPECT_TRUE((*e4)->depots().empty());
  EXPECT_EQ((*e4)->NewCacheFileName(PkgId{kFoo, "Foo"}), std::nullopt);
}

class CandidatesTest : public ::testing::Test {
 protected:
  std::string Write(DepotBuilder& b, const std::string& depot, const std::string& file, uint8_t flags,
                    int64_t mtime, const char* version) {
    test_support::PackageCacheSpec spec;
    spec.layout = std::string(version) == "1.10.4" ? HeaderLayout::kA : HeaderLayout::kB;
    spec.julia_version = version;
    spec.name = "Foo";
    spec.uuid = kFoo;
    spec.flags = flags;
    spec.pkgimage = flags & 1;
    std::string path = b.WriteCacheFile(depot, "Foo", file, test_support::MakePackageCache(spec).bytes);
    test_support::SetMtimeOrDie(path, mtime, 0);
    return path;
  }
  TempDir tmp;
};

TEST_F(CandidatesTest, FilterAndOrderPerVersion) {
  for (const char* v : {"1.10.4", "1.11.7"}) {
    TempDir t;
    DepotBuilder b(t.path(), v);
    std::string d1 = b.AddDepot("d1"), d2 = b.AddDepot("d2");
    std::string old_pkgimage = Write(b, d1, "Ao9PJ_aaaaa.ji", 0xa3, 1000, v);
    std::string new_plain = Write(b, d2, "Ao9PJ_bbbbb.ji", 0xa2, 3000, v);
    std::string mid_pkgimage = Write(b, d2, "Ao9PJ_ccccc.ji", 0xa3, 2000, v);
    // Not candidates: other slug, the .so, a directory named like a cache.
    Write(b, d1, "XXXXX_aaaaa.ji", 0xa3, 5000, v);
    test_support::WriteFileOrDie(d1 + "/compiled/" + b.MajorMinor() + "/Foo/Ao9PJ_aaaaa.so", "");
    test_support::MakeDirsOrDie(d1 + "/compiled/" + b.MajorMinor() + "/Foo/Ao9PJ_ddddd.ji");
    auto env = Environment::Create(b.Profile(), b.Options({d1, d2}));
    ASSERT_TRUE(env.ok());
    auto c = (*env)->FindCacheCandidates(PkgId{kFoo, "Foo"});
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(c->files.size(), 3u);
    EXPECT_TRUE(c->order_exact);
    std::vector<std::string> got;
    for (const auto& f : c->files) got.push_back(f.path);
    if (std::string(v) == "1.10.4")  // newest first
      EXPECT_EQ(got, (std::vector<std::string>{new_plain, mid_pkgimage, old_pkgimage}));
    else  // pkgimages first, each group newest first
      EXPECT_EQ(got, (std::vector<std::string>{mid_pkgimage, old_pkgimage, new_plain}));
    EXPECT_EQ(c->files[0].mtime, std::string(v) == "1.10.4" ? 3000.0 : 2000.0);
  }
}

TEST_F(CandidatesTest, PkgimagesOffOrForeignHeadersSortByMtimeOnly) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  std::string a = Write(b, d, "Ao9PJ_aaaaa.ji", 0xa3, 1000, "1.11.7");
  std::string c2 = Write(b, d, "Ao9PJ_ccccc.ji", 0xa2, 2000, "1.11.7");
  // A pkgimage written by another Julia version: its prelude does not match.
  std::string foreign = Write(b, d, "Ao9PJ_fffff.ji", 0xa3, 1500, "1.11.6");
  RuntimeProfile rt = b.Profile();
  auto env = Environment::Create(rt, b.Options({d}));
  auto got = (*env)->FindCacheCandidates(PkgId{kFoo, "Foo"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->files.size(), 3u);
  EXPECT_EQ(got->files[0].path, a);
  EXPECT_EQ(got->files[1].path, c2);
  EXPECT_EQ(got->files[2].path, foreign);
  ASSERT_TRUE(rt.SetString("pkgimages", "no").ok());
  ASSERT_TRUE(rt.SetInt("cache_flags", 0xa2).ok());
  ASSERT_TRUE(rt.Validate().ok());
  auto env2 = Environment::Create(rt, b.Options({d}));
  got = (*env2)->FindCacheCandidates(PkgId{kFoo, "Foo"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->files[0].path, c2);
  EXPECT_EQ(got->files[1].path, foreign);
  EXPECT_EQ(got->files[2].path, a);
}

TEST_F(CandidatesTest, UuidLessPackagesUseNameDotJi) {
  DepotBuilder b(tmp.path(), "1.11.7");
  std::string d = b.AddDepot("d");
  test_support::WriteFileOrDie(d + "/compiled/v1.11/Script.ji", "x");
  test_support::WriteFileOrDie(d + "/compiled/v1.11/Script_x.ji", "x");
  auto env = Environment::Create(b.Profile(), b.Options({d}));
  auto got = (*env)->FindCacheCandidates(PkgId{std::nullopt, "Script"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->files.size(), 1u);
  EXPECT_EQ(got->files[0].path, d + "/compiled/v1.11/Script.ji");
}

}  // namespace
}  // namespace jlcache
