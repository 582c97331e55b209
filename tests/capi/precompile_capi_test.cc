// jlcache_session_precompile through the C ABI, with the stand-in julia.
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/file_io.h"
#include "gtest/gtest.h"
#include "jlcache.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {


// Sets an environment variable for the scope of a test (the C ABI reads the
// process environment, and the julia child inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

struct CapiWorld {
  test_support::Scenario s{HeaderLayout::kB, true};
  std::string plan, log;

  CapiWorld() {
    s.AddPackage("Base64x");
    s.AddPackage("Bar");
    s.AddPackage("Foo", {"Bar"});
    s.WriteEnvironment();
    for (const char* n : {"Base64x", "Bar", "Foo"}) s.Compile(n);
    s.InstallJulia(JLCACHE_FAKE_JULIA_PATH);
    plan = s.dir().Join("plan.txt");
    log = s.dir().Join("launches.log");
    // Bar changes: Bar and Foo are stale; the stand-in installs their new caches.
    s.WriteSource("Bar", "src/impl.jl", "greet() = 2\n");
    std::string text = "log\t" + log + "\n";
    for (const std::string& line : s.StageRecompiledCaches({"Bar", "Foo"}, "Foo")) text += line + "\n";
    test_support::WriteFileOrDie(plan, text);
  }
};

void CollectLine(void* user, const char* line) {
  static_cast<std::vector<std::string>*>(user)->push_back(line);
}

TEST(PrecompileCapi, MakesTheEnvironmentFreshAndReportsPerPackage) {
  CapiWorld w;
  ScopedEnv depot("JULIA_DEPOT_PATH", w.s.depot());
  ScopedEnv plan("JLCACHE_FAKE_JULIA_PLAN", w.plan);
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_from_file(w.s.WriteProfile().c_str(), &rt), JLCACHE_OK)
      << jlcache_last_error();
  jlcache_session_options so{};
  EXPECT_EQ(jlcache_session_options_init(&so, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  std::string project = w.s.project_dir();
  std::string memo = w.s.dir().Join("memo.bin");
  so.project = project.c_str();
  so.memo_path = memo.c_str();
  jlcache_session* s = nullptr;
  ASSERT_EQ(jlcache_session_open(rt, &so, &s), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);

  std::vector<std::string> lines;
  jlcache_precompile_options o{};
  EXPECT_EQ(jlcache_precompile_options_init(&o, JLCACHE_PRECOMPILE_OPTIONS_VERSION), JLCACHE_OK);
  o.timeout_seconds = 120;
  o.wait_for_other_runner = 1;
  o.progress = &CollectLine;
  o.progress_user_data = &lines;
  jlcache_precompile_report* r = nullptr;
  ASSERT_EQ(jlcache_session_precompile(s, nullptr, 0, &o, &r), JLCACHE_OK) << jlcache_last_error();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(jlcache_precompile_report_launched(r), 1);
  EXPECT_EQ(jlcache_precompile_report_exit_status(r), 0);
  ASSERT_EQ(jlcache_precompile_report_count(r), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(jlcache_precompile_report_result_at(r, i), JLCACHE_PRECOMPILE_FRESH) << i;
    const jlcache_verdict* v = jlcache_precompile_report_verdict_at(r, i);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);
  }
  EXPECT_EQ(jlcache_precompile_report_verdict_at(r, 3), nullptr);
  EXPECT_EQ(jlcache_precompile_report_result_at(r, 3), JLCACHE_PRECOMPILE_UNKNOWN);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "jlcache: precompiling Foo"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "jlcache: checked 3 packages, 2 not fresh"),
            lines.end());
  jlcache_precompile_report_free(r);

  // Named, and already fresh: nothing runs.
  const char* names[] = {"Foo"};
  ASSERT_EQ(jlcache_session_precompile(s, names, 1, nullptr, &r), JLCACHE_OK);
  EXPECT_EQ(jlcache_precompile_report_launched(r), 0);
  EXPECT_EQ(jlcache_precompile_report_exit_status(r), -1);
  EXPECT_STREQ(jlcache_precompile_report_output_tail(r), "");
  ASSERT_EQ(jlcache_precompile_report_count(r), 1u);
  EXPECT_STREQ(jlcache_verdict_package(jlcache_precompile_report_verdict_at(r, 0)), "Foo");
  jlcache_precompile_report_free(r);

  const char* missing[] = {"NoSuchPackage"};
  EXPECT_EQ(jlcache_session_precompile(s, missing, 1, nullptr, &r), JLCACHE_E_PACKAGE_NOT_FOUND);
  EXPECT_EQ(r, nullptr);
  jlcache_session_free(s);
}

