#include "stale/staleness_engine.h"

#include <sys/resource.h>

#include <xxhash.h>

#include <algorithm>

#include "absl/base/call_once.h"

#include "core/crc32c.h"
#include "core/error.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "format/depot_resolver.h"
#include "format/header_reader.h"
#include "format/native_library.h"
#include "stale/flags_match.h"
#include "stale/mtime_rule.h"

namespace jlcache {
namespace {

StalenessReason Reason(ReasonCode code, std::string detail, const std::string& cache,
                       std::optional<std::string> dependency = std::nullopt) {
  std::optional<std::string> c;
  if (!cache.empty()) c = cache;
  return StalenessReason{code, std::move(detail), std::move(c), std::move(dependency), {},
                         ReasonIsUnknown(code)};
}

CandidateResult Stale(StalenessReason r) {
  CandidateResult out;
  out.kind = VerdictKind::kStale;
  out.reasons.push_back(std::move(r));
  return out;
}

std::string DescribeMtime(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", t);
  return buf;
}


// A cold check keeps files open between their stat and their hash: at most
// 128 at once, and an eighth of the process's descriptor limit.
int OpenDescriptorBudget() {
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur == RLIM_INFINITY) return 128;
  return static_cast<int>(std::min<rlim_t>(128, rl.rlim_cur / 8));
}

}  // namespace

StalenessEngine::StalenessEngine(const RuntimeProfile& profile, EngineEnvironment* env,
                                 ContentHashMemo* memo, JuliaOracles oracles, int io_threads)
    : profile_(profile),
      env_(env),
      memo_(memo),
      oracles_(std::move(oracles)),
      pool_(io_threads),
      open_budget_(OpenDescriptorBudget()) {}

// What one query knows of one package: its entry file and its candidates
// in Julia's order, each checked once, when first needed (by the package
// itself or by a dependent's dependency rule).
struct PackageCheckState {
  struct Slot {
    absl::once_flag once;
    std::shared_ptr<const CandidateResult> result;
  };
  PkgId pkg;
  absl::StatusOr<std::optional<std::string>> source;  // locate_package
  std::vector<StalenessReason> errors;                // the candidates could not be listed
  CandidateList candidates;                           // never null
  std::unique_ptr<Slot[]> slots;                      // parallel to *candidates
};

void StalenessEngine::ClearMemo() {
  MutexLock lock(&mu_);
  headers_.clear();
}

std::shared_ptr<PackageCheckState> StalenessEngine::StateOf(Query& q, const PkgId& pkg) {
  return q.package_states.Get(pkg, [&] {
    auto st = std::make_shared<PackageState>();
    st->pkg = pkg;
    st->source = env_->Locate(q, pkg);
    auto listed = env_->CacheCandidates(q, pkg);
    if (listed.ok() && *listed) {
      st->candidates = *std::move(listed);
    } else {
      if (!listed.ok())
        st->errors.push_back(Reason(ReasonCode::kIoError, std::string(Message(listed.status())), ""));
      st->candidates = std::make_shared<const std::vector<std::string>>();
    }
    st->slots = std::make_unique<PackageState::Slot[]>(st->candidates->size());
    return st;
  });
}

std::shared_ptr<const CandidateResult> StalenessEngine::CandidateOf(Query& q, PackageState& st,
                                                                   size_t i) {
  PackageState::Slot& slot = st.slots[i];
  absl::call_once(slot.once, [&] {
    const std::string& cachefile = (*st.candidates)[i];
    // Only asked for located packages (the caller checks): a dependency is
    // one of its dependent's located required modules.
    const std::string source = st.source.ok() && *st.source ? **st.source : std::string();
    slot.result = std::make_shared<const CandidateResult>(ComputeCandidate(q, st.pkg, source, cachefile));
  });
  return slot.result;
}

std::shared_ptr<const CandidateResult> StalenessEngine::ForBuild(
    std::shared_ptr<const CandidateResult> base, const PkgId& pkg, BuildId want,
    const std::string& cachefile) const {
  // Check 7 comes before everything the base result recorded after it.
  if (want == BuildId{} || !base->build_id_checked || base->build_id == want) return base;
  return std::make_shared<const CandidateResult>(
      Stale(Reason(ReasonCode::kBuildidMismatch,
                   Cat("the cache has build ", base->build_id.ToString(), ", ", want.ToString(),
                       " is wanted"),
                   cachefile, pkg.ToString())));
}

const SysimageModule* StalenessEngine::FindSysimageModule(const PkgId& id) const {
  for (const auto& m : profile_.sysimage_modules)
    if (m.name == id.name && m.uuid == id.uuid) return &m;
  return nullptr;
}

absl::StatusOr<std::optional<FileInfo>> StalenessEngine::Stat(Query& q, std::string_view path) {
  return q.env().Stat(path);
}

