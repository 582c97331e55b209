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

using SessionCheck = std::function<absl::StatusOr<std::vector<Verdict>>(Session&)>;

struct CheckedSession {
  std::unique_ptr<Session> session;
  std::vector<Verdict> verdicts;
  // The probe cache the runtime came from (julia on PATH), if any.
  std::optional<std::string> probe_cache;
};

// Runs check(session) and, if needed and possible, once more after re-probing.
absl::StatusOr<CheckedSession> OpenAndCheck(const CommonOptions& options, const SessionCheck& check);

// OpenAndCheck's verdicts; the session is kept until the process ends
// (tools/jlcache/process_end.h).
absl::StatusOr<std::vector<Verdict>> CheckWithReprobe(const CommonOptions& options,
                                                      const SessionCheck& check);

}  // namespace jlcache::cli
