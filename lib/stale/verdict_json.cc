#include "stale/verdict_json.h"

namespace jlcache {
namespace {

void WriteReason(JsonWriter& w, const StalenessReason& r) {
  w.BeginObject();
  w.Key("code").String(ReasonCodeName(r.code));
  w.Key("detail").String(r.detail);
  w.Key("cache").OptString(r.cache);
  w.Key("dependency").OptString(r.dependency);
  if (r.unknown) w.Key("undecided").Bool(true);
  if (!r.because.empty()) {
    w.Key("because").BeginArray();
    for (const auto& b : r.because) WriteReason(w, b);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void WriteVerdictJson(JsonWriter& w, const Verdict& v, const std::optional<std::string>& summary) {
  w.BeginObject();
  w.Key("name").String(v.package.name);
  if (v.package.uuid)
    w.Key("uuid").String(v.package.uuid->ToString());
  else
    w.Key("uuid").Null();
  w.Key("verdict").String(VerdictKindName(v.kind));
  w.Key("cache").OptString(v.cache);
  if (v.note) w.Key("note").String(*v.note);
  if (summary) w.Key("summary").String(*summary);
  w.Key("reasons").BeginArray();
  for (const auto& r : v.reasons) WriteReason(w, r);
  w.EndArray();
  w.EndObject();
}

std::string VerdictJson(const Verdict& v) {
  JsonWriter w;
  WriteVerdictJson(w, v);
  return w.Take();
}

}  // namespace jlcache
