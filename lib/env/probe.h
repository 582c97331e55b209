// `jlcache probe`: runs a julia binary once with lib/env/probe_script.jl and
// turns what it prints into a RuntimeProfile (installation facts only).
//
// The probe cache: <DEPOT_PATH[1]>/jlcache/probe-<key>.toml, where key is the
// XXH64 (hex) of the julia binary's path, size and mtime (ns). A second probe
// of an unchanged binary reads it instead of running julia. DEPOT_PATH[1] is
// computed from JULIA_DEPOT_PATH with the 1.11.2+ rules (the version is not
// known before julia runs); with JULIA_DEPOT_PATH="" there is no cache.
// Written atomically (temp file + rename); never written with no_write.
// Without a cache, one process probes at a time per cache path: it holds
// <cache>.pidfile (Julia's pidfile conventions) while julia runs, and the
// others wait for it and read its cache (ranks of a job starting at once run
// one julia, not one each). A forced probe neither takes nor waits for it.
// This is write #1 of the list in env/environment.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "env/environment.h"
#include "env/runtime_profile.h"

namespace jlcache {

// The Julia script (identical to lib/env/probe_script.jl; a test checks).
std::string_view ProbeScript();

struct ProbeOptions {
  std::string julia;                    // a path, or a name looked up in env PATH
  EnvVars env;                          // julia's environment; also locates the cache
  std::optional<std::string> project;   // passed on as --project=... (preference hashes)
  std::string cwd;                      // "" = getcwd()
  bool no_write = false;                // never write the probe cache
  bool force = false;                   // ignore an existing probe cache
  double timeout_seconds = 300;
  std::function<void(std::string_view line)> on_stderr_line;  // julia's stderr
};

struct ProbeResult {
  RuntimeProfile profile;               // validated, no environment keys
  std::optional<std::string> cache_path;
  bool from_cache = false;
  bool cache_written = false;
};

absl::StatusOr<ProbeResult> ProbeJulia(const ProbeOptions& options);

// Where the probe cache of `julia_path` lives (nullopt: no depot, or the
// binary cannot be stat'ed). The key also holds JULIA_CPU_TARGET and
// `host_cpu` (HostCpuIdentity()): which clone targets a julia accepts depends
// on the CPU it runs on, and a depot may be shared by unlike hosts.
std::optional<std::string> ProbeCachePath(const std::string& julia_path, const EnvVars& env);
std::optional<std::string> ProbeCachePath(const std::string& julia_path, const EnvVars& env,
                                          std::string_view host_cpu);

// Adds what Julia told a precompile run (preference hashes, accepted
// clone-target digests) to an existing probe cache, so other processes
// sharing the depot need not ask julia again. Read-modify-write with an
// atomic rename: concurrent writers may lose each other's additions, which
// only costs a later re-probe. kNotFound when there is no cache to extend.
absl::Status AddFactsToProbeCache(const std::string& cache_path,
                                  absl::Span<const PreferenceHashRecord> preference_hashes,
                                  absl::Span<const uint64_t> accepted_clone_targets);

// Parses the script's output into a profile. Sources digests of preference
// hashes are computed with `digest_options` (the environment julia ran in).
// Errors: kChildFailed when the output is incomplete, kRuntime when a value
// is malformed.
absl::StatusOr<RuntimeProfile> ParseProbeOutput(std::string_view output,
                                                const EnvironmentOptions& digest_options);

}  // namespace jlcache
