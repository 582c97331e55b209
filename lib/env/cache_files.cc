// Cache files of a package: find_all_in_cache_path (candidates, in each
// version's order), compilecache_path (the name a new cache gets) and
// compilecache_pidfile_path. base/loading.jl; docs/loading.md §7-§9.
#include <algorithm>

#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/slug.h"
#include "env/env_paths.h"
#include "env/environment.h"
#include "rules/julia_rules.h"

namespace jlcache {
namespace {

// isvalid_cache_header: the prelude must be this runtime's exactly
// (jl_read_verify_header in src/staticdata_utils.c).
bool PreludeMatches(const CacheHeader& h, const RuntimeProfile& rt) {
  return h.pointer_size == rt.pointer_size && h.os == rt.os && h.arch == rt.arch &&
         h.julia_version == rt.julia_version_text && h.git_branch == rt.git_branch &&
         h.git_commit == rt.git_commit;
}

}  // namespace

absl::StatusOr<CacheCandidates> Environment::FindCacheCandidates(EnvQuery& q, const PkgId& pkg) const {
  // cache_file_entry(pkg)
  std::string entrypath = CompiledDir(runtime_.version);
  std::string prefix;
  if (pkg.uuid) {
    entrypath = JoinPath(entrypath, pkg.name);
    prefix = PackageSlug(*pkg.uuid) + "_";
  }
  const std::string exact = pkg.name + ".ji";
  CacheCandidates out;
  for (const auto& depot : depots_) {
    // isdir(dir) || continue; readdir(dir): a missing directory is skipped.
    const std::string dir = JoinPath(depot, entrypath);
    JLC_ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> names, q.files().ListDirIfExists(dir));
    if (!names) continue;
    for (const auto& file : *names) {
      bool match = pkg.uuid ? (file.size() >= prefix.size() + 3 && file.rfind(prefix, 0) == 0 &&
                               file.compare(file.size() - 3, 3, ".ji") == 0)
                            : file == exact;
      if (!match) continue;
      std::string path = JoinPath(dir, file);
      // isfile_casesensitive, then mtime: one stat, shared with the query.
      JLC_ASSIGN_OR_RETURN(std::optional<FileInfo> st, q.Stat(path));
      if (!st || !st->is_file) continue;
      out.files.push_back(CacheCandidate{path, st->JuliaMtime(), std::nullopt});
    }
  }
  if (out.files.size() <= 1) return out;
  const bool by_pkgimage = rules().candidate_order == CandidateOrder::kPkgimageThenMtime;
  const bool pkgimages_on = runtime_.pkgimages != PkgImagesMode::kNo;
  for (auto& c : out.files) {
    if (!by_pkgimage) continue;
    if (!pkgimages_on) {
      c.pkgimage = false;
      continue;
    }
    auto h = options_.header_reader(q, c.path);
    if (h.ok()) {
      c.pkgimage = PreludeMatches(**h, runtime_) && (*h)->flags.use_pkgimages();
    } else if (KindOf(h.status()) == ErrorKind::kUnsupported) {
      c.pkgimage = false;  // a format this runtime cannot have written
    } else {
      out.order_exact = false;  // Julia would read the prelude; we could not
    }
  }
  // sortperm(rev=true) is stable: ties keep discovery order.
  std::stable_sort(out.files.begin(), out.files.end(),
                   [by_pkgimage](const CacheCandidate& a, const CacheCandidate& b) {
                     if (by_pkgimage) {
                       bool pa = a.pkgimage.value_or(false), pb = b.pkgimage.value_or(false);
                       if (pa != pb) return pa;
                     }
                     return a.mtime > b.mtime;
                   });
  return out;
}

namespace {

// compilecache_path's CRC chain (loading.md §8).
std::optional<std::string> CompileCachePath(const Environment& env, const PkgId& pkg,
                                            const std::string& project) {
  const auto& depots = env.depots();
  if (depots.empty()) return std::nullopt;
  const RuntimeProfile& rt = env.runtime();
  std::string cachepath =
      AbsPathFrom(env.options().cwd, JoinPath(depots[0], CompiledDir(rt.version)));
  if (!pkg.uuid) return JoinPath(cachepath, pkg.name + ".ji");
  const PreferencesNameForm form = rt.EffectivePreferencesNameForm();
  if (form == PreferencesNameForm::kUnknown) return std::nullopt;
  uint32_t crc = Crc32cStr(project);
  crc = Crc32cStr(rt.image_file, crc);
  crc = Crc32cStr(rt.julia_bin, crc);
  const uint8_t flags = rt.cache_flags;
  crc = Crc32c(&flags, 1, crc);
  auto it = env.options().env.find("JULIA_CPU_TARGET");
  crc = Crc32cStr(it != env.options().env.end() ? it->second : rt.cpu_target, crc);
  if (form == PreferencesNameForm::kHash) {
    const unsigned char zero[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // prefs_hash 0 as UInt64
    crc = Crc32c(zero, sizeof zero, crc);
  }  // blob era: the empty blob adds nothing
  return JoinPath(JoinPath(cachepath, pkg.name), PackageSlug(*pkg.uuid) + "_" + Slug(crc, 5) + ".ji");
}

}  // namespace

std::optional<std::string> Environment::NewCacheFileName(const PkgId& pkg) const {
  return CompileCachePath(*this, pkg, active_project_.value_or(""));
}

std::optional<std::string> Environment::PidfilePath(const PkgId& pkg) const {
  auto p = CompileCachePath(*this, pkg, "");
  if (!p) return std::nullopt;
  return *p + ".pidfile";
}

}  // namespace jlcache
