#include "whatif_memoized_env.h"

#include "core/error.h"

namespace jlcache::bench {
namespace {

// "Not found" the way Julia's functions return `nothing` (as in session.cc).
bool IsNothing(const absl::Status& s) {
  ErrorKind k = KindOf(s);
  return k == ErrorKind::kPackageNotFound || k == ErrorKind::kNotInstalled ||
         k == ErrorKind::kManifestMissing || k == ErrorKind::kNotFound;
}

}  // namespace

void MemoizedEngineEnv::Clear() {
  absl::MutexLock lock(&mu_);
  located_.clear();
  identified_.clear();
  candidates_.clear();
  preferences_.clear();
  env_->toml_cache().Clear();
}

absl::StatusOr<std::optional<std::string>> MemoizedEngineEnv::Locate(const PkgId& pkg) {
  {
    absl::MutexLock lock(&mu_);
    auto it = located_.find(pkg);
    if (it != located_.end()) return it->second;
  }
  absl::StatusOr<std::optional<std::string>> out;
  auto located = env_->Locate(pkg);
  if (located.ok()) {
    out = std::optional<std::string>(located->entry_file);
  } else if (IsNothing(located.status())) {
    out = std::optional<std::string>();
  } else {
    out = located.status();
  }
  absl::MutexLock lock(&mu_);
  return located_.try_emplace(pkg, std::move(out)).first->second;
}

absl::StatusOr<std::optional<PkgId>> MemoizedEngineEnv::Identify(const PkgId& where,
                                                                 const std::string& name) {
  IdentifyKey key{where, name};
  {
    absl::MutexLock lock(&mu_);
    auto it = identified_.find(key);
    if (it != identified_.end()) return it->second;
  }
  absl::StatusOr<std::optional<PkgId>> out;
  auto id = env_->Identify(where, name);
  if (id.ok()) {
    out = std::optional<PkgId>(*id);
  } else if (IsNothing(id.status())) {
    out = std::optional<PkgId>();
  } else {
    out = id.status();
  }
  absl::MutexLock lock(&mu_);
  return identified_.try_emplace(std::move(key), std::move(out)).first->second;
}

absl::StatusOr<std::vector<std::string>> MemoizedEngineEnv::CacheCandidates(const PkgId& pkg) {
  {
    absl::MutexLock lock(&mu_);
    auto it = candidates_.find(pkg);
    if (it != candidates_.end()) return it->second;
  }
  absl::StatusOr<std::vector<std::string>> out;
  auto found = env_->FindCacheCandidates(pkg);
  if (found.ok()) {
    std::vector<std::string> paths;
    for (auto& c : found->files) paths.push_back(std::move(c.path));
    out = std::move(paths);
  } else {
    out = found.status();
  }
  absl::MutexLock lock(&mu_);
  return candidates_.try_emplace(pkg, std::move(out)).first->second;
}

std::optional<toml::table> MemoizedEngineEnv::Preferences(const Uuid& uuid) {
  {
    absl::MutexLock lock(&mu_);
    auto it = preferences_.find(uuid);
    if (it != preferences_.end()) return it->second;
  }
  std::optional<toml::table> out;
  auto prefs = env_->Preferences(uuid);
  if (prefs.ok()) out = *std::move(prefs);
  absl::MutexLock lock(&mu_);
  return preferences_.try_emplace(uuid, std::move(out)).first->second;
}

}  // namespace jlcache::bench
