// The C ABI's opaque handles, shared by the lib/capi/*.cc files.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "env/runtime_profile.h"
#include "jlcache.h"
#include "stale/session.h"
#include "stale/verdict.h"

struct jlcache_runtime {
  jlcache::RuntimeProfile profile;
};

struct jlcache_session {
  std::unique_ptr<jlcache::Session> session;
};

// A call on `s` from inside one of its own callbacks, which run under the
// session's callback lock: refused with an error rather than a deadlock.
inline bool CalledFromOwnCallback(const jlcache_session* s) {
  return s && s->session && s->session->InCallback();
}

// A verdict with its strings laid out for borrowing (flattened reasons, the
// `because` chains included after their parent, in order).
struct jlcache_verdict {
  jlcache::Verdict verdict;
  std::string name, uuid, cache;
  struct FlatReason {
    std::string code, detail, cache, dependency;
    bool has_cache = false, has_dependency = false;
  };
  std::vector<FlatReason> reasons;

  explicit jlcache_verdict(jlcache::Verdict v);
};

struct jlcache_verdict_list {
  std::vector<std::unique_ptr<jlcache_verdict>> items;
};
