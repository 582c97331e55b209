// How a `jlcache` process ends: without tearing down what its command built.
// A whole-environment status leaves a session with hundreds of parsed cache
// headers, tables of thousands of paths and its I/O threads; freeing them
// one by one took ~2 ms of a ~85 ms cold status (benchmarks/RESULTS.md
// §18), work the kernel does at once when the process exits.
//
// Sanitizer builds tear everything down as before, so that leaks and
// destructor bugs stay visible to the test suite.
#pragma once

#include <memory>

#include "stale/session.h"

namespace jlcache::cli {

// Keeps session alive until the process ends (sanitizer builds: frees it now).
void KeepUntilExit(std::unique_ptr<Session> session);

// Flushes stdout and stderr and ends the process with `code`, skipping
// destructors (sanitizer builds: returns code, for main to return).
int EndProcess(int code);

}  // namespace jlcache::cli
