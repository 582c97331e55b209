// TOML text with non-ASCII characters where TOML asks for whitespace: Debian's
// toml++ 3.3.0 made some of it undefined behaviour (core/toml.h), and where it
// did not, it trimmed characters Julia keeps. Expected values are real Julia
// 1.11.7's TOML.parse / TOML.tryparse of the same text.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/toml.h"
#include "env/toml_cache.h"

namespace jlcache {
namespace {

std::string StringValue(const char* text) {
  auto t = ParseTomlText(text, "Project.toml");
  if (!t.ok()) return "error: " + std::string(Message(t.status()));
  auto s = t->get_as<std::string>("s");
  return s ? s->get() : "no string s";
}

// A line-ending backslash trims the newline and the spaces and tabs after it,
// so the parser asks whether the next character is whitespace. For "§"
// (U+00A7) toml++ reached __builtin_unreachable() (a UBSan abort; toml++
// issue 190), and for U+FC50 too.
TEST(TomlText, LineEndingBackslashBeforeNonAsciiTextKeepsIt) {
  EXPECT_EQ(StringValue("s = \"\"\"\\\n\xC2\xA7 text\"\"\"\n"), "\xC2\xA7 text");
  EXPECT_EQ(StringValue("s = \"\"\"\\\n  \t\xEF\xB1\x90\"\"\"\n"), "\xEF\xB1\x90");
  EXPECT_EQ(StringValue("s = \"\"\"\\\n\xD0\x96\"\"\"\n"), "\xD0\x96");  // Cyrillic
}

// Unicode spaces are not TOML whitespace: Julia keeps them in the string,
// where toml++ trimmed them.
TEST(TomlText, LineEndingBackslashKeepsUnicodeSpacesAsJuliaDoes) {
  EXPECT_EQ(StringValue("s = \"\"\"\\\n\xC2\xA0x\"\"\"\n"), "\xC2\xA0x");          // U+00A0
  EXPECT_EQ(StringValue("s = \"\"\"\\\n\xE3\x80\x80x\"\"\"\n"), "\xE3\x80\x80x");  // U+3000
  EXPECT_EQ(StringValue("s = \"\"\"\\\n \xE2\x80\x82x\"\"\"\n"), "\xE2\x80\x82x");  // U+2002
}

// Where TOML wants whitespace between tokens, a non-ASCII character is an
// error naming the file, as in Julia, whatever the character (toml++ issue
// 295 reached the same unreachable point with "\xCC\xAA").
TEST(TomlText, NonAsciiBetweenTokensIsAnError) {
  for (const char* text :
       {"\xCC\xAA", "a =\xC2\xA0" "1\n", "a = 1\xE3\x80\x80\n", "\xE2\x80\x80" "a = 1\n",
        "key = 1 \xC3\xA9\n", "[deps]\nParen\xD1\xB9\x12\n", "[deps]\nx = \"y\" \xEF\xB1\x90\n"}) {
    auto t = ParseTomlText(text, "Manifest.toml");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_NE(Message(t.status()).find("Manifest.toml"), std::string::npos) << Message(t.status());
  }
}

TEST(TomlText, NoNonAsciiCharacterIsWhitespace) {
  for (char32_t c = 0x80; c <= U'\U0010FFFF'; ++c)
    ASSERT_FALSE(toml::impl::is_non_ascii_horizontal_whitespace(c)) << static_cast<uint32_t>(c);
  EXPECT_TRUE(toml::impl::is_horizontal_whitespace(U' '));
  EXPECT_TRUE(toml::impl::is_horizontal_whitespace(U'\t'));
}

}  // namespace
}  // namespace jlcache
