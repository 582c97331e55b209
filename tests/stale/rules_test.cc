// Unit tests of the engine's rule pieces: flags matching, mtime tolerances,
// preference checks and the content-hash memo.
#include <cmath>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "stale/content_hash_memo.h"
#include "stale/flags_match.h"
#include "stale/mtime_rule.h"
#include "stale/preferences_check.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

TEST(FlagsMatch, PlainCachesMatchAnyPlainRequest) {
  for (auto rule : {FlagMatchRule::kOneArgument, FlagMatchRule::kTwoArgumentExact,
                    FlagMatchRule::kTwoArgumentLenient}) {
    EXPECT_TRUE(CacheFlagsMatch(rule, 0xA2, 0x22, false));  // 1.10.4 fixture: -O0 plain Ay
    EXPECT_TRUE(CacheFlagsMatch(rule, 0xA2, 0xA2, false));
  }
}

TEST(FlagsMatch, OneArgumentRuleIs110) {
  auto r = FlagMatchRule::kOneArgument;
  EXPECT_TRUE(CacheFlagsMatch(r, 0xA3, 0xA3, false));
  EXPECT_TRUE(CacheFlagsMatch(r, 0xA3, 0xE3, false));   // -O3 cache serves -O2
  EXPECT_FALSE(CacheFlagsMatch(r, 0xE3, 0xA3, false));  // -O2 cache does not serve -O3
  EXPECT_FALSE(CacheFlagsMatch(r, 0xA3, 0xA5, false));  // debug level must match
  EXPECT_FALSE(CacheFlagsMatch(r, 0xA3, 0xAB, false));  // check-bounds must match
  EXPECT_FALSE(CacheFlagsMatch(r, 0xA3, 0x83, false));  // inline must match
  EXPECT_FALSE(CacheFlagsMatch(r, 0xA3, 0xA2, false));  // pkgimage request, plain cache
}

TEST(FlagsMatch, From1112DebugLevelMayBeHigher) {
  EXPECT_FALSE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentExact, 0xA3, 0xA5, false));
  EXPECT_TRUE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentLenient, 0xA3, 0xA5, false));
  EXPECT_FALSE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentLenient, 0xA5, 0xA3, false));
  EXPECT_FALSE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentLenient, 0xA3, 0xAB, false));
}

TEST(FlagsMatch, PkgimagesExistingIgnoresTheCachesPkgimageBit) {
  // --pkgimages=existing stores bit 0 as 0 in the request.
  EXPECT_TRUE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentLenient, 0xA2, 0xA3, true));
  EXPECT_FALSE(CacheFlagsMatch(FlagMatchRule::kTwoArgumentLenient, 0xA2, 0xA3, false));
}

TEST(MtimeRule, ExactAndEveryTolerance) {
  EXPECT_EQ(CompareMtime(1700000000.25, 1700000000.25), MtimeMatch::kExact);
  EXPECT_EQ(CompareMtime(1700000000.25, 1700000000.0), MtimeMatch::kFloor);
  EXPECT_EQ(CompareMtime(1700000000.25, 1700000001.0), MtimeMatch::kCeil);
  double r = 1700000000.1234567;
  EXPECT_EQ(CompareMtime(r, std::trunc(r * 1e6) / 1e6), MtimeMatch::kMicroTrunc);
  EXPECT_EQ(CompareMtime(r, 1.0), MtimeMatch::kNixEpoch);
  EXPECT_EQ(CompareMtime(1700000000.0000009, 1700000000.0000004), MtimeMatch::kWindowsTar);
  EXPECT_EQ(CompareMtime(1700000000.25, 1700000000.5), MtimeMatch::kStale);
  EXPECT_EQ(CompareMtime(1700000000.25, 1700000002.0), MtimeMatch::kStale);
  // The Windows-tar tolerance is one-sided: a newer file is stale.
  EXPECT_EQ(CompareMtime(1700000000.0000004, 1700000000.0000009), MtimeMatch::kStale);
}

std::shared_ptr<const toml::table> Table(const char* text) {
  return std::make_shared<const toml::table>(toml::parse(text));
}

TEST(PreferencesHash, ForcedOutcomesNeedNoJulia) {
  Uuid u = *Uuid::Parse("01234567-89ab-cdef-fedc-ba9876543210");
  auto none = [](const Uuid&) { return Table(""); };
  auto set = [](const Uuid&) { return Table("level = 3"); };
  PreferencesHashFn no_hash;
  EXPECT_EQ(CheckPreferencesHash(u, {}, 0, set, no_hash).kind, PreferenceOutcome::kFresh);
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 0, none, no_hash).kind, PreferenceOutcome::kFresh);
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 0, set, no_hash).kind, PreferenceOutcome::kStale);
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 42, none, no_hash).kind, PreferenceOutcome::kStale);
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 42, set, no_hash).kind, PreferenceOutcome::kUnknown);
  PreferencesHashFn oracle = [](const Uuid&, const std::vector<std::string>& names) {
    return names.size() == 1 ? std::optional<uint64_t>(42) : std::nullopt;
  };
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 42, set, oracle).kind, PreferenceOutcome::kFresh);
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 43, set, oracle).kind, PreferenceOutcome::kStale);
  auto unreadable = [](const Uuid&) { return std::shared_ptr<const toml::table>(); };
  EXPECT_EQ(CheckPreferencesHash(u, {"level"}, 0, unreadable, oracle).kind,
            PreferenceOutcome::kUnknown);
}

