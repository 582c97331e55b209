#include "support/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gtest/gtest.h"

namespace jlcache::test_support {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "jlcache-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  // Permission tests may leave read-only directories behind; restore first.
  for (auto it = fs::recursive_directory_iterator(
           path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

std::string TempDir::Join(std::string_view rel) const {
  return (fs::path(path_) / fs::path(rel)).string();
}

void MakeDirsOrDie(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) FAIL() << "mkdir -p " << path << ": " << ec.message();
}

void WriteFileOrDie(const std::string& path, std::string_view contents) {
  fs::path p(path);
  if (p.has_parent_path()) MakeDirsOrDie(p.parent_path().string());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) FAIL() << "cannot write " << path;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void SetMtimeOrDie(const std::string& path, int64_t sec, int64_t nsec) {
  struct timespec ts[2];
  ts[0].tv_sec = sec;
  ts[0].tv_nsec = nsec;
  ts[1] = ts[0];
  if (::utimensat(AT_FDCWD, path.c_str(), ts, 0) != 0) FAIL() << "utimensat " << path;
}

void SetJuliaMtimeOrDie(const std::string& path, double mtime) {
  double sec = std::floor(mtime);
  int64_t nsec = static_cast<int64_t>(std::llround((mtime - sec) * 1e9));
  if (nsec >= 1000000000) {
    sec += 1;
    nsec -= 1000000000;
  }
  // Search nearby nanosecond values for one whose Julia double is exact.
  for (int64_t d : {0, -1, 1, -2, 2, -3, 3}) {
    int64_t n = nsec + d;
    if (n < 0 || n >= 1000000000) continue;
    double back = static_cast<double>(static_cast<int64_t>(sec)) + static_cast<double>(n) * 1e-9;
    if (back == mtime) {
      SetMtimeOrDie(path, static_cast<int64_t>(sec), n);
      return;
    }
  }
  SetMtimeOrDie(path, static_cast<int64_t>(sec), nsec);
}

void RemoveTreeOrDie(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) FAIL() << "rm -rf " << path << ": " << ec.message();
}

}  // namespace jlcache::test_support
