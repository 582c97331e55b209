#include "precompile/child_group_record.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/file_io.h"
#include "core/pidfile_lock.h"

namespace jlcache {
namespace {

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Members of group `pgid` that started at or after `start_ticks`.
std::vector<int> GroupMembers(int pgid, uint64_t start_ticks) {
  std::vector<int> out;
  auto names = ListDir("/proc");  // outside any query: finding live children, not a verdict
  if (!names.ok()) return out;
  for (const std::string& n : *names) {
    int pid = 0;
    if (!ParseNumber(std::string_view(n), &pid) || pid <= 0) continue;
    int g = 0;
    uint64_t t = 0;
    if (ReadProcessGroupAndStart(pid, &g, &t) && g == pgid && t >= start_ticks) out.push_back(pid);
  }
  return out;
}

// /proc files report size 0, so they are read until end-of-file.
bool ReadProcFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > 65536) break;
  }
  ::close(fd);
  return true;
}

}  // namespace

std::string ChildGroupRecordPath(const std::string& lock_path) { return lock_path + ".child"; }

std::string FormatChildGroupRecord(const ChildGroupRecord& r) {
  return Cat(r.pgid, " ", r.start_ticks, " ", r.hostname);
}

bool ParseChildGroupRecord(std::string_view text, ChildGroupRecord* out) {
  size_t a = text.find(' ');
  if (a == std::string_view::npos) return false;
  size_t b = text.find(' ', a + 1);
  if (b == std::string_view::npos) return false;
  ChildGroupRecord r;
  if (!ParseNumber(text.substr(0, a), &r.pgid) || r.pgid <= 1) return false;
  if (!ParseNumber(text.substr(a + 1, b - a - 1), &r.start_ticks)) return false;
  r.hostname = std::string(text.substr(b + 1));
  if (r.hostname.empty()) return false;
  *out = std::move(r);
  return true;
}

bool ReadProcessGroupAndStart(int pid, int* pgid, uint64_t* start_ticks) {
  std::string stat_text;
  if (!ReadProcFile(Cat("/proc/", pid, "/stat"), &stat_text)) return false;
  const std::string* text = &stat_text;
  // "pid (comm) state ppid pgrp ... starttime(22)": comm may hold spaces and
  // parentheses, so fields count from the last ')'.
  size_t paren = text->rfind(')');
  if (paren == std::string::npos) return false;
  std::vector<std::string_view> f;
  std::string_view rest = std::string_view(*text).substr(paren + 1);
  size_t pos = 0;
  while (pos < rest.size() && f.size() < 20) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    if (end > pos) f.push_back(rest.substr(pos, end - pos));
    pos = end;
  }
  // f[0] state (field 3), f[2] pgrp (field 5), f[19] starttime (field 22).
  if (f.size() < 20 || f[0] == "Z" || f[0] == "X") return false;
  return ParseNumber(f[2], pgid) && ParseNumber(f[19], start_ticks);
}

absl::Status WriteChildGroupRecord(const std::string& lock_path, int pgid) {
  ChildGroupRecord r;
  r.pgid = pgid;
  r.hostname = LocalHostName();
  int g = 0;
  // Without /proc the start time stays 0 and the record can never match a
  // leader: a takeover then kills nothing (see the header).
  if (!ReadProcessGroupAndStart(pgid, &g, &r.start_ticks)) r.start_ticks = 0;
  return WriteFileAtomically(ChildGroupRecordPath(lock_path), FormatChildGroupRecord(r));
}

void RemoveChildGroupRecord(const std::string& lock_path) {
  ::unlink(ChildGroupRecordPath(lock_path).c_str());
}

absl::StatusOr<int> EndLeftoverChildGroup(const std::string& lock_path, double wait_seconds) {
  const std::string path = ChildGroupRecordPath(lock_path);
  auto text = ReadFile(path);  // outside any query: a child record, not a verdict
  if (!text.ok()) {
    if (KindOf(text.status()) == ErrorKind::kNotFound) return 0;
    return text.status();
  }
  ChildGroupRecord r;
  int killed = 0;
  if (ParseChildGroupRecord(*text, &r) && r.start_ticks != 0 && r.hostname == LocalHostName()) {
    int leader_group = 0;
    uint64_t leader_start = 0;
    const bool leader_alive = ReadProcessGroupAndStart(r.pgid, &leader_group, &leader_start);
    // A live process with the group's id but another start time is a newer
    // leader: the id was reused and our group is long gone.
    const bool reused = leader_alive && leader_start != r.start_ticks;
    if (!reused) {
      std::vector<int> members = GroupMembers(r.pgid, r.start_ticks);
      for (int pid : members)
        if (::kill(pid, SIGKILL) == 0) ++killed;
      const auto give_up = std::chrono::steady_clock::now() +
                           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                               std::chrono::duration<double>(wait_seconds));
      while (!GroupMembers(r.pgid, r.start_ticks).empty()) {
        if (std::chrono::steady_clock::now() > give_up)
          return Error(ErrorKind::kRuntime, "the dead runner's julia (process group ", r.pgid,
                       ") did not end within ", wait_seconds, " s of SIGKILL");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  ::unlink(path.c_str());
  return killed;
}

}  // namespace jlcache