absl::StatusOr<std::optional<FileInfo>> StalenessEngine::StatSource(Query& q, std::string_view path,
                                                                   OpenedSources* opened) {
  if (!opened || !opened->Reserve()) return Stat(q, path);
  UniqueFd fd;
  auto st = q.env().StatOpening(path, &fd);
  opened->Keep(path, std::move(fd));
  return st;
}

bool StalenessEngine::DepotPathExists(Query& q, const std::string& path, IncludeScan* scan) {
  // <depot>/packages/<Name>/<slug>/...: ask for the package directory first.
  for (const std::string& depot : env_->Depots()) {
    if (path.size() <= depot.size() + 1 || path.compare(0, depot.size(), depot) != 0 ||
        path[depot.size()] != '/')
      continue;
    size_t cut = depot.size();
    for (int level = 0; level < 3 && cut != std::string::npos; ++level)
      cut = path.find('/', cut + 1);
    if (cut == std::string::npos) break;
    const std::string_view dir = std::string_view(path).substr(0, cut);
    auto known = std::find_if(scan->dirs.begin(), scan->dirs.end(),
                              [&](const auto& d) { return d.first == dir; });
    if (known == scan->dirs.end()) {
      auto st = Stat(q, dir);
      // ENOENT/ENOTDIR: nothing below exists. An error: ask for the path itself.
      known = scan->dirs.emplace(scan->dirs.end(), std::string(dir), !(st.ok() && !st->has_value()));
    }
    if (!known->second) return false;
    break;
  }
  auto st = StatSource(q, path, SourcesToOpen(scan));
  return st.ok() && st->has_value();
}

absl::StatusOr<std::vector<std::string>> StalenessEngine::ResolvedIncludePaths(
    Query& q, const CacheHeader& h, const std::string& cachefile, IncludeScan* scan) {
  const auto exists = [this, &q, scan](const std::string& p) { return DepotPathExists(q, p, scan); };
  if (!profile_.rules.depot_relocation) {
    std::vector<std::string> paths;
    paths.reserve(h.includes.size());
    for (const auto& inc : h.includes) paths.push_back(inc.path);
    return paths;
  }
  if (auto uniform = ResolveDepotsUniform(h, env_->Depots(), exists)) return *std::move(uniform);
  // Some include lies in another depot, or in none: Julia's answer depends on
  // which includes are include()d sources, which only the source-text section
  // at the end of the file says.
  if (h.extent == HeaderExtent::kWholeFile) return ResolveDepots(h, env_->Depots(), exists).paths;
  JLC_ASSIGN_OR_RETURN(CacheHeader whole, ReadCacheHeaderFile(q.files(), cachefile));
  return ResolveDepots(whole, env_->Depots(), exists).paths;
}

bool StalenessEngine::IsFileNow(Query& q, const std::string& path, OpenedSources* opened) {
  auto st = StatSource(q, path, opened);
  return st.ok() && st->has_value() && (*st)->is_file;
}

bool StalenessEngine::SameFile(Query& q, const std::string& a, const std::string& b) {
  auto sa = Stat(q, a);
  auto sb = Stat(q, b);
  if (!sa.ok() || !sb.ok() || !sa->has_value() || !sb->has_value()) return false;
  return (*sa)->dev == (*sb)->dev && (*sa)->ino == (*sb)->ino;
}

// found: the query's stat of path.
StalenessEngine::ParsedCache StalenessEngine::ReadCache(
    const FileAccess& files, const std::string& path,
    const absl::StatusOr<std::optional<FileInfo>>& found, bool whole) {
  ParsedCache out;
  absl::StatusOr<FileInfo> st = !found.ok()        ? absl::StatusOr<FileInfo>(found.status())
                                : found->has_value() ? absl::StatusOr<FileInfo>(**found)
                                                     : absl::StatusOr<FileInfo>(files.Stat(path).status());
  if (!st.ok()) {
    out.error = std::string(Message(st.status()));
    return out;
  }
  out.info = *st;
  {
    MutexLock lock(&mu_);
    auto it = headers_.find(path);
    if (it != headers_.end() && SameIdentity(it->second.info, out.info)) return it->second;
  }
  const int64_t started = NowRealtimeNs();
  absl::StatusOr<CacheHeader> header = whole ? ReadCacheHeaderFile(files, path, kWholeCacheReadMax)
                                             : ReadCacheHeaderOnly(files, path);
  // A whole read that failed: the header alone decides as before (a file
  // that grew past the limit; damage past the header, which Julia finds by
  // its CRC after its other checks, and so must we).
  if (whole && !header.ok()) header = ReadCacheHeaderOnly(files, path);
  // Read whole (asked to, or small): what it hashed on the way, for the CRC
  // check of a later query.
  if (header.ok() && header->whole_file_crc && memo_ && header->file_size == out.info.size)
    memo_->Insert(out.info, *header->whole_file_crc, started);
  if (!header.ok()) {
    out.error = std::string(Message(header.status()));
    // What the bytes say is kept (keyed by stat); a failure to read them is not.
    const ErrorKind kind = KindOf(header.status());
    if (kind != ErrorKind::kCorruptCache && kind != ErrorKind::kUnsupported) return out;
  } else {
    out.header = std::make_shared<const CacheHeader>(*std::move(header));
  }
  {
    MutexLock lock(&mu_);
    headers_[path] = out;
  }
  out.read_now = true;
  return out;
}

