#include "env_generator.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "stale/content_hash_memo.h"
#include "support/cache_writer.h"

namespace jlcache::bench {
namespace {

using test_support::PackageCacheSpec;
using test_support::SourceFileSpec;

// ------------------------------------------------------------ randomness

// splitmix64: the same stream on every platform and standard library (the
// std distributions are implementation-defined, so they are not used).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool Chance(double p) { return Uniform() < p; }
  // Uniform integer in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Normal() {
    double u1 = Uniform(), u2 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  void Fill(char* p, size_t n) {
    while (n >= 8) {
      uint64_t v = Next();
      std::memcpy(p, &v, 8);
      p += 8;
      n -= 8;
    }
    if (n) {
      uint64_t v = Next();
      std::memcpy(p, &v, n);
    }
  }

 private:
  uint64_t s_;
};

// ------------------------------------------------------------ file helpers

constexpr int64_t kSourceEpoch = 1735689600;  // 2025-01-01T00:00:00Z
constexpr int64_t kCacheEpoch = kSourceEpoch + 10'000'000;   // ~4 months later
constexpr int64_t kEditEpoch = kSourceEpoch + 20'000'000;    // after every cache

// Most files share their directory with the previous one; GenerateWorld
// resets this at its start.
thread_local std::string last_made;

absl::Status MakeDirs(const std::string& dir) {
  if (dir == last_made) return absl::OkStatus();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorKind::kIo, "cannot create ", dir, ": ", ec.message());
  last_made = dir;
  return absl::OkStatus();
}

// Writes the whole file and sets its mtime through the descriptor.
absl::Status WriteFile(const std::string& path, std::string_view bytes, int64_t mtime_sec,
                       int64_t mtime_nsec) {
  JLC_RETURN_IF_ERROR(MakeDirs(DirName(path)));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "cannot create", path);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      return ErrnoError(e, "cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = mtime_sec;
  times[0].tv_nsec = times[1].tv_nsec = mtime_nsec;
  int rc = ::futimens(fd, times);
  int e = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError(e, "cannot set the mtime of", path);
  return absl::OkStatus();
}

// Julia's mtime double for a (sec, nsec) pair, exactly as FileInfo computes it.
double JuliaMtime(int64_t sec, int64_t nsec) {
  FileInfo fi;
  fi.mtime_sec = sec;
  fi.mtime_nsec = nsec;
  return fi.JuliaMtime();
}

// ------------------------------------------------------------ names and text

const char* const kSyllables[] = {
    "Static", "Array", "Linear", "Solve", "Diff", "Eq",     "Plot",    "Make",   "Data",
    "Frame",  "Optim", "Graph",  "Stat",  "Dist", "Base",   "Core",    "Kit",    "Tools",
    "Utils",  "Fast",  "Sparse", "Four",  "Table", "Query", "Symbol",  "Model",  "Flux",
    "Tensor", "Poly",  "Unit",   "Color", "Image", "Cairo", "Json",    "Http",   "Cache",
    "Macro",  "Forward", "Reverse", "Interval", "Mesh", "Geometry", "Signal", "Measure",
    "Random", "Chain", "Rules",  "Loop",  "Vector", "Bandit", "Order",  "Set",    "Lazy",
    "Struct", "Layout", "Infinite", "Quad", "Special", "Function", "Inter", "Polat", "Sim",
};

std::string MakeName(Rng& rng, std::set<std::string>& used) {
  constexpr size_t n = sizeof(kSyllables) / sizeof(kSyllables[0]);
  for (int attempt = 0; attempt < 64; ++attempt) {
    int parts = rng.Chance(0.6) ? 2 : (rng.Chance(0.5) ? 1 : 3);
    std::string name;
    for (int k = 0; k < parts; ++k) name += kSyllables[rng.Next() % n];
    if (used.insert(name).second) return name;
  }
  std::string name = std::string(kSyllables[rng.Next() % n]) + std::to_string(used.size());
  used.insert(name);
  return name;
}

const char* const kWords[] = {"value", "state", "apply", "reduce", "kernel", "solve", "grad",
                              "index", "layout", "buffer", "norm", "scale", "merge", "eval",
                              "update", "convert", "promote", "similar", "step", "cache"};
constexpr size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);

