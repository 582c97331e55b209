// Human rendering of verdicts for `status` and `why` (JSON is in lib/stale).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "stale/verdict.h"

namespace jlcache::cli {

struct Style {
  bool color = false;
  const char* Green() const { return color ? "\033[32m" : ""; }
  const char* Red() const { return color ? "\033[31m" : ""; }
  const char* Yellow() const { return color ? "\033[33m" : ""; }
  const char* Dim() const { return color ? "\033[2m" : ""; }
  const char* Reset() const { return color ? "\033[0m" : ""; }
};
// Color only on a terminal, and never with NO_COLOR set.
Style StyleFor(FILE* out);

// One line per package: name, verdict, cache or first reason.
void PrintStatusTable(FILE* out, const std::vector<Verdict>& verdicts, const Style& style);
// The whole chain: a summary sentence, then every rejected candidate with
// its reasons, dependencies indented under the reason that names them.
void PrintWhy(FILE* out, const Verdict& v, const Style& style);
// "Foo is stale: dependency Bar has no usable cache with build 0x…; Bar's
// newest cache is stale because src/bar.jl changed (size 1200 -> 1304)".
std::string WhySentence(const Verdict& v);

}  // namespace jlcache::cli
