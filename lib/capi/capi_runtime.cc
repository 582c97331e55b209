// jlcache_runtime_*: the runtime profile through the C ABI (include/jlcache.h).
#include "capi/capi_common.h"
#include "capi/handles.h"
#include "core/uuid.h"
#include "env/environment.h"
#include "env/probe.h"
#include "env/runtime_profile.h"

using jlcache::BuildId;
using jlcache::RuntimeProfile;
using jlcache::Uuid;
using namespace jlcache::capi;

extern "C" {

JLCACHE_API jlcache_status jlcache_runtime_from_file(const char* path, jlcache_runtime** out) {
  return Guard([&]() -> jlcache_status {
    if (!path || !out) return InvalidArgument("jlcache_runtime_from_file: NULL argument");
    *out = nullptr;
    auto p = RuntimeProfile::FromFile(path);
    if (!p.ok()) return Report(p.status());
    *out = new jlcache_runtime{std::move(p).value()};
    return JLCACHE_OK;
  });
}

JLCACHE_API jlcache_status jlcache_runtime_new(jlcache_runtime** out) {
  return Guard([&]() -> jlcache_status {
    if (!out) return InvalidArgument("jlcache_runtime_new: NULL argument");
    *out = new jlcache_runtime{};
    return JLCACHE_OK;
  });
}

JLCACHE_API void jlcache_runtime_free(jlcache_runtime* rt) { delete rt; }

JLCACHE_API jlcache_status jlcache_runtime_set_string(jlcache_runtime* rt, const char* key,
                                                      const char* value) {
  return Guard([&]() -> jlcache_status {
    if (!rt || !key || !value) return InvalidArgument("jlcache_runtime_set_string: NULL argument");
    return Report(rt->profile.SetString(key, value));
  });
}

JLCACHE_API jlcache_status jlcache_runtime_set_int(jlcache_runtime* rt, const char* key, int64_t value) {
  return Guard([&]() -> jlcache_status {
    if (!rt || !key) return InvalidArgument("jlcache_runtime_set_int: NULL argument");
    return Report(rt->profile.SetInt(key, value));
  });
}

JLCACHE_API jlcache_status jlcache_runtime_add_string(jlcache_runtime* rt, const char* key,
                                                      const char* value) {
  return Guard([&]() -> jlcache_status {
    if (!rt || !key || !value) return InvalidArgument("jlcache_runtime_add_string: NULL argument");
    return Report(rt->profile.AddString(key, value));
  });
}

JLCACHE_API jlcache_status jlcache_runtime_add_sysimage_module(jlcache_runtime* rt, const char* name,
                                                               const char* uuid, uint64_t build_id_hi,
                                                               uint64_t build_id_lo) {
  return Guard([&]() -> jlcache_status {
    if (!rt || !name) return InvalidArgument("jlcache_runtime_add_sysimage_module: NULL argument");
    std::optional<Uuid> u;
    if (uuid) {
      u = Uuid::Parse(uuid);
      if (!u) return InvalidArgument(std::string("jlcache_runtime_add_sysimage_module: bad uuid '") + uuid + "'");
    }
    return Report(rt->profile.AddSysimageModule(name, u, BuildId{build_id_hi, build_id_lo}));
  });
}

JLCACHE_API jlcache_status jlcache_runtime_validate(const jlcache_runtime* rt) {
  return Guard([&]() -> jlcache_status {
    if (!rt) return InvalidArgument("jlcache_runtime_validate: NULL argument");
    // Validate on a copy: the handle is const here, and sessions validate again.
    RuntimeProfile copy = rt->profile;
    return Report(copy.Validate());
  });
}

// The script is embedded at build time as a string literal: static storage.
JLCACHE_API const char* jlcache_probe_script(void) { return jlcache::ProbeScript().data(); }

JLCACHE_API jlcache_status jlcache_runtime_from_probe_output(const char* text, size_t len,
                                                             jlcache_runtime** out) {
  return Guard([&]() -> jlcache_status {
    if ((!text && len > 0) || !out)
      return InvalidArgument("jlcache_runtime_from_probe_output: NULL argument");
    *out = nullptr;
    // Preference-hash lines are digested in this process's environment,
    // which is the one the asking Julia process shares.
    jlcache::EnvironmentOptions eo;
    eo.env = jlcache::ProcessEnvVars();
    auto p = jlcache::ParseProbeOutput(std::string_view(text ? text : "", len), eo);
    if (!p.ok()) {
      // Incomplete output is the caller's input here, not a failed child.
      if (jlcache::KindOf(p.status()) == jlcache::ErrorKind::kChildFailed)
        return Report(jlcache::Error(jlcache::ErrorKind::kRuntime, p.status().message()));
      return Report(p.status());
    }
    *out = new jlcache_runtime{std::move(p).value()};
    return JLCACHE_OK;
  });
}

}  // extern "C"
