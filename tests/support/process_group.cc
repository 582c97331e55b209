#include "support/process_group.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "precompile/child_group_record.h"

namespace jlcache::test_support {

pid_t StartSleepingGroupLeader() {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // either side may win the race; both ask the same
  for (int i = 0; i < 1000; ++i) {
    int group = 0;
    uint64_t start = 0;
    if (ReadProcessGroupAndStart(pid, &group, &start) && group == pid) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace jlcache::test_support
