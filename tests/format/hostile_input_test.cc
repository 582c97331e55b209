// Hostile and damaged input: every truncation and every single-byte flip of a
// >= 4 KiB file of each layout (and of a real 1.10.4 file) ends in a clean
// error or a CRC failure, never a crash, hang or huge allocation. Errors name
// the byte offset and the field.
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/error.h"
#include "format/header_reader.h"
#include "gtest/gtest.h"
#include "support/cache_writer.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::PackageCacheSpec;
using test_support::WrittenCache;

const std::vector<HeaderLayout> kAllLayouts = {
    HeaderLayout::kA,    HeaderLayout::kB,    HeaderLayout::kBPrime, HeaderLayout::kC13a,
    HeaderLayout::kC13b, HeaderLayout::kC13c, HeaderLayout::kC15};

// A cache of at least 4 KiB in the given layout; plain for odd layouts.
WrittenCache BigCache(HeaderLayout layout) {
  PackageCacheSpec spec;
  spec.layout = layout;
  spec.uuid = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
  spec.pkgimage = static_cast<int>(layout) % 2 == 0;
  spec.flags = spec.pkgimage ? 0xa3 : 0xa2;
  spec.files.push_back(test_support::EntryFile("/p/Foo/src/Foo.jl", std::string(1200, 'x'), 1.0));
  for (int i = 0; i < 6; ++i)
    spec.files.push_back(test_support::IncludedFile("/p/Foo/src/f" + std::to_string(i) + ".jl",
                                               std::string(150 + i, 'a' + i), 2.0 + i,
                                               i % 2 ? std::vector<std::string>{"Sub"}
                                                     : std::vector<std::string>{}));
  spec.files.push_back(test_support::DependencyFile("/p/Foo/data.bin", "zz", false, 9.0));
  spec.requires_ = {PkgId{*Uuid::Parse("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), "Bar"},
                    PkgId{std::nullopt, "Baz"}};
  spec.preference_names = {"a", "bb"};
  spec.preferences_hash = 77;
  spec.preferences_blob = "[x]\ny = 1\n";
  spec.required_modules = test_support::DefaultSysimageModules();
  for (int i = 0; i < 30; ++i)
    spec.required_modules.push_back(
        {"Std" + std::to_string(i), Uuid{0x1000u + i, 0x2000u + i}, BuildId{0xfdfcfbfa00000001ULL, uint64_t(i)}});
  spec.heap = std::string(700, '\x42');
  WrittenCache w = test_support::MakePackageCache(spec);
  return w;
}

// The outcome for damaged bytes: an error of the two expected kinds whose
// message names offset and field, or a parse with a failed CRC.
void ExpectCleanOutcome(std::string_view bytes, const std::string& what) {
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(bytes);
  if (h.ok()) {
    EXPECT_FALSE(h->crc_ok) << what << ": damaged file passed its CRC";
    return;
  }
  const ErrorKind kind = KindOf(h.status());
  ASSERT_TRUE(kind == ErrorKind::kCorruptCache || kind == ErrorKind::kUnsupported)
      << what << ": " << Message(h.status());
  std::string_view msg = Message(h.status());
  EXPECT_FALSE(msg.empty()) << what;
  if (kind == ErrorKind::kCorruptCache) {
    EXPECT_NE(msg.find("offset 0x"), std::string_view::npos) << what << ": " << msg;
    EXPECT_NE(msg.find("reading "), std::string_view::npos) << what << ": " << msg;
  }
}

// Calls check(damaged, what) for every truncation of bytes, then for every
// single-byte xor 0xFF; stops at the first fatal failure.
template <typename Check>
void ForEachDamage(const std::string& bytes, bool cuts, bool flips, Check check) {
  for (size_t n = 0; cuts && n < bytes.size(); ++n) {
    check(std::string_view(bytes).substr(0, n), "cut at " + std::to_string(n));
    if (::testing::Test::HasFatalFailure()) return;
  }
  std::string b = bytes;
  for (size_t i = 0; flips && i < b.size(); ++i) {
    b[i] = static_cast<char>(b[i] ^ 0xFF);
    check(std::string_view(b), "xor at " + std::to_string(i));
    b[i] = static_cast<char>(b[i] ^ 0xFF);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

class DamageTest : public ::testing::TestWithParam<HeaderLayout> {};

TEST_P(DamageTest, TruncationAtEveryOffsetIsACleanError) {
  const WrittenCache w = BigCache(GetParam());
  ASSERT_GE(w.bytes.size(), 4096u);
  ASSERT_TRUE(ParseCacheHeader(w.bytes).ok());
  ForEachDamage(w.bytes, true, false, ExpectCleanOutcome);
}

TEST_P(DamageTest, FlippingAnyByteIsACleanErrorOrCrcFailure) {
  const WrittenCache w = BigCache(GetParam());
  ASSERT_GE(w.bytes.size(), 4096u);
  ForEachDamage(w.bytes, false, true, ExpectCleanOutcome);
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, DamageTest, ::testing::ValuesIn(kAllLayouts),
                         [](const ::testing::TestParamInfo<HeaderLayout>& info) {
                           std::string n(LayoutName(info.param));
                           return n == "B'" ? std::string("BPrime") : n;
                         });

TEST(DamageTest, RealPlainCacheSurvivesEveryTruncationAndFlip) {
  const std::string original = test_support::ReadFileOrDie(
      std::string(JLCACHE_SOURCE_DIR) +
      "/tests/fixtures/julia-1.10.4/depot-plain/compiled/v1.10/Ay/sULHP_aYN2H.ji");
  ASSERT_GE(original.size(), 4096u);
  ForEachDamage(original, true, true, ExpectCleanOutcome);
}

// The specification's example (layout B, 667 bytes; offsets from its table).
std::string SpecExample() {
  std::string text = test_support::ReadFileOrDie(std::string(JLCACHE_SOURCE_DIR) +
                                            "/tests/format/golden/B.hex");
  std::string bytes;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? text.size() : eol + 1;
    if (line.empty() || line[0] == '#') continue;
    for (size_t k = 6; k + 1 < line.size(); k += 3)
      bytes.push_back(static_cast<char>(std::stoi(line.substr(k, 2), nullptr, 16)));
  }
  return bytes;
}

absl::Status ParseError(const std::string& bytes) {
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(bytes);
  return h.ok() ? absl::OkStatus() : h.status();
}

TEST(HostileLengthTest, ErrorNamesTheOffsetAndTheField) {
  std::string b = SpecExample();
  ASSERT_EQ(b.size(), 667u);
  // Cut so that only 1 byte of required_modules[3].name ("Bar" at 0x1a8) remains
  // before the 8 trailer bytes.
  absl::Status s = ParseError(b.substr(0, 0x1a9 + 8));
  EXPECT_EQ(KindOf(s), ErrorKind::kCorruptCache);
  EXPECT_EQ(Message(s),
            "truncated at offset 0x1a4 reading required_modules[3].name "
            "(length 3 but only 1 bytes remain)");
}

TEST(HostileLengthTest, HugeAndNegativeLengthsAreRejectedWithoutAllocating) {
  const std::string good = SpecExample();
  struct Case {
    size_t offset;
    int width;
    uint64_t value;
    const char* expect;
  };
  const Case cases[] = {
      {0x71, 4, 0x7fffffff, "modules[0].name (length 2147483647"},
      {0x71, 4, 0xffffffff, "negative length -1 at offset 0x71 reading modules[0].name"},
      {0x94, 8, 0xffffffffffffffffULL, "reading totbytes"},
      {0x9c, 4, 0x80000000, "negative length -2147483648 at offset 0x9c reading dependencies[0].depname"},
      {0xdc, 4, 0x7ffffff0, "reading dependencies[0].modpath[0]"},
      {0xe0, 4, 16, "requires record of 16 bytes"},
      {0xd8, 4, 2, "module index 2 outside the worklist of 1"},
      {0xd8, 4, 0xffffffff, "module index -1 outside the worklist"},
      {0x118, 4, 0x7fffffff, "reading preferences[0]"},
      {0x124, 8, 0x7fffffffffffffffULL, "reading srctextpos"},
      {0x124, 8, 0x10, "reading srctextpos"},
      {0x12c, 4, 0xfffffffe, "negative length -2 at offset 0x12c reading required_modules[0].name"},
      {0x1cf, 4, 0x7fffffff, "reading clone_targets"},
      {0x1cf, 4, 0xffffff00, "reading clone_targets_length"},
      {0x246, 4, 0x7fffffff, "reading srctext[0].path"},
      {0x26e, 8, 0xffffffffffffffffULL, "reading srctext[0].content"},
      {0x60, 8, 0x1000, "reading datastartpos"},
  };
  for (const Case& c : cases) {
    std::string b = good;
    if (c.width == 4)
      test_support::PatchU32(b, c.offset, static_cast<uint32_t>(c.value));
    else
      test_support::PatchU64(b, c.offset, c.value);
    test_support::RecomputeFileCrc(b);
    absl::Status s = ParseError(b);
    EXPECT_EQ(KindOf(s), ErrorKind::kCorruptCache) << c.expect << ": " << s;
    EXPECT_NE(Message(s).find(c.expect), std::string_view::npos)
        << "patched 0x" << std::hex << c.offset << ": " << Message(s);
  }
}

TEST(HostileLengthTest, TooShortAndForeignFiles) {
  EXPECT_EQ(Message(ParseError("")), "truncated at offset 0x0 reading magic (need 8 bytes, 0 remain)");
  std::string elf = "\x7f" "ELF" + std::string(100, '\0');
  absl::Status s = ParseError(elf);
  EXPECT_EQ(KindOf(s), ErrorKind::kCorruptCache);
  EXPECT_NE(Message(s).find("bad magic"), std::string_view::npos) << s;
  // A prelude that ends before the trailer could start.
  std::string spec = SpecExample();
  s = ParseError(spec.substr(0, 0x30 + 8));
  EXPECT_NE(Message(s).find("reading git_commit"), std::string_view::npos) << s;
}

TEST(UnsupportedTest, UnknownFormatsAndLinesAreClearErrors) {
  const std::string good = SpecExample();
  auto with_format = [&](uint16_t f) {
    std::string b = good;
    b[8] = static_cast<char>(f & 0xff);
    b[9] = static_cast<char>(f >> 8);
    return b;
  };
  for (uint16_t f : {11, 14, 16, 0xffff}) {
    absl::Status s = ParseError(with_format(f));
    EXPECT_EQ(KindOf(s), ErrorKind::kUnsupported) << f;
    EXPECT_NE(Message(s).find("format version " + std::to_string(f)), std::string_view::npos) << s;
  }
  // Format 13 was only ever written by 1.14-dev.
  EXPECT_EQ(KindOf(ParseError(with_format(13))), ErrorKind::kUnsupported);

  for (const char* v : {"1.8.5", "1.15.0-DEV", "2.0.0"}) {
    test_support::PackageCacheSpec spec;
    spec.layout = HeaderLayout::kB;
    spec.julia_version = v;
    absl::Status s = ParseError(test_support::MakePackageCache(spec).bytes);
    EXPECT_EQ(KindOf(s), ErrorKind::kUnsupported) << v << ": " << s;
  }
  std::string be = good;
  be[10] = '\xfe';
  be[11] = '\xff';
  EXPECT_EQ(KindOf(ParseError(be)), ErrorKind::kUnsupported);
}

TEST(UnsupportedTest, Format15SystemImageIsNotAPackageCache) {
  test_support::PackageCacheSpec spec;
  spec.layout = HeaderLayout::kC15;
  CacheHeader h = test_support::PackageHeader(spec);
  h.ji_flags = 0;
  absl::Status s = ParseError(test_support::WriteCacheFile(h, test_support::PackageBody(spec)).bytes);
  EXPECT_EQ(KindOf(s), ErrorKind::kUnsupported) << s;
}

// Within a known line the layout is decided by validation, never by a guess.
TEST(LayoutByValidationTest, VersionsNobodyInspectedAreDecidedByTotbytes) {
  struct Case {
    const char* version;
    HeaderLayout written;
    bool ok;
  };
  const Case cases[] = {
      {"1.10.99", HeaderLayout::kA, true},
      {"1.9.0", HeaderLayout::kA, true},
      {"1.11.0-DEV", HeaderLayout::kA, true},  // before julia#49866
      {"1.11.0-DEV", HeaderLayout::kB, true},
      {"1.11.0-rc1", HeaderLayout::kB, true},
      {"1.11.0-alpha1", HeaderLayout::kA, true},
      {"1.12.9", HeaderLayout::kB, true},
      {"1.13.0-DEV", HeaderLayout::kB, true},
      {"1.13.0-beta2", HeaderLayout::kB, true},
      {"1.13.0-beta3", HeaderLayout::kB, true},
      {"1.13.0-beta3", HeaderLayout::kBPrime, true},
      {"1.13.0-rc2", HeaderLayout::kBPrime, true},
      {"1.13.4", HeaderLayout::kBPrime, true},
      {"1.14.0-DEV", HeaderLayout::kB, true},  // 1.14-dev before format 13
      {"1.14.0-DEV", HeaderLayout::kC13a, true},
      {"1.14.0-DEV", HeaderLayout::kC13b, true},
      {"1.14.0-DEV", HeaderLayout::kC13c, true},
      {"1.14.0-DEV.1234", HeaderLayout::kC15, true},
      // Layouts a line never had are corrupt, not guessed.
      {"1.11.7", HeaderLayout::kA, false},
      {"1.10.4", HeaderLayout::kB, false},
      {"1.12.2", HeaderLayout::kBPrime, false},
      {"1.13.0-rc1", HeaderLayout::kB, false},
      {"1.13.0-beta2", HeaderLayout::kBPrime, false},
  };
  for (const Case& c : cases) {
    test_support::PackageCacheSpec spec;
    spec.layout = c.written;
    spec.julia_version = c.version;
    spec.files = {test_support::EntryFile("/p/Foo.jl", "module Foo end", 1.0),
                  test_support::DependencyFile("/p/x", "", false, 2.0)};
    spec.preference_names = {"k"};
    spec.preferences_hash = 5;
    spec.preferences_blob = "blob";
    WrittenCache w = test_support::MakePackageCache(spec);
    absl::StatusOr<CacheHeader> h = ParseCacheHeader(w.bytes);
    SCOPED_TRACE(std::string(c.version) + " written as " + std::string(LayoutName(c.written)));
    if (!c.ok) {
      ASSERT_FALSE(h.ok());
      EXPECT_EQ(KindOf(h.status()), ErrorKind::kCorruptCache) << h.status();
      continue;
    }
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(LayoutName(h->layout), LayoutName(c.written));
    EXPECT_TRUE(*h == w.header);
  }
}

TEST(CrcTest, ADamagedHeapStillParsesButFailsItsCrc) {
  test_support::PackageCacheSpec spec;
  spec.layout = HeaderLayout::kA;
  spec.pkgimage = false;
  WrittenCache w = test_support::MakePackageCache(spec);
  std::string b = w.bytes;
  b[w.header.datastartpos + 3] ^= 1;
  absl::StatusOr<CacheHeader> h = ParseCacheHeader(b);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->crc_ok);
  EXPECT_EQ(h->file_crc, w.header.file_crc);
}

// ---- Header-only reads (ReadCacheHeaderOnly): the staleness engine parses
// only a file's first bytes and its trailer. Whatever the prefix says must be
// what the whole file says.

// The part of a whole-file parse that a header-only read fills in.
CacheHeader HeaderPart(CacheHeader h) {
  h.srctext_files.clear();
  for (auto& inc : h.includes) inc.kind = IncludeKind::kInclude;
  h.crc_ok = false;
  h.whole_file_crc.reset();
  h.extent = HeaderExtent::kHeaderOnly;
  return h;
}

// A prefix parse either asks for more bytes, or agrees with the whole file:
// the same header, or the same error, or a header where the whole file fails
// only past its header (the source text or the trailer).
void ExpectPrefixAgrees(std::string_view bytes, size_t prefix_len, const std::string& what) {
  if (bytes.size() < prefix_len + 8) return;  // such a file is read whole
  auto part = ParseCacheHeaderPrefix(bytes.substr(0, prefix_len), bytes.size(),
                                     bytes.substr(bytes.size() - 8));
  if (part.ok() && !part->has_value()) return;
  absl::StatusOr<CacheHeader> whole = ParseCacheHeader(bytes);
  if (!part.ok()) {
    ASSERT_FALSE(whole.ok()) << what << ": the prefix fails (" << part.status()
                             << ") and the whole file parses";
    EXPECT_EQ(Message(part.status()), Message(whole.status())) << what;
    return;
  }
  if (whole.ok()) {
    EXPECT_TRUE(**part == HeaderPart(*whole)) << what;
    return;
  }
  std::string_view msg = Message(whole.status());
  EXPECT_TRUE(msg.find("srctext") != std::string_view::npos ||
              msg.find("trailer") != std::string_view::npos)
      << what << ": the prefix gives a header, the whole file fails with: " << msg;
}

class HeaderOnlyTest : public ::testing::TestWithParam<HeaderLayout> {};

TEST_P(HeaderOnlyTest, PrefixOfEveryLengthAsksForMoreOrAgrees) {
  const WrittenCache w = BigCache(GetParam());
  size_t answered = 0;
  for (size_t n = 0; n + 8 <= w.bytes.size(); ++n) {
    auto part = ParseCacheHeaderPrefix(std::string_view(w.bytes).substr(0, n), w.bytes.size(),
                                       std::string_view(w.bytes).substr(w.bytes.size() - 8));
    ASSERT_TRUE(part.ok()) << "prefix " << n << ": " << part.status();
    if (!part->has_value()) {
      EXPECT_EQ(answered, 0u) << "prefix " << n << " asks for more after a shorter one sufficed";
      continue;
    }
    ++answered;
    ASSERT_TRUE(**part == HeaderPart(w.header)) << "prefix " << n;
  }
  EXPECT_GT(answered, 0u);
}

TEST_P(HeaderOnlyTest, DamagedFilesGiveTheWholeFilesAnswer) {
  const WrittenCache w = BigCache(GetParam());
  for (size_t prefix : {size_t{700}, size_t{2048}}) {
    ForEachDamage(w.bytes, true, true, [prefix](std::string_view damaged, const std::string& what) {
      ExpectPrefixAgrees(damaged, prefix, "prefix " + std::to_string(prefix) + ", " + what);
    });
    if (::testing::Test::HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, HeaderOnlyTest, ::testing::ValuesIn(kAllLayouts),
                         [](const ::testing::TestParamInfo<HeaderLayout>& info) {
                           std::string n(LayoutName(info.param));
                           return n == "B'" ? std::string("BPrime") : n;
                         });

TEST(HeaderOnlyTest, RealCacheAgreesAtEveryPrefix) {
  const std::string original = test_support::ReadFileOrDie(
      std::string(JLCACHE_SOURCE_DIR) +
      "/tests/fixtures/julia-1.10.4/depot-plain/compiled/v1.10/Ay/sULHP_aYN2H.ji");
  for (size_t n = 0; n + 8 <= original.size(); n += 7)
    ExpectPrefixAgrees(original, n, "prefix " + std::to_string(n));
}

TEST(HeaderOnlyTest, FilesOfEverySizeReadAsTheirHeader) {
  test_support::TempDir dir;
  for (size_t sources : {size_t{1}, size_t{40}, size_t{900}}) {
    // 900 includes with long paths make a header past the first 8 KiB read;
    // the source text keeps every file longer than the second, 128 KiB, read.
    test_support::PackageCacheSpec spec;
    spec.layout = HeaderLayout::kB;
    spec.uuid = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
    spec.files.push_back(
        test_support::EntryFile("@depot/packages/Foo/abcde/src/Foo.jl", std::string(300000, 'x')));
    for (size_t i = 1; i < sources; ++i)
      spec.files.push_back(test_support::IncludedFile(
          "@depot/packages/Foo/abcde/src/a/rather/deep/directory/file" + std::to_string(i) + ".jl",
          "y"));
    spec.required_modules = test_support::DefaultSysimageModules();
    WrittenCache w = test_support::MakePackageCache(spec);
    const std::string path = dir.Join("Foo" + std::to_string(sources) + ".ji");
    test_support::WriteFileOrDie(path, w.bytes);
    absl::StatusOr<CacheHeader> h = ReadCacheHeaderOnly(path);
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_EQ(h->extent, HeaderExtent::kHeaderOnly) << sources;
    EXPECT_TRUE(*h == HeaderPart(w.header)) << sources;
    if (sources == 900) {
      EXPECT_GT(w.header.srctextpos, 8 * 1024);
    }
  }
  // A small file is read whole, CRC and all.
  test_support::PackageCacheSpec small;
  small.layout = HeaderLayout::kB;
  WrittenCache w = test_support::MakePackageCache(small);
  ASSERT_LT(w.bytes.size(), 8u * 1024);
  test_support::WriteFileOrDie(dir.Join("small.ji"), w.bytes);
  absl::StatusOr<CacheHeader> h = ReadCacheHeaderOnly(dir.Join("small.ji"));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->extent, HeaderExtent::kWholeFile);
  EXPECT_TRUE(*h == w.header);
  // Errors name the file, as ReadCacheHeaderFile's do.
  std::string cut = w.bytes.substr(0, 40);
  test_support::WriteFileOrDie(dir.Join("cut.ji"), cut);
  h = ReadCacheHeaderOnly(dir.Join("cut.ji"));
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(Message(h.status()), Message(ReadCacheHeaderFile(dir.Join("cut.ji")).status()));
}

TEST(CrcTest, TrailerValidityFromTheWholeFileCrc) {
  // Julia's isvalid_file_crc: CRC-32C of all but the last 4 bytes equals them.
  uint32_t seed = 12345;
  for (size_t len : {size_t{0}, size_t{1}, size_t{7}, size_t{64}, size_t{4099}}) {
    std::string m(len, '\0');
    for (char& c : m) c = static_cast<char>((seed = seed * 1103515245u + 12345u) >> 16);
    const uint32_t crc = Crc32cStr(m);
    std::string file = m;
    for (int k = 0; k < 4; ++k) file.push_back(static_cast<char>((crc >> (8 * k)) & 0xff));
    EXPECT_TRUE(CrcTrailerValid(Crc32cStr(file))) << len;
    for (size_t i = 0; i < file.size(); i += 3) {
      std::string bad = file;
      bad[i] = static_cast<char>(bad[i] ^ 0x10);
      EXPECT_FALSE(CrcTrailerValid(Crc32cStr(bad))) << len << " flip at " << i;
    }
  }
}

}  // namespace
}  // namespace jlcache
