// One question, one answer (issue 13): a broken or emptied environment gets
// the same diagnosis from status, status NAME, why, precompile and the C ABI,
// and never "fresh" for a package Julia cannot load.
#include <string>
#include <vector>

#include "core/file_io.h"
#include "gtest/gtest.h"
#include "jlcache.h"
#include "support/run_process.h"
#include "support/scenario.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

using test_support::ProcessResult;
using test_support::RunProcess;
using test_support::Scenario;

ProcessResult Cli(const Scenario& s, std::vector<std::string> args) {
  args.insert(args.begin(), JLCACHE_CLI_PATH);
  args.push_back("--runtime");
  args.push_back(s.WriteProfile());
  args.push_back("--project=" + s.project_dir());
  args.push_back("--no-write");
  return RunProcess(args, s.CliEnv(), 60);
}

std::string ManifestPath(const Scenario& s) { return JoinPath(s.project_dir(), "Manifest.toml"); }
std::string ProjectPath(const Scenario& s) { return JoinPath(s.project_dir(), "Project.toml"); }

void Replace(const std::string& path, const std::string& from, const std::string& to) {
  std::string text = test_support::ReadFileOrDie(path);
  size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " in " << text;
  text.replace(at, from.size(), to);
  test_support::WriteFileOrDie(path, text);
}

// The C ABI's answers for one package and for the whole environment.
struct CAnswers {
  jlcache_status isstale = JLCACHE_OK;
  std::string isstale_error;
  int isstale_kind = -1;
  jlcache_status session_status = JLCACHE_OK;
  std::string env_status_error;
};

CAnswers AskC(const Scenario& sc, const char* package) {
  CAnswers a;
  jlcache_runtime* rt = nullptr;
  jlcache_session* s = nullptr;
  std::string profile = sc.WriteProfile();
  EXPECT_EQ(jlcache_runtime_from_file(profile.c_str(), &rt), JLCACHE_OK) << jlcache_last_error();
  for (const auto& d : sc.depots()) jlcache_runtime_add_string(rt, "depot_path", d.c_str());
  std::string project = sc.project_dir();
  jlcache_session_options o{};
  EXPECT_EQ(jlcache_session_options_init(&o, JLCACHE_SESSION_OPTIONS_VERSION), JLCACHE_OK);
  o.project = project.c_str();
  o.io_threads = 2;
  o.no_write = 1;
  EXPECT_EQ(jlcache_session_open(rt, &o, &s), JLCACHE_OK) << jlcache_last_error();
  jlcache_verdict* v = nullptr;
  a.isstale = jlcache_session_isstale(s, package, &v);
  a.isstale_error = jlcache_last_error();
  if (v) a.isstale_kind = jlcache_verdict_kind(v);
  jlcache_verdict_free(v);
  jlcache_verdict_list* list = nullptr;
  a.session_status = jlcache_session_status(s, &list);
  a.env_status_error = jlcache_last_error();
  jlcache_verdict_list_free(list);
  jlcache_session_free(s);
  jlcache_runtime_free(rt);
  return a;
}

// Every command exits 2 with a message containing `needle`.
void ExpectSameError(const Scenario& s, const std::string& needle) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"status", "Hello"}, {"status", "Greetings"},
        {"why", "Hello"}, {"precompile", "Hello"}}) {
    ProcessResult r = Cli(s, args);
    std::string cmd = args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << cmd << ": " << r.err;
  }
  CAnswers c = AskC(s, "Hello");
  EXPECT_NE(c.isstale, JLCACHE_OK);
  EXPECT_NE(c.isstale_error.find(needle), std::string::npos) << c.isstale_error;
  EXPECT_EQ(c.session_status, c.isstale);
  EXPECT_NE(c.env_status_error.find(needle), std::string::npos) << c.env_status_error;
}

TEST(OneAnswer, ManifestDependencyWithoutEntry) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  Replace(ManifestPath(s), "deps = [\"Greetings\"]", "deps = [\"Greetings\", \"Nope\"]");
  ExpectSameError(s, "entry \"Hello\" depends on \"Nope\", which has no entry in the manifest");
}

