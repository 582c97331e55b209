// The requires check (10) and the preferences check (14) where they are
// subtle: each test pins one behaviour to Julia's source (file and commit
// named in the test) where jlcache once answered differently.
#include <string>
#include <vector>

#include "core/file_io.h"
#include "core/toml.h"
#include "gtest/gtest.h"
#include "stale/preferences_check.h"
#include "stale/session.h"
#include "support/cache_writer.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::CompileOptions;
using test_support::Scenario;

using test_support::Describe;

// base/pkgid.jl (1.10.4 48d4fd48, 1.13.0-rc1 aa05952e): PkgId(UUID(0), name)
// stores `nothing`, so binunpack of a requires record without a UUID yields
// PkgId(nothing, name), which identify_package returns for a package of an
// implicit environment that has no Project.toml.
TEST(RequiresCheck, UuidLessImportOfAnImplicitEnvironmentStillResolves) {
  Scenario s(HeaderLayout::kB, /*pkgimages=*/false);
  const std::string pkgs = s.dir().Join("devpkgs");
  const std::string bar_src = JoinPath(pkgs, "Bar/src/Bar.jl");
  const std::string foo_src = JoinPath(pkgs, "Foo/src/Foo.jl");
  const std::string bar_text = "module Bar\nend\n";
  const std::string foo_text = "module Foo\nusing Bar\nend\n";
  test_support::WriteFileOrDie(bar_src, bar_text);
  test_support::WriteFileOrDie(foo_src, foo_text);

  auto spec_for = [&](const std::string& name, const std::string& src, const std::string& text,
                      uint64_t build) {
    test_support::PackageCacheSpec spec;
    spec.layout = HeaderLayout::kB;
    spec.julia_version = s.julia_version();
    spec.name = name;
    spec.pkgimage = false;
    spec.flags = 0xa2;
    spec.build_id_lo = build;
    spec.files = {test_support::EntryFile(src, text)};
    return spec;
  };
  const std::string compiled = JoinPath(s.depot(), "compiled/v" + s.MajorMinor());
  test_support::WrittenCache bar = test_support::MakePackageCache(spec_for("Bar", bar_src, bar_text, 0xb1));
  test_support::WriteFileOrDie(JoinPath(compiled, "Bar.ji"), bar.bytes);
  test_support::PackageCacheSpec foo_spec = spec_for("Foo", foo_src, foo_text, 0xf1);
  foo_spec.requires_ = {PkgId{std::nullopt, "Bar"}};
  foo_spec.required_modules = test_support::DefaultSysimageModules();
  foo_spec.required_modules.push_back(test_support::RequiredModuleFor(bar.header));
  test_support::WriteFileOrDie(JoinPath(compiled, "Foo.ji"), test_support::MakePackageCache(foo_spec).bytes);

  SessionOptions o;
  o.env = {{"JULIA_DEPOT_PATH", s.depot()}, {"JULIA_LOAD_PATH", pkgs}, {"HOME", s.dir().Join("home")}};
  o.env_given = true;
  o.cwd = s.dir().path();
  o.memo_path = s.dir().Join("hashmemo.bin");
  auto session = Session::Open(s.Profile(), o);
  ASSERT_TRUE(session.ok()) << session.status();
  auto v = (*session)->IsStale("Foo");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kFresh) << Describe(*v);
}

// base/loading.jl _parse_cache_header (1.10.4 48d4fd48 through 1.13.0-rc1
// aa05952e): a requires record with n1 == 0 has importer PkgId(""), and
// identify_package(PkgId(""), name) is the top-level identify_package(name).
TEST(RequiresCheck, ImportRecordedFromMainResolvesAtTopLevel) {
  Scenario s(HeaderLayout::kB);
  s.AddPackage("Bar");
  s.AddPackage("Foo", {"Bar"});
  s.WriteEnvironment();
  s.Compile("Bar");
  const test_support::CompiledCache& foo = s.Compile("Foo");
  ASSERT_EQ(foo.header.requires_.size(), 1u);
  CacheHeader h = foo.header;
  h.requires_[0].module_index = 0;  // `Base.require(Main, :Bar)` while precompiling
  h.requires_[0].submodule_path.clear();
  test_support::WriteFileOrDie(foo.ji_path, test_support::WriteCacheFile(h).bytes);

  auto session = s.OpenSession();
  auto v = session->IsStale("Foo");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kFresh) << Describe(*v);

  // Top-level resolution really is consulted: a project without Bar is stale.
  s.WriteEnvironment({"Foo"});
  session = s.OpenSession();
  v = session->IsStale("Foo");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kStale) << Describe(*v);
}

