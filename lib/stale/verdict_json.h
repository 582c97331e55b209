// The JSON form of a verdict, shared by `jlcache status --json` and the C ABI:
// {"name","uuid","verdict","cache","reasons":[{"code","detail","cache","dependency"}]}.
#pragma once

#include <optional>
#include <string>

#include "core/json_writer.h"
#include "stale/verdict.h"

namespace jlcache {

// summary, when given, is added as "summary" (the `why` sentence).
void WriteVerdictJson(JsonWriter& w, const Verdict& v,
                      const std::optional<std::string>& summary = std::nullopt);
std::string VerdictJson(const Verdict& v);

}  // namespace jlcache