// Julia-looking code of exactly `size` bytes (ending in a newline).
void AppendCode(Rng& rng, std::string& out, size_t size) {
  size_t target = out.size() + size;
  while (out.size() < target) {
    const char* w = kWords[rng.Next() % kNumWords];
    const char* v = kWords[rng.Next() % kNumWords];
    unsigned k = static_cast<unsigned>(rng.Next() % 1000);
    switch (rng.Next() % 4) {
      case 0:
        out += "function "; out += w; out += '_'; out += std::to_string(k);
        out += "(x::AbstractArray{T}, y::T) where {T}\n    s = zero(T)\n    for i in eachindex(x)\n"
               "        s += x[i] * y + ";
        out += std::to_string(k); out += "\n    end\n    return "; out += v; out += "(s)\nend\n\n";
        break;
      case 1:
        out += "struct "; out += static_cast<char>('A' + k % 26); out += w; out += std::to_string(k);
        out += "{T} <: Abstract"; out += static_cast<char>('A' + k % 26);
        out += "\n    data::Vector{T}\n    "; out += v; out += "::Int\nend\n\n";
        break;
      case 2:
        out += "# "; out += w; out += " the "; out += v; out += " before "; out += w;
        out += "ing; see the docs for the invariants kept by "; out += v; out += ".\n";
        break;
      default:
        out += "@inline "; out += v; out += '_'; out += std::to_string(k); out += "(x) = ";
        out += w; out += "(x, "; out += std::to_string(k % 17); out += ")\n";
        break;
    }
  }
  out.resize(target);
  out.back() = '\n';
}

// ------------------------------------------------------------ the DAG

struct Node {
  std::vector<int> deps;
  std::vector<int> closure;  // sorted: a topological order (indices are one)
  int depth = 0;
};

void ComputeClosure(std::vector<Node>& nodes, int i) {
  std::vector<int> c;
  for (int d : nodes[i].deps) {
    c.push_back(d);
    c.insert(c.end(), nodes[d].closure.begin(), nodes[d].closure.end());
    nodes[i].depth = std::max(nodes[i].depth, nodes[d].depth + 1);
  }
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  nodes[i].closure = std::move(c);
}

// Picks `count` distinct dependencies among [0, i), weighted by popularity.
// The depth stays within kMaxDepth (the backbone reaches it exactly).
constexpr int kMaxDepth = 15;
// Only packages of depth <= max_dep_depth are picked.
std::vector<int> PickDeps(Rng& rng, const std::vector<double>& weight,
                          const std::vector<Node>& nodes, int i, int count, int max_dep_depth) {
  std::set<int> chosen;
  double total = 0;
  for (int j = 0; j < i; ++j) total += weight[j];
  for (int tries = 0; static_cast<int>(chosen.size()) < count && tries < count * 20; ++tries) {
    // Mostly popular packages; sometimes any earlier one (packages also build
    // on mid-level packages with large closures of their own).
    if (rng.Chance(0.35)) {
      int j = static_cast<int>(rng.Range(0, i - 1));
      if (nodes[j].depth <= max_dep_depth) chosen.insert(j);
      continue;
    }
    double r = rng.Uniform() * total;
    int j = 0;
    for (; j < i - 1 && r >= weight[j]; ++j) r -= weight[j];
    if (nodes[j].depth <= max_dep_depth) chosen.insert(j);
  }
  return {chosen.begin(), chosen.end()};
}

