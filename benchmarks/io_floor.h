// BENCHMARK-ONLY: the I/O floor of a whole-environment status (issue 7): a
// minimal loop doing exactly the file-system work the verdicts require, and
// nothing else (no parsing, no memo, no verdict logic).
//
// Per package:
//  - list compiled/<ver>/<Name> in every depot (cache discovery);
//  - stat every candidate .ji (Julia orders candidates by mtime);
//  - read the header (the bytes before the source-text section) of every
//    candidate the verdict must look at: all of them when 1.11 orders several
//    by their pkgimage flag; on 1.10 only those not older than the fresh one;
//  - warm: stat every tracked source once and the fresh candidate's .so;
//  - cold: instead read and CRC-32C every tracked source (1.11; 1.10 tracks
//    sources by mtime, so it still only stats them), the whole fresh .ji and
//    the whole fresh .so.
// Plus reading the manifest once. Raw syscalls, no lib/core/file_io, so the
// floor carries no overhead of ours.
#pragma once

#include <cstdint>

#include "env_generator.h"

namespace jlcache::bench {

struct FloorCounts {
  uint64_t stats = 0;
  uint64_t opens = 0;       // open + read (headers, whole files, directories)
  uint64_t bytes_read = 0;
  uint32_t checksum = 0;    // xor of CRCs, so the work cannot be optimized away
  uint64_t operations() const { return stats + opens; }
};

enum class FloorKind { kWarm, kCold };

// threads <= 1 runs on the caller; otherwise packages are spread over threads.
FloorCounts RunIoFloor(const GeneratedWorld& world, FloorKind kind, int threads = 1);

}  // namespace jlcache::bench
