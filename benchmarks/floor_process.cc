// floor_process: the whole-process floor a `jlcache status` is measured
// against (issue 15). A separate, minimal executable (libc only: no abseil,
// no jlcache library, libstdc++ linked statically) that does exactly the
// file-system work listed in an operations file and nothing else, so
// bench_process --baseline can time it the same way as the CLI: spawn,
// run, exit.
//
//   floor_process OPS_FILE [THREADS]
//
// OPS_FILE has one operation per line (bench_process writes it from the
// generated world, following io_floor.cc):
//   S <path>         stat
//   R <bytes> <path> open, read the first <bytes> (0: the whole file), close
//   C <path>         open, read the whole file and CRC-32C it, close
//   L <dir>          list the directory
// The operations are spread over THREADS threads (default 4, the session's
// I/O thread count). Reading the operations file is part of the floor's
// time, as reading its remembered answer is part of the CLI's.
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/crc32c.h"

namespace {

struct Op {
  char kind;
  uint64_t len;
  std::string path;
};

std::atomic<uint32_t> g_checksum{0};

void Run(const Op& op, std::vector<char>& buf) {
  uint32_t sum = 0;
  switch (op.kind) {
    case 'S': {
      struct stat st;
      if (::stat(op.path.c_str(), &st) == 0) sum = static_cast<uint32_t>(st.st_size);
      break;
    }
    case 'R':
    case 'C': {
      int fd = ::open(op.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      uint64_t len = op.len;
      if (len == 0) {
        struct stat st;
        if (::fstat(fd, &st) == 0) len = static_cast<uint64_t>(st.st_size);
      }
      uint64_t off = 0;
      while (off < len) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), len - off));
        ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(off));
        if (n <= 0) break;
        if (op.kind == 'C') sum = jlcache::Crc32c(buf.data(), static_cast<size_t>(n), sum);
        off += static_cast<uint64_t>(n);
      }
      ::close(fd);
      if (op.kind == 'R') sum = static_cast<unsigned char>(buf[0]);
      break;
    }
    case 'L': {
      DIR* d = ::opendir(op.path.c_str());
      if (!d) break;
      while (struct dirent* e = ::readdir(d)) sum ^= static_cast<uint32_t>(e->d_name[0]);
      ::closedir(d);
      break;
    }
    default:
      break;
  }
  g_checksum.fetch_xor(sum, std::memory_order_relaxed);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: floor_process OPS_FILE [THREADS]\n");
    return 2;
  }
  const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 4;
  int fd = ::open(argv[1], O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) {
    std::perror(argv[1]);
    return 2;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::vector<Op> ops;
  if (size > 0) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) return 2;
    const char* p = static_cast<const char*>(m);
    const char* end = p + size;
    while (p < end) {
      const char* eol = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (!eol) eol = end;
      if (eol - p > 2) {
        Op op{p[0], 0, {}};
        const char* q = p + 2;
        if (op.kind == 'R') {
          while (q < eol && *q >= '0' && *q <= '9') op.len = op.len * 10 + (*q++ - '0');
          if (q < eol) ++q;
        }
        op.path.assign(q, eol);
        ops.push_back(std::move(op));
      }
      p = eol + 1;
    }
    ::munmap(m, size);
  }
  ::close(fd);

  std::atomic<size_t> next{0};
  auto work = [&] {
    std::vector<char> buf(1 << 16);
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < ops.size();)
      Run(ops[i], buf);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  // Printed so the work cannot be optimized away.
  std::printf("%zu operations, checksum %08x\n", ops.size(), g_checksum.load());
  return 0;
}
