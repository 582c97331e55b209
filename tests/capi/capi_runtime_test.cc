// jlcache_runtime_* through the shared library's C ABI.
#include <gtest/gtest.h>

#include <string>

#include "jlcache.h"
#include "support/temp_dir.h"

namespace {

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

// What lib/env/probe_script.jl prints for facts only (scan_depots = false).
std::string ProbeOutput(bool complete) {
  std::string o = "some other output\nJLCACHE protocol 1\n";
  const char* kv[][2] = {{"version", "1.11.7"}, {"git_branch", "release-1.11"}, {"git_commit", "abc"},
                         {"os", "Linux"}, {"arch", "x86_64"}, {"julia_bin", "/j/bin/julia"},
                         {"image_file", "/j/lib/julia/sys.so"}, {"cpu_target", "native"},
                         {"stdlib_dir", "/j/share/julia/stdlib/v1.11"}, {"bindir", "/j/bin"}};
  for (auto& p : kv) o += std::string("JLCACHE ") + p[0] + " " + Hex(p[1]) + "\n";
  o += "JLCACHE pointer_size 8\nJLCACHE pkgimages 1\nJLCACHE cache_flags 163\n";
  o += "JLCACHE preferences_name_form hash\n";
  for (const char* m : {"Core", "Base", "Main"})
    o += std::string("JLCACHE sysimage ") + Hex(m) + " - 0xfdfcfbfa000000010000000000000007\n";
  o += "JLCACHE depot " + Hex("/d1") + "\n";
  if (complete) o += "JLCACHE done\n";
  return o;
}

TEST(CapiRuntimeTest, ProbeScriptIsTheLibrarysOwn) {
  const char* script = jlcache_probe_script();
  ASSERT_NE(script, nullptr);
  EXPECT_EQ(script, jlcache_probe_script()) << "static storage: the same pointer every time";
  const std::string file = std::string(JLCACHE_SOURCE_DIR) + "/lib/env/probe_script.jl";
  EXPECT_EQ(std::string(script), jlcache::test_support::ReadFileOrDie(file))
      << "the library hands out lib/env/probe_script.jl verbatim";
}

TEST(CapiRuntimeTest, RuntimeFromProbeOutput) {
  const std::string out = ProbeOutput(true);
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_from_probe_output(out.data(), out.size(), &rt), JLCACHE_OK)
      << jlcache_last_error();
  ASSERT_NE(rt, nullptr);
  // Installation facts only: the environment's keys come from the caller.
  ASSERT_EQ(jlcache_runtime_add_string(rt, "depot_path", "/d1"), JLCACHE_OK);
  EXPECT_EQ(jlcache_runtime_validate(rt), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);

  const std::string cut = ProbeOutput(false);
  rt = reinterpret_cast<jlcache_runtime*>(1);
  EXPECT_EQ(jlcache_runtime_from_probe_output(cut.data(), cut.size(), &rt), JLCACHE_E_RUNTIME);
  EXPECT_EQ(rt, nullptr);
  EXPECT_NE(std::string(jlcache_last_error()).find("done"), std::string::npos) << jlcache_last_error();
  EXPECT_EQ(jlcache_runtime_from_probe_output("", 0, &rt), JLCACHE_E_RUNTIME);
  EXPECT_EQ(jlcache_runtime_from_probe_output(nullptr, 3, &rt), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_runtime_from_probe_output(out.data(), out.size(), nullptr), JLCACHE_E_INVALID_ARGUMENT);
}

TEST(CapiRuntimeTest, SettersBuildAValidProfile) {
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_new(&rt), JLCACHE_OK);
  EXPECT_EQ(jlcache_runtime_validate(rt), JLCACHE_E_RUNTIME);
  EXPECT_NE(std::string(jlcache_last_error()).find("julia_version"), std::string::npos);
  const char* kv[][2] = {{"julia_version", "1.11.7"}, {"git_branch", "release-1.11"}, {"git_commit", "abc"},
                         {"os", "Linux"}, {"arch", "x86_64"}, {"julia_bin", "/j/bin/julia"},
                         {"image_file", "/j/lib/julia/sys.so"}, {"cpu_target", "native"},
                         {"stdlib_dir", "/j/share/julia/stdlib/v1.11"}, {"pkgimages", "yes"}};
  for (auto& p : kv) ASSERT_EQ(jlcache_runtime_set_string(rt, p[0], p[1]), JLCACHE_OK) << p[0];
  ASSERT_EQ(jlcache_runtime_set_int(rt, "pointer_size", 8), JLCACHE_OK);
  ASSERT_EQ(jlcache_runtime_set_int(rt, "cache_flags", 0xa3), JLCACHE_OK);
  ASSERT_EQ(jlcache_runtime_add_string(rt, "depot_path", "/d1"), JLCACHE_OK);
  ASSERT_EQ(jlcache_runtime_add_string(rt, "accepted_clone_targets", "0x9ae16a3b2f90404f"), JLCACHE_OK);
  for (const char* m : {"Core", "Base", "Main"})
    ASSERT_EQ(jlcache_runtime_add_sysimage_module(rt, m, nullptr, 0xfdfcfbfa00000001ULL, 7), JLCACHE_OK);
  ASSERT_EQ(jlcache_runtime_add_sysimage_module(rt, "Dates", "ade2ca70-3891-5945-98fb-dc099432e06a",
                                                0xfdfcfbfa00000001ULL, 8),
            JLCACHE_OK);
  EXPECT_EQ(jlcache_runtime_validate(rt), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);
}

