// What a runner leaves beside its lock about its julia child, so that whoever
// takes the lock over after the runner died first makes sure that child's
// process group is gone: two julias must never compile one environment at
// once, even when the runner was killed with SIGKILL and its watchdog too.
//
//   file  "<lock>.child", written atomically after the child started and
//         removed once it was reaped (before the lock is released);
//   text  "<pgid> <start time in clock ticks since boot> <hostname>".
//
// The start time tells our group from a later one that reused the id. Only
// Linux's /proc shows groups and start times; elsewhere, and for a record
// from another host, nothing can be checked and the record is only removed
// (docs/precompile.md says what that means).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jlcache {

struct ChildGroupRecord {
  int pgid = 0;
  uint64_t start_ticks = 0;
  std::string hostname;
};

std::string ChildGroupRecordPath(const std::string& lock_path);
std::string FormatChildGroupRecord(const ChildGroupRecord& r);
// False for anything but three well-formed fields.
bool ParseChildGroupRecord(std::string_view text, ChildGroupRecord* out);

// Records `pgid` (a process we started, still unreaped) for `lock_path`.
absl::Status WriteChildGroupRecord(const std::string& lock_path, int pgid);
void RemoveChildGroupRecord(const std::string& lock_path);

// For a lock just taken over from a dead holder: kills what is left of the
// recorded group on this host (SIGKILL to each member that started no
// earlier than the recorded leader, and only while the id is not held by a
// newer leader), waits up to `wait_seconds` for them to go, then removes the
// record. Returns how many processes it had to kill.
absl::StatusOr<int> EndLeftoverChildGroup(const std::string& lock_path, double wait_seconds);

// /proc/<pid>/stat's process group and start time; false when the process is
// gone, a zombie, or /proc is not there.
bool ReadProcessGroupAndStart(int pid, int* pgid, uint64_t* start_ticks);

}  // namespace jlcache
