#include "rules/julia_version.h"

#include <charconv>
#include <vector>


namespace jlcache {
namespace {

bool ParseInt(std::string_view s, int* out) {
  if (s.empty() || s.size() > 6) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Julia splits pre-release on '.', and also compares "rc1" by its parts;
// we split alphabetic and numeric runs so "beta10" > "beta3".
std::vector<std::string> Runs(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  auto kind = [](char c) { return c >= '0' && c <= '9' ? 1 : (c == '.' ? 0 : 2); };
  for (char c : s) {
    if (kind(c) == 0) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      continue;
    }
    if (!cur.empty() && kind(cur.back()) != kind(c)) {
      out.push_back(cur);
      cur.clear();
    }
    cur.push_back(c);
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

int ComparePre(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  if (a.empty()) return 1;
  if (b.empty()) return -1;
  auto ra = Runs(a), rb = Runs(b);
  for (size_t i = 0; i < ra.size() && i < rb.size(); ++i) {
    bool da = AllDigits(ra[i]), db = AllDigits(rb[i]);
    if (da && db) {
      if (ra[i].size() != rb[i].size()) return ra[i].size() < rb[i].size() ? -1 : 1;
    } else if (da != db) {
      return da ? -1 : 1;  // numeric identifiers sort first, as in semver
    }
    if (int c = ra[i].compare(rb[i])) return c < 0 ? -1 : 1;
  }
  if (ra.size() == rb.size()) return 0;
  return ra.size() < rb.size() ? -1 : 1;
}

}  // namespace

std::optional<JuliaVersion> JuliaVersion::Parse(std::string_view text) {
  JuliaVersion v;
  std::string_view rest = text;
  if (size_t plus = rest.find('+'); plus != std::string_view::npos) {
    v.build = std::string(rest.substr(plus + 1));
    rest = rest.substr(0, plus);
  }
  if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
    v.prerelease = std::string(rest.substr(dash + 1));
    if (v.prerelease.empty()) return std::nullopt;
    rest = rest.substr(0, dash);
  }
  std::vector<std::string_view> parts;
  for (size_t i = 0;;) {
    size_t j = rest.find('.', i);
    parts.push_back(rest.substr(i, j == std::string_view::npos ? j : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  if (parts.size() != 3) return std::nullopt;
  if (!ParseInt(parts[0], &v.major) || !ParseInt(parts[1], &v.minor) ||
      !ParseInt(parts[2], &v.patch))
    return std::nullopt;
  return v;
}

std::string JuliaVersion::ToString() const {
  std::string s = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!prerelease.empty()) s += "-" + prerelease;
  if (!build.empty()) s += "+" + build;
  return s;
}

std::string JuliaVersion::MajorMinorDir() const {
  return "v" + std::to_string(major) + "." + std::to_string(minor);
}

int JuliaVersion::Compare(const JuliaVersion& o) const {
  if (major != o.major) return major < o.major ? -1 : 1;
  if (minor != o.minor) return minor < o.minor ? -1 : 1;
  if (patch != o.patch) return patch < o.patch ? -1 : 1;
  return ComparePre(prerelease, o.prerelease);
}

bool JuliaVersion::AtLeast(int ma, int mi, int pa) const {
  JuliaVersion r;
  r.major = ma;
  r.minor = mi;
  r.patch = pa;
  return Compare(r) >= 0;
}

}  // namespace jlcache
