// `jlcache inspect`: on writer-made files of every layout, --json shows every
// field exactly as written; exit codes 0 (valid), 1 (CRC failure), 2 (unparsable).
#include <string>
#include <vector>

#include "core/hex.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"
#include "support/json_value.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::JsonValue;

const std::vector<HeaderLayout> kAllLayouts = {
    HeaderLayout::kA,    HeaderLayout::kB,    HeaderLayout::kBPrime, HeaderLayout::kC13a,
    HeaderLayout::kC13b, HeaderLayout::kC13c, HeaderLayout::kC15};

test_support::ProcessResult Inspect(std::vector<std::string> args) {
  args.insert(args.begin(), {JLCACHE_CLI_PATH, "inspect"});
  return test_support::RunProcess(args);
}

test_support::WrittenCache Sample(HeaderLayout layout, bool pkgimage) {
  test_support::PackageCacheSpec spec;
  spec.layout = layout;
  spec.name = "Foo";
  spec.uuid = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
  spec.git_branch = "release-x";
  spec.git_commit = "0123456789abcdef0123456789abcdef01234567";
  spec.pkgimage = pkgimage;
  spec.flags = pkgimage ? 0xe5 : 0x8a;  // exercise every flag field
  spec.syntax_version = 2;
  const bool depot = layout != HeaderLayout::kA;
  const std::string root = depot ? "@depot/packages/Foo/eEDNv/src/" : "/home/u/.julia/packages/Foo/eEDNv/src/";
  spec.files = {test_support::EntryFile(root + "Foo.jl", "module Foo\n\"quoted\\\\\"\nend\n", 1700000000.125),
                test_support::IncludedFile(root + "in.jl", "x = 1\n", 1700000000.25, {"Inner", "Deep"}),
                test_support::DependencyFile(root + "../data.txt", "data", false, 1700000000.5),
                test_support::DependencyFile(root + "../dir", "", true, 0)};
  spec.files.back().hash = 0xdeadbeef;  // a directory: CRC of its joined entry names
  spec.requires_ = {PkgId{*Uuid::Parse("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), "Bar"},
                    PkgId{std::nullopt, "NoUuid"}};
  spec.preference_names = {"mode", "level"};
  spec.preferences_hash = 0x8877665544332211ULL;
  spec.preferences_blob = "[e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d]\nmode = \"fast\"\n";
  spec.required_modules = test_support::DefaultSysimageModules();
  spec.required_modules.push_back({"Bar", *Uuid::Parse("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"),
                                   BuildId{0xfafbfcfd55667788ULL, 0x0fedcba987654321ULL}});
  spec.crc_so = pkgimage ? 0x89abcdef : 0;
  return test_support::MakePackageCache(spec);
}

std::vector<std::string> Strings(const JsonValue& v) {
  std::vector<std::string> out;
  for (const JsonValue& s : v.items) out.push_back(s.str());
  return out;
}

std::string UuidOrNull(const JsonValue& v) { return v.is_null() ? "null" : v.str(); }
std::string UuidOrNull(const std::optional<Uuid>& u) { return u ? u->ToString() : "null"; }

// Every key of the --json object against the header the writer wrote.
void ExpectJsonMatches(const JsonValue& j, const CacheHeader& h) {
  EXPECT_EQ(j["format_version"].AsInt(), h.format_version);
  EXPECT_EQ(j["layout"].str(), LayoutName(h.layout));
  EXPECT_EQ(j["julia_version"].str(), h.julia_version);
  EXPECT_EQ(j["git_branch"].str(), h.git_branch);
  EXPECT_EQ(j["git_commit"].str(), h.git_commit);
  EXPECT_EQ(j["os"].str(), h.os);
  EXPECT_EQ(j["arch"].str(), h.arch);
  EXPECT_EQ(j["pointer_size"].AsInt(), h.pointer_size);
  EXPECT_EQ(j["pkgimage_marker"].AsInt(), h.pkgimage_marker);
  EXPECT_EQ(j["checksum"].str(), Hex64(h.checksum));
  EXPECT_EQ(j["checksum"].str().size(), 18u);
  EXPECT_EQ(j["datastartpos"].AsUInt(), h.datastartpos);
  EXPECT_EQ(j["dataendpos"].AsUInt(), h.dataendpos);
  if (h.syntax_version)
    EXPECT_EQ(j["syntax_version"].AsInt(), *h.syntax_version);
  else
    EXPECT_TRUE(j.Has("syntax_version") && j["syntax_version"].is_null());
  if (h.gc_abi) {
    EXPECT_EQ(j["gc_abi"].str(), *h.gc_abi);
    EXPECT_EQ(j["ji_flags"].AsUInt(), *h.ji_flags);
  } else {
    EXPECT_TRUE(j.Has("gc_abi") && j["gc_abi"].is_null());
    EXPECT_TRUE(j.Has("ji_flags") && j["ji_flags"].is_null());
  }
  const JsonValue& f = j["flags"];
  EXPECT_EQ(f["byte"].AsInt(), h.flags.byte);
  EXPECT_EQ(f["use_pkgimages"].boolean, h.flags.use_pkgimages());
  EXPECT_EQ(f["debug_level"].AsInt(), h.flags.debug_level());
  EXPECT_EQ(f["check_bounds"].AsInt(), h.flags.check_bounds());
  EXPECT_EQ(f["inline"].boolean, h.flags.inline_());
  EXPECT_EQ(f["opt_level"].AsInt(), h.flags.opt_level());

  ASSERT_EQ(j["modules"].size(), h.modules.size());
  for (size_t i = 0; i < h.modules.size(); ++i) {
    EXPECT_EQ(j["modules"][i]["name"].str(), h.modules[i].name);
    EXPECT_EQ(UuidOrNull(j["modules"][i]["uuid"]), UuidOrNull(h.modules[i].uuid));
    EXPECT_EQ(j["modules"][i]["build_id"].str(), (BuildId{h.checksum, h.modules[i].build_id_lo}.ToString()));
    EXPECT_EQ(j["modules"][i]["build_id"].str().size(), 34u);
  }
  EXPECT_EQ(j["totbytes"].AsUInt(), h.totbytes);

  ASSERT_EQ(j["includes"].size(), h.includes.size());
  for (size_t i = 0; i < h.includes.size(); ++i) {
    const JsonValue& e = j["includes"][i];
    const IncludeEntry& inc = h.includes[i];
    SCOPED_TRACE(inc.path);
    EXPECT_EQ(e["path"].str(), inc.path);
    if (inc.fsize) {
      EXPECT_EQ(e["fsize"].AsUInt(), *inc.fsize);
      EXPECT_EQ(e["hash"].str(), Hex32(*inc.hash));
    } else {
      EXPECT_TRUE(e.Has("fsize") && e["fsize"].is_null());
      EXPECT_TRUE(e.Has("hash") && e["hash"].is_null());
    }
    EXPECT_EQ(e["mtime"].AsDouble(), inc.mtime);
    if (inc.module_index == 0)
      EXPECT_TRUE(e.Has("module") && e["module"].is_null());
    else
      EXPECT_EQ(e["module"].str(), h.ModuleName(inc.module_index));
    EXPECT_EQ(Strings(e["submodule_path"]), inc.submodule_path);
    EXPECT_EQ(e["tracked_by"].str(), inc.tracked_by_content() ? "content" : "mtime");
    EXPECT_EQ(e["kind"].str(), inc.kind == IncludeKind::kInclude ? "include" : "include_dependency");
  }
  ASSERT_EQ(j["requires"].size(), h.requires_.size());
  for (size_t i = 0; i < h.requires_.size(); ++i) {
    const JsonValue& e = j["requires"][i];
    EXPECT_EQ(e["module"].str(), h.ModuleName(h.requires_[i].module_index));
    EXPECT_EQ(Strings(e["submodule_path"]), h.requires_[i].submodule_path);
    EXPECT_EQ(e["name"].str(), h.requires_[i].imported.name);
    EXPECT_EQ(UuidOrNull(e["uuid"]), UuidOrNull(h.requires_[i].imported.uuid));
  }
  EXPECT_EQ(Strings(j["srctext_files"]), h.srctext_files);
  if (h.preference_names) {
    EXPECT_EQ(Strings(j["preferences"]), *h.preference_names);
    EXPECT_EQ(j["preferences_hash"].str(), Hex64(*h.preferences_hash));
    EXPECT_TRUE(j.Has("preferences_blob") && j["preferences_blob"].is_null());
  } else {
    EXPECT_EQ(j["preferences_blob"].str(), *h.preferences_blob);
    EXPECT_TRUE(j.Has("preferences") && j["preferences"].is_null());
    EXPECT_TRUE(j.Has("preferences_hash") && j["preferences_hash"].is_null());
  }
  EXPECT_EQ(j["srctextpos"].AsInt(), h.srctextpos);
  ASSERT_EQ(j["required_modules"].size(), h.required_modules.size());
  for (size_t i = 0; i < h.required_modules.size(); ++i) {
    const JsonValue& e = j["required_modules"][i];
    EXPECT_EQ(e["name"].str(), h.required_modules[i].name);
    EXPECT_EQ(UuidOrNull(e["uuid"]), UuidOrNull(h.required_modules[i].uuid));
    EXPECT_EQ(e["build_id"].str(), h.required_modules[i].build_id.ToString());
  }
  EXPECT_EQ(j["clone_targets_size"].AsUInt(), h.clone_targets.size());
  EXPECT_EQ(j["clone_target_encoding"].str(), CloneTargetEncodingName(h.clone_target_encoding));
  EXPECT_EQ(j["file_size"].AsUInt(), h.file_size);
  EXPECT_EQ(j["crc_ok"].boolean, h.crc_ok);
  EXPECT_EQ(j["file_crc"].str(), Hex32(h.file_crc));
  EXPECT_EQ(j["pkgimage_crc"].str(), Hex32(h.pkgimage_crc));
}

class InspectCliTest : public ::testing::TestWithParam<std::tuple<HeaderLayout, bool>> {};

TEST_P(InspectCliTest, JsonShowsEveryFieldAsWritten) {
  auto [layout, pkgimage] = GetParam();
  test_support::TempDir dir;
  test_support::WrittenCache w = Sample(layout, pkgimage);
  const std::string path = dir.Join("Foo.ji");
  test_support::WriteFileOrDie(path, w.bytes);
  test_support::ProcessResult r = Inspect({path, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string err;
  auto j = test_support::ParseJson(r.out, &err);
  ASSERT_TRUE(j.has_value()) << err << "\n" << r.out;
  ExpectJsonMatches(*j, w.header);
  EXPECT_EQ(j->Keys().size(), 32u) << "a key was added or removed; update the docs and this test";
}

INSTANTIATE_TEST_SUITE_P(
    AllLayouts, InspectCliTest, ::testing::Combine(::testing::ValuesIn(kAllLayouts), ::testing::Bool()),
    [](const ::testing::TestParamInfo<InspectCliTest::ParamType>& info) {
      std::string name(LayoutName(std::get<0>(info.param)));
      if (name == "B'") name = "BPrime";
      return name + (std::get<1>(info.param) ? "_pkgimage" : "_plain");
    });

TEST(InspectCliExitTest, ZeroForValidOneForCrcFailureTwoForUnparsable) {
  test_support::TempDir dir;
  test_support::WrittenCache w = Sample(HeaderLayout::kB, true);
  const std::string path = dir.Join("Foo.ji");
  test_support::WriteFileOrDie(path, w.bytes);

  test_support::ProcessResult r = Inspect({path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* want : {"layout B", "Julia 1.11.7", "Foo [e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d]",
                           "@depot/packages/Foo/eEDNv/src/in.jl", "in Foo.Inner.Deep",
                           "Foo uses Bar [5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13]",
                           "preferences: mode, level", "(ok)"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;

  std::string bad = w.bytes;
  bad[w.header.srctextpos + 20] ^= 0x20;  // inside the source text: still parses
  test_support::WriteFileOrDie(path, bad);
  r = Inspect({path, "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("CRC-32C does not match"), std::string::npos) << r.err;
  auto j = test_support::ParseJson(r.out);
  ASSERT_TRUE(j.has_value()) << r.out;
  EXPECT_FALSE((*j)["crc_ok"].boolean);
  r = Inspect({path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("(MISMATCH)"), std::string::npos);

  test_support::WriteFileOrDie(path, w.bytes.substr(0, 200));
  r = Inspect({path, "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(" at offset 0x"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" reading "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("corrupt_cache"), std::string::npos) << r.err;

  std::string f14 = w.bytes;
  f14[8] = 14;
  test_support::WriteFileOrDie(path, f14);
  r = Inspect({path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unsupported cache format version 14"), std::string::npos) << r.err;

  r = Inspect({dir.Join("missing.ji")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("missing.ji"), std::string::npos) << r.err;
  r = Inspect({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("usage"), std::string::npos);
  r = Inspect({path, "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(InspectCliExitTest, RealFixtureInspects) {
  const std::string path = std::string(JLCACHE_SOURCE_DIR) +
                           "/tests/fixtures/julia-1.10.4/depot-pkgimage/compiled/v1.10/Cee/C5Z28_xzlGv.ji";
  test_support::ProcessResult r = Inspect({path, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = test_support::ParseJson(r.out);
  ASSERT_TRUE(j.has_value());
  EXPECT_EQ((*j)["layout"].str(), "A");
  EXPECT_EQ((*j)["modules"][0]["uuid"].str(), "8c3f2e4a-7d9f-4a5c-9e0d-3f4a5b6c7d8e");
  EXPECT_EQ((*j)["includes"][3]["kind"].str(), "include_dependency");
  EXPECT_EQ((*j)["includes"][2]["submodule_path"][0].str(), "Inner");
  EXPECT_EQ((*j)["required_modules"].size(), 40u);
}

}  // namespace
}  // namespace jlcache
