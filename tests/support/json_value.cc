#include "support/json_value.h"

#include <cstdlib>

namespace jlcache::test_support {
namespace {

const JsonValue& NullValue() {
  static const JsonValue v;
  return v;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool Parse(JsonValue& out, std::string* error) {
    bool ok = Value(out, 0);
    Ws();
    if (ok && i_ != s_.size()) ok = Fail("trailing characters");
    if (!ok && error) *error = err_;
    return ok;
  }

 private:
  bool Fail(const char* what) {
    err_ = std::string(what) + " at offset " + std::to_string(i_);
    return false;
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  static void Utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool Hex4(uint32_t& v) {
    if (i_ + 4 > s_.size()) return false;
    v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return false;
    }
    return true;
  }
  bool String(std::string& out) {
    if (i_ >= s_.size() || s_[i_] != '"') return Fail("expected string");
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(cp)) return Fail("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00 && Lit("\\u")) {
            uint32_t lo;
            if (!Hex4(lo)) return Fail("bad \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          Utf8(out, cp);
          break;
        }
        default: return Fail("bad escape");
      }
    }
    return Fail("unterminated string");
  }
  bool Value(JsonValue& v, int depth) {
    if (depth > 200) return Fail("nesting too deep");
    Ws();
    if (i_ >= s_.size()) return Fail("unexpected end");
    char c = s_[i_];
    if (c == '{') {
      v.kind = JsonValue::Kind::kObject;
      ++i_;
      Ws();
      if (Lit("}")) return true;
      for (;;) {
        Ws();
        std::string key;
        if (!String(key)) return false;
        Ws();
        if (!Lit(":")) return Fail("expected ':'");
        JsonValue item;
        if (!Value(item, depth + 1)) return false;
        v.members.emplace_back(std::move(key), std::move(item));
        Ws();
        if (Lit(",")) continue;
        if (Lit("}")) return true;
        return Fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.kind = JsonValue::Kind::kArray;
      ++i_;
      Ws();
      if (Lit("]")) return true;
      for (;;) {
        JsonValue item;
        if (!Value(item, depth + 1)) return false;
        v.items.push_back(std::move(item));
        Ws();
        if (Lit(",")) continue;
        if (Lit("]")) return true;
        return Fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.kind = JsonValue::Kind::kString;
      return String(v.text);
    }
    if (Lit("null")) return true;
    if (Lit("true")) {
      v.kind = JsonValue::Kind::kBool;
      v.boolean = true;
      return true;
    }
    if (Lit("false")) {
      v.kind = JsonValue::Kind::kBool;
      return true;
    }
    size_t start = i_;
    while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos)
      ++i_;
    if (i_ == start) return Fail("unexpected character");
    v.kind = JsonValue::Kind::kNumber;
    v.text = std::string(s_.substr(start, i_ - start));
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string err_;
};

}  // namespace

const JsonValue& JsonValue::operator[](std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return v;
  return NullValue();
}

const JsonValue& JsonValue::operator[](size_t index) const {
  return index < items.size() ? items[index] : NullValue();
}

bool JsonValue::Has(std::string_view key) const {
  for (const auto& m : members)
    if (m.first == key) return true;
  return false;
}

double JsonValue::AsDouble() const { return std::strtod(text.c_str(), nullptr); }
int64_t JsonValue::AsInt() const { return std::strtoll(text.c_str(), nullptr, 10); }
uint64_t JsonValue::AsUInt() const { return std::strtoull(text.c_str(), nullptr, 10); }

std::vector<std::string> JsonValue::Keys() const {
  std::vector<std::string> keys;
  for (const auto& m : members) keys.push_back(m.first);
  return keys;
}

std::optional<JsonValue> ParseJson(std::string_view text, std::string* error) {
  JsonValue v;
  Parser p(text);
  if (!p.Parse(v, error)) return std::nullopt;
  return v;
}

}  // namespace jlcache::test_support
