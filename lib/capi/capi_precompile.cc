// jlcache_session_precompile and the report accessors.
//
// Ordinary outcomes (a failed child, a timeout, a concurrent runner when not
// waiting) are per-package results in a report with JLCACHE_OK; an error
// status means the request itself could not be served (unknown package,
// unreadable environment, no active project, no depot).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_common.h"
#include "capi/handles.h"
#include "precompile/precompile_coordinator.h"

using namespace jlcache;
using namespace jlcache::capi;

struct jlcache_precompile_report {
  PrecompileReport report;
  std::vector<std::unique_ptr<jlcache_verdict>> verdicts;  // one per package, borrowed out
};

namespace {

jlcache_precompile_result ResultCode(PrecompileResult r) {
  switch (r) {
    case PrecompileResult::kFresh: return JLCACHE_PRECOMPILE_FRESH;
    case PrecompileResult::kStale: return JLCACHE_PRECOMPILE_STALE;
    case PrecompileResult::kUnknown: return JLCACHE_PRECOMPILE_UNKNOWN;
    case PrecompileResult::kFailed: return JLCACHE_PRECOMPILE_FAILED;
    case PrecompileResult::kTimeout: return JLCACHE_PRECOMPILE_TIMEOUT;
  }
  return JLCACHE_PRECOMPILE_UNKNOWN;
}

// The C callback gets plain lines: julia's output as is, jlcache's own
// status lines prefixed "jlcache: ".
std::string LineFor(const PrecompileProgress& p) {
  using Phase = PrecompileProgress::Phase;
  switch (p.phase) {
    case Phase::kChecked:
      return Cat("jlcache: checked ", p.checked, " packages, ", p.stale, " not fresh");
    case Phase::kWaiting: return Cat("jlcache: ", p.line);
    case Phase::kCompiling: return Cat("jlcache: precompiling ", RootNames(p.roots));
    case Phase::kOutput: return p.line;
    case Phase::kMessage: return Cat("jlcache: ", p.line);
    case Phase::kRechecked:
      return Cat("jlcache: after precompiling, ", p.checked - p.stale, " of ", p.checked,
                 " packages fresh");
  }
  return p.line;
}

}  // namespace

extern "C" {

JLCACHE_API jlcache_status jlcache_precompile_options_init(jlcache_precompile_options* options,
                                                           uint32_t version) {
  return Guard([&] {
    return InitOptions(options, version, JLCACHE_PRECOMPILE_OPTIONS_VERSION,
                       "jlcache_precompile_options_init", "JLCACHE_PRECOMPILE_OPTIONS_VERSION");
  });
}

JLCACHE_API jlcache_status jlcache_session_precompile(jlcache_session* s,
                                                       const char* const* names, size_t n,
                                                       const jlcache_precompile_options* options,
                                                       jlcache_precompile_report** out) {
  return Guard([&]() -> jlcache_status {
    if (!s || !s->session || !out)
      return InvalidArgument("jlcache_session_precompile: NULL argument");
    if (CalledFromOwnCallback(s))
      return InvalidArgument("jlcache_session_precompile: called from a callback of the same session; a callback may "
                             "not use its own session (see jlcache.h)");
    *out = nullptr;
    if (n > 0 && !names)
      return InvalidArgument("jlcache_session_precompile: names is NULL but n > 0");
    std::vector<std::string> list;
    list.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (!names[i] || !*names[i])
        return InvalidArgument(Cat("jlcache_session_precompile: names[", i, "] is NULL or empty"));
      list.emplace_back(names[i]);
    }
    PrecompileOptions po;
    if (options) {
      if (jlcache_status s = CheckOptionsVersion(
              options->version, JLCACHE_PRECOMPILE_OPTIONS_VERSION, "jlcache_session_precompile",
              "JLCACHE_PRECOMPILE_OPTIONS_VERSION", "jlcache_precompile_options_init");
          s != JLCACHE_OK)
        return s;
      if (!std::isfinite(options->timeout_seconds) || options->timeout_seconds < 0)
        return InvalidArgument("jlcache_session_precompile: timeout_seconds must be >= 0");
      if (!std::isfinite(options->lock_stale_age) || options->lock_stale_age < 0)
        return InvalidArgument("jlcache_session_precompile: lock_stale_age must be >= 0");
      if (options->jobs < 0 || options->jobs > 4096)
        return InvalidArgument("jlcache_session_precompile: jobs must be within 0..4096");
      po.timeout_seconds = options->timeout_seconds;
      po.wait_for_other_runner = options->wait_for_other_runner != 0;
      po.jobs = options->jobs;
      if (options->lock_stale_age > 0) po.lock_stale_age = options->lock_stale_age;
      if (jlcache_progress_fn fn = options->progress) {
        void* user = options->progress_user_data;
        po.progress = [fn, user](const PrecompileProgress& p) {
          std::string line = LineFor(p);
          fn(user, line.c_str());
        };
      }
    }
    auto report = PrecompileIfStale(*s->session, list, po);
    if (!report.ok()) return Report(report.status());
    auto r = std::make_unique<jlcache_precompile_report>();
    r->report = *std::move(report);
    for (const PackageOutcome& o : r->report.packages)
      r->verdicts.push_back(std::make_unique<jlcache_verdict>(o.verdict));
    *out = r.release();
    return JLCACHE_OK;
  });
}

JLCACHE_API void jlcache_precompile_report_free(jlcache_precompile_report* r) { delete r; }

JLCACHE_API size_t jlcache_precompile_report_count(const jlcache_precompile_report* r) {
  return r ? r->report.packages.size() : 0;
}

JLCACHE_API jlcache_precompile_result jlcache_precompile_report_result_at(
    const jlcache_precompile_report* r, size_t i) {
  if (!r || i >= r->report.packages.size()) return JLCACHE_PRECOMPILE_UNKNOWN;
  return ResultCode(r->report.packages[i].result);
}

JLCACHE_API const jlcache_verdict* jlcache_precompile_report_verdict_at(
    const jlcache_precompile_report* r, size_t i) {
  if (!r || i >= r->verdicts.size()) return nullptr;
  return r->verdicts[i].get();
}

JLCACHE_API int32_t jlcache_precompile_report_launched(const jlcache_precompile_report* r) {
  return r && r->report.launched ? 1 : 0;
}

JLCACHE_API int32_t jlcache_precompile_report_exit_status(const jlcache_precompile_report* r) {
  return r ? r->report.exit_status : -1;
}

JLCACHE_API const char* jlcache_precompile_report_output_tail(const jlcache_precompile_report* r) {
  return r ? r->report.output_tail.c_str() : "";
}

}  // extern "C"
