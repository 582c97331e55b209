// Saved status answers (stale/status_memo.h) on the path a new process takes:
// loaded as bytes, checked with the same trust rules as a computed answer,
// and re-stat'ed block by block on a lookup. A wrong hit here is a stale
// cache reported fresh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/file_io.h"
#include "core/file_journal.h"
#include "gtest/gtest.h"
#include "stale/content_hash_memo.h"
#include "stale/io_pool.h"
#include "stale/status_memo.h"
#include "stale/verdict_json.h"
#include "support/status_memo_writer.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::ReadFileOrDie;
using test_support::StatusMemoFile;
using test_support::StatusMemoFileEntry;
using test_support::TempDir;
using test_support::WriteFileOrDie;

constexpr int64_t kLater = 3'000'000'000;  // a query that starts 3 s after the files were written
constexpr size_t kBlock = 64;              // Lookup's block of paths (status_memo.cc)

Verdict Fresh(const std::string& name, const std::string& cache) {
  return test_support::SampleFreshVerdict(name, cache);
}

std::string Json(const std::vector<Verdict>& vs) {
  std::string out;
  for (const auto& v : vs) out += VerdictJson(v) + "\n";
  return out;
}

std::string Name(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "f%03d.jl", i);
  return buf;
}

// An answer read from 140 files and one missing path, so its journal spans
// three blocks of 64 (the missing path sorts last, in the third).
struct ManyFiles {
  static constexpr int kFiles = 140;
  TempDir dir;
  FileJournal journal;
  std::vector<Verdict> verdicts;
  std::string missing;
  int64_t started = 0;
  ManyFiles() {
    for (int i = 0; i < kFiles; ++i) WriteFileOrDie(dir.Join(Name(i)), "file " + std::to_string(i));
    missing = dir.Join("zz_missing.jl");
    const FileAccess files(&journal);
    for (int i = 0; i < kFiles; ++i) EXPECT_TRUE(files.Read(dir.Join(Name(i))).ok());
    EXPECT_FALSE(files.PathExists(missing));
    verdicts = {Fresh("A", dir.Join(Name(0))), Fresh("B", dir.Join(Name(kFiles - 1)))};
    started = NowRealtimeNs() + kLater;
  }
  // Where path falls in the journal's sorted entries.
  size_t IndexOf(const std::string& path) const {
    auto entries = journal.Entries();
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.first == path; });
    EXPECT_NE(it, entries.end()) << path;
    return static_cast<size_t>(it - entries.begin());
  }
};

