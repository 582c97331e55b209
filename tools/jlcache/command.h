// Subcommand registry of the `jlcache` CLI. Each subcommand lives in its own
// cmd_*.cc and registers itself; no Julia rule lives in tools/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jlcache::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;        // valid / all fresh
inline constexpr int kExitNegative = 1;  // CRC failure / not found / stale or unknown
inline constexpr int kExitError = 2;     // error in the request itself
inline constexpr int kExitTimeout = 3;   // precompile timeout

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* usage;    // one line: "inspect FILE.ji [--json]"
  const char* summary;  // one line
  CommandFn run;
};

struct CommandRegistrar {
  explicit CommandRegistrar(const Command& c);
};

const std::vector<Command>& Commands();

}  // namespace jlcache::cli
