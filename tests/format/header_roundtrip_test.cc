// reader(writer(x)) == x for every layout, pkgimage and plain, with every
// field populated (several worklist modules, submodule paths, interleaved
// requires records, include_dependency files, preferences in both forms).
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/error.h"
#include "format/header_reader.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"

namespace jlcache {
namespace {

using test_support::CacheBody;
using test_support::WriteCacheFile;
using test_support::WrittenCache;

const std::vector<HeaderLayout> kAllLayouts = {
    HeaderLayout::kA,    HeaderLayout::kB,    HeaderLayout::kBPrime, HeaderLayout::kC13a,
    HeaderLayout::kC13b, HeaderLayout::kC13c, HeaderLayout::kC15};

Uuid U(const char* s) { return *Uuid::Parse(s); }

// A header with every field populated in the layout's form.
CacheHeader RichHeader(HeaderLayout layout, bool pkgimage) {
  CacheHeader h;
  h.layout = layout;
  h.pointer_size = 8;
  h.os = "Linux";
  h.arch = "x86_64";
  h.julia_version = test_support::DefaultJuliaVersion(layout);
  h.git_branch = "release-x";
  h.git_commit = "0123456789abcdef0123456789abcdef01234567";
  h.checksum = FormatVersionOf(layout) == 15 ? 0x99aabbccu : 0xfafbfcfd11223344ULL;
  h.flags.byte = pkgimage ? 0xa3 : 0xa2;
  if (HasSyntaxVersion(layout)) h.syntax_version = 1;
  if (layout == HeaderLayout::kC15) {
    h.gc_abi = "mmtk-Immix-moving-0";
    h.ji_flags = pkgimage ? 3u : 1u;
  }
  h.modules = {{"Foo", U("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d"), 0x0123456789abcdefULL},
               {"FooExt", std::nullopt, 0x42}};
  const bool sized = IncludesCarrySizeAndHash(layout);
  auto inc = [&](std::string path, int32_t n1, std::vector<std::string> sub, bool content,
                 double mtime, IncludeKind kind) {
    IncludeEntry e;
    e.path = std::move(path);
    e.module_index = n1;
    e.submodule_path = std::move(sub);
    e.kind = kind;
    if (sized) {
      e.fsize = content ? 25 : 0;
      e.hash = content ? 0xB0607D48u : 0;
      e.mtime = content ? -1.0 : mtime;
    } else {
      e.mtime = mtime;
    }
    return e;
  };
  const std::string root = sized ? "@depot/packages/Foo/eEDNv/src/" : "/home/u/.julia/packages/Foo/eEDNv/src/";
  h.includes = {
      inc(root + "Foo.jl", 0, {}, true, 1700000000.25, IncludeKind::kInclude),
      inc(root + "impl.jl", 1, {}, true, 1700000001.5, IncludeKind::kInclude),
      inc(root + "inner/deep.jl", 1, {"Inner", "Deep"}, true, 1700000002.125, IncludeKind::kInclude),
      inc(root + "ext.jl", 2, {}, true, 1700000003.0, IncludeKind::kInclude),
      inc(root + "../data/table.csv", 0, {}, false, 1700000004.75, IncludeKind::kIncludeDependency),
  };
  RequiresEntry bar;
  bar.module_index = 1;
  bar.imported = PkgId{U("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), "Bar"};
  RequiresEntry nouuid;
  nouuid.module_index = 1;
  nouuid.submodule_path = {"Inner"};
  nouuid.imported = PkgId{std::nullopt, "NoUuid"};
  h.requires_ = {bar, nouuid};
  // Julia's order: entry file, `using Bar`, the rest, a late `using` in Inner.
  h.dependency_order = {{false, 0}, {true, 0}, {false, 1}, {false, 2},
                        {true, 1},  {false, 3}, {false, 4}};
  if (UsesPreferencesBlob(layout)) {
    h.preferences_blob = "[e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d]\nmode = \"fast\"\n";
  } else {
    h.preference_names = std::vector<std::string>{"mode", "level"};
    h.preferences_hash = 0x1122334455667788ULL;
  }
  h.required_modules = test_support::DefaultSysimageModules();
  h.required_modules.push_back(
      {"Bar", U("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), BuildId{0xfafbfcfd55667788ULL, 0x0fedcba987654321ULL}});
  if (pkgimage)
    h.clone_targets = test_support::GenericCloneTargets(test_support::CloneTargetEncodingOf(layout), h.arch);
  h.pkgimage_crc = pkgimage ? 0x89abcdefu : 0;
  return h;
}

CacheBody RichBody(const CacheHeader& h) {
  CacheBody b;
  for (const IncludeEntry& e : h.includes)
    if (e.kind == IncludeKind::kInclude) b.source_texts[e.path] = "module Foo\nusing Bar\nend\n";
  b.heap = std::string(300, '\x7e');
  return b;
}

class RoundTripTest : public ::testing::TestWithParam<std::tuple<HeaderLayout, bool>> {};

TEST_P(RoundTripTest, ReaderReturnsWhatWriterWrote) {
  auto [layout, pkgimage] = GetParam();
  CacheHeader in = RichHeader(layout, pkgimage);
  WrittenCache w = WriteCacheFile(in, RichBody(in));
  absl::StatusOr<CacheHeader> out = ParseCacheHeader(w.bytes);
  ASSERT_TRUE(out.ok()) << Message(out.status());
  // A plain C13c cache has no clone targets to tell it from C13b.
  const HeaderLayout expected_layout =
      layout == HeaderLayout::kC13c && !pkgimage ? HeaderLayout::kC13b : layout;
  EXPECT_EQ(LayoutName(out->layout), LayoutName(expected_layout));
  EXPECT_EQ(out->includes.size(), in.includes.size());
  EXPECT_EQ(out->requires_, in.requires_);
  EXPECT_EQ(out->dependency_order, in.dependency_order);
  EXPECT_EQ(out->modules, in.modules);
  EXPECT_EQ(out->required_modules, in.required_modules);
  EXPECT_EQ(out->srctext_files.size(), 4u);
  EXPECT_TRUE(out->crc_ok);
  EXPECT_EQ(out->file_size, w.bytes.size());
  EXPECT_TRUE(*out == w.header);
  // The writer only computed what Julia computes; the rest is as given.
  CacheHeader expected = in;
  expected.layout = expected_layout;
  expected.format_version = FormatVersionOf(layout);
  expected.totbytes = w.header.totbytes;
  expected.srctextpos = w.header.srctextpos;
  expected.datastartpos = w.header.datastartpos;
  expected.dataendpos = w.header.dataendpos;
  expected.clone_target_encoding = w.header.clone_target_encoding;
  expected.srctext_files = w.header.srctext_files;
  expected.file_crc = w.header.file_crc;
  expected.crc_ok = true;
  expected.whole_file_crc = Crc32c(w.bytes.data(), w.bytes.size());
  expected.file_size = w.bytes.size();
  EXPECT_TRUE(*out == expected);
  EXPECT_EQ(out->has_native_code(), pkgimage);
  // Rewriting what was read gives the same bytes.
  absl::StatusOr<std::vector<SourceTextEntry>> texts = ReadSourceTexts(w.bytes, *out);
  ASSERT_TRUE(texts.ok()) << Message(texts.status());
  CacheBody again;
  for (const auto& t : *texts) again.source_texts[std::string(t.path)] = std::string(t.text);
  again.heap = w.bytes.substr(out->datastartpos, out->dataendpos - out->datastartpos);
  EXPECT_EQ(WriteCacheFile(*out, again).bytes, w.bytes);
}

INSTANTIATE_TEST_SUITE_P(
    AllLayouts, RoundTripTest,
    ::testing::Combine(::testing::ValuesIn(kAllLayouts), ::testing::Bool()),
    [](const ::testing::TestParamInfo<RoundTripTest::ParamType>& info) {
      std::string name(LayoutName(std::get<0>(info.param)));
      if (name == "B'") name = "BPrime";
      return name + (std::get<1>(info.param) ? "_pkgimage" : "_plain");
    });

TEST(RoundTripTest, PackageCacheHelperRoundTrips) {
  for (HeaderLayout layout : kAllLayouts) {
    test_support::PackageCacheSpec spec;
    spec.layout = layout;
    spec.uuid = U("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
    spec.files = {test_support::EntryFile("/p/Foo/src/Foo.jl", "module Foo\nend\n", 1.5),
                  test_support::IncludedFile("/p/Foo/src/a.jl", "f() = 1\n", 2.5, {"Sub"}),
                  test_support::DependencyFile("/p/Foo/data.txt", "xyz", false, 3.5)};
    spec.requires_ = {PkgId{U("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), "Bar"}};
    WrittenCache w = test_support::MakePackageCache(spec);
    absl::StatusOr<CacheHeader> out = ParseCacheHeader(w.bytes);
    ASSERT_TRUE(out.ok()) << LayoutName(layout) << ": " << Message(out.status());
    EXPECT_TRUE(*out == w.header) << LayoutName(layout);
    EXPECT_EQ(out->layout, layout);
    ASSERT_EQ(out->includes.size(), 3u);
    EXPECT_EQ(out->includes[0].kind, IncludeKind::kInclude);
    EXPECT_EQ(out->includes[2].kind, IncludeKind::kIncludeDependency);
    if (layout != HeaderLayout::kA) {
      EXPECT_EQ(*out->includes[0].fsize, 15u);
      EXPECT_EQ(*out->includes[0].hash, Crc32cStr("module Foo\nend\n"));
      EXPECT_EQ(out->includes[0].mtime, -1.0);
      EXPECT_TRUE(out->includes[0].tracked_by_content());
      EXPECT_FALSE(out->includes[2].tracked_by_content());
      EXPECT_EQ(out->includes[2].mtime, 3.5);
    } else {
      EXPECT_EQ(out->includes[0].mtime, 1.5);
      EXPECT_FALSE(out->includes[0].fsize.has_value());
    }
    EXPECT_EQ(out->PackageBuildId().lo, spec.build_id_lo);
  }
}

}  // namespace
}  // namespace jlcache
