// The runtime-profile TOML of a made-up Julia installation, with every key a
// profile must have (docs/runtime-profile.md): for the test builders and the
// fuzzers. Header-only, so a fuzzer needs nothing else of tests/support.
#pragma once

#include <string>
#include <string_view>

namespace jlcache::test_support {

// s as a TOML basic string.
inline std::string TomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// Linux x86_64, pkgimages on, cache flags 0xa3, made-up sysimage build ids.
inline std::string RuntimeProfileToml(std::string_view version, std::string_view julia_bin,
                                      std::string_view image_file, std::string_view stdlib_dir) {
  return "julia_version = " + TomlString(version) +
         "\ngit_branch = \"\"\ngit_commit = \"\"\nos = \"Linux\"\narch = \"x86_64\"\n"
         "pointer_size = 8\njulia_bin = " + TomlString(julia_bin) +
         "\nimage_file = " + TomlString(image_file) +
         "\ncpu_target = \"native\"\nstdlib_dir = " + TomlString(stdlib_dir) +
         "\npkgimages = \"yes\"\ncache_flags = 0xa3\n"
         "[[sysimage_modules]]\nname = \"Core\"\nbuild_id = \"0xfdfcfbfa000000010000000000000001\"\n"
         "[[sysimage_modules]]\nname = \"Base\"\nbuild_id = \"0xfdfcfbfa000000010000000000000002\"\n"
         "[[sysimage_modules]]\nname = \"Main\"\nbuild_id = \"0xfdfcfbfa000000010000000000000003\"\n";
}

}  // namespace jlcache::test_support
