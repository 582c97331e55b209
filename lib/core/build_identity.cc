#include "core/build_identity.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include "core/error.h"

namespace jlcache {

const std::optional<std::string>& BuildIdentity() {
  static const std::optional<std::string> identity = []() -> std::optional<std::string> {
    Dl_info info;
    if (::dladdr(reinterpret_cast<const void*>(&BuildIdentity), &info) == 0 || !info.dli_fname)
      return std::nullopt;
    // For the executable itself glibc reports argv[0], which may be relative
    // to a directory we have since left: the kernel's link names the file.
    const std::string path = info.dli_fname[0] == '/' ? info.dli_fname : "/proc/self/exe";
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    return Cat(JLCACHE_VERSION_STRING, " ", path, " ", st.st_dev, ":", st.st_ino, " ",
               st.st_size, " ", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
  }();
  return identity;
}

}  // namespace jlcache
