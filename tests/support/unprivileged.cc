#include "support/unprivileged.h"

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jlcache::test_support {

namespace {
constexpr uid_t kNobody = 65534;
}  // namespace

int AsUnprivileged(const std::function<int()>& body) {
  if (::geteuid() != 0) return body();
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::close(fds[0]);
    int result = -1;
    if (::setgroups(0, nullptr) == 0 && ::setresgid(kNobody, kNobody, kNobody) == 0 &&
        ::setresuid(kNobody, kNobody, kNobody) == 0)
      result = body();
    ssize_t ignored = ::write(fds[1], &result, sizeof result);
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  int result = -1;
  ssize_t n = ::read(fds[0], &result, sizeof result);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return n == sizeof result ? result : -1;
}

void OpenUp(const std::string& path) { ::chmod(path.c_str(), 0755); }

}  // namespace jlcache::test_support
