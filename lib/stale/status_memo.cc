#include "stale/status_memo.h"

#include <xxhash.h>

#include <atomic>
#include <cstring>
#include <string_view>

#include "core/error.h"
#include "core/file_io.h"
#include "core/nanoseconds.h"

namespace jlcache {
namespace {

constexpr char kMagic[8] = {'J', 'L', 'C', 'S', 'T', 'A', 'T', '3'};
// A journaled path is stored as the length it shares with the previous one
// and the rest (sorted paths share most of their bytes: an answer for 400
// packages is about half the size). Every kPathRestart-th path is stored
// whole, so Lookup can re-stat blocks of that many paths in parallel.
constexpr size_t kPathRestart = 64;
constexpr int kMaxReasonDepth = 16;

class Out {
 public:
  void U8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { s_.append(reinterpret_cast<const char*>(&v), 4); }
  void U64(uint64_t v) { s_.append(reinterpret_cast<const char*>(&v), 8); }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Str(std::string_view v) {
    U32(static_cast<uint32_t>(v.size()));
    s_.append(v);
  }
  void OptStr(const std::optional<std::string>& v) {
    U8(v.has_value());
    if (v) Str(*v);
  }
  std::string& bytes() { return s_; }

 private:
  std::string s_;
};

// Bounds-checked; any short read leaves ok() false and yields zeros.
class In {
 public:
  explicit In(std::string_view b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == b_.size(); }
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos <= b_.size() ? pos : b_.size(); }
  // The bytes read since `from`.
  std::string_view Since(size_t from) const { return b_.substr(from, pos_ - from); }
  // Str() then yields "" without copying (still bounds-checked): for walking
  // an entry to check it without materialising its strings.
  void SkipStrings(bool skip) { skip_ = skip; }
  uint64_t Raw(size_t n) {
    uint64_t v = 0;
    if (!ok_ || b_.size() - pos_ < n) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&v, b_.data() + pos_, n);
    pos_ += n;
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(Raw(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Raw(4)); }
  uint64_t U64() { return Raw(8); }
  int64_t I64() { return static_cast<int64_t>(Raw(8)); }
  std::string_view View() {
    uint32_t n = U32();
    if (!ok_ || b_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string Str() {
    std::string_view v = View();
    return skip_ ? std::string() : std::string(v);
  }
  std::optional<std::string> OptStr() {
    if (!U8()) return std::nullopt;
    return Str();
  }
  // A count of items that each take at least min_bytes: refuses hostile counts.
  uint32_t Count(size_t min_bytes) {
    uint32_t n = U32();
    if (ok_ && uint64_t{n} * min_bytes > b_.size() - pos_) ok_ = false;
    return ok_ ? n : 0;
  }
  void Fail() { ok_ = false; }

 private:
  std::string_view b_;
  size_t pos_ = 0;
  bool ok_ = true;
  bool skip_ = false;
};

void PutSignature(Out& o, const FileSignature& s) {
  o.U8(s.present);
  o.U64(s.dev);
  o.U64(s.ino);
  o.U64(s.size);
  o.U32(s.mode);
  o.I64(s.mtime_sec);
  o.I64(s.mtime_nsec);
  o.I64(s.ctime_sec);
  o.I64(s.ctime_nsec);
}
constexpr size_t kSignatureBytes = 1 + 3 * 8 + 4 + 4 * 8;
constexpr size_t kFileEntryMinBytes = 4 + 4 + kSignatureBytes;  // shared length, rest, signature

void PutPath(Out& o, size_t index, std::string_view previous, std::string_view path) {
  size_t shared = 0;
  if (index % kPathRestart != 0)
    while (shared < previous.size() && shared < path.size() && previous[shared] == path[shared])
      ++shared;
  o.U32(static_cast<uint32_t>(shared));
  o.Str(path.substr(shared));
}

// A present file changed so close to the query's start that a same-tick
// write would leave its stat unchanged. Times that do not fit in nanoseconds
// (from a file, or past 2262) count as racy: such an answer is not trusted.
bool Racy(int64_t started_ns, const FileSignature& sig) {
  if (!sig.present) return false;
  const std::optional<int64_t> mtime = CheckedNs(sig.mtime_sec, sig.mtime_nsec);
  const std::optional<int64_t> ctime = CheckedNs(sig.ctime_sec, sig.ctime_nsec);
  if (!mtime || !ctime) return true;
  return SaturatingSub(started_ns, std::max(*mtime, *ctime)) <= StatusMemo::kRacyWindowNs;
}

// The rules an answer must meet to be kept, fed its parts as they are read:
// the one check behind both a computed answer (StatusMemo::Trusted, on
// Insert) and a saved one (Load, which walks its bytes without decoding
// them). A rule added here applies to both.
class TrustCheck {
 public:
  explicit TrustCheck(int64_t started_ns) : started_ns_(started_ns) {}
  void File(const FileSignature& sig) {
    ++files_;
    if (Racy(started_ns_, sig)) ok_ = false;
  }
  void Kind(VerdictKind kind) {
    if (kind != VerdictKind::kFresh) ok_ = false;  // only answers fresh throughout
  }
  // Last: the answer has been fed whole.
  void CloneAnswers(size_t n) {
    if (n > StatusMemo::kMaxCloneAnswers) ok_ = false;
    complete_ = true;
  }
  bool trusted() const {
    return ok_ && complete_ && files_ > 0;  // an answer must rest on something
  }

 private:
  int64_t started_ns_;
  size_t files_ = 0;
  bool ok_ = true;
  bool complete_ = false;
};

// The index-th journaled path, into *path (which holds the one before it).
// A shared length past the previous path, or any at a restart, is malformed.
void GetPath(In& in, size_t index, std::string* path) {
  const uint32_t shared = in.U32();
  const std::string_view rest = in.View();
  if (!in.ok() || shared > path->size() || (index % kPathRestart == 0 && shared != 0)) {
    in.Fail();
    return;
  }
  path->resize(shared);
  path->append(rest);
}

FileSignature GetSignature(In& in) {
  FileSignature s;
  s.present = in.U8() != 0;
  s.dev = in.U64();
  s.ino = in.U64();
  s.size = in.U64();
  s.mode = in.U32();
  s.mtime_sec = in.I64();
  s.mtime_nsec = in.I64();
  s.ctime_sec = in.I64();
  s.ctime_nsec = in.I64();
  return s;
}

void PutReason(Out& o, const StalenessReason& r) {
  o.U32(static_cast<uint32_t>(r.code));
  o.Str(r.detail);
  o.OptStr(r.cache);
  o.OptStr(r.dependency);
  o.U8(r.unknown);
  o.U32(static_cast<uint32_t>(r.because.size()));
  for (const auto& b : r.because) PutReason(o, b);
}

StalenessReason GetReason(In& in, int depth) {
  StalenessReason r;
  uint32_t code = in.U32();
  if (code > static_cast<uint32_t>(ReasonCode::kIoError) || depth > kMaxReasonDepth) in.Fail();
  r.code = static_cast<ReasonCode>(in.ok() ? code : 0);
  r.detail = in.Str();
  r.cache = in.OptStr();
  r.dependency = in.OptStr();
  r.unknown = in.U8() != 0;
  uint32_t n = in.Count(4 + 4 + 1 + 1 + 1 + 4);
  for (uint32_t i = 0; i < n && in.ok(); ++i) r.because.push_back(GetReason(in, depth + 1));
  return r;
}

void PutVerdict(Out& o, const Verdict& v) {
  o.Str(v.package.name);
  o.U8(v.package.uuid.has_value());
  if (v.package.uuid) {
    o.U64(v.package.uuid->hi);
    o.U64(v.package.uuid->lo);
  }
  o.U32(static_cast<uint32_t>(v.kind));
  o.OptStr(v.cache);
  o.OptStr(v.note);
  o.U32(static_cast<uint32_t>(v.reasons.size()));
  for (const auto& r : v.reasons) PutReason(o, r);
}

Verdict GetVerdict(In& in) {
  Verdict v;
  v.package.name = in.Str();
  if (in.U8()) {
    Uuid u;
    u.hi = in.U64();
    u.lo = in.U64();
    v.package.uuid = u;
  }
  // Any kind is read; TrustCheck keeps only fresh ones.
  const uint32_t kind = in.U32();
  if (kind > static_cast<uint32_t>(VerdictKind::kUnknown)) in.Fail();
  v.kind = in.ok() ? static_cast<VerdictKind>(kind) : VerdictKind::kUnknown;
  v.cache = in.OptStr();
  v.note = in.OptStr();
  uint32_t n = in.Count(4 + 4 + 1 + 1 + 1 + 4);
  for (uint32_t i = 0; i < n && in.ok(); ++i) v.reasons.push_back(GetReason(in, 0));
  return v;
}

}  // namespace

std::optional<std::vector<Verdict>> StatusMemo::Lookup(uint64_t key, IoPool& pool,
                                                       const CloneTargetsFn& ask_clone_targets) {
  std::shared_ptr<const Entry> entry;
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    entry = it->second;
  }
  // Every path stat'ed again, in blocks on the pool (each starts where a
  // path is stored whole); the first change stops it.
  constexpr size_t kBlock = kPathRestart;
  In head(entry->raw);  // checked when kept
  (void)head.I64();
  const size_t files = head.U32();
  std::atomic<bool> changed{false};
  pool.ParallelFor(entry->block_at.size(), [&](size_t b) {
    In in(entry->raw);
    in.Seek(entry->block_at[b]);
    std::string path;
    for (size_t i = b * kBlock; i < std::min(files, (b + 1) * kBlock); ++i) {
      if (changed.load(std::memory_order_relaxed)) return;
      GetPath(in, i, &path);
      const FileSignature was = GetSignature(in);
      if (!in.ok()) {
        changed = true;  // checked when kept; never expected
        return;
      }
      std::optional<FileSignature> now = FileSignature::Now(path);
      if (!now || !(*now == was)) changed = true;
    }
  });
  if (!changed) {
    In in(entry->raw);
    in.Seek(entry->verdicts_at);
    const uint32_t n = in.Count(4 + 1 + 4 + 1 + 1 + 4);
    std::vector<Verdict> verdicts;
    verdicts.reserve(n);
    for (uint32_t i = 0; i < n && in.ok(); ++i) verdicts.push_back(GetVerdict(in));
    // Files unchanged: the entry stays for a caller whose Julia answers as
    // this one did (a process without the callback simply misses).
    const uint32_t blobs = in.Count(4 + 1);
    for (uint32_t i = 0; i < blobs && in.ok(); ++i) {
      const std::string blob = in.Str();
      const bool accepted = in.U8() != 0;
      std::optional<bool> now = ask_clone_targets ? ask_clone_targets(blob) : std::nullopt;
      if (!now || *now != accepted) return std::nullopt;
    }
    if (!in.ok()) return std::nullopt;
    return verdicts;
  }
  MutexLock lock(&mu_);
  // Only the entry that was checked: another thread may have replaced it.
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second == entry) {
    entries_.erase(it);
    dirty_ = true;
  }
  return std::nullopt;
}

