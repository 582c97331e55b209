#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "tools/jlcache/command.h"
#include "tools/jlcache/process_end.h"

namespace jlcache::cli {

namespace {
std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}
}  // namespace

CommandRegistrar::CommandRegistrar(const Command& c) { Registry().push_back(c); }
const std::vector<Command>& Commands() { return Registry(); }

}  // namespace jlcache::cli

namespace {
void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: jlcache <command> [options]\n\ncommands:\n");
  for (const auto& c : jlcache::cli::Commands())
    std::fprintf(out, "  %-58s %s\n", c.usage, c.summary);
  std::fprintf(out, "\nExit codes: 0 ok, 1 negative answer (stale, not found, CRC failure), "
                    "2 error, 3 timeout.\n");
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? jlcache::cli::kExitError : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("jlcache %s\n", JLCACHE_VERSION_STRING);
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : jlcache::cli::Commands()) {
    if (argv[1] != std::string_view(c.name)) continue;
    int code;
    try {
      code = c.run(args);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "jlcache %s: internal error: %s\n", c.name, e.what());
      code = jlcache::cli::kExitError;
    }
    return jlcache::cli::EndProcess(code);
  }
  std::fprintf(stderr, "jlcache: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return jlcache::cli::kExitError;
}
