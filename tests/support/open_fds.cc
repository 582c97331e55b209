#include "support/open_fds.h"

#include <dirent.h>

namespace jlcache::test_support {

int OpenFdCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  while (struct dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the DIR's own descriptor
}

}  // namespace jlcache::test_support
