// TEST-ONLY: a sleeping process in a process group of its own, as a runner's
// julia child is, for tests of what happens to such groups.
#pragma once

#include <sys/types.h>

namespace jlcache::test_support {

// Forks `sleep 600` as the leader of a new process group and returns once
// /proc shows it there (-1 if it never does). The caller kills and reaps it.
pid_t StartSleepingGroupLeader();

}  // namespace jlcache::test_support