absl::StatusOr<std::shared_ptr<const CacheHeader>> StalenessEngine::CachedHeader(
    EnvQuery& q, const std::string& path) {
  ParsedCache pc = ReadCache(q.files(), path, q.Stat(path));
  if (!pc.header) return Error(ErrorKind::kCorruptCache, pc.error);
  return pc.header;
}

absl::StatusOr<uint32_t> StalenessEngine::ContentCrc(Query& q, const std::string& path,
                                                     const FileInfo& info, OpenedSources* opened) {
  if (info.is_dir) {
    // Julia hashes join(readdir(dir)): names sorted bytewise, no separator.
    JLC_ASSIGN_OR_RETURN(std::vector<std::string> names, q.files().ListDir(path));
    std::sort(names.begin(), names.end());
    uint32_t crc = 0;
    for (const auto& n : names) crc = Crc32cStr(n, crc);
    return crc;
  }
  if (memo_) {
    if (auto hit = memo_->Lookup(info)) return *hit;
  }
  int64_t started = NowRealtimeNs();
  uint64_t size = 0;
  UniqueFd fd = opened ? opened->Take(path) : UniqueFd();
  JLC_ASSIGN_OR_RETURN(uint32_t crc, fd.valid() ? q.files().Crc32c(std::move(fd), path, info.size, &size)
                                                : q.files().Crc32c(path, &size));
  if (memo_ && size == info.size) memo_->Insert(info, crc, started);
  return crc;
}

std::optional<std::string> StalenessEngine::FixupStdlibPath(const std::string& path) const {
  // fixup_stdlib_path: map the build machine's stdlib dir to the installed one.
  if (!profile_.build_stdlib_dir) return std::nullopt;
  std::string from = NormPath(*profile_.build_stdlib_dir);
  std::string to = NormPath(profile_.stdlib_dir);
  if (from == to) return path;
  std::string p = NormPath(path);
  if (!p.starts_with(from)) return path;
  return to + p.substr(from.size());
}

std::string StalenessEngine::PreludeMismatch(const CacheHeader& h) const {
  // isvalid_cache_header: every prelude string equals the running Julia's.
  std::string mismatch;
  auto cmp = [&](std::string_view field, const std::string& cache_v, const std::string& ours) {
    if (mismatch.empty() && cache_v != ours)
      mismatch = Cat(field, " '", cache_v, "' != '", ours, "'");
  };
  cmp("julia version", h.julia_version, profile_.julia_version_text);
  cmp("git branch", h.git_branch, profile_.git_branch);
  cmp("git commit", h.git_commit, profile_.git_commit);
  cmp("os", h.os, profile_.os);
  cmp("arch", h.arch, profile_.arch);
  if (mismatch.empty() && h.pointer_size != profile_.pointer_size) mismatch = "pointer size differs";
  if (h.gc_abi) {
    cmp("GC ABI", *h.gc_abi, profile_.gc_abi);
    if (mismatch.empty() && !(h.ji_flags.value_or(0) & 1)) mismatch = "not a package image";
  } else if (mismatch.empty() && h.pkgimage_marker != 0) {
    mismatch = "pkgimage marker is set";
  }
  return mismatch;
}

std::optional<bool> StalenessEngine::AcceptsCloneTargets(Query& q, const std::string& blob) {
  uint64_t digest = XXH64(blob.data(), blob.size(), 0);
  if (std::find(profile_.accepted_clone_targets.begin(), profile_.accepted_clone_targets.end(),
                digest) != profile_.accepted_clone_targets.end())
    return true;
  // A blob the probe put to jl_check_pkgimage_clones and Julia refused.
  if (std::find(profile_.rejected_clone_targets.begin(), profile_.rejected_clone_targets.end(),
                digest) != profile_.rejected_clone_targets.end())
    return false;
  std::optional<bool> accepted;
  if (oracles_.accepts_clone_targets) {
    MutexLock lock(&oracle_mu_);
    accepted = oracles_.accepts_clone_targets(blob);
  }
  // Asked again before a remembered answer is reused; "cannot tell" cannot be.
  if (accepted)
    q.RecordCloneAnswer(blob, *accepted);
  else
    q.NoteUnrepeatableAnswer();
  return accepted;
}

