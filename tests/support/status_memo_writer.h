// Test support: writes a status-memo file (lib/stale/status_memo.cc's format,
// "JLCSTAT3") from parts the test chooses, including ones StatusMemo itself
// would never write (racy, empty, non-fresh answers), with a correct XXH64,
// so a test can check that Load rejects them on their merits rather than on
// a damaged checksum. Written independently of the library's encoder; a test
// checks the two agree byte for byte. Test-only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/file_journal.h"
#include "stale/verdict.h"

namespace jlcache::test_support {

struct StatusMemoFileEntry {
  uint64_t key = 0;
  int64_t started_ns = 0;
  std::vector<std::pair<std::string, FileSignature>> files;
  std::vector<Verdict> verdicts;
  std::vector<std::pair<std::string, bool>> clone_answers;
};

// The entries' bytes without the trailing checksum.
std::string StatusMemoBody(const std::vector<StatusMemoFileEntry>& entries);
// body followed by its XXH64 (seed 0), as Load expects.
std::string WithStatusMemoChecksum(std::string body);
inline std::string StatusMemoFile(const std::vector<StatusMemoFileEntry>& entries) {
  return WithStatusMemoChecksum(StatusMemoBody(entries));
}

// A fresh verdict for `name` whose reasons nest (a rejected candidate and
// why), so an answer's round trip covers every field.
Verdict SampleFreshVerdict(const std::string& name, const std::string& cache);

}  // namespace jlcache::test_support
