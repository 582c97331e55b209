// core/nanoseconds.h, and the two memos that judge stat times with it: a
// time that does not fit in int64 nanoseconds (a file dated after 2262, or
// a hostile memo file) is never a match and never trusted, and computing it
// is not undefined behaviour (the UBSan suite runs these).
#include "core/nanoseconds.h"

#include <xxhash.h>

#include <cstring>
#include <limits>
#include <string>

#include "core/file_journal.h"
#include "gtest/gtest.h"
#include "stale/content_hash_memo.h"
#include "stale/status_memo.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(NanosecondsTest, CheckedNsFitsOrSaysSo) {
  EXPECT_EQ(CheckedNs(1'700'000'000, 5), 1'700'000'000'000'000'005);
  EXPECT_EQ(CheckedNs(-1, 0), -1'000'000'000);
  EXPECT_EQ(CheckedNs(9'223'372'036, 854'775'807), kMax);  // the last that fits
  EXPECT_EQ(CheckedNs(9'223'372'036, 854'775'808), std::nullopt);
  EXPECT_EQ(CheckedNs(10'400'000'000, 0), std::nullopt);  // the year 2299
  EXPECT_EQ(CheckedNs(kMax, 0), std::nullopt);
  EXPECT_EQ(CheckedNs(kMin, 0), std::nullopt);
  EXPECT_EQ(CheckedNs(0, kMax), kMax);
}

TEST(NanosecondsTest, SaturatingSubClamps) {
  EXPECT_EQ(SaturatingSub(10, 3), 7);
  EXPECT_EQ(SaturatingSub(kMin, 1), kMin);
  EXPECT_EQ(SaturatingSub(kMax, -1), kMax);
  EXPECT_EQ(SaturatingSub(0, kMin), kMax);
  EXPECT_EQ(SaturatingSub(-2, kMax), kMin);
}

FileInfo FarFuture(uint64_t ino) {
  FileInfo f;
  f.dev = 3;
  f.ino = ino;
  f.size = 10;
  f.mtime_sec = 10'400'000'000;  // 2299: no int64 nanosecond count
  f.ctime_sec = 1'700'000'000;
  return f;
}

TEST(NanosecondsTest, TheContentHashMemoNeverMatchesATimeThatDoesNotFit) {
  ContentHashMemo memo;
  memo.Insert(FarFuture(1), 0xABCD, int64_t{1'800'000'000} * 1'000'000'000);
  EXPECT_EQ(memo.Lookup(FarFuture(1)), std::nullopt);
  EXPECT_EQ(memo.size(), 0u);  // not kept: it could never be matched
  FileInfo ordinary = FarFuture(2);
  ordinary.mtime_sec = 1'700'000'000;  // the control
  memo.Insert(ordinary, 0xABCD, int64_t{1'800'000'000} * 1'000'000'000);
  EXPECT_EQ(memo.Lookup(ordinary), 0xABCDu);
}

// A saved content-hash memo whose record holds extreme times (checksummed,
// so Load reads it): judging it must neither overflow nor trust it.
TEST(NanosecondsTest, ASavedContentHashRecordWithExtremeTimesIsNotTrusted) {
  test_support::TempDir dir;
  const std::string path = dir.Join("hashmemo.bin");
  ASSERT_TRUE(ContentHashMemo().Save(path).ok());  // the magic alone
  std::string file = test_support::ReadFileOrDie(path);
  auto record = [](int64_t mtime_ns, int64_t hashed_at_ns) {
    unsigned char rec[64] = {};
    const uint64_t fields[6] = {3, 1, 10, static_cast<uint64_t>(mtime_ns), 0,
                                static_cast<uint64_t>(hashed_at_ns)};
    std::memcpy(rec, fields, sizeof fields);
    const uint64_t sum = XXH64(rec, 56, 0);
    std::memcpy(rec + 56, &sum, 8);
    return std::string(reinterpret_cast<const char*>(rec), sizeof rec);
  };
  file += record(kMax, kMin);  // hashed before the epoch's start, changed at its end
  file += record(kMin + 1, kMin);
  test_support::WriteFileOrDie(path, file);
  ContentHashMemo memo;
  ASSERT_TRUE(memo.Load(path).ok());
  EXPECT_EQ(memo.size(), 0u);
}

TEST(NanosecondsTest, AStatusAnswerOverATimeThatDoesNotFitIsNotTrusted) {
  FileJournal journal;
  FileSignature sig;
  sig.present = true;
  sig.ino = 1;
  sig.mtime_sec = 10'400'000'000;
  sig.ctime_sec = 1'700'000'000;
  journal.Record("/depot/packages/A/x/src/A.jl", sig);
  StatusMemo memo;
  Verdict fresh;
  fresh.package = PkgId{Uuid{1, 2}, "A"};
  fresh.kind = VerdictKind::kFresh;
  EXPECT_FALSE(memo.Insert(1, journal, kMax, {fresh}));
  EXPECT_FALSE(memo.Insert(2, journal, kMin, {fresh}));
  sig.mtime_sec = kMin;  // far past: still does not fit
  FileJournal past;
  past.Record("/p", sig);
  EXPECT_FALSE(memo.Insert(3, past, kMax, {fresh}));
  EXPECT_EQ(memo.size(), 0u);
  // The control: the same answer over an ordinary time is kept.
  sig.mtime_sec = 1'700'000'000;
  FileJournal ordinary;
  ordinary.Record("/p", sig);
  EXPECT_TRUE(memo.Insert(4, ordinary, int64_t{1'700'000'100} * 1'000'000'000, {fresh}));
  EXPECT_EQ(memo.size(), 1u);
}

}  // namespace
}  // namespace jlcache
