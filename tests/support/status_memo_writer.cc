#include "support/status_memo_writer.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <optional>

namespace jlcache::test_support {
namespace {

// Little-endian fixed-width integers, as the library writes them (it copies
// host integers; the tests run little-endian).
void Put(std::string& o, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) o.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void U8(std::string& o, uint64_t v) { Put(o, v, 1); }
void U32(std::string& o, uint64_t v) { Put(o, v, 4); }
void U64(std::string& o, uint64_t v) { Put(o, v, 8); }
void Str(std::string& o, const std::string& s) {
  U32(o, s.size());
  o += s;
}
void OptStr(std::string& o, const std::optional<std::string>& s) {
  U8(o, s.has_value());
  if (s) Str(o, *s);
}

void Reason(std::string& o, const StalenessReason& r) {
  U32(o, static_cast<uint32_t>(r.code));
  Str(o, r.detail);
  OptStr(o, r.cache);
  OptStr(o, r.dependency);
  U8(o, r.unknown);
  U32(o, r.because.size());
  for (const auto& b : r.because) Reason(o, b);
}

}  // namespace

std::string StatusMemoBody(const std::vector<StatusMemoFileEntry>& entries) {
  std::string o = "JLCSTAT3";
  U32(o, entries.size());
  for (const auto& e : entries) {
    U64(o, e.key);
    U64(o, static_cast<uint64_t>(e.started_ns));
    U32(o, e.files.size());
    const std::string* previous = nullptr;
    for (size_t i = 0; i < e.files.size(); ++i) {
      const auto& [path, s] = e.files[i];
      // The bytes shared with the previous path, then the rest; every 64th
      // path (from the first) whole.
      size_t shared = 0;
      if (i % 64 != 0 && previous) {
        const size_t most = std::min(previous->size(), path.size());
        while (shared < most && (*previous)[shared] == path[shared]) ++shared;
      }
      U32(o, shared);
      Str(o, path.substr(shared));
      previous = &path;
      U8(o, s.present);
      U64(o, s.dev);
      U64(o, s.ino);
      U64(o, s.size);
      U32(o, s.mode);
      U64(o, static_cast<uint64_t>(s.mtime_sec));
      U64(o, static_cast<uint64_t>(s.mtime_nsec));
      U64(o, static_cast<uint64_t>(s.ctime_sec));
      U64(o, static_cast<uint64_t>(s.ctime_nsec));
    }
    U32(o, e.verdicts.size());
    for (const auto& v : e.verdicts) {
      Str(o, v.package.name);
      U8(o, v.package.uuid.has_value());
      if (v.package.uuid) {
        U64(o, v.package.uuid->hi);
        U64(o, v.package.uuid->lo);
      }
      U32(o, static_cast<uint32_t>(v.kind));
      OptStr(o, v.cache);
      OptStr(o, v.note);
      U32(o, v.reasons.size());
      for (const auto& r : v.reasons) Reason(o, r);
    }
    U32(o, e.clone_answers.size());
    for (const auto& [blob, accepted] : e.clone_answers) {
      Str(o, blob);
      U8(o, accepted);
    }
  }
  return o;
}

std::string WithStatusMemoChecksum(std::string body) {
  const uint64_t sum = XXH64(body.data(), body.size(), 0);
  U64(body, sum);
  return body;
}

Verdict SampleFreshVerdict(const std::string& name, const std::string& cache) {
  Verdict v;
  v.package = PkgId{Uuid{1, 2}, name};
  v.kind = VerdictKind::kFresh;
  v.cache = cache;
  StalenessReason rejected{ReasonCode::kDepStale, "an older candidate", std::string("/x.ji"),
                           std::string("Dep [uuid]"), {}, false};
  rejected.because.push_back({ReasonCode::kFileChanged, "f changed", std::nullopt, std::nullopt, {}, false});
  v.reasons.push_back(rejected);
  return v;
}

}  // namespace jlcache::test_support
