// jlcache_session_*, jlcache_session_isstale, jlcache_session_status and the verdict
// accessors.
#include <cstring>

#include "capi/capi_common.h"
#include "capi/handles.h"
#include "stale/cache_touch.h"
#include "stale/verdict_json.h"

using namespace jlcache;
using namespace jlcache::capi;

jlcache_verdict::jlcache_verdict(Verdict v) : verdict(std::move(v)) {
  name = verdict.package.name;
  if (verdict.package.uuid) uuid = verdict.package.uuid->ToString();
  if (verdict.cache) cache = *verdict.cache;
  // Depth-first, so a dep_stale reason is followed by what made it so.
  std::vector<const StalenessReason*> stack;
  for (auto it = verdict.reasons.rbegin(); it != verdict.reasons.rend(); ++it) stack.push_back(&*it);
  while (!stack.empty()) {
    const StalenessReason* r = stack.back();
    stack.pop_back();
    FlatReason f;
    f.code = std::string(ReasonCodeName(r->code));
    f.detail = r->detail;
    if (r->cache) f.cache = *r->cache, f.has_cache = true;
    if (r->dependency) f.dependency = *r->dependency, f.has_dependency = true;
    reasons.push_back(std::move(f));
    for (auto it = r->because.rbegin(); it != r->because.rend(); ++it) stack.push_back(&*it);
  }
}

namespace {

jlcache_status Store(absl::StatusOr<Verdict> v, jlcache_verdict** out) {
  if (!v.ok()) return Report(v.status());
  *out = new jlcache_verdict(*std::move(v));
  return JLCACHE_OK;
}

}  // namespace

