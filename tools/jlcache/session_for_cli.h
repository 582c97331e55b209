// Opens a Session for a CLI invocation: the selected runtime, the process's
// environment variables, --project and --no-write.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "stale/session.h"
#include "tools/jlcache/common_options.h"

namespace jlcache::cli {

absl::StatusOr<std::unique_ptr<Session>> OpenSessionForCli(const CommonOptions& options);

}  // namespace jlcache::cli
