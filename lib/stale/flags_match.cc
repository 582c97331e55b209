#include "stale/flags_match.h"

namespace jlcache {
namespace {
int Opt(uint8_t f) { return (f >> 6) & 3; }
int Debug(uint8_t f) { return (f >> 1) & 3; }
}  // namespace

bool CacheFlagsMatch(FlagMatchRule rule, uint8_t requested, uint8_t cached,
                     bool pkgimages_existing) {
  // Plain caches match any plain request, whatever the other bits say.
  if ((requested & 1) == 0 && (cached & 1) == 0) return true;
  switch (rule) {
    case FlagMatchRule::kOneArgument:
      return (requested & 0x3F) == (cached & 0x3F) && Opt(cached) >= Opt(requested);
    case FlagMatchRule::kTwoArgumentExact: {
      uint8_t f = pkgimages_existing ? static_cast<uint8_t>(cached & ~1) : cached;
      return (requested & 0x3F) == (f & 0x3F) && Opt(f) >= Opt(requested);
    }
    case FlagMatchRule::kTwoArgumentLenient: {
      uint8_t f = pkgimages_existing ? static_cast<uint8_t>(cached & ~1) : cached;
      return (requested & 0x39) == (f & 0x39) && Opt(f) >= Opt(requested) &&
             Debug(f) >= Debug(requested);
    }
  }
  return false;
}

}  // namespace jlcache
