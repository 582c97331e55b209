// Remembered answers (stale/status_memo.h): reused exactly while every file
// the answer was read from stats the same, and never otherwise.
#include "stale/status_memo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/build_identity.h"
#include "core/file_io.h"
#include "core/file_journal.h"
#include "gtest/gtest.h"
#include "stale/content_hash_memo.h"
#include "stale/query.h"
#include "stale/session.h"
#include "stale/verdict_json.h"
#include "support/scenario.h"
#include "support/status_memo_writer.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::Scenario;
using test_support::TempDir;
using test_support::WriteFileOrDie;

constexpr int64_t kLater = 3'000'000'000;  // a query that starts 3 s after the files were written

Verdict Fresh(const std::string& name, const std::string& cache) {
  return test_support::SampleFreshVerdict(name, cache);
}

// A journal of what reading the files and listing the directory saw.
struct Observed {
  TempDir dir;
  std::string a, b, gone;
  FileJournal journal;
  Observed() {
    a = dir.Join("a.jl");
    b = dir.Join("sub/b.toml");
    gone = dir.Join("gone.jl");
    WriteFileOrDie(a, "a");
    WriteFileOrDie(b, "b = 1\n");
    const FileAccess files(&journal);
    EXPECT_TRUE(files.Read(a).ok());
    EXPECT_TRUE(files.StatIfExists(b).ok());
    EXPECT_TRUE(files.ListDir(dir.Join("sub")).ok());
    EXPECT_FALSE(files.PathExists(gone));
  }
};

TEST(FileJournalTest, RecordsWhatFileIoSawAndTaintsWhatItCannotVouchFor) {
  Observed o;
  auto entries = o.journal.Entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_FALSE(o.journal.tainted()) << o.journal.taint_reason();
  for (const auto& [path, sig] : entries) EXPECT_EQ(sig.present, path != o.gone) << path;
  (void)FileAccess(&o.journal).RealPath(o.a);
  EXPECT_TRUE(o.journal.tainted());
  // Reads through another FileAccess (or none) are not recorded.
  const size_t before = o.journal.Entries().size();
  FileJournal other;
  (void)StatIfExists(o.dir.Join("sub"));
  (void)FileAccess(&other).StatIfExists(o.a);
  EXPECT_EQ(o.journal.Entries().size(), before);
  EXPECT_EQ(other.Entries().size(), 1u);
}

TEST(StatusMemoTest, AnswersWhileNothingChangedAndForgetsOnAnyChange) {
  auto check = [](auto&& change) {
    Observed o;
    StatusMemo memo;
    IoPool pool(2);
    ASSERT_TRUE(memo.Insert(7, o.journal, NowRealtimeNs() + kLater, {Fresh("A", o.a)}));
    auto hit = memo.Lookup(7, pool, nullptr);
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(VerdictJson((*hit)[0]), VerdictJson(Fresh("A", o.a)));
    EXPECT_FALSE(memo.Lookup(8, pool, nullptr).has_value());  // another question
    change(o);
    EXPECT_FALSE(memo.Lookup(7, pool, nullptr).has_value());
    EXPECT_EQ(memo.size(), 0u);
  };
  check([](Observed& o) { WriteFileOrDie(o.a, "A"); });                   // same size, new content
  check([](Observed& o) { std::filesystem::remove(o.b); });               // a file went away
  check([](Observed& o) { WriteFileOrDie(o.gone, "x"); });                // a missing file appeared
  check([](Observed& o) { WriteFileOrDie(o.dir.Join("sub/new.ji"), ""); });  // a listed dir changed
  check([](Observed& o) { ::chmod(o.a.c_str(), 0600); });                 // metadata (ctime)
}

TEST(StatusMemoTest, KeepsOnlyTrustworthyFreshAnswers) {
  Observed o;
  StatusMemo memo;
  const int64_t later = NowRealtimeNs() + kLater;
  Verdict stale = Fresh("A", o.a);
  stale.kind = VerdictKind::kStale;
  EXPECT_FALSE(memo.Insert(1, o.journal, later, {Fresh("A", o.a), stale}));
  // Files written within the racy window of the query's start.
  EXPECT_FALSE(memo.Insert(1, o.journal, NowRealtimeNs(), {Fresh("A", o.a)}));
  FileJournal tainted;
  tainted.Record(o.a, *FileSignature::Now(o.a));
  tainted.Taint("test");
  EXPECT_FALSE(memo.Insert(1, tainted, later, {Fresh("A", o.a)}));
  FileJournal empty;
  EXPECT_FALSE(memo.Insert(1, empty, later, {Fresh("A", o.a)}));
  EXPECT_EQ(memo.size(), 0u);
  // A path seen twice with different identities (changed mid-query).
  FileJournal twice;
  FileSignature s = *FileSignature::Now(o.a);
  twice.Record(o.a, s);
  s.size += 1;
  twice.Record(o.a, s);
  EXPECT_TRUE(twice.tainted());
}

