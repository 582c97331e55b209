// toml++'s parser, compiled once into jlcache instead of linked as
// libtomlplusplus.so: one shared object fewer to map and relocate at every
// start of the CLI (issue 15), and no toml++ symbols exported from
// libjlcache.so (its version script keeps them hidden). The headers are
// Debian's (libtomlplusplus-dev); every translation unit sees
// TOML_HEADER_ONLY=0 through the jlcache_toml target (CMakeLists.txt).
#define TOML_IMPLEMENTATION
#include "core/toml.h"
