#include "env/host_cpu.h"

#include <sys/auxv.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "core/error.h"

namespace jlcache {
namespace {

// Keys of /proc/cpuinfo that describe the CPU model and its features, on
// x86 (vendor_id ... flags), arm64 (CPU implementer ... Features), ppc64
// and riscv (cpu, isa, uarch).
constexpr std::array<std::string_view, 15> kIdentityKeys = {
    "vendor_id",    "cpu family",       "model",       "model name", "stepping",
    "flags",        "Features",         "CPU implementer", "CPU architecture", "CPU variant",
    "CPU part",     "CPU revision",     "cpu",         "isa",        "uarch"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string CpuIdentityFromCpuinfo(std::string_view cpuinfo) {
  std::string out;
  bool in_block = false;
  size_t pos = 0;
  while (pos < cpuinfo.size()) {
    size_t nl = cpuinfo.find('\n', pos);
    if (nl == std::string_view::npos) nl = cpuinfo.size();
    std::string_view line = cpuinfo.substr(pos, nl - pos);
    pos = nl + 1;
    if (Trim(line).empty()) {
      if (in_block && !out.empty()) break;  // end of the first processor
      continue;
    }
    in_block = true;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, colon));
    for (std::string_view k : kIdentityKeys) {
      if (key != k) continue;
      out.append(key);
      out.push_back('=');
      out.append(Trim(line.substr(colon + 1)));
      out.push_back('\n');
      break;
    }
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
