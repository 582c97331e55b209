#include <algorithm>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "env/runtime_profile.h"
#include "env/toml_cache.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::TempDir;

// The example of the issue, verbatim.
const char* kExample = R"(julia_version = "1.11.7"
git_branch = "release-1.11"
git_commit = "4d2dcd0d60cb7868f9c38135e61a0f9c459f623e"
os = "Linux"
arch = "x86_64"
pointer_size = 8
julia_bin = "/opt/julia-1.11.7/bin/julia"
image_file = "/opt/julia-1.11.7/lib/julia/sys.so"
cpu_target = "native"
stdlib_dir = "/opt/julia-1.11.7/share/julia/stdlib/v1.11"
pkgimages = "yes"
cache_flags = 0xa3
accepted_clone_targets = ["0x9ae16a3b2f90404f"]   # XXH64, seed 0, of each accepted blob
depot_path = ["/home/u/.julia", "/opt/julia-1.11.7/local/share/julia", "/opt/julia-1.11.7/share/julia"]
load_path = ["@", "@v#.#", "@stdlib"]
active_project = "/home/u/work/Project.toml"

[[sysimage_modules]]
name = "Core"
build_id = "0xfdfcfbfa5f3e2a1b00000000000000a1"

[[sysimage_modules]]
name = "Base"
build_id = "0xfdfcfbfa5f3e2a1b00000000000000a2"

[[sysimage_modules]]
name = "Main"
build_id = "0xfdfcfbfa5f3e2a1b00000000000000a3"

[[sysimage_modules]]
name = "Dates"
uuid = "ade2ca70-3891-5945-98fb-dc099432e06a"
build_id = "0xfdfcfbfa5f3e2a1b00000000000000b7"
)";

