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

// Without the source-text list, one depot for every include is the only
// case whose answer cannot depend on which includes are include()d.
TEST(DepotResolverTest, UniformResolutionNeedsNoSourceList) {
  CacheHeader h = Header({Inc("@depot/p/Foo.jl"), Inc("/abs/x.jl"),
                          Inc("@depot/p/a.jl"),
                          Inc("@depot/data/t.txt", IncludeKind::kIncludeDependency)});
  const std::vector<std::string> depots = {"/d1", "/d2"};
  auto all_in = [](const std::string& d) {
    return std::set<std::string>{d + "/p/Foo.jl", d + "/p/a.jl", d + "/data/t.txt"};
  };
  auto u = ResolveDepotsUniform(h, depots, Exists(all_in("/d2")));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(*u, ResolveDepots(h, depots, Exists(all_in("/d2"))).paths);
  EXPECT_EQ((*u)[1], "/abs/x.jl");
  // The data file in d1 as well: only the source list can say it is allowed.
  std::set<std::string> split = all_in("/d2");
  split.insert("/d1/data/t.txt");
  EXPECT_FALSE(ResolveDepotsUniform(h, depots, Exists(split)).has_value());
  // A missing file.
  std::set<std::string> gone = all_in("/d2");
  gone.erase("/d2/p/a.jl");
  EXPECT_FALSE(ResolveDepotsUniform(h, depots, Exists(gone)).has_value());

  // Every existence pattern over the two depots: whenever the uniform answer
  // is given, it is ResolveDepots' answer for either classification.
  const std::vector<std::string> rel = {"/p/Foo.jl", "/p/a.jl", "/data/t.txt"};
  CacheHeader all_src = Header({Inc("@depot/p/Foo.jl"), Inc("/abs/x.jl"), Inc("@depot/p/a.jl"),
                                Inc("@depot/data/t.txt")});
  int answered = 0;
  for (unsigned mask = 0; mask < 64; ++mask) {
    std::set<std::string> present;
    for (size_t f = 0; f < rel.size(); ++f)
      for (size_t d = 0; d < depots.size(); ++d)
        if (mask & (1u << (f * 2 + d))) present.insert(depots[d] + rel[f]);
    auto got = ResolveDepotsUniform(h, depots, Exists(present));
    if (!got) continue;
    ++answered;
    EXPECT_EQ(*got, ResolveDepots(h, depots, Exists(present)).paths) << mask;
    EXPECT_EQ(*got, ResolveDepots(all_src, depots, Exists(present)).paths) << mask;
  }
  EXPECT_GT(answered, 1);
}

TEST(DepotResolverTest, RewritesInPlaceAgainstTheRealFilesystem) {
  test_support::TempDir dir;
  const std::string d1 = dir.Join("d1"), d2 = dir.Join("d2");
  test_support::WriteFileOrDie(d2 + "/packages/Foo/x/src/Foo.jl", "module Foo end");
  test_support::MakeDirsOrDie(d1 + "/data/dir");
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

  test_support::TempDir dir;
  const std::string so = dir.Join("a.so");
  test_support::WriteFileOrDie(so, "123456789");
  CacheHeader h;
  h.pkgimage_crc = 0xE3069283;  // crc32c("123456789")
  EXPECT_TRUE(*NativeLibraryMatches(h, so));
  h.pkgimage_crc = 0xE3069284;
  EXPECT_FALSE(*NativeLibraryMatches(h, so));
  EXPECT_FALSE(NativeLibraryMatches(h, dir.Join("missing.so")).ok());
}

}  // namespace
}  // namespace jlcache