void StatusMemo::Keep(uint64_t key, Entry e) {
  if (entries_.size() >= kMaxAnswers && !entries_.contains(key)) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second->started_ns < oldest->second->started_ns) oldest = it;
    entries_.erase(oldest);
  }
  entries_.insert_or_assign(key, std::make_shared<const Entry>(std::move(e)));
}

bool StatusMemo::Insert(uint64_t key, const FileJournal& journal, int64_t started_ns,
                        const std::vector<Verdict>& verdicts, CloneAnswers clone_answers) {
  if (journal.tainted()) return false;
  // Encoded now, in the form Save writes and Lookup reads, and checked by the
  // same TrustCheck as a loaded answer.
  TrustCheck check(started_ns);
  auto bytes = std::make_shared<Out>();
  Out& o = *bytes;
  o.I64(started_ns);
  const auto files = journal.SortedViews();
  // Room for the signatures and about a quarter of the path bytes (the rest
  // is shared with the path before).
  size_t path_bytes = 0;
  for (const auto& [p, sig] : files) path_bytes += p.size();
  o.bytes().reserve(64 + files.size() * kFileEntryMinBytes + path_bytes / 4 + verdicts.size() * 128);
  o.U32(static_cast<uint32_t>(files.size()));
  Entry e;
  e.block_at.reserve(files.size() / kPathRestart + 1);
  for (size_t i = 0; i < files.size(); ++i) {
    if (i % kPathRestart == 0) e.block_at.push_back(o.bytes().size());
    PutPath(o, i, i ? files[i - 1].first : std::string_view(), files[i].first);
    PutSignature(o, files[i].second);
    check.File(files[i].second);
  }
  e.verdicts_at = o.bytes().size();
  o.U32(static_cast<uint32_t>(verdicts.size()));
  for (const auto& v : verdicts) {
    PutVerdict(o, v);
    check.Kind(v.kind);
  }
  o.U32(static_cast<uint32_t>(clone_answers.size()));
  for (const auto& [blob, accepted] : clone_answers) {
    o.Str(blob);
    o.U8(accepted);
  }
  check.CloneAnswers(clone_answers.size());
  if (!check.trusted()) return false;
  e.started_ns = started_ns;
  e.raw = o.bytes();
  e.owner = std::move(bytes);
  MutexLock lock(&mu_);
  Keep(key, std::move(e));
  dirty_ = true;
  return true;
}

