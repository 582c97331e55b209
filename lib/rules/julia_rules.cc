#include "rules/julia_rules.h"

#include "core/error.h"

namespace jlcache {

std::vector<std::string> JuliaRules::ManifestNames() const {
  std::vector<std::string> names;
  if (versioned_manifest_names) {
    std::string suffix = "-v" + std::to_string(version.major) + "." +
                         std::to_string(version.minor) + ".toml";
    names.push_back("JuliaManifest" + suffix);
    names.push_back("Manifest" + suffix);
  }
  names.push_back("JuliaManifest.toml");
  names.push_back("Manifest.toml");
  return names;
}

absl::StatusOr<CacheFormatRules> JuliaRules::ForFormat(uint16_t format) const {
  bool written = false;
  switch (format) {
    case 12: written = version.major == 1 && version.minor >= 9 && version.minor <= 14; break;
    case 13:
    case 15: written = version.major == 1 && version.minor == 14; break;
  }
  if (!written)
    return Error(ErrorKind::kUnsupported, "cache format ", format, " was never written by Julia ",
                 version.ToString());
  CacheFormatRules f;
  f.format = format;
  f.dependency_entry_forms = dependency_entry_forms;
  f.preference_forms = preference_forms;
  if (format >= 13) f.dependency_entry_forms = {DependencyEntryForm::kSizeHashMtime};
  if (format == 15) f.preference_forms = {PreferencesForm::kBlob};
  f.sysimage_build_ids_tagged = format < 15;
  return f;
}

std::string CompiledDir(const JuliaVersion& v) { return "compiled/" + v.MajorMinorDir(); }

absl::StatusOr<JuliaRules> RulesFor(const JuliaVersion& v) {
  if (v.major != 1 || v.minor < 9 || v.minor > 14)
    return Error(ErrorKind::kUnsupported, "unsupported Julia line ", v.major, ".", v.minor,
                 " (supported: 1.9 to 1.14-dev)");
  JuliaRules r;
  r.version = v;
  const int minor = v.minor;
  const bool v111 = minor >= 11;
  const bool v112 = minor >= 12;

  r.includes_carry_size_and_hash = v111;
  if (!v111)
    r.dependency_entry_forms = {DependencyEntryForm::kMtimeOnly};
  else if (v.IsLine(1, 11) && v.IsPrerelease())
    r.dependency_entry_forms = {DependencyEntryForm::kSizeHashMtime,
                                DependencyEntryForm::kMtimeOnly};
  else
    r.dependency_entry_forms = {DependencyEntryForm::kSizeHashMtime};
  r.depot_relocation = v111;
  if (minor <= 12) {
    r.preference_forms = {PreferencesForm::kHashList};
  } else if (minor == 13) {
    // julia#61214 was backported during 1.13.0-beta3 and first shipped in rc1.
    JuliaVersion rc1 = *JuliaVersion::Parse("1.13.0-rc1");
    JuliaVersion beta3 = *JuliaVersion::Parse("1.13.0-beta3");
    if (v.Compare(rc1) >= 0)
      r.preference_forms = {PreferencesForm::kBlob};
    else if (v.Compare(beta3) >= 0)
      r.preference_forms = {PreferencesForm::kHashList, PreferencesForm::kBlob};
    else
      r.preference_forms = {PreferencesForm::kHashList};
  } else {
    // 1.14-dev: format 13 carried both over its life; format 15 only the blob.
    r.preference_forms = {PreferencesForm::kHashList, PreferencesForm::kBlob};
  }

  if (!v111)
    r.flag_rule = FlagMatchRule::kOneArgument;
  else if (v.IsLine(1, 11) && v.Before(1, 11, 2))
    r.flag_rule = FlagMatchRule::kTwoArgumentExact;
  else
    r.flag_rule = FlagMatchRule::kTwoArgumentLenient;

  r.candidate_order = v111 ? CandidateOrder::kPkgimageThenMtime : CandidateOrder::kMtime;
  r.core_mismatch_is_immediately_stale = v111;
  r.entry_fixup_requires_readable = v.AtLeast(1, 11, 1);
  r.stdlib_skip_requires_rewrite = v112;
  r.checks_syntax_version = minor >= 14;

  if (!v111)
    r.depot_empty_rule = DepotEmptyEntryRule::kV110;
  else if (v.IsLine(1, 11) && v.Before(1, 11, 2))
    r.depot_empty_rule = DepotEmptyEntryRule::kV111Early;
  else
    r.depot_empty_rule = DepotEmptyEntryRule::kV1112;

  r.versioned_manifest_names = v111 || (v.IsLine(1, 10) && v.AtLeast(1, 10, 8));
  r.workspaces = v112;
  r.implicit_env_dir_first = v112;
  r.honours_entryfile = v112;
  r.entry_path_checks_existence = !v112;
  r.final_casesensitive_check = v112;
  r.stdlib_fallback_after_missing = v112;
  // julia#56148 was backported to 1.11.2 (commit 276e66c57b is an ancestor of "set VERSION to 1.11.2").
  r.identify_stdlib_project_dep = v.AtLeast(1, 11, 2);
  r.preferences_follow_workspace_chain = v112;
  r.has_temp_and_script_envs = v111;
  r.has_temp_env = v112;
  r.script_env_suffix_searches_upward = v.AtLeast(1, 11, 6);
  r.implicit_env_extension_where = v111;
  r.ext_trigger_lookup_includes_deps = v.AtLeast(1, 11, 2);

  // Precompilation.
  r.precompilepkgs_in_base = v111;
  return r;
}

}  // namespace jlcache
