// `jlcache locate` / `jlcache env` / `jlcache probe` end to end: the CLI
// binary on real-shaped depots. Two stacked depots, a path dependency, a
// registry-style git-tree-sha1 package, a stdlib and an extension.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "core/subprocess.h"
#include "support/cache_writer.h"
#include "support/depot_builder.h"
#include "support/json_value.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::DepotBuilder;
using test_support::ManifestBuilder;
using test_support::PackageSpec;
using test_support::Pkg;
using test_support::ProjectSpec;
using test_support::TempDir;
using test_support::U;

const char* kExampleTree = "46e44e869b4d90b96bd8ed1fdcf32244fddfb6cc";

struct CliRun {
  int code = -1;
  std::string out, err;
};

class EnvCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::chmod(tmp.path().c_str(), 0755);
    b = std::make_unique<DepotBuilder>(tmp.path(), "1.11.7");
    user = b->AddDepot("user-depot");
    shared = b->AddDepot("shared-depot");
    example = Pkg("Example", "7876af07-990d-54b4-ab0e-23690620f79a");
    dev = Pkg("Dev", "3b5c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e");
    dates = Pkg("Dates", "ade2ca70-3891-5945-98fb-dc099432e06a");
    parent = Pkg("Parent", "66666666-6666-4666-8666-666666666666");
    parent.weakdeps = {{"Example", example.uuid}};
    parent.extensions = {{"ParentExt", {"Example"}}};
    parent_tree = DepotBuilder::FakeTreeSha1("parent");
    b->InstallRegistryPackage(shared, example, kExampleTree);   // only in the second depot
    b->InstallRegistryPackage(user, parent, parent_tree);
    b->WritePackage(tmp.Join("dev/Dev"), dev);
    b->AddStdlib(dates);
    ProjectSpec ps;
    ps.deps = {{"Example", example.uuid}, {"Dev", dev.uuid}, {"Dates", dates.uuid}, {"Parent", parent.uuid}};
    ManifestBuilder m(2, "1.11.7");
    m.Tree(example, kExampleTree);
    m.Path(dev, "../../dev/Dev");
    m.Stdlib(dates);
    m.Tree(parent, parent_tree);
    proj = b->AddProject("work/app", ps, m);
    runtime = tmp.Join("runtime.toml");
    test_support::WriteFileOrDie(runtime, b->Profile().ToToml());
    env = {"HOME=" + tmp.Join("home"), "PATH=/usr/bin:/bin", "JULIA_DEPOT_PATH=" + user + ":" + shared};
  }

  CliRun Cli(std::vector<std::string> args, std::vector<std::string> extra_env = {},
          std::vector<std::string> prefix = {}) {
    SubprocessOptions o;
    o.argv = prefix;
    o.argv.push_back(JLCACHE_CLI_PATH);
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    // extra_env entries replace same-named ones.
    for (const auto& e : env) {
      std::string name = e.substr(0, e.find('='));
      bool replaced = false;
      for (const auto& x : extra_env) replaced |= x.substr(0, x.find('=')) == name;
      if (!replaced) o.env.push_back(e);
    }
    o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
    o.cwd = tmp.path();
    o.timeout_seconds = 60;
    CliRun r;
    o.on_stdout_line = [&](std::string_view l) { r.out += std::string(l) + "\n"; };
    o.on_stderr_line = [&](std::string_view l) { r.err += std::string(l) + "\n"; };
    auto res = RunSubprocess(o);
    EXPECT_TRUE(res.ok()) << res.status();
    if (res.ok() && res->exited) r.code = res->exit_code;
    return r;
  }

  test_support::JsonValue Json(const CliRun& r) {
    std::string error;
    auto v = test_support::ParseJson(r.out, &error);
    EXPECT_TRUE(v.has_value()) << error << "\n" << r.out << r.err;
    return v ? *v : test_support::JsonValue{};
  }

  std::string WriteCache(const std::string& depot, const std::string& name, const Uuid& uuid,
                         const std::string& file, int64_t mtime, std::vector<PkgId> requires_ = {}) {
    test_support::PackageCacheSpec spec;
    spec.layout = HeaderLayout::kB;
    spec.julia_version = "1.11.7";
    spec.name = name;
    spec.uuid = uuid;
    spec.requires_ = std::move(requires_);
    std::string path = b->WriteCacheFile(depot, name, file, test_support::MakePackageCache(spec).bytes);
    test_support::SetMtimeOrDie(path, mtime, 0);
    return path;
  }

  TempDir tmp;
  std::unique_ptr<DepotBuilder> b;
  std::string user, shared, proj, runtime, parent_tree;
  PackageSpec example, dev, dates, parent;
  std::vector<std::string> env;
};

