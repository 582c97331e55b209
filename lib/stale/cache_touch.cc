#include "stale/cache_touch.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/error.h"

namespace jlcache {

absl::Status TouchCache(const std::string& path) {
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0) return absl::OkStatus();
  if (errno == EROFS || errno == EACCES || errno == EPERM) return absl::OkStatus();
  return ErrnoError(errno, "cannot touch", path);
}

}  // namespace jlcache