TEST(StatusMemoTest, SurvivesSaveAndLoadButNotDamage) {
  Observed o;
  IoPool pool(1);
  StatusMemo memo;
  ASSERT_TRUE(memo.Insert(7, o.journal, NowRealtimeNs() + kLater, {Fresh("A", o.a), Fresh("B", o.b)}));
  const std::string path = o.dir.Join("memo/status-v1.bin");
  ASSERT_TRUE(memo.Save(path).ok());
  StatusMemo loaded;
  ASSERT_TRUE(loaded.Load(path).ok());
  auto hit = loaded.Lookup(7, pool, nullptr);
  ASSERT_TRUE(hit.has_value());
  ASSERT_EQ(hit->size(), 2u);
  EXPECT_EQ(VerdictJson((*hit)[1]), VerdictJson(Fresh("B", o.b)));

  const std::string bytes = test_support::ReadFileOrDie(path);
  for (size_t i = 0; i < bytes.size(); i += 97) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    WriteFileOrDie(path, bad);
    StatusMemo m;
    EXPECT_TRUE(m.Load(path).ok());
    EXPECT_EQ(m.size(), 0u) << "flip at " << i;
  }
  for (size_t n : {size_t{0}, size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    WriteFileOrDie(path, bytes.substr(0, n));
    StatusMemo m;
    EXPECT_TRUE(m.Load(path).ok());
    EXPECT_EQ(m.size(), 0u) << "cut at " << n;
  }
}

std::string Json(const std::vector<Verdict>& vs) {
  std::string out;
  for (const auto& v : vs) out += VerdictJson(v) + "\n";
  return out;
}

// Through a session, on a real-shaped world old enough to be trusted.
TEST(StatusMemoTest, SessionsAnswerFromTheMemoUntilASourceChanges) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // past the racy window

  auto session = s.OpenSession();
  auto first = session->Status();
  ASSERT_TRUE(first.ok()) << first.status();
  for (const auto& v : *first) ASSERT_EQ(v.kind, VerdictKind::kFresh) << VerdictJson(v);
  EXPECT_EQ(session->remembered_answers(), 0u);
  auto second = session->Status();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(session->remembered_answers(), 1u);
  EXPECT_EQ(Json(*second), Json(*first));

  // A new process loads the saved memo and answers with stats alone.
  auto other = s.OpenSession();
  auto third = other->Status();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(other->remembered_answers(), 1u);
  EXPECT_EQ(Json(*third), Json(*first));
  // Another question is another answer.
  ASSERT_TRUE(other->Status({"Hello"}).ok());
  EXPECT_EQ(other->remembered_answers(), 1u);

  // An edited source (same size) is seen at once.
  std::string impl = s.SourcePath("Words", "src/impl.jl");
  std::string text = test_support::ReadFileOrDie(impl);
  text[0] = text[0] == '#' ? ';' : '#';
  WriteFileOrDie(impl, text);
  auto after = other->Status();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(other->remembered_answers(), 1u);
  size_t fresh = 0;
  for (const auto& v : *after) fresh += v.kind == VerdictKind::kFresh;
  EXPECT_LT(fresh, after->size()) << Json(*after);
  // Stale answers are not remembered.
  ASSERT_TRUE(other->Status().ok());
  EXPECT_EQ(other->remembered_answers(), 1u);
}

// Each call has its own Query, so calls running at once on one session
// each journal everything they depend on: both answers are right, and both
// may be remembered (no overlap heuristic throws them away).
TEST(StatusMemoTest, ConcurrentStatusCallsOnOneSessionEachGetACompleteJournal) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // past the racy window
  auto session = s.OpenSession();
  auto expected = s.OpenSession()->Status();
  ASSERT_TRUE(expected.ok()) << expected.status();
  session->ClearRememberedAnswers();
  std::vector<std::string> names;
  for (const auto& v : *expected) names.push_back(v.package.name);
  constexpr int kThreads = 4;
  std::vector<std::string> answers(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      // Two questions: the whole environment, and each package alone.
      auto got = t % 2 ? session->Status() : session->Status({names[t / 2 % names.size()]});
      answers[t] = got.ok() ? Json(*got) : std::string(got.status().message());
    });
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; t += 2) EXPECT_EQ(answers[t], Json(*expected));
  // Each question asked again is answered from memory.
  const uint64_t before = session->remembered_answers();
  ASSERT_TRUE(session->Status().ok());
  ASSERT_TRUE(session->Status({names[0]}).ok());
  EXPECT_EQ(session->remembered_answers(), before + 2);
  // And every remembered answer still depends on every file it read: an
  // edit to a source is seen by both questions.
  std::string impl = s.SourcePath("Words", "src/impl.jl");
  std::string text = test_support::ReadFileOrDie(impl);
  text[0] = text[0] == '#' ? ';' : '#';
  WriteFileOrDie(impl, text);
  auto after = session->Status();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(session->remembered_answers(), before + 2);
  EXPECT_NE(Json(*after), Json(*expected));
}

