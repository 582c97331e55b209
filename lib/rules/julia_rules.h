// Every per-version difference in Julia's loading and staleness rules, as data.
// Code elsewhere reads a field of JuliaRules; it never compares versions itself.
// docs/loading.md and docs/staleness.md cite the Julia source for each field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "rules/julia_version.h"

namespace jlcache {

enum class FlagMatchRule {
  kOneArgument,         // 1.9, 1.10: bits 0-5 exact, opt >=
  kTwoArgumentExact,    // 1.11.0, 1.11.1: bits 0-5 exact, opt >=
  kTwoArgumentLenient,  // 1.11.2+ (julia#56214): bits 0,3,4,5 exact, opt >= and debug >=
};

enum class DepotEmptyEntryRule {
  kV110,       // empty entry inserts ~/.julia and both bundled depots
  kV111Early,  // 1.11.0-1.11.1: bundled only; home only when there is no non-empty entry
  kV1112,      // 1.11.2+: bundled only; home prepended when the first entry is empty
};

enum class CandidateOrder {
  kMtime,             // 1.10: newest first
  kPkgimageThenMtime  // 1.11+: pkgimages first, then newest first
};

enum class PreferencesForm { kHashList, kBlob };
enum class DependencyEntryForm {
  kMtimeOnly,      // layout A: depname, mtime, n1, modpath
  kSizeHashMtime,  // layout B and later: + fsize u64 and hash u32 before mtime
};

// What a cache file of one format number may carry, for the Julia line that
// wrote it (JuliaRules::ForFormat).
struct CacheFormatRules {
  uint16_t format = 0;
  // The dependency-entry widths and preference encodings the body may use,
  // most likely first; more than one means "decide by totbytes validation".
  std::vector<DependencyEntryForm> dependency_entry_forms;
  std::vector<PreferencesForm> preference_forms;
  // Formats 12 and 13 write a sysimage module's build id with the sysimage
  // checksum tag (0xfdfcfbfa) in the high word; format 15's checksum is a
  // plain u32, so nothing tells a sysimage module from a package by its id.
  bool sysimage_build_ids_tagged = false;
};

struct JuliaRules {
  JuliaVersion version;

  // Header layout family for format 12 (the format number alone does not tell).
  bool includes_carry_size_and_hash = false;  // layout B and later (1.11+)
  // The dependency-entry widths a format-12 header of this version may carry,
  // most likely first. Two entries mean "decide by totbytes validation": the
  // 1.11 pre-releases straddle julia#49866 (fsize and hash added).
  std::vector<DependencyEntryForm> dependency_entry_forms;
  // Which preference encodings a header of this version may carry. Two entries
  // mean "decide by totbytes validation" (1.13.0-beta3, 1.14-dev format 13).
  std::vector<PreferencesForm> preference_forms;
  bool depot_relocation = false;  // @depot paths (1.11+)

  FlagMatchRule flag_rule = FlagMatchRule::kOneArgument;
  CandidateOrder candidate_order = CandidateOrder::kMtime;
  // A required Core whose build id differs from the running Julia's: 1.11+
  // rejects the cache at once ("wrong julia version", `M == Core`); 1.9 and
  // 1.10 (ignore_loaded) fall through to locate_package(Core), which finds
  // nothing in an ordinary environment ("dependency Core not found").
  bool core_mismatch_is_immediately_stale = false;      // 1.11+
  bool entry_fixup_requires_readable = false;           // 1.11.1+ (julia#55992)
  bool stdlib_skip_requires_rewrite = false;            // 1.12+
  bool checks_syntax_version = false;                   // 1.14-dev

  // Loading.
  DepotEmptyEntryRule depot_empty_rule = DepotEmptyEntryRule::kV110;
  bool versioned_manifest_names = false;   // 1.10.8+, 1.11+
  bool workspaces = false;                 // 1.12+
  bool implicit_env_dir_first = false;     // 1.12+: Name/src/Name.jl before Name.jl
  bool honours_entryfile = false;          // 1.12+
  bool entry_path_checks_existence = true; // 1.10, 1.11: entry_path returns nothing if absent
  bool final_casesensitive_check = false;  // 1.12+
  bool stdlib_fallback_after_missing = false;  // 1.12+
  bool identify_stdlib_project_dep = false;    // 1.11.2+ (julia#56148 backport)
  bool preferences_follow_workspace_chain = false;  // 1.12+
  bool has_temp_and_script_envs = false;   // @script 1.11+, @temp 1.12+
  bool has_temp_env = false;                // 1.12+: @temp (before: a named env "temp")
  bool script_env_suffix_searches_upward = false;  // 1.11.6+ (julia#56351): @script<rel> -> current_project
  bool implicit_env_extension_where = false;       // 1.11+: implicit_manifest_deps_get knows extensions
  bool ext_trigger_lookup_includes_deps = false;   // 1.11.2+: an extension's trigger is looked up in
                                                   // weakdeps, then deps ("fix lookup when extension is in [deps]")

  // Precompilation (docs/precompile.md).
  // 1.11+ (julia#53403): the parallel precompiler is Base.Precompilation.precompilepkgs;
  // before, it lives in Pkg (Pkg.precompile).
  bool precompilepkgs_in_base = false;

  // Manifest names in priority order, e.g. JuliaManifest-v1.11.toml first.
  std::vector<std::string> ManifestNames() const;

  // What a cache of `format` written by this line carries; kUnsupported when
  // this line never wrote that format (12: 1.9 to 1.14-dev until 2025-11-25;
  // 13 and 15: 1.14-dev).
  absl::StatusOr<CacheFormatRules> ForFormat(uint16_t format) const;
};

// "compiled/v1.11": the directory under each depot that holds this line's
// caches (and jlcache's precompile lock).
std::string CompiledDir(const JuliaVersion& v);

// The rules for a Julia version. Unsupported lines (before 1.9, after 1.14)
// are an error: nothing is guessed.
absl::StatusOr<JuliaRules> RulesFor(const JuliaVersion& v);

}  // namespace jlcache
