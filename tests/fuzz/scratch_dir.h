// A directory of the fuzzer's own under /tmp, made once per process: the
// harnesses write the bytes they are given to files there.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <string>

namespace jlcache::fuzz {

// name: a word for the directory's name ("memo", "env").
inline const std::string& ScratchDir(const char* name) {
  static const std::string dir = [name] {
    std::string t = std::string("/tmp/jlcache-") + name + "-fuzz-XXXXXX";
    if (!::mkdtemp(t.data())) std::abort();
    return t;
  }();
  return dir;
}

}  // namespace jlcache::fuzz