// Check 11: every include still exists and is unchanged.
std::optional<StalenessReason> StalenessEngine::CheckIncludes(Query& q, const CacheHeader& h,
                                                              const std::vector<std::string>& paths,
                                                              const std::string& cachefile,
                                                              IncludeScan* scan, Undecided* undecided) {
  const JuliaRules& rules = profile_.rules;
  // An include that cannot be judged leaves the rest unchecked, undecided.
  auto undecidable = [&](StalenessReason r) -> std::optional<StalenessReason> {
    AddUndecided(undecided, std::move(r));
    return std::nullopt;
  };
  for (size_t i = 0; i < h.includes.size(); ++i) {
    const IncludeEntry& inc = h.includes[i];
    const std::string& f = paths[i];
    if (f.starts_with("@depot/"))
      return Reason(ReasonCode::kUnresolvedDepot,
                    Cat("no depot in DEPOT_PATH contains ", f.substr(7)), cachefile);
    auto st = StatSource(q, f, SourcesToOpen(scan));
    if (!st.ok()) return undecidable(Reason(ReasonCode::kIoError, std::string(Message(st.status())), cachefile));
    if (!st->has_value()) {
      // A stdlib source moved by the installation is skipped.
      std::optional<std::string> fixed = FixupStdlibPath(f);
      if (fixed && (!rules.stdlib_skip_requires_rewrite || *fixed != f) && IsFileNow(q, *fixed) &&
          fixed->starts_with(profile_.stdlib_dir))
        continue;
      if (!fixed && NormPath(f).starts_with("/") && !profile_.stdlib_dir.empty() &&
          f.find("/stdlib/v") != std::string::npos) {
        // Could be a stdlib whose build path we do not know.
        return undecidable(Reason(ReasonCode::kFileMissing,
                                  Cat(f, " does not exist, and without build_stdlib_dir it cannot "
                                         "be mapped to the installed stdlib"),
                                  cachefile));
      }
      return Reason(ReasonCode::kFileMissing, Cat(f, " does not exist"), cachefile);
    }
    const FileInfo& info = **st;
    bool mtime_tracked = !rules.includes_carry_size_and_hash || inc.mtime >= 0.0;
    if (mtime_tracked) {
      double now = info.JuliaMtime();
      if (CompareMtime(inc.mtime, now) == MtimeMatch::kStale)
        return Reason(ReasonCode::kFileChanged,
                      Cat(f, " changed (mtime ", DescribeMtime(inc.mtime), " -> ",
                          DescribeMtime(now), ")"),
                      cachefile);
      continue;
    }
    // Julia's filesize, a directory's included: its st_size.
    const uint64_t size = info.size;
    if (!inc.fsize || size != *inc.fsize)
      return Reason(ReasonCode::kFileChanged,
                    Cat(f, " changed (size ", inc.fsize ? std::to_string(*inc.fsize) : "?", " -> ",
                        std::to_string(size), ")"),
                    cachefile);
    auto crc = ContentCrc(q, f, info, &scan->opened);
    if (!crc.ok()) return undecidable(Reason(ReasonCode::kIoError, std::string(Message(crc.status())), cachefile));
    if (!inc.hash || *crc != *inc.hash)
      return Reason(ReasonCode::kFileChanged,
                    Cat(f, " changed (content hash ", inc.hash ? Hex32(*inc.hash) : "?", " -> ",
                        Hex32(*crc), ")"),
                    cachefile);
  }
  return std::nullopt;
}

void StalenessEngine::AddUndecided(Undecided* undecided, StalenessReason r) {
  r.unknown = true;
  undecided->push_back(std::move(r));
}

// Checks 1-4: the header is this Julia's, names a module, and was built with
// flags this process accepts.
std::optional<StalenessReason> StalenessEngine::CheckHeader(const CacheHeader& h,
                                                            const std::string& cachefile,
                                                            Undecided* undecided) {
  // 1. Header prelude.
  if (std::string mismatch = PreludeMismatch(h); !mismatch.empty())
    return Reason(ReasonCode::kIncompatibleHeader, Cat("written by another Julia: ", mismatch),
                  cachefile);
  // 2. Empty worklist.
  if (h.modules.empty())
    return Reason(ReasonCode::kEmptyWorklist, "the cache defines no module", cachefile);
  // 3. Cache flags.
  if (!CacheFlagsMatch(profile_.rules.flag_rule, profile_.cache_flags, h.flags.byte,
                       profile_.pkgimages == PkgImagesMode::kExisting))
    return Reason(ReasonCode::kFlagsMismatch,
                  Cat("cache flags ", Hex8(h.flags.byte), " do not serve ", Hex8(profile_.cache_flags)),
                  cachefile);
  // 4. Syntax version (1.14-dev): the mapping from a project's syntax version
  // is not reproduced, so it is never taken as passed.
  if (profile_.rules.checks_syntax_version && h.syntax_version)
    AddUndecided(undecided, Reason(ReasonCode::kSyntaxVersionUnverifiable,
                                   "the 1.14-dev syntax-version check is not reproduced", cachefile));
  return std::nullopt;
}