// base/toml/parser.jl (1.13.0-rc1 aa05952e): decimal integers parse as
// Int64, hex/octal/binary ones as UInt64; toml_egal (base/loading.jl) is ===
// on scalars, so 0xff and 255 differ while 0xff and 0o377 do not.
TEST(PreferencesCheck, TomlEgalTellsUnsignedFromSignedIntegers) {
  toml::table t = toml::parse("dec = 255\nhex = 0xff\noct = 0o377\nbin = 0b11111111\nhex2 = 0xff\n");
  EXPECT_FALSE(TomlEgal(*t.get("dec"), *t.get("hex")));
  EXPECT_FALSE(TomlEgal(*t.get("hex"), *t.get("dec")));
  EXPECT_TRUE(TomlEgal(*t.get("hex"), *t.get("hex2")));
  EXPECT_TRUE(TomlEgal(*t.get("hex"), *t.get("oct")));
  EXPECT_TRUE(TomlEgal(*t.get("oct"), *t.get("bin")));
  toml::table a = toml::parse("x = [1, 0x2]\n");
  toml::table b = toml::parse("x = [1, 2]\n");
  EXPECT_FALSE(TomlEgal(*a.get("x"), *b.get("x")));
}

// stale_prefs (base/loading.jl, 1.13.0-rc1 aa05952e): a preference rewritten
// from 0xff to 255 is a different value for Julia, so the cache is stale.
TEST(PreferencesCheck, BlobHexValueRewrittenAsDecimalIsStale) {
  Scenario s(HeaderLayout::kBPrime, true, "1.13.0-rc1");
  s.AddPackage("Foo");
  s.WriteEnvironment();
  CompileOptions o;
  const std::string uuid = s.UuidOf("Foo").ToString();
  o.preferences_blob = "[" + uuid + "]\nmask = 0xff\n\n[" + uuid + ".sub]\nbits = [0x1, 2]\n";
  s.Compile("Foo", o);
  auto verdict = [&](const std::string& prefs) {
    s.WritePreferences(prefs);
    auto v = s.OpenSession()->IsStale("Foo");
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : Verdict{};
  };
  Verdict v = verdict("[Foo]\nmask = 0xff\n[Foo.sub]\nbits = [0x1, 2]\n");
  EXPECT_EQ(v.kind, VerdictKind::kFresh) << Describe(v);
  v = verdict("[Foo]\nmask = 255\n[Foo.sub]\nbits = [0x1, 2]\n");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
  v = verdict("[Foo]\nmask = 0xff\n[Foo.sub]\nbits = [1, 2]\n");
  EXPECT_EQ(v.kind, VerdictKind::kStale) << Describe(v);
}

// Two candidates of Foo consult Foo's preferences in one query, so the second
// gets the query's remembered table. It must still tell 0xff from 255: a
// toml++ table copy drops integer format flags, which once made this fresh.
TEST(PreferencesCheck, RememberedPreferencesKeepIntegerFormat) {
  Scenario s(HeaderLayout::kBPrime, true, "1.13.0-rc1");
  s.AddPackage("Foo");
  s.WriteEnvironment();
  const std::string uuid = s.UuidOf("Foo").ToString();
  CompileOptions older;
  older.preferences_blob = "[" + uuid + "]\nmask = 255\n";
  older.cache_mtime = 1.7e9;
  s.Compile("Foo", older);
  CompileOptions newer;
  newer.preferences_blob = "[" + uuid + "]\nmask = 1\n";
  newer.cache_mtime = 1.7e9 + 100;
  s.Compile("Foo", newer);
  s.WritePreferences("[Foo]\nmask = 0xff\n");
  auto v = s.OpenSession()->IsStale("Foo");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->kind, VerdictKind::kStale) << Describe(*v);
  int preference_reasons = 0;
  for (const auto& r : v->reasons) preference_reasons += r.code == ReasonCode::kPreferencesChanged;
  EXPECT_EQ(preference_reasons, 2) << Describe(*v);
}

}  // namespace
}  // namespace jlcache
