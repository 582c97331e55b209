// The runtime profile: which Julia installation and process jlcache answers
// for. Loaded from TOML (`--runtime FILE`, docs/runtime-profile.md), filled by
// the C ABI setters, or written by `jlcache probe`.
//
// Two kinds of keys:
//  - installation facts (version, commit, paths, sysimage build ids, accepted
//    clone targets, preference hashes): the probe cache stores only these;
//  - environment overrides (depot_path, load_path, active_project): optional;
//    without them the Environment resolves JULIA_DEPOT_PATH & co. per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/uuid.h"
#include "rules/julia_rules.h"
#include "rules/julia_version.h"

namespace jlcache {

// JLOptions().use_pkgimages: --pkgimages=yes|no|existing.
enum class PkgImagesMode { kYes, kNo, kExisting };
std::string_view PkgImagesModeName(PkgImagesMode mode);

struct SysimageModule {
  std::string name;
  std::optional<Uuid> uuid;  // none for Core, Base, Main
  BuildId build_id;          // high word tagged 0xFDFCFBFA
};

// One Base.get_preferences_hash(uuid, names) result recorded by the probe.
// Valid only while the preference sources still digest to sources_digest
// (see PreferencesSourcesDigest in environment.h).
struct PreferenceHashRecord {
  Uuid uuid;
  std::vector<std::string> names;  // exactly as stored in the cache header
  uint64_t sources_digest = 0;
  uint64_t hash = 0;
};

// The digest accepted_clone_targets / rejected_clone_targets hold for a
// clone-target blob: XXH64 with seed 0 over the raw bytes.
uint64_t CloneTargetsDigest(std::string_view blob);

// Which preference encoding compilecache_path hashes (loading.md §8 input 6).
enum class PreferencesNameForm { kUnknown, kHash, kBlob };

struct RuntimeProfile {
  // --- required installation facts
  std::string julia_version_text;  // VERSION as printed, e.g. "1.11.7"
  std::string git_branch;          // may be "" (builds without git info)
  std::string git_commit;
  std::string os;                  // "Linux"
  std::string arch;                // "x86_64"
  int64_t pointer_size = 0;        // 4 or 8
  std::string julia_bin;           // JLOptions().julia_bin
  std::string image_file;          // JLOptions().image_file
  std::string cpu_target;          // JLOptions().cpu_target
  std::string stdlib_dir;          // Sys.STDLIB
  PkgImagesMode pkgimages = PkgImagesMode::kYes;
  uint8_t cache_flags = 0;         // ccall(:jl_cache_flags, UInt8, ())
  std::vector<SysimageModule> sysimage_modules;

  // --- optional installation facts
  std::optional<std::string> build_stdlib_dir;  // stdlib dir of the build tree
  std::optional<std::string> bindir;            // Sys.BINDIR; default dirname(julia_bin)
  std::string gc_abi = "stock";                 // checked against format-15 headers
  std::vector<PreferenceHashRecord> preference_hashes;
  std::vector<uint64_t> accepted_clone_targets;  // XXH64 (seed 0) of accepted blobs
  // Blobs the probe asked about and this Julia refused: known, so no re-probe.
  std::vector<uint64_t> rejected_clone_targets;
  // Recorded by the probe; kUnknown means "derive from the version".
  PreferencesNameForm preferences_name_form = PreferencesNameForm::kUnknown;

  // --- optional environment overrides
  std::optional<std::vector<std::string>> depot_path;
  std::optional<std::vector<std::string>> load_path;
  std::optional<std::string> active_project;

  // --- derived by Validate() (or by the loaders, which validate)
  JuliaVersion version;
  JuliaRules rules;
  std::string source = "<memory>";  // file the profile came from, for messages

  // Parses and validates a profile. Errors: kToml (file:line:col) for bad
  // syntax, kRuntime for a missing, mistyped or malformed key.
  static absl::StatusOr<RuntimeProfile> FromFile(const std::string& path);
  static absl::StatusOr<RuntimeProfile> FromTomlString(std::string_view text,
                                                      std::string_view source_name);

  // Setters by key name (the C ABI). They check the value's form; Validate()
  // checks completeness. Unknown keys are kInvalidArgument.
  absl::Status SetString(std::string_view key, std::string_view value);
  absl::Status SetInt(std::string_view key, int64_t value);
  absl::Status AddString(std::string_view key, std::string_view value);
  absl::Status AddSysimageModule(std::string_view name, std::optional<Uuid> uuid, BuildId id);

  // Every required key present and well-formed; fills version and rules.
  absl::Status Validate();
  bool validated() const { return validated_; }
  // Whether a key was given (by the file or a setter).
  bool HasKey(std::string_view key) const;

  // Sys.BINDIR.
  std::string BinDir() const;
  // The form compilecache_path uses: the recorded one, else the version's
  // (kUnknown when the version carried both, e.g. 1.13.0-beta3).
  PreferencesNameForm EffectivePreferencesNameForm() const;
  bool AcceptsCloneTargets(uint64_t xxh64) const;
  // Whether the probe has an answer (accepted or rejected) for this blob.
  bool KnowsCloneTargets(uint64_t xxh64) const;

  // TOML text. With installation_only, the environment overrides are left out
  // (the probe cache form).
  std::string ToToml(bool installation_only = false) const;

 private:
  bool validated_ = false;
  absl::flat_hash_set<std::string> set_keys_;
};

}  // namespace jlcache
