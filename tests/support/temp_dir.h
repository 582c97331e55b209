// Test support: a temporary directory removed on destruction, and small file
// helpers. Test-only; never linked into the shipped library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jlcache::test_support {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Join(std::string_view rel) const;

 private:
  std::string path_;
};

// Creates parent directories as needed. Aborts the test on failure (ASSERT).
void WriteFileOrDie(const std::string& path, std::string_view contents);
std::string ReadFileOrDie(const std::string& path);
void MakeDirsOrDie(const std::string& path);
// Sets the file's mtime (and atime) to sec + nsec.
void SetMtimeOrDie(const std::string& path, int64_t sec, int64_t nsec);
// Sets mtime from Julia's double (the inverse of FileInfo::JuliaMtime as far
// as the double allows; tests use values that round-trip).
void SetJuliaMtimeOrDie(const std::string& path, double mtime);
void RemoveTreeOrDie(const std::string& path);

}  // namespace jlcache::test_support