TEST(PrecompileCapi, RejectsBadArguments) {
  jlcache_precompile_report* r = nullptr;
  EXPECT_EQ(jlcache_session_precompile(nullptr, nullptr, 0, nullptr, &r),
            JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jlcache_last_error()), "");

  CapiWorld w;
  ScopedEnv depot("JULIA_DEPOT_PATH", w.s.depot());
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_from_file(w.s.WriteProfile().c_str(), &rt), JLCACHE_OK);
  jlcache_session_options so{};
  EXPECT_EQ(jlcache_session_options_init(&so, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  std::string project = w.s.project_dir();
  so.project = project.c_str();
  so.no_write = 1;
  jlcache_session* s = nullptr;
  ASSERT_EQ(jlcache_session_open(rt, &so, &s), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);

  EXPECT_EQ(jlcache_session_precompile(s, nullptr, 2, nullptr, &r), JLCACHE_E_INVALID_ARGUMENT);
  const char* with_null[] = {"Foo", nullptr};
  EXPECT_EQ(jlcache_session_precompile(s, with_null, 2, nullptr, &r), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_session_precompile(s, nullptr, 0, nullptr, nullptr),
            JLCACHE_E_INVALID_ARGUMENT);
  jlcache_precompile_options o{};
  o.version = 99;  // a version this library does not know
  EXPECT_EQ(jlcache_session_precompile(s, nullptr, 0, &o, &r), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jlcache_last_error()).find("JLCACHE_PRECOMPILE_OPTIONS_VERSION"), std::string::npos);
  EXPECT_EQ(jlcache_precompile_options_init(&o, 99), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_precompile_options_init(nullptr, JLCACHE_PRECOMPILE_OPTIONS_VERSION),
            JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_precompile_options_init(&o, JLCACHE_PRECOMPILE_OPTIONS_VERSION), JLCACHE_OK);
  EXPECT_EQ(o.version, uint32_t{JLCACHE_PRECOMPILE_OPTIONS_VERSION});
  EXPECT_EQ(o.timeout_seconds, 0.0);
  EXPECT_EQ(o.progress, nullptr);
  o.timeout_seconds = -1;
  EXPECT_EQ(jlcache_session_precompile(s, nullptr, 0, &o, &r), JLCACHE_E_INVALID_ARGUMENT);
  o.timeout_seconds = 0;
  o.jobs = -2;
  EXPECT_EQ(jlcache_session_precompile(s, nullptr, 0, &o, &r), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(r, nullptr);
  EXPECT_FALSE(PathExists(w.log)) << "nothing ran";

  // Accessors tolerate NULL.
  jlcache_precompile_report_free(nullptr);
  EXPECT_EQ(jlcache_precompile_report_count(nullptr), 0u);
  EXPECT_EQ(jlcache_precompile_report_launched(nullptr), 0);
  EXPECT_EQ(jlcache_precompile_report_exit_status(nullptr), -1);
  EXPECT_EQ(jlcache_precompile_report_verdict_at(nullptr, 0), nullptr);
  jlcache_session_free(s);
}

}  // namespace
}  // namespace jlcache
