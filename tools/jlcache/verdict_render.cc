#include "tools/jlcache/verdict_render.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace jlcache::cli {
namespace {

const char* KindColor(VerdictKind k, const Style& s) {
  switch (k) {
    case VerdictKind::kFresh: return s.Green();
    case VerdictKind::kStale: return s.Red();
    case VerdictKind::kUnknown: return s.Yellow();
  }
  return "";
}

std::string ShortName(const std::optional<std::string>& dependency) {
  if (!dependency) return "";
  return dependency->substr(0, dependency->find(' '));
}

void PrintReason(FILE* out, const StalenessReason& r, int depth, const Style& s) {
  std::string indent(static_cast<size_t>(2 + 4 * depth), ' ');
  std::fprintf(out, "%s- %s%s%s: %s\n", indent.c_str(), r.unknown ? s.Yellow() : s.Red(),
               std::string(ReasonCodeName(r.code)).c_str(), s.Reset(), r.detail.c_str());
  if (r.cache && depth > 0) std::fprintf(out, "%s  %s%s%s\n", indent.c_str(), s.Dim(), r.cache->c_str(), s.Reset());
  for (const auto& b : r.because) PrintReason(out, b, depth + 1, s);
}

}  // namespace

Style StyleFor(FILE* out) {
  Style s;
  const char* no_color = std::getenv("NO_COLOR");
  s.color = ::isatty(::fileno(out)) && !(no_color && *no_color);
  return s;
}

void PrintStatusTable(FILE* out, const std::vector<Verdict>& verdicts, const Style& s) {
  size_t width = 7;
  for (const auto& v : verdicts) width = std::max(width, v.package.name.size());
  size_t counts[3] = {0, 0, 0};
  for (const auto& v : verdicts) {
    ++counts[static_cast<int>(v.kind)];
    std::string kind(VerdictKindName(v.kind));
    std::string what;
    if (v.kind == VerdictKind::kFresh) {
      what = v.cache ? *v.cache : v.note.value_or("");
    } else if (!v.reasons.empty()) {
      // The most telling reason: the first definite one, else the first.
      const StalenessReason* r = &v.reasons.front();
      for (const auto& x : v.reasons)
        if (!x.unknown) {
          r = &x;
          break;
        }
      what = std::string(ReasonCodeName(r->code)) + ": " + r->detail;
      if (v.reasons.size() > 1) what += " (+" + std::to_string(v.reasons.size() - 1) + " more)";
    }
    std::fprintf(out, "%-*s  %s%-7s%s  %s\n", static_cast<int>(width), v.package.name.c_str(),
                 KindColor(v.kind, s), kind.c_str(), s.Reset(), what.c_str());
  }
  std::fprintf(out, "%zu package%s: %zu fresh, %zu stale, %zu unknown\n", verdicts.size(),
               verdicts.size() == 1 ? "" : "s", counts[0], counts[1], counts[2]);
}

std::string WhySentence(const Verdict& v) {
  std::string out = v.package.name + " is " + std::string(VerdictKindName(v.kind));
  if (v.kind == VerdictKind::kFresh) {
    out += v.cache ? ": " + *v.cache + " is usable" : (v.note ? ": " + *v.note : "");
    return out;
  }
  if (v.reasons.empty()) return out;
  const StalenessReason* r = &v.reasons.front();
  for (const auto& x : v.reasons)
    if (!x.unknown) {
      r = &x;
      break;
    }
  out += ": " + r->detail;
  // Follow the chain through dependencies: the dependency's newest cache.
  while (r->code == ReasonCode::kDepStale && !r->because.empty()) {
    std::string dep = ShortName(r->dependency);
    r = &r->because.front();
    out += "; " + dep + "'s newest cache is " + (r->unknown ? "undecided" : "stale") +
           " because " + r->detail;
  }
  return out;
}

void PrintWhy(FILE* out, const Verdict& v, const Style& s) {
  std::fprintf(out, "%s%s%s\n", KindColor(v.kind, s), WhySentence(v).c_str(), s.Reset());
  if (v.reasons.empty()) return;
  std::optional<std::string> last_cache;
  for (const auto& r : v.reasons) {
    if (r.cache != last_cache) {
      std::fprintf(out, "candidate %s\n", r.cache ? r.cache->c_str() : "(none)");
      last_cache = r.cache;
    }
    PrintReason(out, r, 0, s);
  }
}

}  // namespace jlcache::cli
