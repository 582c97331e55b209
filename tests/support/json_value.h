// TEST-ONLY: a small JSON reader so tests can check `--json` output and the
// fixtures' decoded-headers.json field by field. Numbers keep their source
// text, so 64-bit integers compare exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jlcache::test_support {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // the string's value, or a number's source text
  std::vector<JsonValue> items;
  std::vector<std::pair<std::string, JsonValue>> members;

  bool is_null() const { return kind == Kind::kNull; }
  // Member lookup; a null value when absent (use Has to tell the difference).
  const JsonValue& operator[](std::string_view key) const;
  const JsonValue& operator[](size_t index) const;
  bool Has(std::string_view key) const;
  size_t size() const { return kind == Kind::kArray ? items.size() : members.size(); }
  double AsDouble() const;
  int64_t AsInt() const;
  uint64_t AsUInt() const;
  const std::string& str() const { return text; }
  std::vector<std::string> Keys() const;
};

// nullopt on any syntax error (with *error set when given).
std::optional<JsonValue> ParseJson(std::string_view text, std::string* error = nullptr);

}  // namespace jlcache::test_support