TEST(PreferencesBlob, ComparesTypesAndValuesExactly) {
  const char* blob =
      "[01234567-89ab-cdef-fedc-ba9876543210]\nlevel = 1\nname = \"x\"\n"
      "[unset]\n01234567-89ab-cdef-fedc-ba9876543210 = [\"debug\"]\n";
  auto cur = [](const char* text) {
    return [text](const Uuid&) { return Table(text); };
  };
  EXPECT_EQ(CheckPreferencesBlob("", cur("")).kind, PreferenceOutcome::kFresh);
  EXPECT_EQ(CheckPreferencesBlob(blob, cur("level = 1\nname = \"x\"")).kind,
            PreferenceOutcome::kFresh);
  EXPECT_EQ(CheckPreferencesBlob(blob, cur("level = 1.0\nname = \"x\"")).kind,
            PreferenceOutcome::kStale);  // 1 and 1.0 differ
  EXPECT_EQ(CheckPreferencesBlob(blob, cur("level = true\nname = \"x\"")).kind,
            PreferenceOutcome::kStale);
  EXPECT_EQ(CheckPreferencesBlob(blob, cur("name = \"x\"")).kind, PreferenceOutcome::kStale);
  EXPECT_EQ(CheckPreferencesBlob(blob, cur("level = 1\nname = \"x\"\ndebug = false")).kind,
            PreferenceOutcome::kStale);  // an unset key is set now
  EXPECT_EQ(CheckPreferencesBlob("not = [toml", cur("")).kind, PreferenceOutcome::kStale);
}

TEST(TomlEgal, FloatsCompareByBits) {
  auto a = toml::parse("x = 0.0\ny = -0.0\nz = nan\nw = nan");
  EXPECT_FALSE(TomlEgal(*a.get("x"), *a.get("y")));
  EXPECT_TRUE(TomlEgal(*a.get("z"), *a.get("w")));
  auto b = toml::parse("t = {a = [1, 2]}\nu = {a = [1, 2]}\nv = {a = [1, 2.0]}");
  EXPECT_TRUE(TomlEgal(*b.get("t"), *b.get("u")));
  EXPECT_FALSE(TomlEgal(*b.get("t"), *b.get("v")));
}

FileInfo Info(uint64_t ino, uint64_t size, int64_t mtime_sec, int64_t ctime_sec) {
  FileInfo f;
  f.dev = 1;
  f.ino = ino;
  f.size = size;
  f.mtime_sec = mtime_sec;
  f.ctime_sec = ctime_sec;
  return f;
}

TEST(ContentHashMemo, MissesOnAnyKeyChangeAndOnRacyEntries) {
  ContentHashMemo memo;
  const int64_t now = 1'800'000'000LL * 1'000'000'000LL;
  FileInfo f = Info(7, 100, 1'700'000'000, 1'700'000'000);
  memo.Insert(f, 0xABCD, now);
  EXPECT_EQ(memo.Lookup(f), 0xABCDu);
  FileInfo g = f;
  g.size = 101;
  EXPECT_FALSE(memo.Lookup(g));
  g = f;
  g.mtime_nsec = 1;
  EXPECT_FALSE(memo.Lookup(g));
  g = f;
  g.ctime_sec += 1;
  EXPECT_FALSE(memo.Lookup(g));
  // Hashed within the racy window of its own mtime: never trusted.
  FileInfo racy = Info(8, 100, 1'800'000'000, 1'800'000'000);
  memo.Insert(racy, 0x1234, now);
  EXPECT_FALSE(memo.Lookup(racy));
}

TEST(ContentHashMemo, PersistsAtomicallyAndIgnoresCorruptRecords) {
  test_support::TempDir dir;
  std::string path = dir.Join("memo/hashmemo-v1.bin");
  const int64_t now = 1'800'000'000LL * 1'000'000'000LL;
  ContentHashMemo a;
  for (uint64_t i = 1; i <= 3; ++i) a.Insert(Info(i, i * 10, 1'700'000'000, 1'700'000'000), 100 + i, now);
  ASSERT_TRUE(a.Save(path).ok());
  ContentHashMemo b;
  ASSERT_TRUE(b.Load(path).ok());
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.Lookup(Info(2, 20, 1'700'000'000, 1'700'000'000)), 102u);

  // Flip one byte inside the second record: only that record is dropped.
  std::string bytes = test_support::ReadFileOrDie(path);
  bytes[8 + 64 + 20] ^= 0x40;
  test_support::WriteFileOrDie(path, bytes);
  ContentHashMemo c;
  ASSERT_TRUE(c.Load(path).ok());
  EXPECT_EQ(c.size(), 2u);

  // A torn file (cut mid-record) and garbage are ignored without error.
  test_support::WriteFileOrDie(path, bytes.substr(0, 8 + 64 + 10));
  ContentHashMemo d;
  ASSERT_TRUE(d.Load(path).ok());
  EXPECT_EQ(d.size(), 1u);
  test_support::WriteFileOrDie(path, "garbage");
  ContentHashMemo e;
  ASSERT_TRUE(e.Load(path).ok());
  EXPECT_EQ(e.size(), 0u);
  EXPECT_TRUE(ContentHashMemo().Load(dir.Join("absent.bin")).ok());
}

}  // namespace
}  // namespace jlcache
