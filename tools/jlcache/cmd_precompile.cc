// `jlcache precompile [PKG...] [--runtime FILE] [--project[=DIR]] [-j N]
//  [--timeout S] [--no-wait] [--json]`: make the packages (default: the whole
// environment) fresh with at most one julia run, shared with concurrent
// callers through the environment's lock (docs/precompile.md).
//
// Exit codes: 0 all fresh; 1 any package ends failed, stale or unknown;
// 2 error in the request; 3 timeout; 128+N interrupted by signal N (SIGINT
// 130, SIGTERM 143, SIGHUP 129), after julia's group got the same signal,
// was reaped, and the lock was released.
//
// Progress goes to stderr: a live status line on a terminal (packages
// checked, stale found, compile running, elapsed), plain lines otherwise.
// Colours only on a terminal and never with NO_COLOR set.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/json_writer.h"
#include "env/probe.h"
#include "precompile/precompile_coordinator.h"
#include "stale/session.h"
#include "stale/verdict_json.h"
#include "tools/jlcache/command.h"
#include "tools/jlcache/common_options.h"
#include "tools/jlcache/process_end.h"
#include "tools/jlcache/session_for_cli.h"

namespace jlcache::cli {
namespace {

// The first SIGINT, SIGTERM or SIGHUP; the coordinator forwards it to
// julia's process group (which a terminal's Ctrl-C does not reach: it runs in
// a group of its own) and unwinds.
std::atomic<int> g_interrupt{0};
static_assert(std::atomic<int>::is_always_lock_free, "written from a signal handler");

void OnInterrupt(int sig) {
  int none = 0;
  g_interrupt.compare_exchange_strong(none, sig);
}

// Without SA_RESTART, so blocking calls return and the flag is seen at once.
void CatchInterrupts() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

bool ColorAllowed(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(fd) && !(no_color && *no_color);
}

// The stderr side: a redrawn status line on a terminal, plain lines otherwise.
class ProgressView {
 public:
  ProgressView() : live_(isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {
    if (live_) ticker_ = std::thread([this] { Tick(); });
  }
  ~ProgressView() { Finish(); }

  void OnProgress(const PrecompileProgress& p) {
    using Phase = PrecompileProgress::Phase;
    std::lock_guard<std::mutex> lock(mu_);
    switch (p.phase) {
      case Phase::kChecked:
        checked_ = p.checked;
        stale_ = p.stale;
        stage_ = p.stale ? "stale found" : "all fresh";
        Line(Cat("jlcache: checked ", p.checked, " packages, ", p.stale, " not fresh"));
        break;
      case Phase::kWaiting:
        stage_ = "waiting for another runner";
        Line(Cat("jlcache: ", p.line));
        break;
      case Phase::kCompiling:
        checked_ = p.checked;
        stale_ = p.stale;
        stage_ = "compiling " + RootNames(p.roots);
        Line(Cat("jlcache: precompiling ", RootNames(p.roots)));
        break;
      case Phase::kOutput:
        Line(p.line);
        break;
      case Phase::kMessage:
        Line(Cat("jlcache: ", p.line));
        break;
      case Phase::kRechecked:
        checked_ = p.checked;
        stale_ = p.stale;
        stage_ = "re-checked";
        Line(Cat("jlcache: after precompiling, ", p.checked - p.stale, " of ", p.checked,
                 " packages fresh"));
        break;
    }
  }

  void Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_) return;
      done_ = true;
      if (live_) std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }

 private:
  // Caller holds mu_.
  void Line(const std::string& text) {
    if (live_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "%s\n", text.c_str());
    if (live_) DrawBar();
    std::fflush(stderr);
  }
  void DrawBar() {
    static const char kSpin[] = {'|', '/', '-', '\\'};
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r\033[K%c checked %zu | stale %zu | %s | %.1f s", kSpin[spin_++ % 4],
                 checked_, stale_, stage_.c_str(), elapsed);
  }
  void Tick() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; })) {
      DrawBar();
      std::fflush(stderr);
    }
  }

  const bool live_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  size_t checked_ = 0, stale_ = 0;
  unsigned spin_ = 0;
  std::string stage_ = "checking";
  std::thread ticker_;
};