TEST(StatusMemoTest, CloneTargetAnswersAreAskedAgainBeforeReuse) {
  Observed o;
  IoPool pool(1);
  StatusMemo memo;
  ASSERT_TRUE(memo.Insert(7, o.journal, NowRealtimeNs() + kLater, {Fresh("A", o.a)},
                          {{"blob-1", true}, {"blob-2", true}}));
  auto yes = [](const std::string&) { return std::optional<bool>(true); };
  EXPECT_TRUE(memo.Lookup(7, pool, yes).has_value());
  // Saved and loaded with its answers.
  const std::string path = o.dir.Join("status-v1.bin");
  ASSERT_TRUE(memo.Save(path).ok());
  StatusMemo loaded;
  ASSERT_TRUE(loaded.Load(path).ok());
  std::vector<std::string> asked;
  EXPECT_TRUE(loaded.Lookup(7, pool, [&](const std::string& b) {
                      asked.push_back(b);
                      return std::optional<bool>(true);
                    }).has_value());
  EXPECT_EQ(asked, (std::vector<std::string>{"blob-1", "blob-2"}));
  // Julia now rejects one blob, or cannot tell, or there is nobody to ask.
  EXPECT_FALSE(loaded.Lookup(7, pool, [](const std::string& b) {
                       return std::optional<bool>(b != "blob-2");
                     }).has_value());
  // The files did not change: a Julia that answers as before still reuses it.
  EXPECT_TRUE(loaded.Lookup(7, pool, yes).has_value());
  // Two different answers for one blob within a query taint its journal.
  Query q(/*journaled=*/true);
  q.RecordCloneAnswer("blob", true);
  EXPECT_FALSE(q.journal()->tainted());
  q.RecordCloneAnswer("blob", false);
  EXPECT_TRUE(q.journal()->tainted());
  EXPECT_FALSE(memo.Insert(8, q, NowRealtimeNs() + kLater, {Fresh("A", o.a)}));
  // A query that relied on an answer nobody can give again is not kept.
  Query unrepeatable(/*journaled=*/true);
  unrepeatable.NoteUnrepeatableAnswer();
  EXPECT_FALSE(memo.Insert(9, unrepeatable, NowRealtimeNs() + kLater, {Fresh("A", o.a)}));
  // Nor one that kept no journal.
  Query unjournaled;
  EXPECT_FALSE(memo.Insert(10, unjournaled, NowRealtimeNs() + kLater, {Fresh("A", o.a)}));
  StatusMemo again;
  ASSERT_TRUE(again.Load(path).ok());
  EXPECT_FALSE(again.Lookup(7, pool, [](const std::string&) { return std::optional<bool>(); })
                   .has_value());
  StatusMemo third;
  ASSERT_TRUE(third.Load(path).ok());
  EXPECT_FALSE(third.Lookup(7, pool, nullptr).has_value());
}

TEST(StatusMemoTest, AnswersThatRelyOnJuliasCallbackAreCheckedWithIt) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  SessionOptions o;
  o.env = {{"JULIA_DEPOT_PATH", s.depot()}, {"HOME", s.dir().Join("home")}};
  o.env_given = true;
  o.project = s.project_dir();
  o.cwd = s.dir().path();
  o.memo_path = s.dir().Join("hashmemo.bin");
  // A profile that does not know this machine's clone targets: the callback decides.
  RuntimeProfile profile = s.Profile();
  profile.accepted_clone_targets.clear();
  auto session = Session::Open(profile, o);
  ASSERT_TRUE(session.ok()) << session.status();
  int asked = 0;
  bool accept = true;
  (*session)->SetCloneTargetsOracle([&](const std::string&) {
    ++asked;
    return std::optional<bool>(accept);
  });
  for (int i = 0; i < 2; ++i) {
    auto v = (*session)->Status();
    ASSERT_TRUE(v.ok());
    for (const auto& x : *v) EXPECT_EQ(x.kind, VerdictKind::kFresh) << VerdictJson(x);
  }
  EXPECT_EQ((*session)->remembered_answers(), 1u);
  const int after_two = asked;
  EXPECT_GT(after_two, 0);
  // The machine changed its mind: the remembered answer is not reused.
  accept = false;
  auto v = (*session)->Status();
  ASSERT_TRUE(v.ok());
  EXPECT_GT(asked, after_two);
  EXPECT_EQ((*session)->remembered_answers(), 1u);
  for (const auto& x : *v) EXPECT_NE(x.kind, VerdictKind::kFresh) << VerdictJson(x);
  // A callback that cannot tell makes the verdicts unknown: never remembered.
  (*session)->SetCloneTargetsOracle([](const std::string&) { return std::optional<bool>(); });
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*session)->Status().ok());
  EXPECT_EQ((*session)->remembered_answers(), 1u);
}

}  // namespace
}  // namespace jlcache

namespace jlcache {
namespace {

TEST(BuildIdentityTest, NamesTheVersionAndTheLoadedFile) {
  const std::optional<std::string>& id = BuildIdentity();
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->rfind(JLCACHE_VERSION_STRING, 0), 0u) << *id;
  EXPECT_NE(id->find('/'), std::string::npos) << *id;  // a path
}

}  // namespace
}  // namespace jlcache