// Check 5: native code this process can use, and its library present.
std::optional<StalenessReason> StalenessEngine::CheckNativeCode(Query& q, const CacheHeader& h,
                                                                const std::string& ocachefile,
                                                                const std::string& cachefile,
                                                                OpenedSources* opened,
                                                                Undecided* undecided) {
  if (profile_.pkgimages == PkgImagesMode::kNo)
    return Reason(ReasonCode::kPkgimagesDisabled,
                  "a pkgimage cache, and the process runs with --pkgimages=no", cachefile);
  std::optional<bool> accepted = AcceptsCloneTargets(q, h.clone_targets);
  if (accepted && !*accepted)
    return Reason(ReasonCode::kCpuTarget, "the native code's CPU targets do not fit this machine",
                  cachefile);
  if (!accepted)
    AddUndecided(undecided,
                 Reason(ReasonCode::kCloneTargetsUnverifiable,
                        Cat("whether this Julia accepts the clone targets (xxh64 ",
                            Hex64(XXH64(h.clone_targets.data(), h.clone_targets.size(), 0)),
                            ") is not known; run `jlcache probe`"),
                        cachefile));
  // Opened when cold, for check 13 to hash.
  if (!IsFileNow(q, ocachefile, opened))
    return Reason(ReasonCode::kOcachefileMissing, Cat(ocachefile, " is missing"), cachefile);
  return std::nullopt;
}

// Check 8: required modules, as a fresh process sees them: only sysimage
// modules are loaded; every other one must be locatable, and is recorded in
// *deps for the dependency rule.
std::optional<StalenessReason> StalenessEngine::CheckRequiredModules(
    Query& q, const CacheHeader& h, const std::string& cachefile,
    std::vector<CandidateResult::Dependency>* deps, Undecided* undecided) {
  const JuliaRules& rules = profile_.rules;
  const SysimageModule* core = FindSysimageModule(PkgId{std::nullopt, "Core"});
  // The header parsed, so its format is one its own Julia wrote, and past
  // check 1 that Julia is this one.
  auto format_rules = rules.ForFormat(h.format_version);
  const bool sysimage_ids_tagged = format_rules.ok() && format_rules->sysimage_build_ids_tagged;
  for (const RequiredModule& req : h.required_modules) {
    PkgId id{req.uuid, req.name};
    if (const SysimageModule* m = FindSysimageModule(id)) {
      if (m->build_id == req.build_id) continue;
      if (id.name == "Core" && !id.uuid && rules.core_mismatch_is_immediately_stale)
        return Reason(ReasonCode::kWrongJulia,
                      Cat("built against Core ", req.build_id.ToString(), "; this Julia's Core is ",
                          m->build_id.ToString()),
                      cachefile, "Core");
      // ignore_loaded (and Core before 1.11): fall through to locating it.
    } else if (sysimage_ids_tagged && (req.build_id.hi >> 32) == kSysimageChecksumTag && core &&
               core->build_id.hi == req.build_id.hi) {
      AddUndecided(undecided, Reason(ReasonCode::kUnknownSysimageModule,
                                     Cat(id.ToString(), " is in this Julia's system image, but the "
                                                        "runtime profile does not list its build id"),
                                     cachefile, id.ToString()));
      continue;
    }
    auto located = env_->Locate(q, id);
    if (!located.ok()) {
      AddUndecided(undecided, Reason(ReasonCode::kIoError, std::string(Message(located.status())),
                                     cachefile, id.ToString()));
      continue;
    }
    if (!*located)
      return Reason(ReasonCode::kDepMissing, Cat("dependency ", id.ToString(), " cannot be located"),
                    cachefile, id.ToString());
    deps->push_back({std::move(id), req.build_id});
  }
  return std::nullopt;
}

// Check 9: the cache is for the located source (samefile, or the same after
// fixup_stdlib_path).
std::optional<StalenessReason> StalenessEngine::CheckEntryFile(Query& q, const std::string& entry,
                                                               const std::string& source,
                                                               const std::string& cachefile,
                                                               Undecided* undecided) {
  if (SameFile(q, entry, source)) return std::nullopt;
  std::optional<std::string> fixed = FixupStdlibPath(entry);
  if (fixed && (!profile_.rules.entry_fixup_requires_readable || q.files().IsReadable(*fixed)) &&
      SameFile(q, *fixed, source))
    return std::nullopt;
  if (!fixed && !profile_.stdlib_dir.empty() && source.starts_with(profile_.stdlib_dir)) {
    AddUndecided(undecided, Reason(ReasonCode::kSourcePathChanged,
                                   Cat("the cache is for ", entry,
                                       "; mapping it to the installed stdlib ",
                                       "needs build_stdlib_dir in the runtime profile"),
                                   cachefile));
    return std::nullopt;
  }
  return Reason(ReasonCode::kSourcePathChanged, Cat("the cache is for ", entry, ", not ", source),
                cachefile);
}

