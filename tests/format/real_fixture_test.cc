// The six cache files written by a real Julia 1.10.4 (tests/fixtures/julia-1.10.4)
// decode exactly as decoded-headers.json (an independent decoder) says, and
// re-encoding what was read reproduces every byte.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/hex.h"
#include "format/header_reader.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"
#include "support/json_value.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::JsonValue;

const std::string kFixtureDir = std::string(JLCACHE_SOURCE_DIR) + "/tests/fixtures/julia-1.10.4/";

const std::vector<std::string> kFiles = {
    "depot-pkgimage/compiled/v1.10/Ay/sULHP_xzlGv.ji",
    "depot-pkgimage/compiled/v1.10/Bee/tRocP_xzlGv.ji",
    "depot-pkgimage/compiled/v1.10/Cee/C5Z28_xzlGv.ji",
    "depot-plain/compiled/v1.10/Ay/sULHP_aYN2H.ji",
    "depot-plain/compiled/v1.10/Bee/tRocP_xoPMW.ji",
    "depot-plain/compiled/v1.10/Cee/C5Z28_xoPMW.ji",
};

// The fixture JSON prints worklist UUIDs as decimal 128-bit integers.
std::string Decimal128(const Uuid& u) {
  unsigned __int128 v = (static_cast<unsigned __int128>(u.hi) << 64) | u.lo;
  if (v == 0) return "0";
  std::string s;
  while (v) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

std::string Hex128(const BuildId& b) { return b.ToString(); }

const JsonValue& Decoded() {
  static const JsonValue* decoded = [] {
    std::string text = test_support::ReadFileOrDie(kFixtureDir + "decoded-headers.json");
    std::string err;
    auto v = test_support::ParseJson(text, &err);
    if (!v) {
      ADD_FAILURE() << "decoded-headers.json: " << err;
      return new JsonValue();
    }
    return new JsonValue(std::move(*v));
  }();
  return *decoded;
}

class RealFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RealFixtureTest, DecodesExactlyAsDecodedHeadersJson) {
  const std::string& rel = GetParam();
  const JsonValue& want = Decoded()[rel];
  ASSERT_FALSE(want.is_null()) << rel << " missing from decoded-headers.json";
  absl::StatusOr<CacheHeader> got = ReadCacheHeaderFile(kFixtureDir + rel);
  ASSERT_TRUE(got.ok()) << Message(got.status());
  const CacheHeader& h = *got;

  EXPECT_EQ(h.layout, HeaderLayout::kA);
  EXPECT_EQ(h.format_version, want["format"].AsInt());
  EXPECT_EQ(h.os, want["os"].str());
  EXPECT_EQ(h.arch, want["arch"].str());
  EXPECT_EQ(h.julia_version, want["version"].str());
  EXPECT_EQ(h.git_branch, want["branch"].str());
  EXPECT_EQ(h.git_commit, want["commit"].str());
  EXPECT_EQ(h.pointer_size, want["ptr"].AsInt());
  EXPECT_EQ(h.pkgimage_marker, want["pkgimage_marker"].AsInt());
  EXPECT_EQ(Hex64(h.checksum), want["checksum"].str());
  EXPECT_EQ(h.datastartpos, want["datastart"].AsUInt());
  EXPECT_EQ(h.dataendpos, want["dataend"].AsUInt());
  EXPECT_EQ(h.flags.byte, want["flags"].AsInt());
  EXPECT_EQ(h.clone_targets.size(), want["clone_len"].AsUInt());
  EXPECT_EQ(h.srctextpos, want["srctextpos"].AsInt());
  EXPECT_EQ(h.file_size, want["size"].AsUInt());
  EXPECT_EQ(h.crc_ok, want["crc_ok"].boolean);
  EXPECT_TRUE(h.crc_ok);
  EXPECT_EQ(Hex32(h.file_crc), want["crc_ji"].str());
  EXPECT_EQ(Hex32(h.pkgimage_crc), want["crc_so"].str());
  EXPECT_FALSE(h.syntax_version.has_value());
  EXPECT_FALSE(h.gc_abi.has_value());

  ASSERT_EQ(h.modules.size(), want["modules"].size());
  for (size_t i = 0; i < h.modules.size(); ++i) {
    const JsonValue& m = want["modules"][i];
    EXPECT_EQ(h.modules[i].name, m["name"].str());
    ASSERT_TRUE(h.modules[i].uuid.has_value());
    EXPECT_EQ(Decimal128(*h.modules[i].uuid), m["uuid"].str());
  }
  EXPECT_EQ(Hex128(h.PackageBuildId()), want["modules"][0]["build_id"].str());