TEST_F(EnvCliTest, LocateRegistryPackageInTheSecondDepotWithCandidatesFromBoth) {
  const std::string slug = PackageSlug(example.uuid);
  std::string older = WriteCache(shared, "Example", example.uuid, slug + "_aaaaa.ji", 1000);
  std::string newer = WriteCache(user, "Example", example.uuid, slug + "_bbbbb.ji", 2000);
  CliRun r = Cli({"locate", "Example", "--runtime", runtime, "--project=" + proj, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = Json(r);
  EXPECT_EQ(j["name"].str(), "Example");
  EXPECT_EQ(j["uuid"].str(), example.uuid.ToString());
  EXPECT_EQ(j["entry_file"].str(), shared + "/packages/Example/aqsx3/src/Example.jl");
  EXPECT_EQ(j["package_dir"].str(), shared + "/packages/Example/aqsx3");
  ASSERT_EQ(j["candidates"].size(), 2u);
  EXPECT_EQ(j["candidates"][0].str(), newer);  // both pkgimages: newest first
  EXPECT_EQ(j["candidates"][1].str(), older);
  // New caches go to the first depot, named by compilecache_path's CRC chain.
  const std::string& n = j["new_cache_file"].str();
  EXPECT_EQ(n.rfind(user + "/compiled/v1.11/Example/" + slug + "_", 0), 0u) << n;
  EXPECT_EQ(n.size(), (user + "/compiled/v1.11/Example/" + slug + "_xxxxx.ji").size());
}

TEST_F(EnvCliTest, LocatePathDependencyStdlibAndExtension) {
  const Uuid ext_uuid = U("77777777-7777-5777-8777-777777777777");
  WriteCache(user, "ParentExt", ext_uuid, PackageSlug(ext_uuid) + "_ccccc.ji", 1500,
             {PkgId{parent.uuid, "Parent"}, PkgId{example.uuid, "Example"}});
  CliRun r = Cli({"locate", "Dev", "Dates", "ParentExt", "--runtime", runtime, "--project=" + proj, "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  auto j = Json(r);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["entry_file"].str(), tmp.Join("dev/Dev/src/Dev.jl"));
  EXPECT_EQ(j[0]["package_dir"].str(), tmp.Join("dev/Dev"));
  EXPECT_EQ(j[0]["candidates"].size(), 0u);
  EXPECT_EQ(j[1]["entry_file"].str(), b->stdlib_dir() + "/Dates/src/Dates.jl");
  EXPECT_EQ(j[1]["uuid"].str(), dates.uuid.ToString());
  std::string parent_dir = user + "/packages/Parent/" + std::string(VersionSlug(parent.uuid, *ParseHexBytes(parent_tree), 5));
  EXPECT_EQ(j[2]["name"].str(), "ParentExt");
  EXPECT_EQ(j[2]["uuid"].str(), ext_uuid.ToString());
  EXPECT_EQ(j[2]["entry_file"].str(), parent_dir + "/ext/ParentExt.jl");
  EXPECT_EQ(j[2]["extension_of"]["name"].str(), "Parent");
  ASSERT_EQ(j[2]["candidates"].size(), 1u);
  EXPECT_FALSE(j[2]["new_cache_file"].is_null());
}

TEST_F(EnvCliTest, ExtensionWithoutCacheHasUnknownUuid) {
  CliRun r = Cli({"locate", "ParentExt", "--runtime", runtime, "--project=" + proj, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = Json(r);
  EXPECT_TRUE(j["uuid"].is_null());
  EXPECT_TRUE(j["new_cache_file"].is_null());
  EXPECT_NE(j["entry_file"].str().find("/ext/ParentExt.jl"), std::string::npos);
}

TEST_F(EnvCliTest, ExitCodes) {
  CliRun missing = Cli({"locate", "Nope", "--runtime", runtime, "--project=" + proj});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("Nope"), std::string::npos);
  CliRun json = Cli({"locate", "Nope", "--runtime", runtime, "--project=" + proj, "--json"});
  EXPECT_EQ(json.code, 1);
  EXPECT_EQ(Json(json)["error_kind"].str(), "package_not_found");
  // Declared but not installed: still "not found" (1), with the reason.
  test_support::RemoveTreeOrDie(shared + "/packages");
  CliRun gone = Cli({"locate", "Example", "--runtime", runtime, "--project=" + proj});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("installed in no depot"), std::string::npos) << gone.err;
  CliRun bad_runtime = Cli({"locate", "Example", "--runtime", tmp.Join("nope.toml")});
  EXPECT_EQ(bad_runtime.code, 2);
  CliRun bad_flag = Cli({"locate", "Example", "--frobnicate"});
  EXPECT_EQ(bad_flag.code, 2);
  // No --runtime, no JLCACHE_RUNTIME, no julia on PATH: exit 2 saying how.
  CliRun none = Cli({"locate", "Example", "--project=" + proj});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("--runtime FILE"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("JLCACHE_RUNTIME"), std::string::npos);
  // JLCACHE_RUNTIME names the profile.
  CliRun via_env = Cli({"locate", "Dev", "--project=" + proj}, {"JLCACHE_RUNTIME=" + runtime});
  EXPECT_EQ(via_env.code, 0) << via_env.err;
}

TEST_F(EnvCliTest, EnvShowsDepotsLoadPathAndActiveProject) {
  CliRun r = Cli({"env", "--runtime", runtime, "--project=" + proj, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = Json(r);
  ASSERT_EQ(j["depots"].size(), 2u);
  EXPECT_EQ(j["depots"][0].str(), user);
  EXPECT_EQ(j["active_project"].str(), proj + "/Project.toml");
  ASSERT_GE(j["load_path"].size(), 2u);
  EXPECT_EQ(j["load_path"][0]["entry"].str(), "@");
  EXPECT_EQ(j["load_path"][0]["kind"].str(), "explicit");
  EXPECT_EQ(j["load_path"][0]["manifest"].str(), proj + "/Manifest.toml");
  CliRun human = Cli({"env", "--runtime", runtime, "--project=" + proj});
  ASSERT_EQ(human.code, 0);
  EXPECT_NE(human.out.find("active project: " + proj + "/Project.toml"), std::string::npos) << human.out;
  // Bare --project is "@.": nothing above the working directory here, so the
  // load path decides (the upward search itself is tested in env_paths_test).
  CliRun bare = Cli({"env", "--runtime", runtime, "--json", "--project"});
  ASSERT_EQ(bare.code, 0);
  EXPECT_TRUE(Json(bare)["active_project"].str().find("/environments/v1.11/Project.toml") != std::string::npos);
}

TEST_F(EnvCliTest, ProbeWritesAProfileAndCachesIt) {
  std::string julia = tmp.Join("julia-probe/bin/julia");
  test_support::WriteFileOrDie(julia, test_support::ReadFileOrDie(std::string(JLCACHE_SOURCE_DIR) + "/tests/support/fake_julia"));
  ASSERT_EQ(::chmod(julia.c_str(), 0755), 0);
  std::string out = tmp.Join("probed.toml");
  CliRun r = Cli({"probe", "--julia", julia, "-o", out});
  ASSERT_EQ(r.code, 0) << r.err;
  auto p = RuntimeProfile::FromFile(out);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->julia_bin, julia);
  CliRun again = Cli({"probe", "--julia", julia});
  ASSERT_EQ(again.code, 0);
  EXPECT_NE(again.err.find("from the probe cache"), std::string::npos) << again.err;
  EXPECT_NE(again.out.find("julia_version = \"1.11.7\""), std::string::npos);
  // Without --runtime, `julia` on PATH is probed (here: from its cache).
  CliRun located = Cli({"locate", "Dev", "--project=" + proj, "--json"},
                    {"PATH=" + tmp.Join("julia-probe/bin") + ":/usr/bin:/bin"});
  EXPECT_EQ(located.code, 0) << located.err;
  // --no-write on a fresh depot leaves no probe cache behind.
  CliRun nowrite = Cli({"probe", "--julia", julia, "--no-write"}, {"JULIA_DEPOT_PATH=" + tmp.Join("ro-depot")});
  EXPECT_EQ(nowrite.code, 0) << nowrite.err;
  EXPECT_FALSE(PathExists(tmp.Join("ro-depot")));
}

TEST_F(EnvCliTest, UnreadableDepotAsNobodyIsAnErrorNotNotFound) {
  for (const char* rel : {"user-depot", "shared-depot", "work", "work/app", "julia", "julia/bin", "julia/share",
                          "julia/share/julia", "julia/share/julia/stdlib", "julia/share/julia/stdlib/v1.11",
                          "home", "dev", "dev/Dev"})
    ::chmod(tmp.Join(rel).c_str(), 0755);
  ::chmod(runtime.c_str(), 0644);
  // setpriv drops to nobody when we are root (CI); as a user the bits apply anyway.
  std::vector<std::string> prefix;
  if (::geteuid() == 0) prefix = {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"};
  ASSERT_TRUE(prefix.empty() || IsFile(prefix[0])) << "setpriv is needed to run permission tests as root";
  CliRun ok = Cli({"locate", "Dev", "--runtime", runtime, "--project=" + proj, "--no-write"}, {}, prefix);
  EXPECT_EQ(ok.code, 0) << ok.err;
  ::chmod((shared + "/packages").c_str(), 0000);
  CliRun denied = Cli({"locate", "Example", "--runtime", runtime, "--project=" + proj}, {}, prefix);
  ::chmod((shared + "/packages").c_str(), 0755);
  EXPECT_EQ(denied.code, 2) << denied.err;
  EXPECT_NE(denied.err.find("Permission denied"), std::string::npos) << denied.err;
}

}  // namespace
}  // namespace jlcache
