#include "io_floor.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/crc32c.h"

namespace jlcache::bench {
namespace {

class Worker {
 public:
  explicit Worker(FloorKind kind) : kind_(kind), buf_(1 << 16) {}

  void Stat(const std::string& path) {
    struct stat st;
    ++c_.stats;
    if (::stat(path.c_str(), &st) == 0) c_.checksum ^= static_cast<uint32_t>(st.st_size);
  }
  // Reads `len` bytes from the start (the whole file when len == 0) and CRCs
  // them when `crc`.
  void Read(const std::string& path, uint64_t len, bool crc) {
    ++c_.opens;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    if (len == 0) {
      struct stat st;
      if (::fstat(fd, &st) == 0) len = static_cast<uint64_t>(st.st_size);
    }
    uint32_t c = 0;
    uint64_t off = 0;
    while (off < len) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), len - off));
      ssize_t n = ::pread(fd, buf_.data(), want, static_cast<off_t>(off));
      if (n <= 0) break;
      if (crc) c = Crc32c(buf_.data(), static_cast<size_t>(n), c);
      off += static_cast<uint64_t>(n);
    }
    ::close(fd);
    c_.bytes_read += off;
    c_.checksum ^= crc ? c : static_cast<uint32_t>(static_cast<unsigned char>(buf_[0]));
  }
  void List(const std::string& dir) {
    ++c_.opens;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    while (struct dirent* e = ::readdir(d)) c_.checksum ^= static_cast<uint32_t>(e->d_name[0]);
    ::closedir(d);
  }

  void Package(const GeneratedWorld& w, const GeneratedPackage& p) {
    const std::string ver = w.layout == WorldLayout::kJulia110 ? "v1.10" : "v1.11";
    for (const auto& depot : w.depots) List(depot + "/compiled/" + ver + "/" + p.name);
    // 1.11 reads every header to order several candidates; 1.10 orders by
    // mtime alone, and the older build sorts after the fresh cache.
    const bool read_all = w.layout == WorldLayout::kJulia111 && p.caches.size() > 1;
    const GeneratedCache* fresh = nullptr;
    for (const auto& c : p.caches) {
      Stat(c.ji_path);
      if (c.kind == CandidateKind::kFresh) {
        fresh = &c;
        continue;  // read below, once
      }
      if (read_all || c.kind != CandidateKind::kOlderBuild) Read(c.ji_path, c.header_bytes, false);
    }
    if (kind_ == FloorKind::kWarm) {
      if (fresh) {
        Read(fresh->ji_path, fresh->header_bytes, false);
        Stat(fresh->so_path);
      }
      for (const auto& s : p.sources) Stat(s);
    } else {
      if (fresh) {
        Read(fresh->ji_path, 0, true);
        Read(fresh->so_path, 0, true);
      }
      // 1.10 tracks sources by mtime: a stat is all the verdict needs.
      for (const auto& s : p.sources) {
        if (w.layout == WorldLayout::kJulia110) {
          Stat(s);
        } else {
          Read(s, 0, true);
        }
      }
    }
  }

  const FloorCounts& counts() const { return c_; }

 private:
  FloorKind kind_;
  std::vector<char> buf_;
  FloorCounts c_;
};

}  // namespace

FloorCounts RunIoFloor(const GeneratedWorld& world, FloorKind kind, int threads) {
  auto manifest = [&](Worker& wk) { wk.Read(world.project_dir + "/Manifest.toml", 0, false); };
  if (threads <= 1) {
    Worker wk(kind);
    manifest(wk);
    for (const auto& p : world.packages) wk.Package(world, p);
    return wk.counts();
  }
  std::atomic<size_t> next{0};
  std::vector<Worker> workers(static_cast<size_t>(threads), Worker(kind));
  manifest(workers[0]);
  auto run = [&](Worker* wk) {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < world.packages.size();)
      wk->Package(world, world.packages[i]);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run, &workers[static_cast<size_t>(t)]);
  run(&workers[0]);
  for (auto& t : pool) t.join();
  FloorCounts total;
  for (const auto& wk : workers) {
    total.stats += wk.counts().stats;
    total.opens += wk.counts().opens;
    total.bytes_read += wk.counts().bytes_read;
    total.checksum ^= wk.counts().checksum;
  }
  return total;
}

}  // namespace jlcache::bench