  ASSERT_EQ(h.includes.size(), want["includes"].size());
  for (size_t i = 0; i < h.includes.size(); ++i) {
    const JsonValue& w = want["includes"][i];
    const IncludeEntry& inc = h.includes[i];
    SCOPED_TRACE(inc.path);
    EXPECT_EQ(inc.path, w["path"].str());
    EXPECT_TRUE(w["fsize"].is_null());
    EXPECT_TRUE(w["hash"].is_null());
    EXPECT_FALSE(inc.fsize.has_value());
    EXPECT_FALSE(inc.hash.has_value());
    EXPECT_EQ(inc.mtime, w["mtime"].AsDouble());  // exact: the JSON holds the shortest round-trip form
    EXPECT_EQ(inc.module_index, w["mod"].AsInt());
    std::vector<std::string> modpath;
    for (const JsonValue& p : w["modpath"].items) modpath.push_back(p.str());
    EXPECT_EQ(inc.submodule_path, modpath);
    EXPECT_FALSE(inc.tracked_by_content());
  }

  ASSERT_EQ(h.requires_.size(), want["requires"].size());
  for (size_t i = 0; i < h.requires_.size(); ++i) {
    const JsonValue& w = want["requires"][i];
    EXPECT_EQ(h.requires_[i].module_index, w["module_index"].AsInt());
    EXPECT_EQ(h.requires_[i].imported.name, w["name"].str());
    ASSERT_TRUE(h.requires_[i].imported.uuid.has_value());
    EXPECT_EQ(h.requires_[i].imported.uuid->ToString(), w["uuid"].str());
    EXPECT_TRUE(h.requires_[i].submodule_path.empty());
  }

  ASSERT_TRUE(h.preference_names.has_value());
  EXPECT_EQ(h.preference_names->size(), want["prefs"].size());
  EXPECT_EQ(*h.preferences_hash, want["prefs_hash"].AsUInt());
  EXPECT_FALSE(h.preferences_blob.has_value());

  ASSERT_EQ(h.required_modules.size(), want["required"].size());
  for (size_t i = 0; i < h.required_modules.size(); ++i) {
    const JsonValue& w = want["required"][i];
    const RequiredModule& m = h.required_modules[i];
    EXPECT_EQ(m.name, w["name"].str());
    if (w["uuid"].is_null())
      EXPECT_FALSE(m.uuid.has_value()) << m.name;
    else
      EXPECT_EQ(m.uuid ? m.uuid->ToString() : "", w["uuid"].str());
    EXPECT_EQ(Hex128(m.build_id), w["build_id"].str());
  }

  std::vector<std::string> srctext;
  for (const JsonValue& p : want["srctext"].items) srctext.push_back(p.str());
  EXPECT_EQ(h.srctext_files, srctext);
  // Source-text membership, not n1, tells include() from include_dependency.
  for (const IncludeEntry& inc : h.includes) {
    bool listed = std::find(srctext.begin(), srctext.end(), inc.path) != srctext.end();
    EXPECT_EQ(inc.kind == IncludeKind::kInclude, listed) << inc.path;
  }
}

TEST_P(RealFixtureTest, RewritingTheDecodedHeaderReproducesEveryByte) {
  const std::string original = test_support::ReadFileOrDie(kFixtureDir + GetParam());
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(original);
  ASSERT_TRUE(h.ok()) << Message(h.status());
  test_support::CacheBody body;
  absl::StatusOr<std::vector<SourceTextEntry>> texts = ReadSourceTexts(original, *h);
  ASSERT_TRUE(texts.ok()) << Message(texts.status());
  for (const SourceTextEntry& t : *texts)
    body.source_texts[std::string(t.path)] = std::string(t.text);
  body.heap = original.substr(h->datastartpos, h->dataendpos - h->datastartpos);
  test_support::WrittenCache w = test_support::WriteCacheFile(*h, body);
  EXPECT_EQ(w.bytes.size(), original.size());
  EXPECT_TRUE(w.bytes == original) << "re-encoded bytes differ";
  EXPECT_TRUE(w.header == *h);
}

TEST(RealFixtureFacts, EntryFileHasModuleIndexZeroAndIsAnInclude) {
  absl::StatusOr<CacheHeader> h =
      ReadCacheHeaderFile(kFixtureDir + "depot-pkgimage/compiled/v1.10/Cee/C5Z28_xzlGv.ji");
  ASSERT_TRUE(h.ok()) << Message(h.status());
  ASSERT_EQ(h->includes.size(), 4u);
  EXPECT_EQ(h->includes[0].module_index, 0);
  EXPECT_EQ(h->includes[0].kind, IncludeKind::kInclude);
  EXPECT_EQ(h->includes[2].submodule_path, std::vector<std::string>{"Inner"});
  EXPECT_EQ(h->includes[3].module_index, 0);
  EXPECT_EQ(h->includes[3].kind, IncludeKind::kIncludeDependency);  // data.txt
  // Sysimage modules carry the reversed tag.
  EXPECT_EQ(h->required_modules[0].build_id.hi >> 32, kSysimageChecksumTag);
  EXPECT_EQ(h->checksum >> 32, kPackageChecksumTag);
  EXPECT_EQ(h->clone_target_encoding, CloneTargetEncoding::kLegacy32);
  EXPECT_TRUE(IsValidCloneTargets(h->clone_targets, CloneTargetEncoding::kLegacy32));
}

INSTANTIATE_TEST_SUITE_P(Julia1104, RealFixtureTest, ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(6, info.param.find('/') - 6) + "_" +
                                           info.param.substr(info.param.rfind('/') + 1);
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace jlcache