// Check 10: the recorded `requires` names still resolve to the same packages.
std::optional<StalenessReason> StalenessEngine::CheckRequires(Query& q, const CacheHeader& h,
                                                              const std::string& cachefile,
                                                              Undecided* undecided) {
  for (const RequiresEntry& r : h.requires_) {
    if (r.module_index < 0 || static_cast<size_t>(r.module_index) > h.modules.size())
      return Reason(ReasonCode::kCorruptCache, "a requires entry names no module", cachefile);
    // n1 == 0 (an import into Main) is PkgId(""), which identify_package
    // answers at top level (_parse_cache_header, identify_package_env).
    PkgId importer{std::nullopt, ""};
    if (r.module_index > 0) {
      const WorklistModule& importer_mod = h.modules[static_cast<size_t>(r.module_index) - 1];
      importer = PkgId{importer_mod.uuid, importer_mod.name};
    }
    // A zero UUID reads back as PkgId(nothing, name) (the PkgId constructor in
    // base/pkgid.jl), so it is compared like any other record.
    auto found = env_->Identify(q, importer, r.imported.name);
    if (!found.ok()) {
      AddUndecided(undecided, Reason(ReasonCode::kIoError, std::string(Message(found.status())),
                                     cachefile, r.imported.ToString()));
      continue;
    }
    if (!*found || !(**found == r.imported))
      return Reason(ReasonCode::kDepIdentityChanged,
                    Cat(importer.name.empty() ? std::string("Main") : importer.name, " => ",
                        r.imported.name, " now resolves to ",
                        *found ? (*found)->ToString() : std::string("nothing"), ", the cache has ",
                        r.imported.ToString()),
                    cachefile, r.imported.ToString());
  }
  return std::nullopt;
}

// Checks 12 and 13: the .ji's own CRC (a header-only read takes it through
// the content memo), then the native library's.
std::optional<StalenessReason> StalenessEngine::CheckChecksums(Query& q, const CacheHeader& h,
                                                               const FileInfo& info,
                                                               bool header_read_now,
                                                               const std::string& ocachefile,
                                                               const std::string& cachefile,
                                                               OpenedSources* opened,
                                                               Undecided* undecided) {
  std::optional<bool> crc_ok;
  if (h.extent == HeaderExtent::kWholeFile && header_read_now) {
    crc_ok = h.crc_ok;
  } else if (auto crc = ContentCrc(q, cachefile, info); crc.ok()) {
    crc_ok = CrcTrailerValid(*crc);
  } else {
    AddUndecided(undecided, Reason(ReasonCode::kIoError, std::string(Message(crc.status())), cachefile));
  }
  if (crc_ok && !*crc_ok)
    return Reason(ReasonCode::kChecksumInvalid, "the cache file fails its CRC-32C", cachefile);

  if (ocachefile.empty()) return std::nullopt;
  auto st = Stat(q, ocachefile);
  absl::StatusOr<uint32_t> crc = !st.ok()            ? absl::StatusOr<uint32_t>(st.status())
                                 : !st->has_value() ? absl::StatusOr<uint32_t>(
                                                          q.files().Stat(ocachefile).status())
                                                    : ContentCrc(q, ocachefile, **st, opened);
  if (!crc.ok()) {
    AddUndecided(undecided, Reason(ReasonCode::kIoError, std::string(Message(crc.status())), cachefile));
  } else if (*crc != h.pkgimage_crc) {
    return Reason(ReasonCode::kOcacheChecksumInvalid,
                  Cat(ocachefile, " has CRC ", Hex32(*crc), ", the cache expects ",
                      Hex32(h.pkgimage_crc)),
                  cachefile);
  }
  return std::nullopt;
}

// Check 14: preferences, as a hash (decided by the oracle or by forced
// outcomes) or as the TOML blob (compared exactly).
std::optional<StalenessReason> StalenessEngine::CheckPreferences(Query& q, const CacheHeader& h,
                                                                 const std::string& cachefile,
                                                                 Undecided* undecided) {
  auto current = [this, &q](const Uuid& u) { return env_->Preferences(q, u); };
  PreferenceOutcome prefs;
  if (h.preferences_blob) {
    prefs = CheckPreferencesBlob(*h.preferences_blob, current);
  } else {
    PreferencesHashFn hash_fn = [this, &q](const Uuid& u, const std::vector<std::string>& names)
        -> std::optional<uint64_t> {
      if (!oracles_.preferences_hash) return std::nullopt;
      MutexLock lock(&oracle_mu_);
      return oracles_.preferences_hash(q, u, names);
    };
    prefs = CheckPreferencesHash(h.modules.front().uuid,
                                 h.preference_names.value_or(std::vector<std::string>{}),
                                 h.preferences_hash.value_or(0), current, hash_fn);
  }
  if (prefs.kind == PreferenceOutcome::kStale)
    return Reason(ReasonCode::kPreferencesChanged, prefs.detail, cachefile);
  if (prefs.kind == PreferenceOutcome::kUnknown)
    AddUndecided(undecided, Reason(ReasonCode::kPreferencesUnverifiable, prefs.detail, cachefile));
  return std::nullopt;
}

