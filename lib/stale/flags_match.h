// jl_match_cache_flags, per version (src/staticdata_utils.c).
#pragma once

#include <cstdint>

#include "rules/julia_rules.h"

namespace jlcache {

// requested: the asking process's cache-flags byte. cached: the header's.
// pkgimages_existing: the process runs with --pkgimages=existing (1.11+).
bool CacheFlagsMatch(FlagMatchRule rule, uint8_t requested, uint8_t cached,
                     bool pkgimages_existing);

}  // namespace jlcache
