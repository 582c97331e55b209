// Golden files: byte dumps computed by hand (tests/format/golden/*.hex), one
// per layout family. The reader must decode each to the hand-written header
// below, and the test writer must produce each dump byte for byte from it.
#include <cctype>
#include <sstream>
#include <string>

#include "core/crc32c.h"
#include "core/error.h"
#include "format/header_json.h"
#include "format/header_reader.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

const Uuid kFoo = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
const Uuid kBar = *Uuid::Parse("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13");
const std::string kFooText = "module Foo\nusing Bar\nend\n";
constexpr uint32_t kFooTextCrc = 0xB0607D48;  // spec 11.1

std::string LoadHex(const std::string& name) {
  std::string text =
      test_support::ReadFileOrDie(std::string(JLCACHE_SOURCE_DIR) + "/tests/format/golden/" + name);
  std::istringstream in(text);
  std::string line, bytes;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line.substr(line.find(' ')));
    std::string hex;
    while (fields >> hex) bytes.push_back(static_cast<char>(std::stoi(hex, nullptr, 16)));
  }
  return bytes;
}

std::vector<RequiredModule> SpecRequired(bool c15) {
  const uint64_t sys = 0xFDFCFBFA9C4F1E27ULL;
  return {{"Core", std::nullopt, {sys, 0x1111111111111111ULL}},
          {"Base", std::nullopt, {sys, 0x2222222222222222ULL}},
          {"Main", std::nullopt, {sys, 0x3333333333333333ULL}},
          {"Bar", kBar, {c15 ? 0x55667788ULL : 0xFAFBFCFD55667788ULL, 0x0FEDCBA987654321ULL}}};
}

std::string LegacyGeneric() {
  std::string b;
  auto u32 = [&b](uint32_t v) { for (int k = 0; k < 4; ++k) b.push_back(char(v >> (8 * k))); };
  u32(1); u32(0); u32(11);
  b.append(88, '\0');
  u32(7); b += "generic"; u32(0);
  return b;
}

std::string CpufeaturesGeneric() {
  std::string b;
  auto u32 = [&b](uint32_t v) { for (int k = 0; k < 4; ++k) b.push_back(char(v >> (8 * k))); };
  u32(1); u32(0); u32(0xFFFFFFFFu); u32(4);
  b.append(64, '\0');
  u32(7); b += "generic"; u32(0);
  return b;
}

CacheHeader Common(HeaderLayout layout, std::string version) {
  CacheHeader h;
  h.layout = layout;
  h.pointer_size = 8;
  h.os = "Linux";
  h.arch = "x86_64";
  h.julia_version = std::move(version);
  h.git_branch = "master";
  h.checksum = 0xFAFBFCFD1A2B3C4DULL;
  h.flags.byte = 0xA3;
  h.modules = {{"Foo", kFoo, 0x0123456789ABCDEFULL}};
  RequiresEntry bar;
  bar.module_index = 1;
  bar.imported = PkgId{kBar, "Bar"};
  h.requires_ = {bar};
  h.required_modules = SpecRequired(false);
  h.pkgimage_crc = 0x89ABCDEF;
  return h;
}

IncludeEntry EntryFile(std::string path, bool sized) {
  IncludeEntry e;
  e.path = std::move(path);
  e.module_index = 0;
  if (sized) {
    e.fsize = kFooText.size();
    e.hash = kFooTextCrc;
    e.mtime = -1.0;
  } else {
    e.mtime = 1700000000.5;
  }
  return e;
}

IncludeEntry FooToml() {
  IncludeEntry e;
  e.path = "/etc/foo.toml";
  e.fsize = 0;
  e.hash = 0;
  e.mtime = 1700000001.25;
  e.kind = IncludeKind::kIncludeDependency;
  return e;
}

const std::string kDepotFoo = "@depot/packages/Foo/eEDNv/src/Foo.jl";
const std::string kBlob = "[e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d]\nmode = \"fast\"\n";

struct Golden {
  std::string file;
  CacheHeader header;      // hand-written
  test_support::CacheBody body;
  // Hand-computed offsets the reader must report.
  uint64_t totbytes;
  int64_t srctextpos;
  uint64_t file_size;
  uint32_t file_crc;
};

