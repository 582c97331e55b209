// A staleness verdict: data that the CLI, the C ABI and the bindings render.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "core/uuid.h"
#include "stale/staleness_reason.h"

namespace jlcache {

struct Verdict {
  PkgId package;
  VerdictKind kind = VerdictKind::kStale;
  std::optional<std::string> cache;  // chosen cache when fresh
  std::optional<std::string> note;   // e.g. "in the system image"
  std::vector<StalenessReason> reasons;  // per rejected candidate, in candidate order
};

// True when some verdict is unknown only because facts that only Julia can
// give are missing (a clone-target blob or a preference hash it has not
// judged yet): asking Julia again, or reading what it told another process,
// may decide it.
inline bool NeedsJuliaFacts(absl::Span<const Verdict> verdicts) {
  for (const Verdict& v : verdicts) {
    if (v.kind != VerdictKind::kUnknown) continue;
    for (const StalenessReason& r : v.reasons)
      if (r.code == ReasonCode::kCloneTargetsUnverifiable ||
          r.code == ReasonCode::kPreferencesUnverifiable)
        return true;
  }
  return false;
}

}  // namespace jlcache
