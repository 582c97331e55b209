// TEST-ONLY: runs a program with an argv (posix_spawn, no shell) and captures
// its exit status, stdout and stderr.
#pragma once

#include <string>
#include <vector>

namespace jlcache::test_support {

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal or not started
  int term_signal = 0;  // the signal that ended it, or 0
  bool started = false;
  bool timed_out = false;
  std::string out, err;
};

// argv[0] is the program path (not searched in PATH). extra_env entries
// ("NAME=value") are added to the current environment, replacing inherited
// variables of the same name. A child still running
// after timeout_seconds (0 = none) is killed with SIGKILL.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {},
                         double timeout_seconds = 120);

}  // namespace jlcache::test_support
