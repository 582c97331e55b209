#include <string>

#include "core/crc32c.h"
#include "core/hex.h"
#include "core/json_writer.h"
#include "core/slug.h"
#include "core/uuid.h"
#include "gtest/gtest.h"

namespace jlcache {
namespace {

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(Crc32cStr("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32cPortable("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32cStr(""), 0u);
  EXPECT_EQ(Crc32cStr("", 0xDEADBEEF), 0xDEADBEEFu);
}

TEST(Crc32c, ChainsLikeJulia) {
  std::string a = "module Foo\n", b = "using Bar\nend\n";
  EXPECT_EQ(Crc32cStr(b, Crc32cStr(a)), Crc32cStr(a + b));
  EXPECT_EQ(Crc32cPortable(b.data(), b.size(), Crc32cPortable(a.data(), a.size())),
            Crc32cStr(a + b));
}

TEST(Crc32c, HardwareAndPortableAgreeOnEveryLengthAndAlignment) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; off + len <= data.size(); len += 7) {
      uint32_t portable = Crc32cPortable(data.data() + off, len, 0x12345678);
      uint32_t hw;
      if (Crc32cHardware(data.data() + off, len, 0x12345678, &hw)) {
        ASSERT_EQ(hw, portable) << off << " " << len;
      }
      ASSERT_EQ(Crc32c(data.data() + off, len, 0x12345678), portable);
    }
  }
}

TEST(Uuid, ParsesAndPrintsCanonicalForm) {
  auto u = Uuid::Parse("01234567-89AB-cdef-fedc-ba9876543210");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->hi, 0x0123456789ABCDEFull);
  EXPECT_EQ(u->lo, 0xFEDCBA9876543210ull);
  EXPECT_EQ(u->ToString(), "01234567-89ab-cdef-fedc-ba9876543210");
  unsigned char le[16];
  u->ToLittleEndianBytes(le);
  EXPECT_EQ(le[0], 0x10);
  EXPECT_EQ(le[15], 0x01);
  EXPECT_EQ(Uuid::FromLittleEndianBytes(le), *u);
  EXPECT_FALSE(Uuid::Parse("01234567-89ab-cdef-fedc-ba987654321"));
  EXPECT_FALSE(Uuid::Parse("01234567x89ab-cdef-fedc-ba9876543210"));
  EXPECT_FALSE(Uuid::Parse("0123456g-89ab-cdef-fedc-ba9876543210"));
}

TEST(BuildId, ParsesFullWidth) {
  auto b = BuildId::Parse("0xfdfcfbfaa9b4ea8b000002c91a2c2994");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->hi, 0xfdfcfbfaa9b4ea8bull);
  EXPECT_EQ(b->lo, 0x000002c91a2c2994ull);
  EXPECT_EQ(b->ToString(), "0xfdfcfbfaa9b4ea8b000002c91a2c2994");
  EXPECT_FALSE(BuildId::Parse("0x"));
  EXPECT_FALSE(BuildId::Parse("0xfdfcfbfaa9b4ea8b000002c91a2c29941"));
}

struct SlugCase {
  const char* uuid;
  const char* slug;
};

TEST(Slug, PackageSlugsMatchRealDepots) {
  for (auto c : {SlugCase{"21216c6a-2e73-6563-6e65-726566657250", "pWSk8"},
                 SlugCase{"de0858da-6303-5e67-8744-51eddeeeb8d7", "3FQLY"},
                 SlugCase{"ade2ca70-3891-5945-98fb-dc099432e06a", "p8See"},
                 SlugCase{"fa267f1f-6049-4f14-aa54-33bafae1ed76", "mjrwE"},
                 SlugCase{"e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d", "Ao9PJ"}}) {
    EXPECT_EQ(PackageSlug(*Uuid::Parse(c.uuid)), c.slug) << c.uuid;
  }
}

TEST(Slug, VersionSlugMatchesRealDepot) {
  auto uuid = *Uuid::Parse("7876af07-990d-54b4-ab0e-23690620f79a");
  EXPECT_EQ(UuidCrc(uuid), 0xB15A0A6Bu);
  auto sha = *ParseHexBytes("46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc");
  EXPECT_EQ(VersionSlug(uuid, sha), "aqsx3");
  EXPECT_EQ(VersionSlug(uuid, sha, 4), "aqsx");
  auto foo = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
  EXPECT_EQ(VersionSlug(foo, *ParseHexBytes("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c")), "eEDNv");
}

TEST(JsonEscape, KeepsUtf8AndEscapesEverythingElse) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
  EXPECT_EQ(JsonEscape("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(JsonEscape("bad\xff\xc3"), "\"bad\\u00ff\\u00c3\"");
  EXPECT_EQ(JsonEscape(std::string("\x01", 1)), "\"\\u0001\"");
}

}  // namespace
}  // namespace jlcache
