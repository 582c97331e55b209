// The bundled example (examples/, written by real Julia 1.11.7 through
// scripts/make_example.sh) is fresh by our library with its own runtime
// profile, wherever it is checked out: a copy at another path, with new mtimes
// (as after a git clone) and no memos, still has all three packages fresh.
// Needs no Julia.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jlcache.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

TEST(BundledExample, FreshAtAnotherPathByItsOwnRuntimeProfile) {
  TempDir tmp;
  const fs::path src = fs::path(JLCACHE_SOURCE_DIR) / "examples";
  const fs::path ex = fs::path(tmp.path()) / "moved" / "example";
  fs::create_directories(ex);
  // Copy everything but jlcache's own memos (never committed), with fresh mtimes.
  for (const char* part : {"depot/packages", "depot/compiled", "project", "runtime.toml"}) {
    fs::create_directories((ex / part).parent_path());
    fs::copy(src / part, ex / part, fs::copy_options::recursive);
  }
  ASSERT_FALSE(fs::exists(ex / "depot" / "jlcache"));

  jlcache_runtime* rt = nullptr;
  const std::string profile = (ex / "runtime.toml").string();
  ASSERT_EQ(jlcache_runtime_from_file(profile.c_str(), &rt), JLCACHE_OK) << jlcache_last_error();
  const std::string depot = (ex / "depot").string();
  ASSERT_EQ(jlcache_runtime_add_string(rt, "depot_path", depot.c_str()), JLCACHE_OK);
  const std::string project = (ex / "project").string();
  jlcache_session_options o{};
  EXPECT_EQ(jlcache_session_options_init(&o, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  o.project = project.c_str();
  o.io_threads = 2;
  o.no_write = 1;
  jlcache_session* s = nullptr;
  ASSERT_EQ(jlcache_session_open(rt, &o, &s), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);

  jlcache_verdict_list* l = nullptr;
  ASSERT_EQ(jlcache_session_status(s, &l), JLCACHE_OK) << jlcache_last_error();
  std::vector<std::string> fresh;
  for (size_t i = 0; i < jlcache_verdict_list_count(l); ++i) {
    const jlcache_verdict* v = jlcache_verdict_list_at(l, i);
    EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH) << jlcache_verdict_package(v);
    if (jlcache_verdict_kind(v) == JLCACHE_FRESH) fresh.emplace_back(jlcache_verdict_package(v));
  }
  std::sort(fresh.begin(), fresh.end());
  EXPECT_EQ(fresh, (std::vector<std::string>{"Greetings", "Hello", "Words"}));
  jlcache_verdict_list_free(l);
  jlcache_session_free(s);
  EXPECT_FALSE(fs::exists(ex / "depot" / "jlcache")) << "no_write session wrote memos";
}

}  // namespace
}  // namespace jlcache
