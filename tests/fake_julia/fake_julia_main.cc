// TEST-ONLY: a stand-in `julia` for the precompile tests (no Julia in CI).
//
// It accepts the command line jlcache's precompile coordinator builds
// (-J image, flags, --project=..., -e script), reads the stale roots from the
// script's `jlcache_roots = String["A", "B"]` line, and "precompiles" by
// copying cache bytes the test prepared with the cache writer to their final
// names, through a temporary file in the same directory and a rename, like
// Julia's compilecache. What to do is read from a plan file named by
// JLCACHE_FAKE_JULIA_PLAN, one tab-separated instruction per line:
//
//   log <file>                      append one line per launch (see below)
//   cache <Root> <final.ji> <bytes> when <Root> is named, install <bytes> as <final.ji>
//   out <text> / err <text>         print a line on stdout / stderr
//   sleep <seconds>                 before installing anything
//   sleep_after <seconds>           after installing
//   fail <exit code>                print an error and exit with it (installs nothing)
//   die_mid_write                   write half of the first cache to its temp file,
//                                   then SIGKILL itself
//   kill_parent                     with die_mid_write: SIGKILL the parent first
//                                   (the whole runner dies, like kill -9 of the node)
//   grandchild <pid file>           fork a child that sleeps for 10 minutes and
//                                   write its pid to <pid file>, then sleep 10 minutes
//   mark <file>                     create <file> once the roots are read (tests use it
//                                   to know the compile is under way)
//
// Log line: "roots=A,B\targv=<a1>\x1f<a2>...\tenv=<K=V>\x1f...\tpid=<pid>\n",
// appended with one write(2) so concurrent launches never interleave.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

