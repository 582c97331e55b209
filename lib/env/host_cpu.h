// What identifies this host's CPU for the probe cache key: the clone-target
// blobs a julia accepts depend on the CPU it runs on (name and features), so
// a probe made on one node of a cluster must not answer for another.
#pragma once

#include <string>
#include <string_view>

namespace jlcache {

// The CPU-describing lines of the first processor in `cpuinfo` (the text of
// /proc/cpuinfo), one per line, in file order; per-core and clock lines
// (processor, MHz, bogomips, ids) are left out. Empty when none is found.
std::string CpuIdentityFromCpuinfo(std::string_view cpuinfo);

// CpuIdentityFromCpuinfo of /proc/cpuinfo plus the kernel's hardware
// capability words; falls back to the host name when /proc is unreadable,
// so unlike hosts never share a key. Computed once per process.
const std::string& HostCpuIdentity();

}  // namespace jlcache
