#include "env/host_cpu.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "core/error.h"
#include "core/text_lines.h"

namespace jlcache {
namespace {

// Keys of /proc/cpuinfo that describe the CPU model and its features, on
// x86 (vendor_id ... flags), arm64 (CPU implementer ... Features), ppc64
// and riscv (cpu, isa, uarch).
constexpr std::array<std::string_view, 15> kIdentityKeys = {
    "vendor_id",    "cpu family",       "model",       "model name", "stepping",
    "flags",        "Features",         "CPU implementer", "CPU architecture", "CPU variant",
    "CPU part",     "CPU revision",     "cpu",         "isa",        "uarch"};

}  // namespace

std::string CpuIdentityFromCpuinfo(std::string_view cpuinfo) {
  std::string out;
  for (std::string_view line : Lines(cpuinfo)) {
    if (TrimBlanks(line).empty()) {
      if (!out.empty()) break;  // end of the first processor
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = TrimBlanks(line.substr(0, colon));
    if (std::find(kIdentityKeys.begin(), kIdentityKeys.end(), key) == kIdentityKeys.end()) continue;
    out += Cat(key, "=", TrimBlanks(line.substr(colon + 1)), "\n");
  }
  return out;
}

const std::string& HostCpuIdentity() {
  static const std::string identity = [] {
    std::string id;
    // /proc/cpuinfo reports size 0, so read it as a stream; the first
    // processor's block is near the start.
    if (FILE* f = std::fopen("/proc/cpuinfo", "re")) {
      std::string text;
      char buf[8192];
      size_t n;
      while (text.size() < (size_t{1} << 20) && (n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        text.append(buf, n);
        if (text.find("\n\n") != std::string::npos) break;
      }
      std::fclose(f);
      id = CpuIdentityFromCpuinfo(text);
    }
    char caps[64];
    std::snprintf(caps, sizeof caps, "hwcap=%lx,%lx\n", getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
    id += caps;
    if (id.find("\n") == id.size() - 1) {  // only the capability line: no cpuinfo
      char host[256] = {};
      if (gethostname(host, sizeof host - 1) == 0) id += Cat("host=", host, "\n");
    }
    return id;
  }();
  return identity;
}

}  // namespace jlcache