extern "C" {

JLCACHE_API jlcache_status jlcache_session_options_init(jlcache_session_options* options,
                                                        uint32_t version) {
  return Guard([&] {
    return InitOptions(options, version, JLCACHE_SESSION_OPTIONS_VERSION,
                       "jlcache_session_options_init", "JLCACHE_SESSION_OPTIONS_VERSION");
  });
}

JLCACHE_API jlcache_status jlcache_session_open(const jlcache_runtime* rt,
                                                const jlcache_session_options* options,
                                                jlcache_session** out) {
  return Guard([&]() -> jlcache_status {
    if (!rt || !out) return InvalidArgument("jlcache_session_open: NULL argument");
    *out = nullptr;
    SessionOptions so;
    if (options) {
      if (jlcache_status s = CheckOptionsVersion(
              options->version, JLCACHE_SESSION_OPTIONS_VERSION, "jlcache_session_open",
              "JLCACHE_SESSION_OPTIONS_VERSION", "jlcache_session_options_init");
          s != JLCACHE_OK)
        return s;
      if (options->project) so.project = options->project;
      if (options->io_threads < 0 || options->io_threads > 256)
        return InvalidArgument("jlcache_session_open: io_threads must be within 0..256");
      so.io_threads = options->io_threads;
      so.no_write = options->no_write != 0;
      if (options->memo_path) so.memo_path = options->memo_path;
    }
    RuntimeProfile profile = rt->profile;
    if (!profile.validated()) {
      if (jlcache_status st = Report(profile.Validate())) return st;
    }
    auto session = Session::Open(profile, std::move(so));
    if (!session.ok()) return Report(session.status());
    *out = new jlcache_session{*std::move(session)};
    return JLCACHE_OK;
  });
}

// From inside its own callback the session is in use: freeing it there
// would pull it from under the running query, so that call does nothing.
JLCACHE_API void jlcache_session_free(jlcache_session* s) {
  if (!CalledFromOwnCallback(s)) delete s;
}

JLCACHE_API void jlcache_session_clear_memo(jlcache_session* s) {
  (void)Guard([&]() -> jlcache_status {
    if (s && !CalledFromOwnCallback(s)) s->session->ClearMemo();
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_session_set_clone_targets_callback(jlcache_session* s,
                                                                      jlcache_clone_targets_fn fn,
                                                                      void* user_data) {
  return Guard([&]() -> jlcache_status {
    if (!s) return InvalidArgument("jlcache_session_set_clone_targets_callback: NULL session");
    if (CalledFromOwnCallback(s))
      return InvalidArgument("jlcache_session_set_clone_targets_callback: called from a callback of the same session; a callback may "
                             "not use its own session (see jlcache.h)");
    if (!fn) {
      s->session->SetCloneTargetsOracle(nullptr);
      return JLCACHE_OK;
    }
    s->session->SetCloneTargetsOracle([fn, user_data](const std::string& blob) -> std::optional<bool> {
      int32_t r = fn(user_data, reinterpret_cast<const uint8_t*>(blob.data()), blob.size());
      if (r == 1) return true;
      if (r == 0) return false;
      return std::nullopt;
    });
    s->session->ClearMemo();
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_session_set_preferences_hash_callback(
    jlcache_session* s, jlcache_preferences_hash_fn fn, void* user_data) {
  return Guard([&]() -> jlcache_status {
    if (!s) return InvalidArgument("jlcache_session_set_preferences_hash_callback: NULL session");
    if (CalledFromOwnCallback(s))
      return InvalidArgument("jlcache_session_set_preferences_hash_callback: called from a callback of the same session; a callback may "
                             "not use its own session (see jlcache.h)");
    if (!fn) {
      s->session->SetPreferencesHashOracle(nullptr);
      return JLCACHE_OK;
    }
    s->session->SetPreferencesHashOracle(
        [fn, user_data](const Uuid& u, const std::vector<std::string>& names)
            -> std::optional<uint64_t> {
          std::string uuid = u.ToString();
          std::vector<const char*> ptrs;
          for (const auto& n : names) ptrs.push_back(n.c_str());
          uint64_t h = 0;
          if (fn(user_data, uuid.c_str(), ptrs.data(), ptrs.size(), &h) != 0) return std::nullopt;
          return h;
        });
    s->session->ClearMemo();
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_session_isstale(jlcache_session* s, const char* package,
                                           jlcache_verdict** out) {
  return Guard([&]() -> jlcache_status {
    if (!s || !package || !out) return InvalidArgument("jlcache_session_isstale: NULL argument");
    if (CalledFromOwnCallback(s))
      return InvalidArgument("jlcache_session_isstale: called from a callback of the same session; a callback may "
                             "not use its own session (see jlcache.h)");
    *out = nullptr;
    return Store(s->session->IsStale(package), out);
  });
}

JLCACHE_API jlcache_status jlcache_session_status(jlcache_session* s, jlcache_verdict_list** out) {
  return Guard([&]() -> jlcache_status {
    if (!s || !out) return InvalidArgument("jlcache_session_status: NULL argument");
    if (CalledFromOwnCallback(s))
      return InvalidArgument("jlcache_session_status: called from a callback of the same session; a callback may "
                             "not use its own session (see jlcache.h)");
    *out = nullptr;
    auto verdicts = s->session->Status();
    if (!verdicts.ok()) return Report(verdicts.status());
    auto list = std::make_unique<jlcache_verdict_list>();
    for (auto& v : *verdicts) list->items.push_back(std::make_unique<jlcache_verdict>(std::move(v)));
    *out = list.release();
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_verdict_touch(const jlcache_verdict* v) {
  return Guard([&]() -> jlcache_status {
    if (!v) return InvalidArgument("jlcache_verdict_touch: NULL verdict");
    if (v->cache.empty())
      return InvalidArgument("jlcache_verdict_touch: the verdict chose no cache file");
    return Report(TouchCache(v->cache));
  });
}

JLCACHE_API void jlcache_verdict_free(jlcache_verdict* v) { delete v; }

JLCACHE_API jlcache_verdict_kind_t jlcache_verdict_kind(const jlcache_verdict* v) {
  if (!v) return JLCACHE_UNKNOWN;
  switch (v->verdict.kind) {
    case VerdictKind::kFresh: return JLCACHE_FRESH;
    case VerdictKind::kStale: return JLCACHE_STALE;
    case VerdictKind::kUnknown: return JLCACHE_UNKNOWN;
  }
  return JLCACHE_UNKNOWN;
}

JLCACHE_API const char* jlcache_verdict_package(const jlcache_verdict* v) {
  return v ? v->name.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_verdict_uuid(const jlcache_verdict* v) {
  return v && !v->uuid.empty() ? v->uuid.c_str() : nullptr;
}
JLCACHE_API const char* jlcache_verdict_cache(const jlcache_verdict* v) {
  return v && !v->cache.empty() ? v->cache.c_str() : nullptr;
}
JLCACHE_API size_t jlcache_verdict_reason_count(const jlcache_verdict* v) {
  return v ? v->reasons.size() : 0;
}

JLCACHE_API jlcache_status jlcache_verdict_reason_at(const jlcache_verdict* v, size_t i,
                                                  jlcache_reason* out) {
  return Guard([&]() -> jlcache_status {
    if (!v || !out) return InvalidArgument("jlcache_verdict_reason_at: NULL argument");
    if (i >= v->reasons.size()) return InvalidArgument("jlcache_verdict_reason_at: index out of range");
    const auto& r = v->reasons[i];
    out->code = r.code.c_str();
    out->detail = r.detail.c_str();
    out->cache = r.has_cache ? r.cache.c_str() : nullptr;
    out->dependency = r.has_dependency ? r.dependency.c_str() : nullptr;
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_verdict_to_json(const jlcache_verdict* v, char** out_json) {
  return Guard([&]() -> jlcache_status {
    if (!v || !out_json) return InvalidArgument("jlcache_verdict_to_json: NULL argument");
    *out_json = CopyToC(VerdictJson(v->verdict));
    return JLCACHE_OK;
  });
}

JLCACHE_API size_t jlcache_verdict_list_count(const jlcache_verdict_list* l) {
  return l ? l->items.size() : 0;
}

JLCACHE_API const jlcache_verdict* jlcache_verdict_list_at(const jlcache_verdict_list* l,
                                                            size_t i) {
  if (!l || i >= l->items.size()) return nullptr;
  return l->items[i].get();
}

JLCACHE_API void jlcache_verdict_list_free(jlcache_verdict_list* l) { delete l; }

}  // extern "C"
