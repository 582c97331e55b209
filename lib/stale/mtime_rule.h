// The mtime comparison of any_includes_stale, with every tolerance Julia grants.
#pragma once

namespace jlcache {

enum class MtimeMatch {
  kStale,
  kExact,
  kFloor,        // Docker rounds mtimes (julia#13613)
  kCeil,         // CI caches truncate (julia#47433)
  kMicroTrunc,   // GlusterFS keeps microseconds (julia#20840)
  kNixEpoch,     // Nix sets every mtime to 1 (julia#43090)
  kWindowsTar,   // off by < 1 µs (julia#45552)
};

// recorded: the header's value; current: the file's mtime as Julia computes it.
MtimeMatch CompareMtime(double recorded, double current);

}  // namespace jlcache