TEST(RuntimeProfileTest, ParsesEveryKeyOfTheExample) {
  auto p = RuntimeProfile::FromTomlString(kExample, "example.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->julia_version_text, "1.11.7");
  EXPECT_EQ(p->git_branch, "release-1.11");
  EXPECT_EQ(p->pointer_size, 8);
  EXPECT_EQ(p->cache_flags, 0xa3);
  EXPECT_EQ(p->pkgimages, PkgImagesMode::kYes);
  EXPECT_EQ(p->gc_abi, "stock");
  ASSERT_EQ(p->accepted_clone_targets.size(), 1u);
  EXPECT_TRUE(p->AcceptsCloneTargets(0x9ae16a3b2f90404fULL));
  ASSERT_TRUE(p->depot_path.has_value());
  EXPECT_EQ(p->depot_path->size(), 3u);
  EXPECT_EQ(p->active_project, "/home/u/work/Project.toml");
  ASSERT_EQ(p->sysimage_modules.size(), 4u);
  EXPECT_EQ(p->sysimage_modules[3].build_id.hi, 0xfdfcfbfa5f3e2a1bULL);
  EXPECT_EQ(p->sysimage_modules[3].build_id.lo, 0xb7u);
  EXPECT_EQ(p->sysimage_modules[0].uuid, std::nullopt);
  EXPECT_EQ(p->rules.depot_empty_rule, DepotEmptyEntryRule::kV1112);
  EXPECT_EQ(p->BinDir(), "/opt/julia-1.11.7/bin");
  EXPECT_EQ(p->EffectivePreferencesNameForm(), PreferencesNameForm::kHash);
}

TEST(RuntimeProfileTest, RoundTripsThroughToToml) {
  auto p = RuntimeProfile::FromTomlString(kExample, "example.toml");
  ASSERT_TRUE(p.ok());
  p->preference_hashes.push_back(
      PreferenceHashRecord{*Uuid::Parse("ade2ca70-3891-5945-98fb-dc099432e06a"), {"a", "b\"q"},
                           0xfedcba9876543210ULL, 0x8000000000000001ULL});
  auto q = RuntimeProfile::FromTomlString(p->ToToml(), "again.toml");
  ASSERT_TRUE(q.ok()) << q.status() << "\n" << p->ToToml();
  EXPECT_EQ(q->ToToml(), p->ToToml());
  ASSERT_EQ(q->preference_hashes.size(), 1u);
  EXPECT_EQ(q->preference_hashes[0].hash, 0x8000000000000001ULL);
  EXPECT_EQ(q->preference_hashes[0].names[1], "b\"q");
  // The installation-only form leaves the environment keys out.
  auto inst = RuntimeProfile::FromTomlString(p->ToToml(true), "inst.toml");
  ASSERT_TRUE(inst.ok());
  EXPECT_FALSE(inst->depot_path.has_value());
  EXPECT_FALSE(inst->active_project.has_value());
}

TEST(RuntimeProfileTest, RealFactsOfJulia1104) {
  // The fixture uses cache_flags_default; with the profile's spelling it loads.
  auto text = ReadFile(std::string(JLCACHE_SOURCE_DIR) + "/tests/fixtures/julia-1.10.4/runtime-facts.toml");
  ASSERT_TRUE(text.ok()) << text.status();
  auto bad = RuntimeProfile::FromTomlString(*text, "runtime-facts.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(Message(bad.status()).find("cache_flags"), std::string_view::npos);
  std::string fixed = *text;
  fixed.replace(fixed.find("cache_flags_default"), 19, "cache_flags");
  fixed = "julia_bin = \"/opt/julia-1.10.4/bin/julia\"\nimage_file = \"/opt/julia-1.10.4/lib/julia/sys.so\"\n"
          "stdlib_dir = \"/opt/julia-1.10.4/share/julia/stdlib/v1.10\"\npkgimages = \"no\"\n" + fixed;
  auto p = RuntimeProfile::FromTomlString(fixed, "runtime-facts.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->sysimage_modules.size(), 40u);
  EXPECT_EQ(p->cache_flags, 0xa2);
  for (const auto& m : p->sysimage_modules) EXPECT_EQ(m.build_id.hi >> 32, 0xfdfcfbfaU) << m.name;
  EXPECT_EQ(p->rules.depot_empty_rule, DepotEmptyEntryRule::kV110);
}

TEST(RuntimeProfileTest, ErrorsNameTheFileLineAndColumn) {
  auto syntax = RuntimeProfile::FromTomlString("julia_version = \"1.11.7\"\nos = \n", "rt.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(KindOf(syntax.status()), ErrorKind::kToml);
  EXPECT_EQ(Message(syntax.status()).substr(0, 9), "rt.toml:2");

  std::string wrong_type = kExample;
  wrong_type.replace(wrong_type.find("pointer_size = 8"), 16, "pointer_size = \"8\"");
  auto t = RuntimeProfile::FromTomlString(wrong_type, "rt.toml");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(KindOf(t.status()), ErrorKind::kRuntime);
  EXPECT_NE(Message(t.status()).find("rt.toml:6:"), std::string_view::npos) << t.status();

  std::string missing = kExample;
  missing.erase(missing.find("os = \"Linux\"\n"), 13);
  auto m = RuntimeProfile::FromTomlString(missing, "rt.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(KindOf(m.status()), ErrorKind::kRuntime);
  EXPECT_NE(Message(m.status()).find("os"), std::string_view::npos);

  std::string bad_id = kExample;
  bad_id.replace(bad_id.find("0xfdfcfbfa5f3e2a1b00000000000000b7"), 34, "0xnothex");
  EXPECT_EQ(KindOf(RuntimeProfile::FromTomlString(bad_id, "rt.toml").status()), ErrorKind::kRuntime);

  std::string int_id = kExample;
  int_id.replace(int_id.find("\"0xfdfcfbfa5f3e2a1b00000000000000b7\""), 36, "12");
  EXPECT_EQ(KindOf(RuntimeProfile::FromTomlString(int_id, "rt.toml").status()), ErrorKind::kRuntime);

  std::string bad_flags = kExample;
  bad_flags.replace(bad_flags.find("cache_flags = 0xa3"), 18, "cache_flags = 300");
  EXPECT_EQ(KindOf(RuntimeProfile::FromTomlString(bad_flags, "rt.toml").status()), ErrorKind::kRuntime);

  std::string old = kExample;
  old.replace(old.find("julia_version = \"1.11.7\""), 24, "julia_version = \"1.6.7\"");
  EXPECT_EQ(KindOf(RuntimeProfile::FromTomlString(old, "rt.toml").status()), ErrorKind::kRuntime);

  EXPECT_EQ(KindOf(RuntimeProfile::FromFile("/nonexistent/rt.toml").status()), ErrorKind::kNotFound);
}

// TOML allows "\u0000"; a path or name cut at the NUL would silently name
// another file, so the profile is rejected with file:line:col (issue 13).
TEST(RuntimeProfileTest, NulByteInAStringIsRejectedWithItsPosition) {
  std::string nul_path = kExample;
  const size_t at = nul_path.find("stdlib_dir = \"");
  ASSERT_NE(at, std::string::npos);
  nul_path.insert(at + 14, "\\u0000");
  size_t line = 1 + static_cast<size_t>(std::count(nul_path.begin(), nul_path.begin() + at, '\n'));
  auto p = RuntimeProfile::FromTomlString(nul_path, "rt.toml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(KindOf(p.status()), ErrorKind::kRuntime);
  EXPECT_EQ(Message(p.status()).rfind("rt.toml:" + std::to_string(line) + ":", 0), 0u) << p.status();
  EXPECT_NE(Message(p.status()).find(": key 'stdlib_dir'"), std::string_view::npos) << p.status();
  EXPECT_NE(Message(p.status()).find("NUL"), std::string_view::npos);

  std::string nul_in_list = kExample;
  nul_in_list.replace(nul_in_list.find("/home/u/.julia"), 14, "/home/u/.jul\\u0000ia");
  auto q = RuntimeProfile::FromTomlString(nul_in_list, "rt.toml");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(Message(q.status()).find("key 'depot_path': the string holds a NUL byte"),
            std::string_view::npos)
      << q.status();
}

TEST(RuntimeProfileTest, SettersCheckFormsAndValidateChecksCompleteness) {
  RuntimeProfile p;
  EXPECT_EQ(KindOf(p.SetString("nope", "x")), ErrorKind::kInvalidArgument);
  EXPECT_EQ(KindOf(p.SetString("pkgimages", "maybe")), ErrorKind::kRuntime);
  EXPECT_EQ(KindOf(p.SetInt("pointer_size", 6)), ErrorKind::kRuntime);
  EXPECT_EQ(KindOf(p.AddString("accepted_clone_targets", "zz")), ErrorKind::kRuntime);
  EXPECT_EQ(KindOf(p.Validate()), ErrorKind::kRuntime);
  for (auto [k, v] : std::vector<std::pair<const char*, const char*>>{
           {"julia_version", "1.12.2"}, {"git_branch", ""}, {"git_commit", ""}, {"os", "Linux"},
           {"arch", "x86_64"}, {"julia_bin", "/j/bin/julia"}, {"image_file", "/j/sys.so"},
           {"cpu_target", "native"}, {"stdlib_dir", "/j/stdlib"}, {"pkgimages", "existing"}})
    ASSERT_TRUE(p.SetString(k, v).ok()) << k;
  ASSERT_TRUE(p.SetInt("pointer_size", 8).ok());
  ASSERT_TRUE(p.SetInt("cache_flags", 0xa3).ok());
  EXPECT_EQ(KindOf(p.Validate()), ErrorKind::kRuntime);  // no sysimage modules
  for (const char* n : {"Core", "Base", "Main"})
    ASSERT_TRUE(p.AddSysimageModule(n, std::nullopt, BuildId{0xfdfcfbfa00000001ULL, 1}).ok());
  // --pkgimages=existing stores bit 0 as 0: 0xa3 contradicts it.
  EXPECT_EQ(KindOf(p.Validate()), ErrorKind::kRuntime);
  ASSERT_TRUE(p.SetInt("cache_flags", 0xa2).ok());
  ASSERT_TRUE(p.Validate().ok());
  EXPECT_TRUE(p.validated());
  EXPECT_TRUE(p.rules.workspaces);
  ASSERT_TRUE(p.SetString("os", "Linux").ok());
  EXPECT_FALSE(p.validated());  // a setter invalidates
}

TEST(TomlCacheTest, MemoizesByStatAndReparsesOnChange) {
  TempDir tmp;
  std::string f = tmp.Join("a.toml");
  test_support::WriteFileOrDie(f, "x = 1\n");
  TomlCache cache;
  auto a = cache.Get(f);
  ASSERT_TRUE(a.ok());
  auto b = cache.Get(f);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(cache.parses(), 1u);
  EXPECT_EQ(cache.hits(), 1u);
  test_support::WriteFileOrDie(f, "x = 22\n");  // size changes
  auto c = cache.Get(f);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->table["x"].value<int64_t>(), 22);
  EXPECT_EQ(cache.parses(), 2u);
  // Same size, new mtime.
  test_support::WriteFileOrDie(f, "x = 33\n");
  test_support::SetMtimeOrDie(f, 12345, 678);
  auto d = cache.Get(f);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)->table["x"].value<int64_t>(), 33);
}

TEST(TomlCacheTest, ErrorsByKind) {
  TempDir tmp;
  TomlCache cache;
  std::string f = tmp.Join("bad.toml");
  test_support::WriteFileOrDie(f, "a = 1\n[b\nc = 2\n");
  auto bad = cache.Get(f);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(KindOf(bad.status()), ErrorKind::kToml);
  EXPECT_EQ(Message(bad.status()).substr(0, f.size() + 3), f + ":2:");
  EXPECT_EQ(KindOf(cache.Get(tmp.Join("missing.toml")).status()), ErrorKind::kNotFound);
  EXPECT_FALSE(cache.Get(tmp.path()).ok());
}

}  // namespace
}  // namespace jlcache