bool StatusMemo::Insert(uint64_t key, const Query& query, int64_t started_ns,
                        const std::vector<Verdict>& verdicts) {
  if (!query.journal() || query.relied_on_unrepeatable_answer()) return false;
  return Insert(key, *query.journal(), started_ns, verdicts, query.CloneAnswers());
}

void StatusMemo::Clear() {
  MutexLock lock(&mu_);
  dirty_ = dirty_ || !entries_.empty();
  entries_.clear();
}

size_t StatusMemo::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

bool StatusMemo::dirty() const {
  MutexLock lock(&mu_);
  return dirty_;
}

absl::Status StatusMemo::Save(const std::string& path) const {
  // Written as pieces: each answer's bytes as they are kept (about 1 MB for
  // 400 packages), not copied into one buffer first. The entries are held
  // by shared_ptr, so they outlive the lock.
  std::vector<std::shared_ptr<const Entry>> kept;
  std::vector<uint64_t> keys;
  {
    MutexLock lock(&mu_);
    for (const auto& [key, entry] : entries_) {
      keys.push_back(key);
      kept.push_back(entry);
    }
  }
  Out head;
  head.bytes().append(kMagic, sizeof kMagic);
  head.U32(static_cast<uint32_t>(kept.size()));
  std::vector<std::string_view> pieces = {head.bytes()};
  for (size_t i = 0; i < kept.size(); ++i) {
    pieces.emplace_back(reinterpret_cast<const char*>(&keys[i]), 8);
    pieces.push_back(kept[i]->raw);
  }
  XXH64_state_t* state = XXH64_createState();
  if (!state) return Error(ErrorKind::kIo, "cannot allocate a hash state");
  XXH64_reset(state, 0);
  for (std::string_view p : pieces) XXH64_update(state, p.data(), p.size());
  const uint64_t sum = XXH64_digest(state);
  XXH64_freeState(state);
  pieces.emplace_back(reinterpret_cast<const char*>(&sum), 8);
  // A cache: no fsync. A file torn by a crash fails its checksum and is ignored.
  return WriteFileAtomically(path, pieces, Durability::kCache);
}

