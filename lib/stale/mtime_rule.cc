#include "stale/mtime_rule.h"

#include <cmath>

namespace jlcache {

MtimeMatch CompareMtime(double recorded, double current) {
  if (current == recorded) return MtimeMatch::kExact;
  if (current == std::floor(recorded)) return MtimeMatch::kFloor;
  if (current == std::ceil(recorded)) return MtimeMatch::kCeil;
  // Julia: trunc(r, digits=6) = trunc(r * 1e6) / 1e6.
  if (current == std::trunc(recorded * 1e6) / 1e6) return MtimeMatch::kMicroTrunc;
  if (current == 1.0) return MtimeMatch::kNixEpoch;
  double d = recorded - current;
  if (0 < d && d < 1e-6) return MtimeMatch::kWindowsTar;
  return MtimeMatch::kStale;
}

}  // namespace jlcache
