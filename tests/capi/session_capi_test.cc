// The session and verdict part of the C ABI: the same answers as the C++
// session, callbacks in, reasons out, and clean errors for bad calls.
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jlcache.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::Scenario;

struct Handles {
  jlcache_runtime* rt = nullptr;
  jlcache_session* s = nullptr;
  ~Handles() {
    jlcache_session_free(s);
    jlcache_runtime_free(rt);
  }
};

// Opens a session on a scenario through the C ABI only.
void OpenC(const Scenario& sc, Handles* h) {
  std::string profile = sc.WriteProfile();
  ASSERT_EQ(jlcache_runtime_from_file(profile.c_str(), &h->rt), JLCACHE_OK) << jlcache_last_error();
  for (const auto& d : sc.depots())
    ASSERT_EQ(jlcache_runtime_add_string(h->rt, "depot_path", d.c_str()), JLCACHE_OK);
  std::string project = sc.project_dir();
  jlcache_session_options o{};
  EXPECT_EQ(jlcache_session_options_init(&o, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  o.project = project.c_str();
  o.io_threads = 2;
  o.no_write = 1;
  ASSERT_EQ(jlcache_session_open(h->rt, &o, &h->s), JLCACHE_OK) << jlcache_last_error();
}

std::vector<std::string> ReasonCodes(const jlcache_verdict* v) {
  std::vector<std::string> out;
  for (size_t i = 0; i < jlcache_verdict_reason_count(v); ++i) {
    jlcache_reason r;
    EXPECT_EQ(jlcache_verdict_reason_at(v, i, &r), JLCACHE_OK);
    out.emplace_back(r.code);
  }
  return out;
}

TEST(SessionCapi, FreshThenStaleWithFlattenedChain) {
  Scenario sc(HeaderLayout::kB);
  sc.AddPackage("Words");
  sc.AddPackage("Hello", {"Words"});
  sc.WriteEnvironment();
  sc.Compile("Words");
  sc.Compile("Hello");
  Handles h;
  OpenC(sc, &h);
  jlcache_verdict* v = nullptr;
  ASSERT_EQ(jlcache_session_isstale(h.s, "Hello", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);
  EXPECT_STREQ(jlcache_verdict_package(v), "Hello");
  EXPECT_EQ(std::string(jlcache_verdict_uuid(v)), sc.UuidOf("Hello").ToString());
  EXPECT_EQ(std::string(jlcache_verdict_cache(v)), sc.LatestCache("Hello").ji_path);
  EXPECT_EQ(jlcache_verdict_reason_count(v), 0u);
  EXPECT_EQ(jlcache_verdict_touch(v), JLCACHE_OK);
  jlcache_verdict_free(v);

  // By UUID too.
  std::string uuid = sc.UuidOf("Words").ToString();
  ASSERT_EQ(jlcache_session_isstale(h.s, uuid.c_str(), &v), JLCACHE_OK);
  EXPECT_STREQ(jlcache_verdict_package(v), "Words");
  jlcache_verdict_free(v);

  sc.WriteSource("Words", "src/impl.jl", "greet() = \"a different greeting\"\n");
  jlcache_session_clear_memo(h.s);
  ASSERT_EQ(jlcache_session_isstale(h.s, "Hello", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_STALE);
  // The dependency's reason follows the dep_stale that names it.
  EXPECT_EQ(ReasonCodes(v), (std::vector<std::string>{"dep_stale", "file_changed"}));
  jlcache_reason r;
  ASSERT_EQ(jlcache_verdict_reason_at(v, 0, &r), JLCACHE_OK);
  EXPECT_EQ(std::string(r.dependency).rfind("Words [", 0), 0u);
  EXPECT_EQ(jlcache_verdict_reason_at(v, 2, &r), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_verdict_touch(v), JLCACHE_E_INVALID_ARGUMENT);  // nothing chosen
  char* json = nullptr;
  ASSERT_EQ(jlcache_verdict_to_json(v, &json), JLCACHE_OK);
  EXPECT_NE(std::strstr(json, "\"verdict\":\"stale\""), nullptr) << json;
  jlcache_string_free(json);
  jlcache_verdict_free(v);

  jlcache_verdict_list* list = nullptr;
  ASSERT_EQ(jlcache_session_status(h.s, &list), JLCACHE_OK);
  ASSERT_EQ(jlcache_verdict_list_count(list), 2u);
  EXPECT_EQ(jlcache_verdict_list_at(list, 2), nullptr);
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(jlcache_verdict_kind(jlcache_verdict_list_at(list, i)), JLCACHE_STALE);
  jlcache_verdict_list_free(list);
}

TEST(SessionCapi, ErrorsAreStatusesWithMessages) {
  Scenario sc(HeaderLayout::kB);
  sc.AddPackage("Foo");
  sc.WriteEnvironment();
  Handles h;
  OpenC(sc, &h);
  jlcache_verdict* v = nullptr;
  EXPECT_EQ(jlcache_session_isstale(h.s, "Missing", &v), JLCACHE_E_PACKAGE_NOT_FOUND);
  EXPECT_EQ(v, nullptr);
  EXPECT_NE(std::string(jlcache_last_error()).find("Missing"), std::string::npos);
  EXPECT_EQ(jlcache_session_isstale(nullptr, "Foo", &v), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_session_isstale(h.s, nullptr, &v), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_session_isstale(h.s, "Foo", nullptr), JLCACHE_E_INVALID_ARGUMENT);
  // A success clears the message.
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  EXPECT_STREQ(jlcache_last_error(), "");
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_STALE);  // never compiled
  EXPECT_EQ(ReasonCodes(v), std::vector<std::string>{"no_cache"});
  jlcache_verdict_free(v);

  jlcache_session_options unknown{};
  unknown.version = 99;  // a version this library does not know (0: never initialized)
  jlcache_session* s2 = nullptr;
  EXPECT_EQ(jlcache_session_open(h.rt, &unknown, &s2), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_NE(std::string(jlcache_last_error()).find("JLCACHE_SESSION_OPTIONS_VERSION"), std::string::npos);
  EXPECT_EQ(s2, nullptr);
  unknown.version = 0;
  EXPECT_EQ(jlcache_session_open(h.rt, &unknown, &s2), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_session_options_init(&unknown, 99), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_session_options_init(nullptr, JLCACHE_SESSION_OPTIONS_VERSION),
            JLCACHE_E_INVALID_ARGUMENT);
  unknown.io_threads = 7;
  EXPECT_EQ(jlcache_session_options_init(&unknown, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  EXPECT_EQ(unknown.version, uint32_t{JLCACHE_SESSION_OPTIONS_VERSION});
  EXPECT_EQ(unknown.io_threads, 0);
  EXPECT_EQ(unknown.project, nullptr);
  jlcache_runtime* empty = nullptr;
  ASSERT_EQ(jlcache_runtime_new(&empty), JLCACHE_OK);
  EXPECT_EQ(jlcache_session_open(empty, nullptr, &s2), JLCACHE_E_RUNTIME);
  EXPECT_GT(std::strlen(jlcache_last_error()), 0u);
  jlcache_runtime_free(empty);
  // Free functions accept NULL.
  jlcache_verdict_free(nullptr);
  jlcache_verdict_list_free(nullptr);
  jlcache_session_free(nullptr);
}

int32_t AcceptNothing(void* calls, const uint8_t*, size_t len) {
  ++*static_cast<int*>(calls);
  return len > 0 ? 0 : 1;
}

int32_t HashIs1234(void* calls, const char* uuid, const char* const* names, size_t n, uint64_t* out) {
  ++*static_cast<int*>(calls);
  if (!uuid || n != 1 || std::strcmp(names[0], "level") != 0) return 1;
  *out = 0x1234;
  return 0;
}

// Foo's cache records the compile-time preference "level" (hash 0x1234),
// which is set: only Julia's Base.hash can say whether the cache matches.
void CompileFooWithASetPreference(Scenario& sc) {
  sc.AddPackage("Foo");
  sc.WriteEnvironment();
  test_support::CompileOptions o;
  o.preference_names = {"level"};
  o.preferences_hash = 0x1234;
  sc.Compile("Foo", o);
  sc.WritePreferences("[Foo]\nlevel = 2\n");
}

// A preference-hash callback that uses its own session from inside, as a
// Julia callback calling back into FastEverywhere might.
struct Reentry {
  jlcache_session* s = nullptr;
  bool own = true;  // s is the session that calls us: free and clear must be ignored
  int calls = 0;
  std::vector<jlcache_status> statuses;
  std::vector<std::string> messages;
};

int32_t HashAfterReentering(void* data, const char*, const char* const*, size_t, uint64_t* out) {
  auto* r = static_cast<Reentry*>(data);
  ++r->calls;
  auto note = [&](jlcache_status st) {
    r->statuses.push_back(st);
    r->messages.push_back(jlcache_last_error() ? jlcache_last_error() : "");
  };
  jlcache_verdict* v = nullptr;
  note(jlcache_session_isstale(r->s, "Foo", &v));
  jlcache_verdict_free(v);
  jlcache_verdict_list* list = nullptr;
  note(jlcache_session_status(r->s, &list));
  jlcache_verdict_list_free(list);
  note(jlcache_session_set_clone_targets_callback(r->s, nullptr, nullptr));
  if (r->own) {
    jlcache_session_clear_memo(r->s);  // ignored here
    jlcache_session_free(r->s);        // ignored here: the session is in use
  }
  *out = 0x1234;
  return 0;
}

TEST(SessionCapi, ACallbackThatUsesItsOwnSessionGetsAnErrorNotADeadlock) {
  Scenario sc(HeaderLayout::kB);
  CompileFooWithASetPreference(sc);
  Handles h;
  OpenC(sc, &h);
  Reentry r;
  r.s = h.s;
  ASSERT_EQ(jlcache_session_set_preferences_hash_callback(h.s, HashAfterReentering, &r), JLCACHE_OK);
  jlcache_verdict* v = nullptr;
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK) << jlcache_last_error();
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);  // the callback's answer counts
  jlcache_verdict_free(v);
  EXPECT_EQ(r.calls, 1);
  ASSERT_EQ(r.statuses.size(), 3u);
  for (size_t i = 0; i < r.statuses.size(); ++i) {
    EXPECT_EQ(r.statuses[i], JLCACHE_E_INVALID_ARGUMENT);
    EXPECT_NE(r.messages[i].find("callback of the same session"), std::string::npos) << r.messages[i];
  }
  // The session survived the ignored free and still works, callback and all.
  ASSERT_EQ(jlcache_session_set_preferences_hash_callback(h.s, HashIs1234, &r.calls), JLCACHE_OK);
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);
  jlcache_verdict_free(v);

  // Another session may be used from a callback.
  Handles other;
  OpenC(sc, &other);
  Reentry cross;
  cross.s = other.s;
  cross.own = false;
  ASSERT_EQ(jlcache_session_set_preferences_hash_callback(h.s, HashAfterReentering, &cross),
            JLCACHE_OK);
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  jlcache_verdict_free(v);
  ASSERT_EQ(cross.statuses.size(), 3u);
  EXPECT_EQ(cross.statuses[0], JLCACHE_OK) << cross.messages[0];
  EXPECT_EQ(cross.statuses[1], JLCACHE_OK) << cross.messages[1];
}

TEST(SessionCapi, CallbacksDecideWhatOnlyJuliaKnows) {
  Scenario sc(HeaderLayout::kB);
  CompileFooWithASetPreference(sc);
  Handles h;
  OpenC(sc, &h);
  jlcache_verdict* v = nullptr;
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_UNKNOWN);
  EXPECT_EQ(ReasonCodes(v), std::vector<std::string>{"preferences_unverifiable"});
  jlcache_verdict_free(v);

  int hash_calls = 0;
  ASSERT_EQ(jlcache_session_set_preferences_hash_callback(h.s, HashIs1234, &hash_calls), JLCACHE_OK);
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);
  EXPECT_EQ(hash_calls, 1);
  jlcache_verdict_free(v);

  // The clone-target callback overrides nothing the profile already accepts,
  // but decides blobs it does not know. This profile accepts the generic blob,
  // so a callback that rejects everything is never asked.
  int clone_calls = 0;
  ASSERT_EQ(jlcache_session_set_clone_targets_callback(h.s, AcceptNothing, &clone_calls), JLCACHE_OK);
  ASSERT_EQ(jlcache_session_isstale(h.s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_FRESH);
  EXPECT_EQ(clone_calls, 0);
  jlcache_verdict_free(v);
}

TEST(SessionCapi, CloneTargetCallbackRejectsUnknownBlobs) {
  Scenario sc(HeaderLayout::kB);
  sc.AddPackage("Foo");
  sc.WriteEnvironment();
  sc.Compile("Foo");
  // A runtime that accepted no clone targets: undecided without a callback.
  std::string text = sc.ProfileToml();
  size_t a = text.find("accepted_clone_targets");
  text.erase(a, text.find('\n', a) - a + 1);
  test_support::WriteFileOrDie(sc.dir().Join("bare.toml"), text);
  jlcache_runtime* rt = nullptr;
  ASSERT_EQ(jlcache_runtime_from_file(sc.dir().Join("bare.toml").c_str(), &rt), JLCACHE_OK)
      << jlcache_last_error();
  ASSERT_EQ(jlcache_runtime_add_string(rt, "depot_path", sc.depot().c_str()), JLCACHE_OK);
  std::string project = sc.project_dir();
  jlcache_session_options o{};
  EXPECT_EQ(jlcache_session_options_init(&o, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  o.project = project.c_str();
  o.no_write = 1;
  jlcache_session* s = nullptr;
  ASSERT_EQ(jlcache_session_open(rt, &o, &s), JLCACHE_OK) << jlcache_last_error();
  jlcache_runtime_free(rt);  // the session keeps its own copy
  jlcache_verdict* v = nullptr;
  ASSERT_EQ(jlcache_session_isstale(s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_UNKNOWN);
  EXPECT_EQ(ReasonCodes(v), std::vector<std::string>{"clone_targets_unverifiable"});
  jlcache_verdict_free(v);
  int calls = 0;
  ASSERT_EQ(jlcache_session_set_clone_targets_callback(s, AcceptNothing, &calls), JLCACHE_OK);
  ASSERT_EQ(jlcache_session_isstale(s, "Foo", &v), JLCACHE_OK);
  EXPECT_EQ(jlcache_verdict_kind(v), JLCACHE_STALE);
  EXPECT_EQ(ReasonCodes(v), std::vector<std::string>{"cpu_target"});
  EXPECT_EQ(calls, 1);
  jlcache_verdict_free(v);
  jlcache_session_free(s);
}

}  // namespace
}  // namespace jlcache
