// Julia's @depot resolution (parse_cache_header, 1.11+): include()d files all
// go to one depot; include_dependency files resolve one by one.
#include <set>
#include <string>
#include <vector>

#include "format/depot_resolver.h"
#include "format/native_library.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

IncludeEntry Inc(std::string path, IncludeKind kind = IncludeKind::kInclude) {
  IncludeEntry e;
  e.path = std::move(path);
  e.kind = kind;
  return e;
}

// A header whose srctext section lists the include() entries.
CacheHeader Header(std::vector<IncludeEntry> includes) {
  CacheHeader h;
  h.includes = std::move(includes);
  for (const IncludeEntry& e : h.includes)
    if (e.kind == IncludeKind::kInclude) h.srctext_files.push_back(e.path);
  return h;
}

PathExistsFn Exists(std::set<std::string> paths) {
  return [paths = std::move(paths)](const std::string& p) { return paths.count(p) > 0; };
}

TEST(DepotResolverTest, SrcfilesGoToTheFirstDepotThatHasThem) {
  CacheHeader h = Header({Inc("@depot/packages/Foo/x/src/Foo.jl"), Inc("@depot/packages/Foo/x/src/a.jl")});
  auto r = ResolveDepots(h, {"/d1", "/d2"},
                         Exists({"/d2/packages/Foo/x/src/Foo.jl", "/d2/packages/Foo/x/src/a.jl",
                                 "/d1/packages/Foo/x/src/a.jl"}));
  // Foo.jl only in d2; a.jl in d1 first -> two depots -> nothing rewritten.
  EXPECT_TRUE(r.srcfiles_multiple_depots);
  EXPECT_FALSE(r.srcfiles_depot.has_value());
  EXPECT_EQ(r.paths[0], "@depot/packages/Foo/x/src/Foo.jl");
  EXPECT_FALSE(r.all_resolved());
  EXPECT_EQ(r.FirstUnresolved(), 0);

  r = ResolveDepots(h, {"/d1", "/d2"},
                    Exists({"/d2/packages/Foo/x/src/Foo.jl", "/d2/packages/Foo/x/src/a.jl"}));
  EXPECT_FALSE(r.srcfiles_multiple_depots);
  EXPECT_EQ(*r.srcfiles_depot, "/d2");
  EXPECT_EQ(r.paths[0], "/d2/packages/Foo/x/src/Foo.jl");
  EXPECT_EQ(r.paths[1], "/d2/packages/Foo/x/src/a.jl");
  EXPECT_TRUE(r.all_resolved());
}

TEST(DepotResolverTest, UnresolvedSrcfilesFollowTheDepotOfTheOthers) {
  CacheHeader h = Header({Inc("@depot/p/Foo.jl"), Inc("@depot/p/gone.jl")});
  auto r = ResolveDepots(h, {"/d1", "/d2"}, Exists({"/d2/p/Foo.jl"}));
  EXPECT_TRUE(r.any_srcfile_unresolved);
  EXPECT_EQ(r.paths[1], "/d2/p/gone.jl");  // rewritten, then stale because it is missing
  EXPECT_TRUE(r.all_resolved());
}

TEST(DepotResolverTest, NothingResolvesMeansNothingIsRewritten) {
  CacheHeader h = Header({Inc("@depot/p/Foo.jl"), Inc("/abs/other.jl")});
  auto r = ResolveDepots(h, {"/d1"}, Exists({"/abs/other.jl"}));
  EXPECT_EQ(r.paths[0], "@depot/p/Foo.jl");
  EXPECT_EQ(r.paths[1], "/abs/other.jl");  // not relocatable: kept
  EXPECT_FALSE(r.resolved[0]);
  EXPECT_TRUE(r.resolved[1]);
}