// stale_cachefile for one candidate, without a wanted build id: Julia's
// checks in its order. The first definite failure decides "stale"; what a
// check cannot decide is collected and checking goes on, so the candidate is
// stale if a later check fails and otherwise unknown, never fresh.
CandidateResult StalenessEngine::ComputeCandidate(Query& q, const PkgId& expected,
                                                  const std::string& source,
                                                  const std::string& cachefile) {
  // Cold (the content memo does not know this cache file): its files will
  // all be read, so a small cache file is read whole at once (its header
  // and its CRC in one pass) and the sources and native library are opened
  // when first stat'ed (stale/opened_sources.h).
  const absl::StatusOr<std::optional<FileInfo>> found = Stat(q, cachefile);
  const bool cold = found.ok() && found->has_value() && !(memo_ && memo_->Lookup(**found));
  ParsedCache pc = ReadCache(q.files(), cachefile, found,
                             cold && (*found)->size <= kWholeCacheReadMax);
  if (!pc.header) return Stale(Reason(ReasonCode::kCorruptCache, pc.error, cachefile));
  IncludeScan scan{{}, OpenedSources(cold, &open_budget_)};

  const CacheHeader& h = *pc.header;
  CandidateResult out;
  Undecided undecided;
  // A definite failure; past check 7 it keeps the build id (see ForBuild).
  auto fail = [&](StalenessReason r) {
    CandidateResult f = Stale(std::move(r));
    f.build_id = out.build_id;
    f.build_id_checked = out.build_id_checked;
    return f;
  };

  // 1-4. Prelude, worklist, flags, syntax version.
  if (auto r = CheckHeader(h, cachefile, &undecided)) return fail(std::move(*r));

  // 5. Native code.
  const std::string ocachefile = h.has_native_code() ? NativeLibraryPath(cachefile) : "";
  if (!ocachefile.empty())
    if (auto r = CheckNativeCode(q, h, ocachefile, cachefile, &scan.opened, &undecided))
      return fail(std::move(*r));

  // 6. PkgId.
  const WorklistModule& root = h.modules.front();
  PkgId cached_id{root.uuid, root.name};
  if (!(cached_id == expected))
    return fail(Reason(ReasonCode::kPkgidMismatch,
                       Cat("the cache is for ", cached_id.ToString(), ", not ", expected.ToString()),
                       cachefile));

  // 7. Build id: compared by each reference that wants one (ForBuild).
  out.build_id = h.PackageBuildId();
  out.build_id_checked = true;

  // 8. Required modules.
  if (auto r = CheckRequiredModules(q, h, cachefile, &out.dependencies, &undecided))
    return fail(std::move(*r));

  // 9. Entry file. Julia resolves @depot paths while parsing; the result only
  // matters from here on. The shared header stays as read.
  if (h.includes.empty())
    return fail(Reason(ReasonCode::kCorruptCache, "the cache records no source file", cachefile));
  absl::StatusOr<std::vector<std::string>> resolved = ResolvedIncludePaths(q, h, cachefile, &scan);
  if (!resolved.ok())
    return fail(Reason(ReasonCode::kCorruptCache, std::string(Message(resolved.status())), cachefile));
  const std::vector<std::string>& paths = *resolved;
  if (auto r = CheckEntryFile(q, paths.front(), source, cachefile, &undecided)) return fail(std::move(*r));

  // 10. requires.
  if (auto r = CheckRequires(q, h, cachefile, &undecided)) return fail(std::move(*r));
  // 11. Include files.
  if (auto r = CheckIncludes(q, h, paths, cachefile, &scan, &undecided)) return fail(std::move(*r));
  // 12, 13. The .ji's and the native library's CRCs.
  if (auto r = CheckChecksums(q, h, pc.info, pc.read_now, ocachefile, cachefile, &scan.opened,
                              &undecided))
    return fail(std::move(*r));
  // 14. Preferences.
  if (auto r = CheckPreferences(q, h, cachefile, &undecided)) return fail(std::move(*r));

  out.reasons = std::move(undecided);
  out.kind = out.reasons.empty() ? VerdictKind::kFresh : VerdictKind::kUnknown;
  return out;
}

