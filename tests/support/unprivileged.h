// TEST-ONLY: runs a check with the permissions of an unprivileged user, so
// that permission cases are tested (never skipped) when the tests run as
// root, as in CI: a forked child drops to uid/gid 65534 and reports
// body()'s result through a pipe. As a normal user, body() runs in place.
#pragma once

#include <functional>
#include <string>

namespace jlcache::test_support {

// body()'s result, or -1 when the child could not run it.
int AsUnprivileged(const std::function<int()>& body);
// Makes path reachable by the unprivileged user (mode 0755).
void OpenUp(const std::string& path);

}  // namespace jlcache::test_support