std::vector<Node> MakeDag(Rng& rng, int n, int probe_deps, int* probe_index) {
  std::vector<Node> nodes(n);
  std::vector<double> weight(n, 1.0);
  // Backbone: 16 packages spread over the order, each depending on the
  // previous one, so the depth reaches 15.
  std::vector<int> backbone;
  if (n >= 16)
    for (int k = 0; k < 16; ++k) backbone.push_back(static_cast<int>((int64_t{k} * (n - 2)) / 15));
  const int probe = (probe_deps > 0 && n - 1 > probe_deps) ? n - 1 : -1;
  *probe_index = probe;
  for (int i = 0; i < n; ++i) {
    if (i == probe) continue;
    int count = 0;
    if (i > 0) {
      if (rng.Chance(0.03) && i > 60) {
        count = static_cast<int>(rng.Range(15, 45));  // an umbrella package
      } else if (!rng.Chance(0.22)) {
        count = static_cast<int>(std::lround(rng.LogNormal(2.5, 0.8)));
      }
      count = std::clamp(count, 0, i);
    }
    // Backbone package k has depth exactly k; every other one at most 15.
    auto b = std::find(backbone.begin(), backbone.end(), i);
    int max_dep_depth = kMaxDepth - 1;
    if (b != backbone.end()) max_dep_depth = static_cast<int>(b - backbone.begin()) - 1;
    nodes[i].deps = PickDeps(rng, weight, nodes, i, count, max_dep_depth);
    if (b != backbone.end() && b != backbone.begin()) nodes[i].deps.push_back(*(b - 1));
    std::sort(nodes[i].deps.begin(), nodes[i].deps.end());
    nodes[i].deps.erase(std::unique(nodes[i].deps.begin(), nodes[i].deps.end()),
                        nodes[i].deps.end());
    for (int d : nodes[i].deps) weight[d] += 1.5;  // popular packages get more popular
    ComputeClosure(nodes, i);
  }
  if (probe >= 0) {
    // Exactly probe_deps transitive dependencies: add packages whose closure
    // still fits, largest useful first, then fill with leaves.
    std::set<int> closure;
    std::vector<int> order(probe);
    for (int j = 0; j < probe; ++j) order[j] = j;
    for (int j = probe - 1; j > 0; --j) std::swap(order[j], order[rng.Next() % (j + 1)]);
    for (int j : order) {
      if (static_cast<int>(closure.size()) >= probe_deps) break;
      if (closure.count(j) || nodes[j].depth > kMaxDepth - 1) continue;
      std::set<int> with = closure;
      with.insert(j);
      with.insert(nodes[j].closure.begin(), nodes[j].closure.end());
      if (static_cast<int>(with.size()) > probe_deps) continue;
      closure = std::move(with);
      nodes[probe].deps.push_back(j);
    }
    std::sort(nodes[probe].deps.begin(), nodes[probe].deps.end());
    ComputeClosure(nodes, probe);
  }
  return nodes;
}

// ------------------------------------------------------------ the world

struct SourceFile {
  std::string rel;       // relative to the package dir
  std::string text;
  int64_t mtime_sec = 0, mtime_nsec = 0;
  bool is_include = true;  // false: include_dependency (not in the source text)
};

struct PackagePlan {
  std::vector<SourceFile> files;
  std::string tree_sha1_hex;
  RequiredModule fresh_module;  // what dependents record
};

std::string ProjectTomlOf(const GeneratedPackage& p, const std::vector<GeneratedPackage>& all) {
  std::string t = "name = \"" + p.name + "\"\nuuid = \"" + p.uuid.ToString() +
                  "\"\nauthors = [\"Generated <bench@example.org>\"]\nversion = \"1.2.3\"\n";
  if (!p.deps.empty()) {
    t += "\n[deps]\n";
    for (int d : p.deps) t += all[d].name + " = \"" + all[d].uuid.ToString() + "\"\n";
    t += "\n[compat]\n";
    for (int d : p.deps) t += all[d].name + " = \"1\"\n";
  }
  t += "\n[compat.julia]\njulia = \"1.10\"\n";
  return t;
}

}  // namespace

const char* CandidateKindName(CandidateKind kind) {
  switch (kind) {
    case CandidateKind::kFresh: return "fresh";
    case CandidateKind::kOlderBuild: return "older_build";
    case CandidateKind::kOtherCommit: return "other_commit";
    case CandidateKind::kOtherFlags: return "other_flags";
  }
  return "?";
}

std::string GeneratedWorld::DepotPathVar() const {
  std::string v;
  for (const auto& d : depots) v += (v.empty() ? "" : ":") + d;
  return v;
}

std::map<std::string, std::string> GeneratedWorld::Env() const {
  return {{"JULIA_DEPOT_PATH", DepotPathVar()}, {"HOME", home}};
}

