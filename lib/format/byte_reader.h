// A bounded little-endian reader over bytes in memory. Every read is checked
// against the bytes that remain, every i32 length must be >= 0 and fit, and
// every error names the byte offset and the field being read, e.g.
//   "truncated at offset 0x1c4 reading required_modules[3].name (need 4 bytes, 2 remain)".
// All errors are ErrorKind::kCorruptCache.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jlcache {

// The name of a field, rendered only when an error is reported:
// a[i].b[j].c, where negative indexes and null names are left out.
struct FieldName {
  const char* a = "";
  int64_t i = -1;
  const char* b = nullptr;
  int64_t j = -1;
  const char* c = nullptr;

  FieldName(const char* name) : a(name) {}  // NOLINT: implicit from a literal
  FieldName(const char* name, int64_t index, const char* member = nullptr,
            int64_t subindex = -1, const char* submember = nullptr)
      : a(name), i(index), b(member), j(subindex), c(submember) {}
  std::string ToString() const;
};

// "0x1c4"
std::string HexOffset(uint64_t offset);

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data), size_(data.size()) {}
  // `data` is the first bytes of a stream of `size` bytes (size >= data.size()).
  // Bounds are checked against `size`, exactly as over the whole stream; a
  // read that needs bytes past `data` fails and sets *overrun (shared by
  // copies of this reader), which tells the caller to supply more bytes.
  ByteReader(std::string_view data, uint64_t size, bool* overrun)
      : data_(data), size_(size < data.size() ? data.size() : static_cast<size_t>(size)),
        overrun_(overrun) {}

  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  // Restricts reads to [0, end): used to keep the trailer out of reach.
  void Limit(size_t end) {
    if (end < size_) size_ = end;
    if (end < data_.size()) data_ = data_.substr(0, end);
    if (pos_ > size_) pos_ = size_;
  }

  absl::Status Seek(uint64_t offset, const FieldName& field);
  absl::Status Skip(uint64_t n, const FieldName& field);

  absl::StatusOr<uint8_t> U8(const FieldName& field);
  absl::StatusOr<uint16_t> U16(const FieldName& field);
  absl::StatusOr<uint32_t> U32(const FieldName& field);
  absl::StatusOr<uint64_t> U64(const FieldName& field);
  absl::StatusOr<int32_t> I32(const FieldName& field);
  absl::StatusOr<int64_t> I64(const FieldName& field);
  absl::StatusOr<double> F64(const FieldName& field);
  // n raw bytes, borrowed from the input.
  absl::StatusOr<std::string_view> Bytes(uint64_t n, const FieldName& field);
  // A NUL-terminated string (the NUL is consumed, not returned).
  absl::StatusOr<std::string_view> CStr(const FieldName& field);
  // An i32 length, checked (>= 0, <= remaining), then that many bytes.
  absl::StatusOr<std::string_view> JStr(const FieldName& field);
  // An i32 list-entry length: 0 ends a list, negative or too long is corrupt.
  absl::StatusOr<int32_t> Length(const FieldName& field);

  // A corrupt-cache error at the current offset (or at `offset`).
  absl::Status Corrupt(const FieldName& field, std::string_view what) const;
  absl::Status CorruptAt(uint64_t offset, const FieldName& field, std::string_view what) const;

 private:
  absl::Status Truncated(const FieldName& field, uint64_t need) const;
  // OK when n bytes are in the stream and held; else Truncated (and the
  // overrun mark when the stream has them but they were not supplied).
  absl::Status Need(uint64_t n, const FieldName& field) const;
  std::string_view data_;
  size_t size_;
  bool* overrun_ = nullptr;
  size_t pos_ = 0;
};

}  // namespace jlcache
