// A minimal streaming JSON writer: objects, arrays, strings (escaped), numbers,
// booleans and null. Used for `--json` output and the C ABI's *_to_json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jlcache {

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& OptString(const std::optional<std::string>& s);  // null when absent
  JsonWriter& Int(int64_t v);
  JsonWriter& UInt(uint64_t v);
  JsonWriter& Double(double v);  // shortest round-trip form
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Key(k) followed by a value.
  template <typename F>
  JsonWriter& Field(std::string_view k, F&& write_value) {
    Key(k);
    write_value(*this);
    return *this;
  }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  void Newline();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element yet
  bool after_key_ = false;
  bool pretty_;
};

std::string JsonEscape(std::string_view s);

}  // namespace jlcache