TEST(DepotResolverTest, IncludeDependenciesResolveOneByOne) {
  CacheHeader h = Header({Inc("@depot/p/Foo.jl"),
                          Inc("@depot/data/a.txt", IncludeKind::kIncludeDependency),
                          Inc("@depot/data/b", IncludeKind::kIncludeDependency),
                          Inc("@depot/data/none", IncludeKind::kIncludeDependency)});
  auto r = ResolveDepots(h, {"/d1", "/d2", "/d3/"},
                         Exists({"/d1/p/Foo.jl", "/d2/data/a.txt", "/d3//data/b"}));
  EXPECT_EQ(r.paths[0], "/d1/p/Foo.jl");
  EXPECT_EQ(r.paths[1], "/d2/data/a.txt");
  EXPECT_EQ(r.paths[2], "/d3//data/b");  // textual substitution, as Julia does
  EXPECT_EQ(r.paths[3], "@depot/data/none");
  EXPECT_FALSE(r.resolved[3]);
  EXPECT_EQ(r.FirstUnresolved(), 3);
}

TEST(DepotResolverTest, OnlyDepotSlashIsRelocatable) {
  CacheHeader h = Header({Inc("@depotx/Foo.jl", IncludeKind::kIncludeDependency), Inc("@depot")});
  auto r = ResolveDepots(h, {"/d1"}, [](const std::string&) { return true; });
  EXPECT_EQ(r.paths[0], "@depotx/Foo.jl");
  EXPECT_EQ(r.paths[1], "@depot");
  EXPECT_TRUE(r.all_resolved());
  EXPECT_EQ(RestoreDepotPath("@depot/x", "/d"), "/d/x");
  EXPECT_EQ(RestoreDepotPath("/a/@depot/x", "/d"), "/a/@depot/x");
}

TEST(DepotResolverTest, RewritesInPlaceAgainstTheRealFilesystem) {
  testing::TempDir dir;
  const std::string d1 = dir.Join("d1"), d2 = dir.Join("d2");
  testing::WriteFileOrDie(d2 + "/packages/Foo/x/src/Foo.jl", "module Foo end");
  testing::MakeDirsOrDie(d1 + "/data/dir");
  CacheHeader h = Header({Inc("@depot/packages/Foo/x/src/Foo.jl"),
                          Inc("@depot/data/dir", IncludeKind::kIncludeDependency)});
  ResolveDepotPaths(&h, {d1, d2});
  EXPECT_EQ(h.includes[0].path, d2 + "/packages/Foo/x/src/Foo.jl");
  EXPECT_EQ(h.includes[1].path, d1 + "/data/dir");  // directories count (ispath)
}

TEST(NativeLibraryTest, PathAndCrcCheck) {
  EXPECT_EQ(NativeLibraryPath("/c/v1.11/Foo/Ao9PJ_zCCm4.ji"), "/c/v1.11/Foo/Ao9PJ_zCCm4.so");
  EXPECT_EQ(NativeLibraryPath("/c/Foo/a.ji", DlextForOs("Darwin")), "/c/Foo/a.dylib");
  EXPECT_EQ(NativeLibraryPath("/c/Foo/a.ji", DlextForOs("NT")), "/c/Foo/a.dll");
  EXPECT_EQ(NativeLibraryPath("/c/Foo/a.bin"), "/c/Foo/a.bin.so");  // chopsuffix keeps it
  EXPECT_EQ(DlextForOs("Linux"), "so");
  EXPECT_EQ(DlextForOs("FreeBSD"), "so");

  testing::TempDir dir;
  const std::string so = dir.Join("a.so");
  testing::WriteFileOrDie(so, "123456789");
  CacheHeader h;
  h.pkgimage_crc = 0xE3069283;  // crc32c("123456789")
  EXPECT_TRUE(*NativeLibraryMatches(h, so));
  h.pkgimage_crc = 0xE3069284;
  EXPECT_FALSE(*NativeLibraryMatches(h, so));
  EXPECT_FALSE(NativeLibraryMatches(h, dir.Join("missing.so")).ok());
}

}  // namespace
}  // namespace jlcache
