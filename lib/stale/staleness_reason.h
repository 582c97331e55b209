// Why a candidate cache (or a package) is not usable. Codes are stable and
// documented in docs/staleness.md with the Julia check and log text they mirror.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jlcache {

enum class ReasonCode {
  // Julia's own reason names.
  kIncompatibleHeader,
  kFlagsMismatch,
  kCpuTarget,
  kOcachefileMissing,
  kPkgidMismatch,
  kBuildidMismatch,
  kDepMissing,
  kSourcePathChanged,
  kDepIdentityChanged,
  kFileChanged,
  kFileMissing,
  kUnresolvedDepot,
  kChecksumInvalid,
  kOcacheChecksumInvalid,
  kPreferencesChanged,
  // Checks Julia performs without a named reason.
  kEmptyWorklist,
  kPkgimagesDisabled,
  kWrongJulia,
  kSyntaxVersion,
  kSyntaxVersionUnverifiable,
  // Ours.
  kNoCache,
  kNotInstalled,
  kDepStale,
  kCorruptCache,
  kPreferencesUnverifiable,
  kCloneTargetsUnverifiable,
  kUnknownSysimageModule,
  kUnknownExtensionUuid,
  kIoError,
};

std::string_view ReasonCodeName(ReasonCode code);

// Codes that never decide "stale" by themselves: the check could not be made.
bool ReasonIsUnknown(ReasonCode code);

struct StalenessReason {
  ReasonCode code;
  std::string detail;                     // one human sentence
  std::optional<std::string> cache;       // the candidate concerned
  std::optional<std::string> dependency;  // "Name [uuid]"
  // For dep_stale: why each of the dependency's candidates was rejected.
  std::vector<StalenessReason> because;
  // The check could not be decided (the verdict becomes "unknown" unless a
  // definite failure is found too).
  bool unknown = false;
};

enum class VerdictKind { kFresh, kStale, kUnknown };
std::string_view VerdictKindName(VerdictKind kind);

}  // namespace jlcache