std::string GeneratedWorld::Summary() const {
  auto mb = [](uint64_t b) { return std::to_string((b + 500'000) / 1'000'000) + " MB"; };
  return Cat("world ", root, " (Julia ", julia_version, "): ", packages.size(), " packages, ",
             dependency_edges, " direct dependency edges, ", required_module_refs,
             " required-module references, depth ", max_depth, "; ", source_files,
             " source files (", mb(source_bytes), "), ", ji_files, " .ji (", mb(ji_bytes), "), ",
             so_files, " .so (", mb(so_bytes), "); ", stale_packages, " stale packages");
}

absl::StatusOr<GeneratedWorld> GenerateWorld(const GeneratorOptions& opt) {
  if (opt.packages < 1 || opt.packages > 100000)
    return Error(ErrorKind::kInvalidArgument, "--packages must be between 1 and 100000");
  if (opt.stale_fraction < 0 || opt.stale_fraction > 1)
    return Error(ErrorKind::kInvalidArgument, "--stale-fraction must be between 0 and 1");
  {
    std::error_code ec;
    if (std::filesystem::exists(opt.out_dir, ec) && !std::filesystem::is_empty(opt.out_dir, ec))
      return Error(ErrorKind::kInvalidArgument, "the output directory is not empty: ", opt.out_dir);
  }
  last_made.clear();
  const bool v110 = opt.layout == WorldLayout::kJulia110;
  const HeaderLayout layout = v110 ? HeaderLayout::kA : HeaderLayout::kB;

  GeneratedWorld w;
  w.root = AbsPath(opt.out_dir);
  w.layout = opt.layout;
  w.julia_version = test_support::DefaultJuliaVersion(layout);
  const std::string major_minor = v110 ? "v1.10" : "v1.11";
  const std::string git_branch = v110 ? "release-1.10" : "release-1.11";
  const std::string git_commit = v110 ? "48d4fd48430af58502699fdf3504b90589df3852"
                                      : "f2b3dbda30ae4f7bb4fcbd1e0a6d4c36b3efb43c";
  const std::string other_commit = "0123456789abcdef0123456789abcdef01234567";
  w.depots = {JoinPath(w.root, "depot-user"), JoinPath(w.root, "depot-shared")};
  w.project_dir = JoinPath(w.root, "project");
  w.profile_path = JoinPath(w.root, "runtime.toml");
  w.home = JoinPath(w.root, "home");
  const std::string julia_prefix = JoinPath(w.root, "julia");
  const std::string stdlib_dir = JoinPath(julia_prefix, "share/julia/stdlib/" + major_minor);
  for (const auto& d : {w.depots[0], w.depots[1], w.project_dir, w.home, stdlib_dir,
                        JoinPath(julia_prefix, "bin")})
    JLC_RETURN_IF_ERROR(MakeDirs(d));

  Rng rng(opt.seed * 0x2545F4914F6CDD1DULL + 7);
  std::vector<Node> dag = MakeDag(rng, opt.packages, opt.probe_dependencies, &w.probe_package);

  // Identities and places.
  std::set<std::string> used_names;
  std::vector<PackagePlan> plans(opt.packages);
  w.packages.resize(opt.packages);
  for (int i = 0; i < opt.packages; ++i) {
    GeneratedPackage& p = w.packages[i];
    p.name = i == w.probe_package ? "ProbeUmbrella" : MakeName(rng, used_names);
    p.uuid = Uuid{(rng.Next() & ~0xF000ULL) | 0x4000ULL,
                  (rng.Next() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL};
    p.deps = dag[i].deps;
    p.closure_size = static_cast<int>(dag[i].closure.size());
    p.depth = dag[i].depth;
    // Foundational (early) packages are more often site-installed.
    double shared_p = i < opt.packages / 2 ? 0.7 : 0.4;
    p.depot = i == w.probe_package ? 0 : (rng.Chance(shared_p) ? 1 : 0);
    std::string sha(20, '\0');
    rng.Fill(sha.data(), sha.size());
    plans[i].tree_sha1_hex = HexBytes(sha);
    p.dir = JoinPath(w.depots[p.depot], "packages/" + p.name + "/" + VersionSlug(p.uuid, sha));
    w.dependency_edges += p.deps.size();
    w.required_module_refs += dag[i].closure.size();
    w.max_depth = std::max(w.max_depth, p.depth);
  }

  // Sources.
  for (int i = 0; i < opt.packages; ++i) {
    GeneratedPackage& p = w.packages[i];
    PackagePlan& plan = plans[i];
    int nfiles = std::clamp(static_cast<int>(std::lround(rng.LogNormal(11, 0.75))), 5, 80);
    bool data_dependency = rng.Chance(0.1);  // an include_dependency data file
    int nincludes = nfiles - 1 - (data_dependency ? 1 : 0);
    const char* const subdirs[] = {"", "", "", "utils/", "types/", "algorithms/", "io/"};
    std::vector<std::string> rels;
    for (int k = 0; k < nincludes; ++k)
      rels.push_back(std::string(subdirs[rng.Next() % 7]) + kWords[rng.Next() % kNumWords] + "_" +
                     std::to_string(k) + ".jl");
    auto file_size = [&] {
      double s = rng.LogNormal(2600, 1.15) * opt.size_scale;
      return static_cast<size_t>(std::clamp(s, 200.0, 200'000.0));
    };
    int64_t t = kSourceEpoch + int64_t{i} * 1000;
    auto stamp = [&](SourceFile& f, int k) {
      f.mtime_sec = t + k;
      f.mtime_nsec = static_cast<int64_t>(rng.Next() % 1'000'000'000);
    };
    SourceFile entry;
    entry.rel = "src/" + p.name + ".jl";
    entry.text = "module " + p.name + "\n\n";
    for (int d : p.deps) entry.text += "using " + w.packages[d].name + "\n";
    entry.text += "\nexport " + std::string(kWords[i % kNumWords]) + "\n\n";
    for (const auto& r : rels) entry.text += "include(\"" + r + "\")\n";
    entry.text += "\n";
    size_t want = file_size();
    if (entry.text.size() + 20 < want) AppendCode(rng, entry.text, want - entry.text.size() - 20);
    entry.text += "\nend # module\n";
    stamp(entry, 0);
    plan.files.push_back(std::move(entry));
    for (size_t k = 0; k < rels.size(); ++k) {
      SourceFile f;
      f.rel = "src/" + rels[k];
      AppendCode(rng, f.text, file_size());
      stamp(f, static_cast<int>(k) + 1);
      plan.files.push_back(std::move(f));
    }
    if (data_dependency) {
      SourceFile f;
      f.rel = "data/table.toml";
      f.is_include = false;
      f.text = "[table]\n";
      AppendCode(rng, f.text, file_size());
      stamp(f, nfiles);
      plan.files.push_back(std::move(f));
    }
    for (const SourceFile& f : plan.files) {
      std::string abs = JoinPath(p.dir, f.rel);
      JLC_RETURN_IF_ERROR(WriteFile(abs, f.text, f.mtime_sec, f.mtime_nsec));
      p.sources.push_back(abs);
      p.source_bytes += f.text.size();
    }
    JLC_RETURN_IF_ERROR(WriteFile(JoinPath(p.dir, "Project.toml"), ProjectTomlOf(p, w.packages),
                                  t, 0));
    w.source_files += p.sources.size();
    w.source_bytes += p.source_bytes;
  }

  // Caches, dependencies first (indices are a topological order).
  const std::string clone_targets =
      test_support::GenericCloneTargets(test_support::CloneTargetEncodingOf(layout), "x86_64");
  for (int i = 0; i < opt.packages; ++i) {
    GeneratedPackage& p = w.packages[i];
    const PackagePlan& plan = plans[i];
    std::vector<CandidateKind> kinds = {CandidateKind::kFresh};
    if (rng.Chance(0.35)) kinds.push_back(CandidateKind::kOlderBuild);
    if (rng.Chance(0.2))
      kinds.push_back(p.depot == 1 && rng.Chance(0.5) ? CandidateKind::kOtherFlags
                                                       : CandidateKind::kOtherCommit);
    const int64_t fresh_time = kCacheEpoch + int64_t{i} * 10;
    for (CandidateKind kind : kinds) {
      PackageCacheSpec spec;
      spec.layout = layout;
      spec.git_branch = git_branch;
      spec.git_commit = kind == CandidateKind::kOtherCommit ? other_commit : git_commit;
      spec.name = p.name;
      spec.uuid = p.uuid;
      spec.build_id_lo = rng.Next();
      spec.heap_crc = static_cast<uint32_t>(rng.Next());
      spec.flags = kind == CandidateKind::kOtherFlags ? 0xb3 : 0xa3;
      spec.clone_targets = clone_targets;
      for (size_t k = 0; k < plan.files.size(); ++k) {
        const SourceFile& f = plan.files[k];
        std::string abs = JoinPath(p.dir, f.rel);
        std::string stored =
            v110 ? abs : "@depot" + abs.substr(w.depots[p.depot].size());
        std::string text = f.text;
        double mtime = JuliaMtime(f.mtime_sec, f.mtime_nsec);
        if (kind == CandidateKind::kOlderBuild && k + 1 == plan.files.size()) {
          text += "# the previous release\n";
          mtime -= 86400;
        }
        SourceFileSpec s = k == 0 ? test_support::EntryFile(stored, text, mtime)
                          : f.is_include ? test_support::IncludedFile(stored, text, mtime)
                                         : test_support::DependencyFile(stored, text, !v110, mtime);
        s.track_content = !v110;
        s.mtime = mtime;
        spec.files.push_back(std::move(s));
      }
      for (int d : p.deps)
        spec.requires_.push_back(PkgId{w.packages[d].uuid, w.packages[d].name});
      spec.required_modules = test_support::DefaultSysimageModules();
      for (int d : dag[i].closure) spec.required_modules.push_back(plans[d].fresh_module);

      // The native library: opaque bytes, sized like real pkgimages relative
      // to the source (clamped).
      std::string so(std::clamp<uint64_t>(p.source_bytes / 2, 8192, 2 << 20), '\0');
      rng.Fill(so.data(), so.size());
      std::memcpy(so.data(), "\x7f" "ELF", 4);
      spec.crc_so = Crc32cStr(so);

      test_support::WrittenCache written = test_support::MakePackageCache(spec);
      int depot = kind == CandidateKind::kOtherFlags ? 0 : p.depot;
      std::string stem = PackageSlug(p.uuid) + "_" + Slug(static_cast<uint32_t>(rng.Next()), 5);
      std::string dir = JoinPath(w.depots[depot], "compiled/" + major_minor + "/" + p.name);
      int64_t when = fresh_time;
      if (kind == CandidateKind::kOlderBuild) when -= 86400;
      if (kind == CandidateKind::kOtherCommit) when += 3600;
      if (kind == CandidateKind::kOtherFlags) when += 1800;
      GeneratedCache c;
      c.kind = kind;
      c.ji_path = JoinPath(dir, stem + ".ji");
      c.so_path = JoinPath(dir, stem + ".so");
      c.ji_bytes = written.bytes.size();
      c.so_bytes = so.size();
      c.header_bytes = written.header.srctextpos > 0
                           ? static_cast<uint64_t>(written.header.srctextpos)
                           : written.bytes.size();
      JLC_RETURN_IF_ERROR(WriteFile(c.so_path, so, when, 0));
      JLC_RETURN_IF_ERROR(WriteFile(c.ji_path, written.bytes, when, 0));
      if (kind == CandidateKind::kFresh) plans[i].fresh_module = test_support::RequiredModuleFor(written.header);
      w.ji_files += 1;
      w.ji_bytes += c.ji_bytes;
      w.so_files += 1;
      w.so_bytes += c.so_bytes;
      p.caches.push_back(std::move(c));
    }
  }

  // Edits after compiling: those packages and everything depending on them
  // are stale.
  int edits = static_cast<int>(std::lround(opt.stale_fraction * opt.packages));
  std::vector<int> order(opt.packages);
  for (int j = 0; j < opt.packages; ++j) order[j] = j;
  for (int j = opt.packages - 1; j > 0; --j) std::swap(order[j], order[rng.Next() % (j + 1)]);
  std::vector<bool> stale(opt.packages, false);
  for (int k = 0; k < edits; ++k) {
    GeneratedPackage& p = w.packages[order[k]];
    SourceFile& f = plans[order[k]].files.back();
    f.text += "# edited after compiling\n";
    JLC_RETURN_IF_ERROR(WriteFile(JoinPath(p.dir, f.rel), f.text, kEditEpoch, 0));
    p.source_bytes += 25;
    w.source_bytes += 25;
    p.edited = true;
    stale[order[k]] = true;
  }
  for (int i = 0; i < opt.packages; ++i)
    for (int d : dag[i].closure)
      if (stale[d]) stale[i] = true;
  w.stale_packages = static_cast<int>(std::count(stale.begin(), stale.end(), true));

  // The project: every package nothing depends on, plus a few others.
  std::vector<bool> has_dependents(opt.packages, false);
  for (const auto& p : w.packages)
    for (int d : p.deps) has_dependents[d] = true;
  std::string project = "[deps]\n";
  std::vector<int> sorted(opt.packages);
  for (int j = 0; j < opt.packages; ++j) sorted[j] = j;
  std::sort(sorted.begin(), sorted.end(),
            [&](int a, int b) { return w.packages[a].name < w.packages[b].name; });
  for (int j : sorted)
    if (!has_dependents[j] || rng.Chance(0.05))
      project += w.packages[j].name + " = \"" + w.packages[j].uuid.ToString() + "\"\n";
  JLC_RETURN_IF_ERROR(WriteFile(JoinPath(w.project_dir, "Project.toml"), project, kCacheEpoch, 0));
  std::string manifest = "# This file is machine-generated - editing it directly is not advised\n\n";
  manifest += "julia_version = \"" + w.julia_version + "\"\nmanifest_format = \"2.0\"\n";
  std::string project_hash(20, '\0');
  rng.Fill(project_hash.data(), project_hash.size());
  manifest += "project_hash = \"" + HexBytes(project_hash) + "\"\n";
  for (int j : sorted) {
    const GeneratedPackage& p = w.packages[j];
    manifest += "\n[[deps." + p.name + "]]\n";
    if (!p.deps.empty()) {
      manifest += "deps = [";
      for (size_t k = 0; k < p.deps.size(); ++k)
        manifest += (k ? ", \"" : "\"") + w.packages[p.deps[k]].name + "\"";
      manifest += "]\n";
    }
    manifest += "git-tree-sha1 = \"" + plans[j].tree_sha1_hex + "\"\n";
    manifest += "uuid = \"" + p.uuid.ToString() + "\"\nversion = \"1.2.3\"\n";
  }
  JLC_RETURN_IF_ERROR(WriteFile(JoinPath(w.project_dir, "Manifest.toml"), manifest, kCacheEpoch, 0));

  // The runtime profile of the Julia that "wrote" the fresh caches.
  std::string prof;
  prof += "julia_version = \"" + w.julia_version + "\"\n";
  prof += "git_branch = \"" + git_branch + "\"\ngit_commit = \"" + git_commit + "\"\n";
  prof += "os = \"Linux\"\narch = \"x86_64\"\npointer_size = 8\n";
  prof += "julia_bin = \"" + JoinPath(julia_prefix, "bin/julia") + "\"\n";
  prof += "image_file = \"" + JoinPath(julia_prefix, "lib/julia/sys.so") + "\"\n";
  prof += "cpu_target = \"native\"\n";
  prof += "stdlib_dir = \"" + stdlib_dir + "\"\n";
  prof += "pkgimages = \"yes\"\ncache_flags = 0xa3\n";
  prof += "accepted_clone_targets = [\"" +
          Hex64(XXH64(clone_targets.data(), clone_targets.size(), 0)) + "\"]\n";
  for (const auto& m : test_support::DefaultSysimageModules()) {
    prof += "\n[[sysimage_modules]]\nname = \"" + m.name + "\"\n";
    if (m.uuid) prof += "uuid = \"" + m.uuid->ToString() + "\"\n";
    prof += "build_id = \"" + m.build_id.ToString() + "\"\n";
  }
  JLC_RETURN_IF_ERROR(WriteFile(w.profile_path, prof, kCacheEpoch, 0));

  // The shared depot is a read-only site install.
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(w.depots[1], ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::filesystem::permissions(it->path(),
                                 std::filesystem::perms::owner_write |
                                     std::filesystem::perms::group_write |
                                     std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::remove, ec);
    if (ec) break;
  }
  if (ec) return Error(ErrorKind::kIo, "cannot make the shared depot read-only: ", ec.message());
  w.written_at_ns = NowRealtimeNs();
  return w;
}

void WaitUntilMemoTrustable(const GeneratedWorld& world) {
  const int64_t ready = world.written_at_ns + ContentHashMemo::kRacyWindowNs + 200'000'000;
  int64_t now = NowRealtimeNs();
  if (now < ready) std::this_thread::sleep_for(std::chrono::nanoseconds(ready - now));
}

absl::Status RemoveWorld(const std::string& root) {
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  if (ec) return Error(ErrorKind::kIo, "cannot remove ", root, ": ", ec.message());
  return absl::OkStatus();
}

}  // namespace jlcache::bench