Verdict StalenessEngine::Check(Query& q, const PkgId& pkg) {
  Verdict v;
  v.package = pkg;
  if (FindSysimageModule(pkg)) {
    v.kind = VerdictKind::kFresh;
    v.note = "in the system image; no cache is needed";
    return v;
  }
  std::shared_ptr<PackageState> state = StateOf(q, pkg);
  if (!state->source.ok()) {
    v.kind = VerdictKind::kUnknown;
    v.reasons.push_back(Reason(ReasonCode::kIoError, std::string(Message(state->source.status())), ""));
    return v;
  }
  if (!*state->source) {
    v.kind = VerdictKind::kStale;
    v.reasons.push_back(Reason(ReasonCode::kNotInstalled,
                               Cat("the source of ", pkg.ToString(), " cannot be located"), ""));
    return v;
  }
  const std::vector<std::string>& candidates = *state->candidates;
  bool any_unknown = !state->errors.empty();
  v.reasons = state->errors;
  if (candidates.empty() && v.reasons.empty()) {
    v.kind = VerdictKind::kStale;
    v.reasons.push_back(Reason(ReasonCode::kNoCache, Cat("no cache file for ", pkg.name), ""));
    return v;
  }

  for (size_t c = 0; c < candidates.size(); ++c) {
    const std::string& cf = candidates[c];
    auto r = CandidateOf(q, *state, c);
    if (r->kind == VerdictKind::kStale) {
      v.reasons.insert(v.reasons.end(), r->reasons.begin(), r->reasons.end());
      continue;
    }
    bool cand_unknown = r->kind == VerdictKind::kUnknown;
    std::vector<StalenessReason> cand_reasons = r->reasons;
    bool cand_stale = false;
    // Dependency rule: some usable cache with exactly the recorded build id.
    std::vector<std::optional<StalenessReason>> dep_problems(r->dependencies.size());
    std::vector<char> dep_unknown(r->dependencies.size(), 0);
    pool_.ParallelFor(r->dependencies.size(), [&](size_t i) {
      const auto& dep = r->dependencies[i];
      std::shared_ptr<PackageState> ds = StateOf(q, dep.pkg);
      std::vector<StalenessReason> why;
      // Its entry file could not be looked up (an I/O error): undecided.
      bool some_unknown = !ds->errors.empty() || !ds->source.ok();
      if (ds->source.ok() && *ds->source) {
        for (size_t g = 0; g < ds->candidates->size(); ++g) {
          auto dr = ForBuild(CandidateOf(q, *ds, g), dep.pkg, dep.build_id, (*ds->candidates)[g]);
          if (dr->kind == VerdictKind::kFresh) return;
          if (dr->kind == VerdictKind::kUnknown) some_unknown = true;
          why.insert(why.end(), dr->reasons.begin(), dr->reasons.end());
        }
      }
      why.insert(why.end(), ds->errors.begin(), ds->errors.end());
      StalenessReason reason = Reason(
          ReasonCode::kDepStale,
          Cat("dependency ", dep.pkg.name, " has no usable cache with build ",
              dep.build_id.ToString()),
          cf, dep.pkg.ToString());
      reason.because = std::move(why);
      reason.unknown = some_unknown;
      dep_unknown[i] = some_unknown;
      dep_problems[i] = std::move(reason);
    });
    for (size_t i = 0; i < dep_problems.size(); ++i) {
      if (!dep_problems[i]) continue;
      if (dep_unknown[i]) {
        cand_unknown = true;
      } else {
        cand_stale = true;
      }
      cand_reasons.push_back(std::move(*dep_problems[i]));
    }
    if (!cand_stale && !cand_unknown) {
      v.kind = VerdictKind::kFresh;
      v.cache = cf;
      return v;
    }
    if (!cand_stale) any_unknown = true;
    // A definite failure hides "unknown" reasons of the same candidate.
    if (cand_stale)
      std::erase_if(cand_reasons, [](const StalenessReason& x) { return x.unknown; });
    v.reasons.insert(v.reasons.end(), cand_reasons.begin(), cand_reasons.end());
  }
  // Any candidate whose verdict could not be decided keeps the package unknown.
  for (const auto& r : v.reasons)
    if (r.unknown) any_unknown = true;
  v.kind = any_unknown ? VerdictKind::kUnknown : VerdictKind::kStale;
  return v;
}

Verdict StalenessEngine::CheckExtensionWithoutUuid(Query& q, const PkgId& ext) {
  Verdict v;
  v.package = ext;
  absl::StatusOr<bool> any_cache = env_->AnyCacheFileNamed(q, ext.name);
  if (!any_cache.ok()) {
    v.kind = VerdictKind::kUnknown;
    v.reasons.push_back(Reason(ReasonCode::kIoError, std::string(Message(any_cache.status())), ""));
  } else if (!*any_cache) {
    v.kind = VerdictKind::kStale;
    v.reasons.push_back(Reason(ReasonCode::kNoCache, Cat("no cache file for extension ", ext.name), ""));
  } else {
    v.kind = VerdictKind::kUnknown;
    v.reasons.push_back(Reason(ReasonCode::kUnknownExtensionUuid,
                               Cat("the UUID of extension ", ext.name,
                                   " cannot be computed without Julia, and none of its cache "
                                   "headers names it"),
                               ""));
  }
  return v;
}

std::vector<Verdict> StalenessEngine::CheckMany(Query& q, const std::vector<PkgId>& pkgs) {
  std::vector<Verdict> out(pkgs.size());
  pool_.ParallelFor(pkgs.size(), [&](size_t i) { out[i] = Check(q, pkgs[i]); });
  return out;
}

}  // namespace jlcache
