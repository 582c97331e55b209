// lib/rules: Julia versions and the per-version rules, as data. Each field's
// boundary is checked on both sides, so a misplaced boundary shows here before
// it shows as a wrong verdict.
#include <string>

#include "gtest/gtest.h"
#include "rules/julia_rules.h"
#include "rules/julia_version.h"

namespace jlcache {
namespace {

JuliaRules R(const char* version) { return *RulesFor(*JuliaVersion::Parse(version)); }

TEST(JuliaVersion, OrdersPrereleasesBeforeReleases) {
  auto v = [](const char* s) { return *JuliaVersion::Parse(s); };
  EXPECT_LT(v("1.13.0-beta3").Compare(v("1.13.0-rc1")), 0);
  EXPECT_LT(v("1.13.0-beta2").Compare(v("1.13.0-beta10")), 0);
  EXPECT_LT(v("1.13.0-rc1").Compare(v("1.13.0")), 0);
  EXPECT_GT(v("1.11.2").Compare(v("1.11.1")), 0);
  EXPECT_FALSE(v("1.11.2-DEV").AtLeast(1, 11, 2));
  EXPECT_EQ(v("1.14.0-DEV").MajorMinorDir(), "v1.14");
  EXPECT_FALSE(JuliaVersion::Parse("1.11"));
  EXPECT_FALSE(JuliaVersion::Parse("1.11.x"));
}

TEST(JuliaRules, VersionDifferencesAreData) {
  auto r = [](const char* s) { return *RulesFor(*JuliaVersion::Parse(s)); };
  EXPECT_EQ(r("1.10.4").flag_rule, FlagMatchRule::kOneArgument);
  EXPECT_EQ(r("1.11.1").flag_rule, FlagMatchRule::kTwoArgumentExact);
  EXPECT_EQ(r("1.11.2").flag_rule, FlagMatchRule::kTwoArgumentLenient);
  EXPECT_EQ(r("1.10.7").ManifestNames().size(), 2u);
  EXPECT_EQ(r("1.10.8").ManifestNames().front(), "JuliaManifest-v1.10.toml");
  EXPECT_EQ(r("1.13.0-beta2").preference_forms.size(), 1u);
  EXPECT_EQ(r("1.13.0-beta3").preference_forms.size(), 2u);
  EXPECT_EQ(r("1.13.0-rc1").preference_forms.front(), PreferencesForm::kBlob);
  EXPECT_FALSE(RulesFor(*JuliaVersion::Parse("1.8.5")).ok());
  EXPECT_FALSE(RulesFor(*JuliaVersion::Parse("2.0.0")).ok());
}

TEST(JuliaRules, EverySupportedLineHasRulesAndNoOtherDoes) {
  for (const char* v : {"1.9.4", "1.10.4", "1.11.0", "1.12.2", "1.13.0-rc1", "1.14.0-DEV"})
    EXPECT_TRUE(RulesFor(*JuliaVersion::Parse(v)).ok()) << v;
  for (const char* v : {"1.8.5", "1.15.0-DEV", "0.7.0", "2.0.0"})
    EXPECT_FALSE(RulesFor(*JuliaVersion::Parse(v)).ok()) << v;
}

TEST(JuliaRules, CoreMismatchIsImmediatelyStaleFrom111) {
  EXPECT_FALSE(R("1.9.4").core_mismatch_is_immediately_stale);
  EXPECT_FALSE(R("1.10.9").core_mismatch_is_immediately_stale);
  EXPECT_TRUE(R("1.11.0-rc1").core_mismatch_is_immediately_stale);
  EXPECT_TRUE(R("1.14.0-DEV").core_mismatch_is_immediately_stale);
}

TEST(JuliaRules, PatchLevelBoundaries) {
  EXPECT_FALSE(R("1.11.0").entry_fixup_requires_readable);
  EXPECT_TRUE(R("1.11.1").entry_fixup_requires_readable);
  EXPECT_FALSE(R("1.11.1").ext_trigger_lookup_includes_deps);
  EXPECT_TRUE(R("1.11.2").ext_trigger_lookup_includes_deps);
  EXPECT_FALSE(R("1.11.1").identify_stdlib_project_dep);
  EXPECT_TRUE(R("1.11.2").identify_stdlib_project_dep);
  EXPECT_EQ(R("1.11.1").depot_empty_rule, DepotEmptyEntryRule::kV111Early);
  EXPECT_EQ(R("1.11.2").depot_empty_rule, DepotEmptyEntryRule::kV1112);
  EXPECT_FALSE(R("1.11.5").script_env_suffix_searches_upward);
  EXPECT_TRUE(R("1.11.6").script_env_suffix_searches_upward);
  EXPECT_FALSE(R("1.10.7").versioned_manifest_names);
  EXPECT_TRUE(R("1.10.8").versioned_manifest_names);
}

TEST(JuliaRules, CandidateOrderAndDependencyEntries) {
  EXPECT_EQ(R("1.10.4").candidate_order, CandidateOrder::kMtime);
  EXPECT_EQ(R("1.11.0").candidate_order, CandidateOrder::kPkgimageThenMtime);
  EXPECT_EQ(R("1.10.4").dependency_entry_forms,
            std::vector<DependencyEntryForm>{DependencyEntryForm::kMtimeOnly});
  // The 1.11 pre-releases straddle julia#49866: both widths, decided by totbytes.
  EXPECT_EQ(R("1.11.0-beta1").dependency_entry_forms.size(), 2u);
  EXPECT_EQ(R("1.11.0").dependency_entry_forms,
            std::vector<DependencyEntryForm>{DependencyEntryForm::kSizeHashMtime});
}

TEST(JuliaRules, FormatsAreTiedToTheLinesThatWroteThem) {
  EXPECT_TRUE(R("1.9.4").ForFormat(12).ok());
  EXPECT_TRUE(R("1.14.0-DEV").ForFormat(12).ok());
  EXPECT_FALSE(R("1.13.0").ForFormat(13).ok());
  EXPECT_FALSE(R("1.12.2").ForFormat(15).ok());
  EXPECT_FALSE(R("1.14.0-DEV").ForFormat(14).ok());
  auto f12 = *R("1.14.0-DEV").ForFormat(12);
  EXPECT_EQ(f12.preference_forms.size(), 2u);
  EXPECT_TRUE(f12.sysimage_build_ids_tagged);
  auto f13 = *R("1.14.0-DEV").ForFormat(13);
  EXPECT_EQ(f13.dependency_entry_forms,
            std::vector<DependencyEntryForm>{DependencyEntryForm::kSizeHashMtime});
  EXPECT_EQ(f13.preference_forms.size(), 2u);
  EXPECT_TRUE(f13.sysimage_build_ids_tagged);
  auto f15 = *R("1.14.0-DEV").ForFormat(15);
  EXPECT_EQ(f15.preference_forms, std::vector<PreferencesForm>{PreferencesForm::kBlob});
  EXPECT_FALSE(f15.sysimage_build_ids_tagged);
  EXPECT_EQ(R("1.10.4").ForFormat(12)->dependency_entry_forms,
            std::vector<DependencyEntryForm>{DependencyEntryForm::kMtimeOnly});
}

TEST(JuliaRules, CompiledDirIsPerLine) {
  EXPECT_EQ(CompiledDir(*JuliaVersion::Parse("1.11.7")), "compiled/v1.11");
  EXPECT_EQ(CompiledDir(*JuliaVersion::Parse("1.14.0-DEV")), "compiled/v1.14");
}

}  // namespace
}  // namespace jlcache
