// The JSON form of a verdict, shared by `jlcache status --json` and the C ABI:
// {"name","uuid","verdict","cache","reasons":[{"code","detail","cache","dependency"}]}.
#pragma once

#include <string>

#include "core/json_writer.h"
#include "stale/verdict.h"

namespace jlcache {

void WriteVerdictJson(JsonWriter& w, const Verdict& v);
std::string VerdictJson(const Verdict& v);

}  // namespace jlcache