absl::Status StatusMemo::Load(const std::string& path) {
  // Not zero-filled first; the loaded entries point into it.
  auto bytes = FileAccess().ReadBytes(path, uint64_t{256} << 20);  // outside any query: loading the memo file itself
  if (!bytes.ok()) {
    if (KindOf(bytes.status()) == ErrorKind::kNotFound) return absl::OkStatus();
    return bytes.status();
  }
  auto buffer = std::make_shared<const FileBytes>(*std::move(bytes));
  std::string_view b = buffer->view();
  if (b.size() < sizeof kMagic + 8 || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0)
    return absl::OkStatus();  // not ours
  uint64_t sum;
  std::memcpy(&sum, b.data() + b.size() - 8, 8);
  b.remove_suffix(8);
  if (XXH64(b.data(), b.size(), 0) != sum) return absl::OkStatus();  // torn or damaged
  // Each entry is walked once to check it (bounds and counts, then the same
  // TrustCheck a computed answer passes) and kept as its bytes; only the entry
  // a status asks for is decoded (Lookup). An untrusted entry is dropped
  // alone; a malformed one drops the whole file.
  In in(b.substr(sizeof kMagic));
  absl::flat_hash_map<uint64_t, std::pair<Entry, bool>> loaded;  // entry, trusted
  const uint32_t n = in.Count(8 + 8 + 4 + 4);
  for (uint32_t k = 0; k < n && in.ok(); ++k) {
    const uint64_t key = in.U64();
    const size_t begin = in.pos();
    Entry e;
    e.started_ns = in.I64();
    TrustCheck check(e.started_ns);
    const uint32_t files = in.Count(kFileEntryMinBytes);
    std::string path;  // rebuilt only to check each shared length
    for (uint32_t i = 0; i < files && in.ok(); ++i) {
      if (i % kPathRestart == 0) e.block_at.push_back(in.pos() - begin);
      GetPath(in, i, &path);
      check.File(GetSignature(in));
    }
    e.verdicts_at = in.pos() - begin;
    in.SkipStrings(true);
    const uint32_t verdicts = in.Count(4 + 1 + 4 + 1 + 1 + 4);
    for (uint32_t i = 0; i < verdicts && in.ok(); ++i) check.Kind(GetVerdict(in).kind);
    in.SkipStrings(false);
    const uint32_t blobs = in.Count(4 + 1);
    for (uint32_t i = 0; i < blobs && in.ok(); ++i) {
      (void)in.View();
      (void)in.U8();
    }
    check.CloneAnswers(blobs);
    e.raw = in.Since(begin);
    e.owner = buffer;
    if (in.ok()) loaded.insert_or_assign(key, std::make_pair(std::move(e), check.trusted()));
  }
  if (!in.ok() || !in.done()) return absl::OkStatus();  // checksummed yet malformed: ignore it whole
  MutexLock lock(&mu_);
  for (auto& [key, e] : loaded)
    if (!entries_.contains(key) && e.second) Keep(key, std::move(e.first));
  return absl::OkStatus();
}

}  // namespace jlcache
