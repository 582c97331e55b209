#include "format/byte_reader.h"

#include <cstring>

#include "core/error.h"

namespace jlcache {

std::string FieldName::ToString() const {
  std::string out = a ? a : "";
  if (i >= 0) out += Cat("[", i, "]");
  if (b) out += Cat(".", b);
  if (j >= 0) out += Cat("[", j, "]");
  if (c) out += Cat(".", c);
  return out;
}

std::string HexOffset(uint64_t offset) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[offset & 0xF]);
    offset >>= 4;
  } while (offset);
  return "0x" + out;
}

absl::Status ByteReader::CorruptAt(uint64_t offset, const FieldName& field,
                                   std::string_view what) const {
  return Error(ErrorKind::kCorruptCache, what, " at offset ", HexOffset(offset), " reading ",
               field.ToString());
}

absl::Status ByteReader::Corrupt(const FieldName& field, std::string_view what) const {
  return CorruptAt(pos_, field, what);
}

absl::Status ByteReader::Truncated(const FieldName& field, uint64_t need) const {
  return Error(ErrorKind::kCorruptCache, "truncated at offset ", HexOffset(pos_), " reading ",
               field.ToString(), " (need ", need, " bytes, ", remaining(), " remain)");
}

absl::Status ByteReader::Need(uint64_t n, const FieldName& field) const {
  if (n > remaining()) return Truncated(field, n);
  if (n > data_.size() || pos_ > data_.size() - n) {
    if (overrun_) *overrun_ = true;
    return Error(ErrorKind::kCorruptCache, "offset ", HexOffset(pos_), " reading ",
                 field.ToString(), " lies beyond the ", data_.size(), " bytes read");
  }
  return absl::OkStatus();
}

absl::Status ByteReader::Seek(uint64_t offset, const FieldName& field) {
  if (offset > size_)
    return Error(ErrorKind::kCorruptCache, "position ", HexOffset(offset),
                 " lies beyond the end of the data (", HexOffset(size_), ") at offset ",
                 HexOffset(pos_), " reading ", field.ToString());
  pos_ = static_cast<size_t>(offset);
  return absl::OkStatus();
}

absl::Status ByteReader::Skip(uint64_t n, const FieldName& field) {
  if (n > remaining()) return Truncated(field, n);  // skipped bytes need not be held
  pos_ += static_cast<size_t>(n);
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> ByteReader::Bytes(uint64_t n, const FieldName& field) {
  JLC_RETURN_IF_ERROR(Need(n, field));
  std::string_view out = data_.substr(pos_, static_cast<size_t>(n));
  pos_ += static_cast<size_t>(n);
  return out;
}

namespace {
template <typename T>
T LoadLittleEndian(const char* p) {
  // Julia writes host order and every supported host is little-endian; decode
  // explicitly so this reader is correct on any host.
  uint64_t v = 0;
  for (size_t k = 0; k < sizeof(T); ++k)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[k])) << (8 * k);
  return static_cast<T>(v);
}
}  // namespace

absl::StatusOr<uint8_t> ByteReader::U8(const FieldName& field) {
  JLC_RETURN_IF_ERROR(Need(1, field));
  return static_cast<uint8_t>(data_[pos_++]);
}

absl::StatusOr<uint16_t> ByteReader::U16(const FieldName& field) {
  JLC_RETURN_IF_ERROR(Need(2, field));
  uint16_t v = LoadLittleEndian<uint16_t>(data_.data() + pos_);
  pos_ += 2;
  return v;
}

absl::StatusOr<uint32_t> ByteReader::U32(const FieldName& field) {
  JLC_RETURN_IF_ERROR(Need(4, field));
  uint32_t v = LoadLittleEndian<uint32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

absl::StatusOr<uint64_t> ByteReader::U64(const FieldName& field) {
  JLC_RETURN_IF_ERROR(Need(8, field));
  uint64_t v = LoadLittleEndian<uint64_t>(data_.data() + pos_);
  pos_ += 8;
  return v;
}

absl::StatusOr<int32_t> ByteReader::I32(const FieldName& field) {
  JLC_ASSIGN_OR_RETURN(uint32_t v, U32(field));
  return static_cast<int32_t>(v);
}

absl::StatusOr<int64_t> ByteReader::I64(const FieldName& field) {
  JLC_ASSIGN_OR_RETURN(uint64_t v, U64(field));
  return static_cast<int64_t>(v);
}

absl::StatusOr<double> ByteReader::F64(const FieldName& field) {
  JLC_ASSIGN_OR_RETURN(uint64_t bits, U64(field));
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

absl::StatusOr<std::string_view> ByteReader::CStr(const FieldName& field) {
  const size_t held = pos_ < data_.size() ? data_.size() - pos_ : 0;
  const void* nul = held ? std::memchr(data_.data() + pos_, 0, held) : nullptr;
  if (!nul && held < remaining()) return Need(held + 1, field);
  if (!nul)
    return Error(ErrorKind::kCorruptCache, "truncated at offset ", HexOffset(pos_), " reading ",
                 field.ToString(), " (no terminating NUL before the end)");
  size_t n = static_cast<const char*>(nul) - (data_.data() + pos_);
  std::string_view out = data_.substr(pos_, n);
  pos_ += n + 1;
  return out;
}

absl::StatusOr<int32_t> ByteReader::Length(const FieldName& field) {
  size_t at = pos_;
  JLC_ASSIGN_OR_RETURN(int32_t n, I32(field));
  if (n < 0) {
    pos_ = at;
    return Corrupt(field, Cat("negative length ", n));
  }
  if (static_cast<uint64_t>(n) > remaining()) {
    pos_ = at;
    return Error(ErrorKind::kCorruptCache, "truncated at offset ", HexOffset(at), " reading ",
                 field.ToString(), " (length ", n, " but only ", remaining() - 4, " bytes remain)");
  }
  return n;
}

absl::StatusOr<std::string_view> ByteReader::JStr(const FieldName& field) {
  JLC_ASSIGN_OR_RETURN(int32_t n, Length(field));
  return Bytes(static_cast<uint64_t>(n), field);
}

}  // namespace jlcache
