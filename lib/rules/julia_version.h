// A Julia VERSION string ("1.11.7", "1.13.0-rc1", "1.14.0-DEV") with Julia's
// VersionNumber ordering: a pre-release sorts before its release.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jlcache {

struct JuliaVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string prerelease;  // "", "DEV", "beta3", "rc1", ...
  std::string build;       // after '+'

  static std::optional<JuliaVersion> Parse(std::string_view text);
  std::string ToString() const;
  // "v1.11": the compiled/ subdirectory and the @v#.# expansion base.
  std::string MajorMinorDir() const;

  bool IsPrerelease() const { return !prerelease.empty(); }
  // Compares (major, minor, patch) and then pre-release: "" > anything else.
  // Pre-release identifiers compare as Julia does: numeric runs numerically.
  int Compare(const JuliaVersion& other) const;
  bool AtLeast(int ma, int mi, int pa) const;  // >= ma.mi.pa (release)
  bool Before(int ma, int mi, int pa) const { return !AtLeast(ma, mi, pa); }
  bool IsLine(int ma, int mi) const { return major == ma && minor == mi; }
};

}  // namespace jlcache
