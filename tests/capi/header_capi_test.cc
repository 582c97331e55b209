// The jlcache_header_* C functions: every getter on writer-made files, the
// error paths with jlcache_last_error, and a real C99 program using them.
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/crc32c.h"
#include "gtest/gtest.h"
#include "jlcache.h"
#include "support/cache_writer.h"
#include "support/json_value.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace jlcache {
namespace {

test_support::WrittenCache SampleCache(HeaderLayout layout) {
  test_support::PackageCacheSpec spec;
  spec.layout = layout;
  spec.name = "Foo";
  spec.uuid = *Uuid::Parse("e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
  spec.build_id_lo = 0x0123456789abcdefULL;
  spec.heap_crc = 0x1a2b3c4d;
  spec.files = {test_support::EntryFile("/p/Foo/src/Foo.jl", "module Foo\nend\n", 11.5),
                test_support::IncludedFile("/p/Foo/src/in.jl", "x = 1\n", 12.5, {"Inner", "Deep"}),
                test_support::DependencyFile("/p/Foo/data.txt", "data", false, 13.25)};
  spec.requires_ = {PkgId{*Uuid::Parse("5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), "Bar"},
                    PkgId{std::nullopt, "NoUuid"}};
  spec.crc_so = 0xE3069283;  // crc32c("123456789")
  return test_support::MakePackageCache(spec);
}

struct HeaderPtr {
  jlcache_header* h = nullptr;
  ~HeaderPtr() { jlcache_header_free(h); }
};

TEST(HeaderCapiTest, GettersReturnWhatWasWritten) {
  test_support::TempDir dir;
  for (HeaderLayout layout : {HeaderLayout::kA, HeaderLayout::kB, HeaderLayout::kC15}) {
    SCOPED_TRACE(std::string(LayoutName(layout)));
    test_support::WrittenCache w = SampleCache(layout);
    const std::string path = dir.Join("Foo.ji");
    test_support::WriteFileOrDie(path, w.bytes);
    HeaderPtr p;
    ASSERT_EQ(jlcache_header_open(path.c_str(), &p.h), JLCACHE_OK) << jlcache_last_error();
    EXPECT_STREQ(jlcache_last_error(), "");
    const jlcache_header* h = p.h;
    EXPECT_EQ(jlcache_header_format_version(h), FormatVersionOf(layout));
    EXPECT_EQ(std::string(jlcache_header_layout(h)), LayoutName(layout));
    EXPECT_STREQ(jlcache_header_julia_version(h), w.header.julia_version.c_str());
    EXPECT_STREQ(jlcache_header_os(h), "Linux");
    EXPECT_STREQ(jlcache_header_arch(h), "x86_64");
    EXPECT_STREQ(jlcache_header_git_branch(h), "");
    EXPECT_STREQ(jlcache_header_git_commit(h), "");
    EXPECT_EQ(jlcache_header_flags(h), 0xa3);
    EXPECT_EQ(jlcache_header_checksum(h), w.header.checksum);
    EXPECT_EQ(jlcache_header_crc_ok(h), 1);
    EXPECT_EQ(jlcache_header_pkgimage_crc(h), 0xE3069283u);
    EXPECT_EQ(jlcache_header_clone_targets_size(h), w.header.clone_targets.size());

    ASSERT_EQ(jlcache_header_module_count(h), 1u);
    jlcache_module m;
    ASSERT_EQ(jlcache_header_module_at(h, 0, &m), JLCACHE_OK);
    EXPECT_STREQ(m.name, "Foo");
    EXPECT_STREQ(m.uuid, "e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d");
    EXPECT_EQ(m.build_id_hi, w.header.checksum);
    EXPECT_EQ(m.build_id_lo, 0x0123456789abcdefULL);

    ASSERT_EQ(jlcache_header_required_count(h), 3u);
    ASSERT_EQ(jlcache_header_required_at(h, 1, &m), JLCACHE_OK);
    EXPECT_STREQ(m.name, "Base");
    EXPECT_EQ(m.uuid, nullptr);
    EXPECT_EQ(m.build_id_hi >> 32, kSysimageChecksumTag);

    ASSERT_EQ(jlcache_header_include_count(h), 3u);
    jlcache_include inc;
    ASSERT_EQ(jlcache_header_include_at(h, 0, &inc), JLCACHE_OK);
    EXPECT_STREQ(inc.path, "/p/Foo/src/Foo.jl");
    EXPECT_EQ(inc.module, nullptr);  // entry file: n1 = 0
    EXPECT_STREQ(inc.submodule_path, "");
    EXPECT_EQ(inc.is_include, 1);
    if (layout == HeaderLayout::kA) {
      EXPECT_EQ(inc.fsize, -1);
      EXPECT_EQ(inc.hash, -1);
      EXPECT_EQ(inc.mtime, 11.5);
      EXPECT_EQ(inc.tracked_by_content, 0);
    } else {
      EXPECT_EQ(inc.fsize, 15);
      EXPECT_EQ(inc.hash, static_cast<int64_t>(Crc32cStr("module Foo\nend\n")));
      EXPECT_EQ(inc.mtime, -1.0);
      EXPECT_EQ(inc.tracked_by_content, 1);
    }
    ASSERT_EQ(jlcache_header_include_at(h, 1, &inc), JLCACHE_OK);
    EXPECT_STREQ(inc.module, "Foo");
    EXPECT_STREQ(inc.submodule_path, "Inner.Deep");
    ASSERT_EQ(jlcache_header_include_at(h, 2, &inc), JLCACHE_OK);
    EXPECT_EQ(inc.is_include, 0);
    EXPECT_EQ(inc.tracked_by_content, 0);
    EXPECT_EQ(inc.mtime, 13.25);

    ASSERT_EQ(jlcache_header_requires_count(h), 2u);
    jlcache_requires r;
    ASSERT_EQ(jlcache_header_requires_at(h, 0, &r), JLCACHE_OK);
    EXPECT_STREQ(r.module, "Foo");
    EXPECT_STREQ(r.submodule_path, "");
    EXPECT_STREQ(r.name, "Bar");
    EXPECT_STREQ(r.uuid, "5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13");
    ASSERT_EQ(jlcache_header_requires_at(h, 1, &r), JLCACHE_OK);
    EXPECT_STREQ(r.name, "NoUuid");
    EXPECT_EQ(r.uuid, nullptr);

    char* json = nullptr;
    ASSERT_EQ(jlcache_header_to_json(h, &json), JLCACHE_OK);
    auto v = test_support::ParseJson(json);
    jlcache_string_free(json);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ((*v)["layout"].str(), LayoutName(layout));
    EXPECT_EQ((*v)["includes"].size(), 3u);

    // The native library check reads the file's CRC.
    const std::string so = dir.Join("Foo.so");
    test_support::WriteFileOrDie(so, "123456789");
    int32_t match = -1;
    ASSERT_EQ(jlcache_header_check_native_library(h, so.c_str(), &match), JLCACHE_OK);
    EXPECT_EQ(match, 1);
    test_support::WriteFileOrDie(so, "12345678X");
    ASSERT_EQ(jlcache_header_check_native_library(h, so.c_str(), &match), JLCACHE_OK);
    EXPECT_EQ(match, 0);
  }
}

TEST(HeaderCapiTest, ParseFromMemoryMatchesOpen) {
  test_support::WrittenCache w = SampleCache(HeaderLayout::kBPrime);
  HeaderPtr p;
  ASSERT_EQ(jlcache_header_parse(w.bytes.data(), w.bytes.size(), &p.h), JLCACHE_OK);
  EXPECT_STREQ(jlcache_header_layout(p.h), "B'");
  EXPECT_EQ(jlcache_header_crc_ok(p.h), 1);
}

TEST(HeaderCapiTest, ErrorsSetTheStatusAndLastError) {
  jlcache_header* h = reinterpret_cast<jlcache_header*>(0x1);
  EXPECT_EQ(jlcache_header_open("/nonexistent/dir/x.ji", &h), JLCACHE_E_NOT_FOUND);
  EXPECT_EQ(h, nullptr);
  EXPECT_NE(std::strstr(jlcache_last_error(), "/nonexistent/dir/x.ji"), nullptr) << jlcache_last_error();

  test_support::WrittenCache w = SampleCache(HeaderLayout::kB);
  std::string cut = w.bytes.substr(0, 100);
  EXPECT_EQ(jlcache_header_parse(cut.data(), cut.size(), &h), JLCACHE_E_CORRUPT_CACHE);
  EXPECT_EQ(h, nullptr);
  EXPECT_NE(std::strstr(jlcache_last_error(), "offset 0x"), nullptr) << jlcache_last_error();
  EXPECT_STREQ(jlcache_status_name(JLCACHE_E_CORRUPT_CACHE), "corrupt_cache");

  std::string f14 = w.bytes;
  f14[8] = 14;
  EXPECT_EQ(jlcache_header_parse(f14.data(), f14.size(), &h), JLCACHE_E_UNSUPPORTED);
  EXPECT_NE(std::strstr(jlcache_last_error(), "format version 14"), nullptr);

  EXPECT_EQ(jlcache_header_open(nullptr, &h), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_open("x", nullptr), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_parse(nullptr, 5, &h), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_parse(nullptr, 0, &h), JLCACHE_E_CORRUPT_CACHE);

  // A CRC failure still opens.
  std::string bad = w.bytes;
  bad[bad.size() - 1] ^= 1;
  HeaderPtr p;
  ASSERT_EQ(jlcache_header_parse(bad.data(), bad.size(), &p.h), JLCACHE_OK);
  EXPECT_EQ(jlcache_header_crc_ok(p.h), 0);
  EXPECT_STREQ(jlcache_last_error(), "");

  jlcache_module m;
  EXPECT_EQ(jlcache_header_module_at(p.h, 1, &m), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_NE(std::strstr(jlcache_last_error(), "out of range"), nullptr);
  jlcache_include inc;
  EXPECT_EQ(jlcache_header_include_at(p.h, 99, &inc), JLCACHE_E_INVALID_ARGUMENT);
  jlcache_requires r;
  EXPECT_EQ(jlcache_header_requires_at(p.h, 2, &r), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_required_at(p.h, 3, &m), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_module_at(nullptr, 0, &m), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(jlcache_header_module_at(p.h, 0, nullptr), JLCACHE_E_INVALID_ARGUMENT);
  int32_t match = 7;
  EXPECT_EQ(jlcache_header_check_native_library(p.h, "/nonexistent.so", &match),
            JLCACHE_E_NOT_FOUND);
  EXPECT_EQ(match, 0);
  char* json = nullptr;
  EXPECT_EQ(jlcache_header_to_json(nullptr, &json), JLCACHE_E_INVALID_ARGUMENT);
  EXPECT_EQ(json, nullptr);

  // NULL handles are harmless everywhere.
  jlcache_header_free(nullptr);
  EXPECT_EQ(jlcache_header_layout(nullptr), nullptr);
  EXPECT_EQ(jlcache_header_module_count(nullptr), 0u);
  EXPECT_EQ(jlcache_header_crc_ok(nullptr), 0);
}

TEST(HeaderCapiTest, CClientReadsAWriterMadeFile) {
  test_support::TempDir dir;
  test_support::WrittenCache w = SampleCache(HeaderLayout::kB);
  const std::string path = dir.Join("Foo.ji");
  test_support::WriteFileOrDie(path, w.bytes);
  const std::string client = std::string(JLCACHE_BINARY_DIR) + "/tests/jlcache_c_client";
  test_support::ProcessResult r = test_support::RunProcess({client, path});
  ASSERT_TRUE(r.started) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layout B format 12 julia 1.11.7 Linux/x86_64"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("module Foo e7a1b3c5-2d4f-4a6b-8c9d-0e1f2a3b4c5d 0xfafbfcfd1a2b3c4d0123456789abcdef"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find("include /p/Foo/src/in.jl in Foo.Inner.Deep by content"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("include_dependency /p/Foo/data.txt in (none) by mtime"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("requires Foo -> Bar 5b2c8d41-9e3f-4c7a-b1d6-2f8e4a9c0d13"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("crc ok"), std::string::npos);

  std::string bad = w.bytes;
  bad[bad.size() - 2] ^= 1;
  test_support::WriteFileOrDie(path, bad);
  r = test_support::RunProcess({client, path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;

  test_support::WriteFileOrDie(path, w.bytes.substr(0, 50));
  r = test_support::RunProcess({client, path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error corrupt_cache: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("offset 0x"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace jlcache