void PrintJson(const PrecompileReport& r) {
  JsonWriter w(true);
  w.BeginObject();
  w.Key("launched").Bool(r.launched);
  w.Key("waited_for_other_runner").Bool(r.waited_for_other_runner);
  w.Key("recovered_stale_lock").Bool(r.recovered_stale_lock);
  w.Key("ended_leftover_processes").Int(r.ended_leftover_processes);
  w.Key("timed_out").Bool(r.timed_out);
  w.Key("interrupted_by").Int(r.interrupted_by);
  w.Key("exit_status").Int(r.exit_status);
  w.Key("roots").BeginArray();
  for (const PkgId& id : r.roots) w.String(id.name);
  w.EndArray();
  w.Key("lock").String(r.lock_path);
  w.Key("note").String(r.note);
  w.Key("packages").BeginArray();
  for (const PackageOutcome& o : r.packages) {
    w.BeginObject();
    w.Key("name").String(o.name);
    if (o.verdict.package.uuid)
      w.Key("uuid").String(o.verdict.package.uuid->ToString());
    else
      w.Key("uuid").Null();
    w.Key("result").String(PrecompileResultName(o.result));
    w.Key("verdict");
    WriteVerdictJson(w, o.verdict);
    w.Key("reasons").BeginArray();
    for (const StalenessReason& reason : o.verdict.reasons) {
      w.BeginObject();
      w.Key("code").String(ReasonCodeName(reason.code));
      w.Key("detail").String(reason.detail);
      w.Key("cache").OptString(reason.cache);
      w.Key("dependency").OptString(reason.dependency);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("output_tail").String(r.output_tail);
  w.EndObject();
  std::printf("%s\n", w.str().c_str());
}

void PrintHuman(const PrecompileReport& r) {
  const bool color = ColorAllowed(STDOUT_FILENO);
  auto paint = [color](PrecompileResult res) {
    std::string name(PrecompileResultName(res));
    if (!color) return name;
    const char* code = res == PrecompileResult::kFresh   ? "32"
                       : res == PrecompileResult::kStale ? "33"
                                                         : "31";
    return Cat("\033[", code, "m", name, "\033[0m");
  };
  size_t counts[5] = {0, 0, 0, 0, 0};
  for (const PackageOutcome& o : r.packages) {
    ++counts[static_cast<int>(o.result)];
    if (o.result == PrecompileResult::kFresh) continue;
    std::printf("%s: %s", o.name.c_str(), paint(o.result).c_str());
    if (!o.verdict.reasons.empty())
      std::printf(" (%s: %s)", std::string(ReasonCodeName(o.verdict.reasons[0].code)).c_str(),
                  o.verdict.reasons[0].detail.c_str());
    std::printf("\n");
  }
  std::printf("%zu packages:", r.packages.size());
  bool first = true;
  for (PrecompileResult res : {PrecompileResult::kFresh, PrecompileResult::kStale,
                               PrecompileResult::kUnknown, PrecompileResult::kFailed,
                               PrecompileResult::kTimeout}) {
    size_t n = counts[static_cast<int>(res)];
    if (!n) continue;
    std::printf("%s %zu %s", first ? "" : ",", n, paint(res).c_str());
    first = false;
  }
  std::printf("\n");
  if (r.launched)
    std::printf("julia ran for %s (exit status %d)\n", RootNames(r.roots).c_str(), r.exit_status);
  else if (r.waited_for_other_runner)
    std::printf("another process compiled; nothing launched here\n");
  if (!r.note.empty() && !r.AllFresh()) std::printf("note: %s\n", r.note.c_str());
  if (r.launched && !r.AllFresh() && !r.output_tail.empty())
    std::printf("julia output (last lines):\n%s", r.output_tail.c_str());
}

int RunPrecompile(const std::vector<std::string>& args) {
  auto opts = ParseCommonOptions(args, {{"-j", true}, {"--jobs", true}, {"--timeout", true},
                                        {"--no-wait", false}});
  if (!opts.ok()) {
    PrintError("precompile", opts.status());
    return kExitError;
  }
  PrecompileOptions po;
  for (const char* flag : {"-j", "--jobs"}) {
    if (!opts->Has(flag)) continue;
    char* end = nullptr;
    const std::string& v = opts->flags.at(flag);
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || n < 1 || n > 4096) {
      std::fprintf(stderr, "jlcache precompile: %s expects a number of tasks from 1 to 4096, got '%s'\n",
                   flag, v.c_str());
      return kExitError;
    }
    po.jobs = static_cast<int>(n);
  }
  if (opts->Has("--timeout")) {
    char* end = nullptr;
    const std::string& v = opts->flags.at("--timeout");
    double t = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(t >= 0) || t > 1e9) {
      std::fprintf(stderr, "jlcache precompile: --timeout expects seconds (>= 0), got '%s'\n",
                   v.c_str());
      return kExitError;
    }
    po.timeout_seconds = t;
  }
  po.wait_for_other_runner = !opts->Has("--no-wait");

  // A first check that re-probes julia when a cached probe lacks facts (as
  // status does), so a cache Julia wrote since is not compiled "again".
  auto checked = OpenAndCheck(*opts, [&](Session& s) { return s.Status(opts->positional); });
  if (!checked.ok()) {
    PrintError("precompile", checked.status());
    return kExitError;
  }
  std::unique_ptr<Session>& session = checked->session;
  if (std::optional<std::string> cache = checked->probe_cache) {
    // Facts a runner learns from its julia go to the probe cache; a waiter
    // reads them there instead of launching julia to learn them again.
    if (!opts->no_write)
      po.publish_facts = [cache](const JuliaFacts& f) {
        (void)AddFactsToProbeCache(*cache, f.preference_hashes, f.accepted_clone_targets);
      };
    po.fetch_shared_facts = [cache]() -> std::optional<JuliaFacts> {
      auto p = RuntimeProfile::FromFile(*cache);
      if (!p.ok()) return std::nullopt;
      return JuliaFacts{std::move(p->preference_hashes), std::move(p->accepted_clone_targets)};
    };
  }

  absl::StatusOr<PrecompileReport> report;
  CatchInterrupts();
  po.interrupt = &g_interrupt;
  {
    ProgressView view;
    po.progress = [&view](const PrecompileProgress& p) { view.OnProgress(p); };
    report = PrecompileIfStale(*session, opts->positional, po);
  }
  KeepUntilExit(std::move(session));
  if (!report.ok()) {
    PrintError("precompile", report.status());
    if (int sig = g_interrupt.load()) return 128 + sig;
    return kExitError;
  }
  if (opts->json)
    PrintJson(*report);
  else
    PrintHuman(*report);
  if (report->interrupted_by != 0) return 128 + report->interrupted_by;
  bool any_timeout = report->timed_out;
  for (const PackageOutcome& o : report->packages)
    any_timeout = any_timeout || o.result == PrecompileResult::kTimeout;
  if (any_timeout) return kExitTimeout;
  return report->AllFresh() ? kExitOk : kExitNegative;
}

CommandRegistrar reg({"precompile",
                      "precompile [PKG...] [--runtime FILE] [--project[=DIR]] [-j N] [--timeout S] "
                      "[--no-wait] [--json]",
                      "make packages fresh: one julia run for what is stale, shared across processes",
                      &RunPrecompile});

}  // namespace
}  // namespace jlcache::cli