// The names in `jlcache_roots = String["A", "B"]` (Julia string literals with
// \" and \\ and \$ escapes).
std::vector<std::string> ParseRoots(const std::string& script) {
  std::vector<std::string> roots;
  size_t at = script.find("jlcache_roots = String[");
  if (at == std::string::npos) return roots;
  size_t i = at + std::strlen("jlcache_roots = String[");
  while (i < script.size() && script[i] != ']') {
    if (script[i] != '"') {
      ++i;
      continue;
    }
    std::string name;
    for (++i; i < script.size() && script[i] != '"'; ++i) {
      if (script[i] == '\\' && i + 1 < script.size()) ++i;
      name.push_back(script[i]);
    }
    ++i;
    roots.push_back(name);
  }
  return roots;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteAllFd(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

void MakeDirs(const std::string& dir) {
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') mkdir(dir.substr(0, i).c_str(), 0755);
  }
}

// Julia's compilecache: mktemp in the target directory, write, rename.
int OpenTemp(const std::string& final_path, std::string* temp_path) {
  std::string dir = DirOf(final_path);
  MakeDirs(dir);
  std::string tmpl = dir + "/jl_XXXXXX";
  int fd = mkstemp(tmpl.data());
  *temp_path = tmpl;
  return fd;
}

bool Install(const std::string& final_path, const std::string& bytes) {
  std::string temp;
  int fd = OpenTemp(final_path, &temp);
  if (fd < 0) return false;
  bool ok = WriteAllFd(fd, bytes);
  close(fd);
  if (!ok || rename(temp.c_str(), final_path.c_str()) != 0) {
    unlink(temp.c_str());
    return false;
  }
  return true;
}

void SleepSeconds(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

}  // namespace

int main(int argc, char** argv) {
  std::string script;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "-e") == 0) script = argv[i + 1];
  std::vector<std::string> roots = ParseRoots(script);

  const char* plan_path = std::getenv("JLCACHE_FAKE_JULIA_PLAN");
  if (!plan_path) {
    std::fprintf(stderr, "fake julia: JLCACHE_FAKE_JULIA_PLAN is not set\n");
    return 97;
  }
  std::ifstream plan(plan_path);
  if (!plan) {
    std::fprintf(stderr, "fake julia: cannot read plan %s\n", plan_path);
    return 97;
  }

  struct Cache {
    std::string root, final_path, bytes_path;
  };
  std::vector<Cache> caches;
  std::vector<std::pair<bool, std::string>> prints;  // (stdout?, text)
  std::string log_path, grandchild_pid_file, mark_path;
  double sleep_before = 0, sleep_after = 0;
  int fail_code = 0;
  bool die_mid_write = false, kill_parent = false;
  for (std::string line; std::getline(plan, line);) {
    if (line.empty()) continue;
    std::vector<std::string> f = SplitTabs(line);
    const std::string& k = f[0];
    if (k == "log" && f.size() == 2) log_path = f[1];
    else if (k == "cache" && f.size() == 4) caches.push_back({f[1], f[2], f[3]});
    else if (k == "out" && f.size() == 2) prints.push_back({true, f[1]});
    else if (k == "err" && f.size() == 2) prints.push_back({false, f[1]});
    else if (k == "sleep" && f.size() == 2) sleep_before = std::atof(f[1].c_str());
    else if (k == "sleep_after" && f.size() == 2) sleep_after = std::atof(f[1].c_str());
    else if (k == "fail" && f.size() == 2) fail_code = std::atoi(f[1].c_str());
    else if (k == "die_mid_write") die_mid_write = true;
    else if (k == "kill_parent") kill_parent = true;
    else if (k == "grandchild" && f.size() == 2) grandchild_pid_file = f[1];
    else if (k == "mark" && f.size() == 2) mark_path = f[1];
    else {
      std::fprintf(stderr, "fake julia: bad plan line: %s\n", line.c_str());
      return 97;
    }
  }

  if (!log_path.empty()) {
    std::string entry = "roots=";
    for (size_t i = 0; i < roots.size(); ++i) entry += (i ? "," : "") + roots[i];
    entry += "\targv=";
    for (int i = 0; i < argc; ++i) entry += (i ? "\x1f" : "") + std::string(argv[i]);
    entry += "\tenv=";
    bool first = true;
    for (const char* name : {"JULIA_DEPOT_PATH", "JULIA_LOAD_PATH", "JULIA_PROJECT",
                             "JULIA_CPU_TARGET", "JULIA_NUM_PRECOMPILE_TASKS"}) {
      if (const char* v = std::getenv(name)) {
        entry += (first ? "" : "\x1f") + std::string(name) + "=" + v;
        first = false;
      }
    }
    for (char& c : entry)
      if (c == '\n') c = ' ';
    entry += "\tpid=" + std::to_string(getpid()) + "\n";
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      WriteAllFd(fd, entry);
      close(fd);
    }
  }
  if (!mark_path.empty()) {
    int fd = open(mark_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  }

  for (const auto& [to_stdout, text] : prints) {
    std::fprintf(to_stdout ? stdout : stderr, "%s\n", text.c_str());
    std::fflush(to_stdout ? stdout : stderr);
  }

  if (!grandchild_pid_file.empty()) {
    pid_t child = fork();
    if (child == 0) {
      SleepSeconds(600);
      _exit(0);
    }
    std::ofstream(grandchild_pid_file) << child;
    SleepSeconds(600);
    return 0;
  }

  if (sleep_before > 0) SleepSeconds(sleep_before);

  if (fail_code != 0) {
    std::fprintf(stderr, "ERROR: LoadError: the fake package failed to precompile\n");
    std::fprintf(stderr, "in expression starting at /fake/src/Broken.jl:3\n");
    return fail_code;
  }

  for (const Cache& c : caches) {
    bool named = false;
    for (const std::string& r : roots) named = named || r == c.root;
    if (!named) continue;
    std::string bytes = ReadAll(c.bytes_path);
    if (die_mid_write) {
      std::string temp;
      int fd = OpenTemp(c.final_path, &temp);
      if (fd >= 0) WriteAllFd(fd, bytes.substr(0, bytes.size() / 2));
      std::fprintf(stderr, "fake julia: dying mid-write of %s\n", temp.c_str());
      std::fflush(stderr);
      if (kill_parent) kill(getppid(), SIGKILL);
      kill(getpid(), SIGKILL);
    }
    std::fprintf(stderr, "  %s precompiled\n", c.root.c_str());
    if (!Install(c.final_path, bytes)) {
      std::fprintf(stderr, "fake julia: cannot install %s\n", c.final_path.c_str());
      return 98;
    }
  }
  if (sleep_after > 0) SleepSeconds(sleep_after);
  return 0;
}