std::vector<Golden> Goldens() {
  std::vector<Golden> out;
  {  // A
    CacheHeader h = Common(HeaderLayout::kA, "1.10.4");
    h.includes = {EntryFile("/d/Foo/src/Foo.jl", false)};
    h.dependency_order = {};  // entry file, then the requires record: canonical
    h.preference_names = std::vector<std::string>{"mode"};
    h.preferences_hash = 0x1122334455667788ULL;
    h.clone_targets = LegacyGeneric();
    test_support::CacheBody b;
    b.source_texts["/d/Foo/src/Foo.jl"] = kFooText;
    out.push_back({"A.hex", h, b, 105, 497, 563, 0x6a4698a6});
  }
  {  // B: the specification's worked example (11.3)
    CacheHeader h = Common(HeaderLayout::kB, "1.11.7");
    h.git_branch = "release-1.11";
    h.git_commit = "0123456789abcdef0123456789abcdef01234567";
    IncludeEntry foo = EntryFile(kDepotFoo, true);
    foo.module_index = 1;  // the hypothetical example attributes it to Foo
    h.includes = {foo};
    h.preference_names = std::vector<std::string>{};
    h.preferences_hash = 0;
    h.required_modules[0].build_id.lo = 0x1111111111111111ULL;
    h.clone_targets = LegacyGeneric();
    test_support::CacheBody b;
    b.source_texts[kDepotFoo] = kFooText;
    out.push_back({"B.hex", h, b, 144, 0x246, 667, 0x982C0410});
  }
  {  // B'
    CacheHeader h = Common(HeaderLayout::kBPrime, "1.13.0-rc1");
    h.includes = {EntryFile(kDepotFoo, true), FooToml()};
    h.dependency_order = {{false, 0}, {true, 0}, {false, 1}};
    h.preferences_blob = "";
    h.clone_targets = LegacyGeneric();
    test_support::CacheBody b;
    b.source_texts[kDepotFoo] = kFooText;
    out.push_back({"Bprime.hex", h, b, 173, 569, 654, 0x3e098970});
  }
  {  // C13c
    CacheHeader h = Common(HeaderLayout::kC13c, "1.14.0-DEV");
    h.syntax_version = 1;
    h.includes = {EntryFile(kDepotFoo, true), FooToml()};
    h.dependency_order = {{false, 0}, {true, 0}, {false, 1}};
    h.preferences_blob = kBlob;
    h.clone_targets = CpufeaturesGeneric();
    test_support::CacheBody b;
    b.source_texts[kDepotFoo] = kFooText;
    out.push_back({"C13c.hex", h, b, 226, 603, 688, 0x358db887});
  }
  {  // C15
    CacheHeader h = Common(HeaderLayout::kC15, "1.14.0-DEV");
    h.gc_abi = "stock";
    h.ji_flags = 3;
    h.checksum = 0x1A2B3C4D;
    h.syntax_version = 1;
    h.includes = {EntryFile(kDepotFoo, true), FooToml()};
    h.dependency_order = {{false, 0}, {true, 0}, {false, 1}};
    h.preferences_blob = kBlob;
    h.required_modules = SpecRequired(true);
    h.clone_targets = CpufeaturesGeneric();
    test_support::CacheBody b;
    b.source_texts[kDepotFoo] = kFooText;
    b.heap = "HEAPHEAPHEAPHEAP";
    out.push_back({"C15.hex", h, b, 226, 656, 741, 0x4b0c81b9});
  }
  return out;
}

TEST(GoldenTest, SpecExampleDecodesAsTheSpecAnnotates) {
  const std::string bytes = LoadHex("B.hex");
  ASSERT_EQ(bytes.size(), 667u);
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(bytes);
  ASSERT_TRUE(h.ok()) << Message(h.status());
  EXPECT_EQ(h->layout, HeaderLayout::kB);
  EXPECT_EQ(h->totbytes, 144u);
  EXPECT_EQ(h->srctextpos, 0x246);
  EXPECT_EQ(h->includes[0].path, kDepotFoo);
  EXPECT_EQ(*h->includes[0].fsize, 25u);
  EXPECT_EQ(*h->includes[0].hash, 0xB0607D48u);
  EXPECT_EQ(Crc32cStr(kFooText), kFooTextCrc);
  EXPECT_EQ(h->requires_[0].imported, (PkgId{kBar, "Bar"}));
  EXPECT_EQ(h->PackageBuildId().ToString(), "0xfafbfcfd1a2b3c4d0123456789abcdef");
  EXPECT_EQ(h->required_modules[3].build_id.ToString(), "0xfafbfcfd556677880fedcba987654321");
  EXPECT_EQ(h->clone_targets.size(), 115u);
  EXPECT_EQ(h->pkgimage_crc, 0x89ABCDEFu);
  EXPECT_EQ(h->file_crc, 0x982C0410u);
  EXPECT_TRUE(h->crc_ok);
}

TEST(GoldenTest, EveryLayoutDecodesAndReencodesExactly) {
  for (const Golden& g : Goldens()) {
    SCOPED_TRACE(g.file);
    const std::string bytes = LoadHex(g.file);
    ASSERT_EQ(bytes.size(), g.file_size);
    absl::StatusOr<CacheHeader> got = ParseCacheHeader(bytes);
    ASSERT_TRUE(got.ok()) << Message(got.status());
    EXPECT_EQ(got->layout, g.header.layout);
    EXPECT_EQ(got->totbytes, g.totbytes);
    EXPECT_EQ(got->srctextpos, g.srctextpos);
    EXPECT_EQ(got->file_crc, g.file_crc);
    EXPECT_TRUE(got->crc_ok);

    // The reader's header is the hand-written one plus what Julia computes.
    test_support::WrittenCache w = test_support::WriteCacheFile(g.header, g.body);
    EXPECT_EQ(CacheHeaderToJson(*got, true), CacheHeaderToJson(w.header, true));
    EXPECT_TRUE(*got == w.header);
    // The writer reproduces the dump byte for byte.
    ASSERT_EQ(w.bytes.size(), bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i)
      ASSERT_EQ(static_cast<unsigned char>(w.bytes[i]), static_cast<unsigned char>(bytes[i]))
          << "first difference at offset 0x" << std::hex << i;
  }
}

}  // namespace
}  // namespace jlcache