TEST(CapiRuntimeTest, BadInputGetsDistinctCodesAndMessages) {
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_new(&rt), JLCACHE_OK);
  EXPECT_EQ(jlcache_runtime_set_string(rt, "no_such_key", "x"), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_runtime_set_string(rt, "pkgimages", "maybe"), JLCACHE_E_RUNTIME);
  EXPECT_EQ(jlcache_runtime_set_int(rt, "cache_flags", 256), JLCACHE_E_RUNTIME);
  EXPECT_EQ(jlcache_runtime_add_string(rt, "accepted_clone_targets", "nothex"), JLCACHE_E_RUNTIME);
  EXPECT_EQ(jlcache_runtime_add_sysimage_module(rt, "X", "bad-uuid", 0, 0), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_runtime_set_string(nullptr, "os", "Linux"), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_runtime_validate(nullptr), JLCACHE_E_INVALID_ARGUMENT);
  jlcache_runtime_free(rt);
  jlcache_runtime_free(nullptr);

  jlcache::test_support::TempDir tmp;
  jlcache_runtime* file = nullptr;
  // A missing file is not_found, as the header promises (issue 13), and the
  // message names it.
  EXPECT_EQ(jlcache_runtime_from_file(tmp.Join("missing.toml").c_str(), &file), JLCACHE_E_NOT_FOUND);
  EXPECT_NE(std::string(jlcache_last_error()).find("missing.toml"), std::string::npos)
      << jlcache_last_error();
  EXPECT_EQ(file, nullptr);
  jlcache::test_support::WriteFileOrDie(tmp.Join("broken.toml"), "julia_version = \n");
  EXPECT_EQ(jlcache_runtime_from_file(tmp.Join("broken.toml").c_str(), &file), JLCACHE_E_TOML);
  EXPECT_NE(std::string(jlcache_last_error()).find("broken.toml:1:"), std::string::npos) << jlcache_last_error();
  jlcache::test_support::WriteFileOrDie(tmp.Join("incomplete.toml"), "julia_version = \"1.11.7\"\n");
  EXPECT_EQ(jlcache_runtime_from_file(tmp.Join("incomplete.toml").c_str(), &file), JLCACHE_E_RUNTIME);
}

TEST(CapiRuntimeTest, FromFileLoadsTheProfile) {
  jlcache::test_support::TempDir tmp;
  jlcache::test_support::WriteFileOrDie(
      tmp.Join("rt.toml"),
      "julia_version = \"1.10.4\"\ngit_branch = \"\"\ngit_commit = \"\"\nos = \"Linux\"\narch = \"x86_64\"\n"
      "pointer_size = 8\njulia_bin = \"/j/bin/julia\"\nimage_file = \"/j/sys.so\"\ncpu_target = \"native\"\n"
      "stdlib_dir = \"/j/stdlib/v1.10\"\npkgimages = \"no\"\ncache_flags = 0xa2\n"
      "[[sysimage_modules]]\nname = \"Core\"\nbuild_id = \"0xfdfcfbfa000000010000000000000001\"\n"
      "[[sysimage_modules]]\nname = \"Base\"\nbuild_id = \"0xfdfcfbfa000000010000000000000002\"\n"
      "[[sysimage_modules]]\nname = \"Main\"\nbuild_id = \"0xfdfcfbfa000000010000000000000003\"\n");
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_from_file(tmp.Join("rt.toml").c_str(), &rt), JLCACHE_OK) << jlcache_last_error();
  EXPECT_EQ(jlcache_runtime_validate(rt), JLCACHE_OK);
  jlcache_runtime_free(rt);
}

}  // namespace
