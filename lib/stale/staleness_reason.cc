#include "stale/staleness_reason.h"

namespace jlcache {

std::string_view ReasonCodeName(ReasonCode code) {
  switch (code) {
    case ReasonCode::kIncompatibleHeader: return "incompatible_header";
    case ReasonCode::kFlagsMismatch: return "flags_mismatch";
    case ReasonCode::kCpuTarget: return "cpu_target";
    case ReasonCode::kOcachefileMissing: return "ocachefile_missing";
    case ReasonCode::kPkgidMismatch: return "pkgid_mismatch";
    case ReasonCode::kBuildidMismatch: return "buildid_mismatch";
    case ReasonCode::kDepMissing: return "dep_missing";
    case ReasonCode::kSourcePathChanged: return "source_path_changed";
    case ReasonCode::kDepIdentityChanged: return "dep_identity_changed";
    case ReasonCode::kFileChanged: return "file_changed";
    case ReasonCode::kFileMissing: return "file_missing";
    case ReasonCode::kUnresolvedDepot: return "unresolved_depot";
    case ReasonCode::kChecksumInvalid: return "checksum_invalid";
    case ReasonCode::kOcacheChecksumInvalid: return "ocache_checksum_invalid";
    case ReasonCode::kPreferencesChanged: return "preferences_changed";
    case ReasonCode::kEmptyWorklist: return "empty_worklist";
    case ReasonCode::kPkgimagesDisabled: return "pkgimages_disabled";
    case ReasonCode::kWrongJulia: return "wrong_julia";
    case ReasonCode::kSyntaxVersion: return "syntax_version";
    case ReasonCode::kSyntaxVersionUnverifiable: return "syntax_version_unverifiable";
    case ReasonCode::kNoCache: return "no_cache";
    case ReasonCode::kNotInstalled: return "not_installed";
    case ReasonCode::kDepStale: return "dep_stale";
    case ReasonCode::kCorruptCache: return "corrupt_cache";
    case ReasonCode::kPreferencesUnverifiable: return "preferences_unverifiable";
    case ReasonCode::kCloneTargetsUnverifiable: return "clone_targets_unverifiable";
    case ReasonCode::kUnknownSysimageModule: return "unknown_sysimage_module";
    case ReasonCode::kUnknownExtensionUuid: return "unknown_extension_uuid";
    case ReasonCode::kIoError: return "io_error";
  }
  return "unknown";
}

bool ReasonIsUnknown(ReasonCode code) {
  switch (code) {
    case ReasonCode::kPreferencesUnverifiable:
    case ReasonCode::kCloneTargetsUnverifiable:
    case ReasonCode::kSyntaxVersionUnverifiable:
    case ReasonCode::kUnknownSysimageModule:
    case ReasonCode::kUnknownExtensionUuid:
    case ReasonCode::kIoError:
      return true;
    default:
      return false;
  }
}

std::string_view VerdictKindName(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::kFresh: return "fresh";
    case VerdictKind::kStale: return "stale";
    case VerdictKind::kUnknown: return "unknown";
  }
  return "unknown";
}

}  // namespace jlcache
