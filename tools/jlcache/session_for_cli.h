// Opens a Session for a CLI invocation: the selected runtime, the process's
// environment variables, --project and --no-write. When the runtime is a
// cached probe of `julia` on PATH and a verdict is undecided only for lack of
// a fact a probe records (an unseen clone-target blob or preference list),
// the check is repeated once after a fresh probe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stale/session.h"
#include "tools/jlcache/common_options.h"

namespace jlcache::cli {

// Runs check(session) and, if needed and possible, once more after re-probing.
absl::StatusOr<std::vector<Verdict>> CheckWithReprobe(
    const CommonOptions& options,
    const std::function<absl::StatusOr<std::vector<Verdict>>(Session&)>& check);

// True when some verdict is unknown only because of facts a probe records.
bool NeedsReprobe(const std::vector<Verdict>& verdicts);

}  // namespace jlcache::cli
