// libFuzzer target: arbitrary bytes as the body of a remembered-answers file
// (lib/stale/status_memo.cc), given a correct XXH64 so that Load parses it
// instead of stopping at the checksum, then every answer it kept looked up
// and saved again. Any crash, sanitizer report, timeout or out-of-memory is
// a bug. Seed corpus: tests/fuzz/corpus/status_memo/ (bodies without their
// checksum, as this harness appends it).
#include <unistd.h>
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "core/file_io.h"
#include "scratch_dir.h"
#include "stale/io_pool.h"
#include "stale/status_memo.h"

namespace {

std::string ScratchDir() { return jlcache::fuzz::ScratchDir("memo"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file(reinterpret_cast<const char*>(data), size);
  const uint64_t sum = XXH64(file.data(), file.size(), 0);
  file.append(reinterpret_cast<const char*>(&sum), 8);
  const std::string path = ScratchDir() + "/status.bin";
  if (!jlcache::WriteFileAtomically(path, file, jlcache::Durability::kCache).ok()) std::abort();
  jlcache::StatusMemo memo;
  if (!memo.Load(path).ok()) return 0;
  // Keys are not enumerable from outside: ask for the ones a small body can
  // hold (the first entry's key sits at bytes 12..19).
  jlcache::IoPool pool(1);
  auto never = [](const std::string&) { return std::optional<bool>(); };
  uint64_t key = 0;
  if (size >= 20) std::memcpy(&key, data + 12, 8);
  for (uint64_t k : {key, uint64_t{0}, uint64_t{1}}) (void)memo.Lookup(k, pool, never);
  (void)memo.Save(path);
  return 0;
}