TEST(OneAnswer, TomlSyntaxError) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  std::string text = test_support::ReadFileOrDie(ManifestPath(s));
  test_support::WriteFileOrDie(ManifestPath(s), text + "\nbroken = [\n");
  ExpectSameError(s, "Manifest.toml:");
}

// Julia: an empty Project.toml is an explicit environment without deps, so
// identify_package("Hello") finds nothing there (project_deps_get) and the
// manifest's entries are unreachable: not loadable, never fresh.
TEST(OneAnswer, EmptyProjectLoadsNothing) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  test_support::WriteFileOrDie(ProjectPath(s), "");
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "Hello"},
                                        {"why", "Hello"}, {"precompile", "Hello"}}) {
    ProcessResult r = Cli(s, args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("nothing the project depends on reaches it"), std::string::npos)
        << args[0] << ": " << r.err;
  }
  ProcessResult r = Cli(s, {"locate", "Hello"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  r = Cli(s, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("0 packages"), std::string::npos) << r.out;
  CAnswers c = AskC(s, "Hello");
  EXPECT_EQ(c.isstale, JLCACHE_E_PACKAGE_NOT_FOUND) << c.isstale_error;
}

// Julia: the project declares Hello but the manifest lists nothing, so
// locate_package finds no source ("Run Pkg.instantiate()"): stale, not
// installed, for the whole-environment status as for the named one.
TEST(OneAnswer, EmptyManifestIsNotInstalled) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  test_support::WriteFileOrDie(ManifestPath(s), "");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"status", "Hello"}, {"why", "Hello"}}) {
    ProcessResult r = Cli(s, args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("does not list it"), std::string::npos) << args[0] << ": " << r.out;
  }
  ProcessResult r = Cli(s, {"status"});
  EXPECT_NE(r.out.find("3 packages: 0 fresh, 3 stale"), std::string::npos) << r.out;
  // Nothing julia could compile: no launch, the same answer, exit 1.
  r = Cli(s, {"precompile", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\"launched\": false"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("does not list it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("run Pkg.instantiate()"), std::string::npos) << r.out;
  r = Cli(s, {"locate", "Hello"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  CAnswers c = AskC(s, "Hello");
  EXPECT_EQ(c.isstale, JLCACHE_OK) << c.isstale_error;
  EXPECT_EQ(c.isstale_kind, JLCACHE_STALE);
  EXPECT_EQ(c.session_status, JLCACHE_OK) << c.env_status_error;
}

// Without a manifest the same: the project's deps are not installed.
TEST(OneAnswer, MissingManifestIsNotInstalled) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  ASSERT_EQ(::unlink(ManifestPath(s).c_str()), 0);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"status", "Hello"}, {"why", "Hello"}}) {
    ProcessResult r = Cli(s, args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("which has no manifest"), std::string::npos) << args[0] << ": " << r.out;
  }
}

// identify_package("Greetings") from the top level finds nothing (it is only
// Hello's dependency): locate keeps "not found" but says where it is, and
// NAME=UUID or a bare UUID locates any manifest entry.
TEST(OneAnswer, LocateIndirectDependency) {
  Scenario s(HeaderLayout::kB);
  s.AddCompiledChain();
  s.WriteEnvironment({"Hello"});
  const std::string uuid = s.UuidOf("Greetings").ToString();
  ProcessResult r = Cli(s, {"locate", "Greetings"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("as a dependency of Hello"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Greetings=" + uuid), std::string::npos) << r.err;
  r = Cli(s, {"status", "Greetings"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string& arg : {"Greetings=" + uuid, uuid}) {
    r = Cli(s, {"locate", arg});
    EXPECT_EQ(r.exit_code, 0) << arg << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("Greetings [" + uuid + "]"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(s.SourcePath("Greetings", "src/Greetings.jl")), std::string::npos) << r.out;
  }
  r = Cli(s, {"locate", "Greetings=not-a-uuid"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace jlcache
