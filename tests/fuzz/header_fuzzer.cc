// libFuzzer target: arbitrary bytes into the cache-header reader and
// everything that consumes a parsed header. Any crash, sanitizer report,
// timeout or out-of-memory is a bug. Seed corpus: tests/fuzz/corpus/header/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "format/depot_resolver.h"
#include "format/header_json.h"
#include "format/header_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<jlcache::CacheHeader> h = jlcache::ParseCacheHeader(bytes);
  if (!h.ok()) {
    // Errors must be corrupt-cache or unsupported, with a message.
    if (h.status().message().empty()) __builtin_trap();
    return 0;
  }
  (void)jlcache::CacheHeaderToJson(*h);
  (void)jlcache::ReadSourceTexts(bytes, *h);
  (void)jlcache::IsValidCloneTargets(h->clone_targets, jlcache::CloneTargetEncoding::kLegacy32);
  (void)jlcache::IsValidCloneTargets(h->clone_targets, jlcache::CloneTargetEncoding::kCpufeatures);
  jlcache::ResolveDepots(*h, {"/d1", "/d2"},
                         [](const std::string& p) { return p.size() % 2 == 0; });
  for (int32_t i = -1; i <= static_cast<int32_t>(h->modules.size()) + 1; ++i)
    (void)h->ModuleName(i);
  return 0;
}