TEST(StatusMemoLoadTest, ALoadedAnswerIsCheckedInEveryBlockOfPaths) {
  auto check = [](const char* what, auto&& change, auto&& changed_path) {
    SCOPED_TRACE(what);
    ManyFiles w;
    ASSERT_EQ(w.journal.Entries().size(), static_cast<size_t>(ManyFiles::kFiles + 1));
    ASSERT_GE(w.IndexOf(changed_path(w)), 2 * kBlock);  // beyond the first two blocks
    StatusMemo memo;
    ASSERT_TRUE(memo.Insert(7, w.journal, w.started, w.verdicts));
    const std::string path = w.dir.Join("memo/status.bin");
    ASSERT_TRUE(memo.Save(path).ok());
    IoPool pool(2);
    {
      // Unchanged: a fresh process answers with the same verdicts.
      StatusMemo loaded;
      ASSERT_TRUE(loaded.Load(path).ok());
      ASSERT_EQ(loaded.size(), 1u);
      auto hit = loaded.Lookup(7, pool, nullptr);
      ASSERT_TRUE(hit.has_value());
      EXPECT_EQ(Json(*hit), Json(w.verdicts));
    }
    // Let the clock tick past the files' mtimes, so a same-size rewrite is
    // seen by its timestamp as it would be in real use.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    change(w);
    StatusMemo loaded;
    ASSERT_TRUE(loaded.Load(path).ok());
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_FALSE(loaded.Lookup(7, pool, nullptr).has_value());
    EXPECT_EQ(loaded.size(), 0u);  // a stale entry is dropped
    // The in-process answer sees it too.
    EXPECT_FALSE(memo.Lookup(7, pool, nullptr).has_value());
  };
  auto at = [](int i) { return [i](ManyFiles& w) { return w.dir.Join(Name(i)); }; };
  check("same-size rewrite in block 2", [](ManyFiles& w) { WriteFileOrDie(w.dir.Join(Name(135)), "file 999"); },
        at(135));
  check("removed in block 2", [](ManyFiles& w) { std::filesystem::remove(w.dir.Join(Name(131))); }, at(131));
  check("timestamp only, in block 2",
        [](ManyFiles& w) { test_support::SetMtimeOrDie(w.dir.Join(Name(139)), 1'600'000'000, 0); }, at(139));
  check("a missing path appeared, last block", [](ManyFiles& w) { WriteFileOrDie(w.missing, ""); },
        [](ManyFiles& w) { return w.missing; });
}

TEST(StatusMemoLoadTest, SavingALoadedAnswerUnreadKeepsItWhole) {
  ManyFiles w;
  StatusMemo memo;
  ASSERT_TRUE(memo.Insert(7, w.journal, w.started, w.verdicts));
  const std::string first = w.dir.Join("memo/first.bin"), second = w.dir.Join("memo/second.bin");
  ASSERT_TRUE(memo.Save(first).ok());
  // Loaded and saved again without a lookup: written back as it was read.
  StatusMemo middle;
  ASSERT_TRUE(middle.Load(first).ok());
  ASSERT_TRUE(middle.Save(second).ok());
  EXPECT_EQ(ReadFileOrDie(second), ReadFileOrDie(first));
  StatusMemo last;
  ASSERT_TRUE(last.Load(second).ok());
  IoPool pool(2);
  auto hit = last.Lookup(7, pool, nullptr);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(Json(*hit), Json(w.verdicts));
}

TEST(StatusMemoLoadTest, OneSaveMixesComputedAndLoadedAnswers) {
  ManyFiles w;
  IoPool pool(2);
  const std::string path = w.dir.Join("memo/status.bin");
  {
    StatusMemo memo;
    ASSERT_TRUE(memo.Insert(7, w.journal, w.started, w.verdicts));
    ASSERT_TRUE(memo.Save(path).ok());
  }
  // A second process: loads answer 7 (undecoded) and computes answer 9.
  TempDir other;
  WriteFileOrDie(other.Join("c.jl"), "c");
  FileJournal journal;
  ASSERT_TRUE(FileAccess(&journal).Read(other.Join("c.jl")).ok());
  const std::vector<Verdict> nine = {Fresh("C", other.Join("c.jl"))};
  StatusMemo mixed;
  ASSERT_TRUE(mixed.Load(path).ok());
  ASSERT_TRUE(mixed.Insert(9, journal, NowRealtimeNs() + kLater, nine, {{"blob", true}}));
  ASSERT_TRUE(mixed.dirty());
  ASSERT_TRUE(mixed.Save(path).ok());

  StatusMemo loaded;
  ASSERT_TRUE(loaded.Load(path).ok());
  EXPECT_EQ(loaded.size(), 2u);
  auto seven = loaded.Lookup(7, pool, nullptr);
  ASSERT_TRUE(seven.has_value());
  EXPECT_EQ(Json(*seven), Json(w.verdicts));
  auto yes = [](const std::string& b) { return std::optional<bool>(b == "blob"); };
  auto got_nine = loaded.Lookup(9, pool, yes);
  ASSERT_TRUE(got_nine.has_value());
  EXPECT_EQ(Json(*got_nine), Json(nine));
  // Each still rests on its own files.
  WriteFileOrDie(other.Join("c.jl"), "changed");
  EXPECT_FALSE(loaded.Lookup(9, pool, yes).has_value());
  EXPECT_TRUE(loaded.Lookup(7, pool, nullptr).has_value());
}

// Crafted files: each holds a good answer (key 1) beside the one under test
// (key 2), with a correct checksum, so a miss on key 2 is the trust rules'
// doing and not a file Load threw away whole.
struct Crafted {
  TempDir dir;
  std::vector<std::pair<std::string, FileSignature>> files;
  int64_t newest_ns = 0;
  Crafted() {
    for (const char* n : {"a.jl", "b.toml"}) {
      const std::string p = dir.Join(n);
      WriteFileOrDie(p, n);
      auto sig = FileSignature::Now(p);
      EXPECT_TRUE(sig && sig->present);
      files.emplace_back(p, *sig);
      for (int64_t t : {sig->mtime_sec * 1'000'000'000 + sig->mtime_nsec,
                        sig->ctime_sec * 1'000'000'000 + sig->ctime_nsec})
        newest_ns = std::max(newest_ns, t);
    }
    files.emplace_back(dir.Join("gone.jl"), FileSignature{});  // recorded as absent
  }
  StatusMemoFileEntry Good(uint64_t key) const {
    StatusMemoFileEntry e;
    e.key = key;
    e.started_ns = newest_ns + kLater;
    e.files = files;
    e.verdicts = {Fresh("A", files[0].first)};
    return e;
  }
  // Loads {Good(1), bad} and reports whether key 2 was answered.
  bool Answers(const StatusMemoFileEntry& bad, const StatusMemo::CloneTargetsFn& ask = nullptr) {
    const std::string path = dir.Join("crafted.bin");
    WriteFileOrDie(path, StatusMemoFile({Good(1), bad}));
    StatusMemo memo;
    EXPECT_TRUE(memo.Load(path).ok());
    IoPool pool(2);
    auto control = memo.Lookup(1, pool, nullptr);
    EXPECT_TRUE(control.has_value()) << "the crafted file was not read at all";
    if (control) {
      EXPECT_EQ(Json(*control), Json({Fresh("A", files[0].first)}));
    }
    return memo.Lookup(2, pool, ask).has_value();
  }
};

TEST(StatusMemoCraftedFileTest, TheTestWriterMatchesTheLibrarysEncoder) {
  Crafted c;
  FileJournal journal;
  for (const auto& [p, s] : c.files) journal.Record(p, s);
  StatusMemo memo;
  const StatusMemoFileEntry good = c.Good(5);
  ASSERT_TRUE(memo.Insert(5, journal, good.started_ns, good.verdicts, {{"blob", false}}));
  const std::string path = c.dir.Join("saved.bin");
  ASSERT_TRUE(memo.Save(path).ok());
  StatusMemoFileEntry same = good;
  same.clone_answers = {{"blob", false}};
  std::sort(same.files.begin(), same.files.end(),  // the journal lists paths sorted
            [](const auto& a, const auto& b) { return a.first < b.first; });
  EXPECT_EQ(ReadFileOrDie(path), StatusMemoFile({same}));
}

TEST(StatusMemoCraftedFileTest, AGoodCraftedAnswerIsUsed) {
  Crafted c;
  EXPECT_TRUE(c.Answers(c.Good(2)));
}

TEST(StatusMemoCraftedFileTest, ARacyAnswerIsRejected) {
  Crafted c;
  StatusMemoFileEntry e = c.Good(2);
  e.started_ns = c.newest_ns + StatusMemo::kRacyWindowNs / 2;  // a file changed just before the query
  EXPECT_FALSE(c.Answers(e));
  e.started_ns = c.newest_ns + StatusMemo::kRacyWindowNs;  // the window's edge is still racy
  EXPECT_FALSE(c.Answers(e));
}

TEST(StatusMemoCraftedFileTest, AnAnswerRestingOnNoFilesIsRejected) {
  Crafted c;
  StatusMemoFileEntry e = c.Good(2);
  e.files.clear();
  EXPECT_FALSE(c.Answers(e));
}

TEST(StatusMemoCraftedFileTest, AnAnswerWithANonFreshVerdictIsRejected) {
  Crafted c;
  for (VerdictKind kind : {VerdictKind::kStale, VerdictKind::kUnknown}) {
    StatusMemoFileEntry e = c.Good(2);
    Verdict v = Fresh("B", c.files[1].first);
    v.kind = kind;
    e.verdicts.push_back(v);
    EXPECT_FALSE(c.Answers(e)) << VerdictKindName(kind);
  }
}

TEST(StatusMemoCraftedFileTest, AnAnswerWithTooManyCloneAnswersIsRejected) {
  Crafted c;
  auto yes = [](const std::string&) { return std::optional<bool>(true); };
  StatusMemoFileEntry e = c.Good(2);
  for (size_t i = 0; i < StatusMemo::kMaxCloneAnswers; ++i)
    e.clone_answers.emplace_back("blob" + std::to_string(i), true);
  EXPECT_TRUE(c.Answers(e, yes));  // at the limit: kept
  e.clone_answers.emplace_back("one-more", true);
  EXPECT_FALSE(c.Answers(e, yes));
  // And the same rule holds for an answer computed in this process.
  FileJournal journal;
  for (const auto& [p, s] : c.files) journal.Record(p, s);
  StatusMemo memo;
  EXPECT_FALSE(memo.Insert(3, journal, e.started_ns, e.verdicts, e.clone_answers));
  e.clone_answers.pop_back();
  EXPECT_TRUE(memo.Insert(3, journal, e.started_ns, e.verdicts, e.clone_answers));
}

TEST(StatusMemoCraftedFileTest, TruncatedOrHostileFilesAreIgnoredWithoutCrashing) {
  Crafted c;
  const std::string path = c.dir.Join("crafted.bin");
  const std::string body = test_support::StatusMemoBody({c.Good(1), c.Good(2)});
  // Cut anywhere, then checksummed again: the checksum passes, the body does not parse.
  for (size_t n = 8; n < body.size(); n += 7) {
    WriteFileOrDie(path, test_support::WithStatusMemoChecksum(body.substr(0, n)));
    StatusMemo memo;
    EXPECT_TRUE(memo.Load(path).ok());
    EXPECT_EQ(memo.size(), 0u) << "cut at " << n;
  }
  // Counts far beyond the file's size.
  for (size_t at : {size_t{8}, size_t{8 + 4 + 8 + 8}}) {
    std::string bad = body;
    bad[at] = bad[at + 1] = bad[at + 2] = bad[at + 3] = '\xff';
    WriteFileOrDie(path, test_support::WithStatusMemoChecksum(bad));
    StatusMemo memo;
    EXPECT_TRUE(memo.Load(path).ok());
    EXPECT_EQ(memo.size(), 0u) << "count at " << at;
  }
  // Trailing bytes after the last entry.
  WriteFileOrDie(path, test_support::WithStatusMemoChecksum(body + "x"));
  StatusMemo memo;
  EXPECT_TRUE(memo.Load(path).ok());
  EXPECT_EQ(memo.size(), 0u);
  // And the uncut body loads both.
  WriteFileOrDie(path, test_support::WithStatusMemoChecksum(body));
  StatusMemo whole;
  EXPECT_TRUE(whole.Load(path).ok());
  EXPECT_EQ(whole.size(), 2u);
}

// A path is stored as the length it shares with the previous one and the
// rest; a shared length that reaches past the previous path, or any at a
// path stored whole (the first of every 64), must not be believed.
TEST(StatusMemoCraftedFileTest, SharedPathLengthsOutOfRangeAreRejected) {
  Crafted c;
  ASSERT_GE(c.files.size(), 2u);
  StatusMemoFileEntry e = c.Good(1);
  const std::string path = c.dir.Join("crafted.bin");
  const std::string body = test_support::StatusMemoBody({e});
  auto put_u32 = [](std::string& b, size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  auto get_u32 = [](const std::string& b, size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
    return v;
  };
  // magic, entry count, key, started_ns, file count: the first path follows.
  const size_t first = 8 + 4 + 8 + 8 + 4;
  ASSERT_EQ(get_u32(body, first), 0u);
  const uint32_t first_len = get_u32(body, first + 4);
  ASSERT_EQ(first_len, c.files[0].first.size());  // stored whole
  const size_t second = first + 4 + 4 + first_len + 61;
  const uint32_t shared = get_u32(body, second);
  ASSERT_GT(shared, 0u);  // the crafted paths share their directory
  auto loads = [&](const std::string& b) {
    WriteFileOrDie(path, test_support::WithStatusMemoChecksum(b));
    StatusMemo memo;
    EXPECT_TRUE(memo.Load(path).ok());
    return memo.size();
  };
  EXPECT_EQ(loads(body), 1u);
  std::string bad = body;
  put_u32(bad, first, 1);  // the first path claims to share a byte with nothing
  EXPECT_EQ(loads(bad), 0u);
  bad = body;
  put_u32(bad, second, first_len + 1);  // more than the previous path has
  EXPECT_EQ(loads(bad), 0u);
  bad = body;
  put_u32(bad, second, 0xFFFFFFFFu);
  EXPECT_EQ(loads(bad), 0u);
}

}  // namespace
}  // namespace jlcache
