#pragma once

#include <iterator>
#include <string_view>
#include <vector>

namespace jlcache {

// The '\n'-separated lines of a text, each without its newline and without a
// trailing '\r', for a range-for:  for (std::string_view line : Lines(text))
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    iterator() = default;
    explicit iterator(std::string_view text) : rest_(text), at_end_(text.empty()) { Cut(); }
    std::string_view operator*() const { return line_; }
    iterator& operator++() {
      at_end_ = rest_.empty();  // a final '\n' ends the text, not an empty line
      Cut();
      return *this;
    }
    bool operator==(const iterator& o) const { return at_end_ == o.at_end_; }
    bool operator!=(const iterator& o) const { return !(*this == o); }

   private:
    void Cut() {
      if (at_end_) return;
      size_t nl = rest_.find('\n');
      line_ = rest_.substr(0, nl);
      rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    }
    std::string_view rest_, line_;
    bool at_end_ = true;
  };

  iterator begin() const { return iterator(text_); }
  iterator end() const { return iterator(); }

 private:
  std::string_view text_;
};

// The words of `s` separated by runs of spaces (the line protocols between
// jlcache and the julia it runs).
inline std::vector<std::string_view> SpaceSeparatedWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

// `s` without leading and trailing spaces and tabs.
inline std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace jlcache
