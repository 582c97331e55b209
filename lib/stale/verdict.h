// A staleness verdict: data that the CLI, the C ABI and the bindings render.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

}  // namespace jlcache
