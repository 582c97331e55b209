// Writes the bundled example (examples/): a Julia 1.11.7 depot with three
// registry-style packages and their caches, a project with its manifest, and
// the runtime profile of the Julia that "wrote" them. Everything is
// deterministic, so a test can regenerate it and compare byte for byte.
//
//   jlcache_make_example OUT_DIR
//
// The caches record @depot-relative paths and content hashes (layout B), so
// the example stays fresh wherever the repository is checked out.
#include <sys/stat.h>
#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/file_io.h"
#include "core/hex.h"
#include "core/slug.h"
#include "support/cache_writer.h"

using namespace jlcache;
using namespace jlcache::testing;

namespace {

struct Pkg {
  const char* name;
  const char* uuid;
  const char* tree;
  std::vector<const char*> deps;
  const char* body;
};

const Pkg kPackages[] = {
    {"Words", "2d9c8f1e-4b7a-4c3e-9f1d-0a1b2c3d4e5f", "1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c", {},
     "const WORDS = [\"hello\", \"world\"]\nword(i) = WORDS[i]\n"},
    {"Greetings", "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b", "2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d", {"Words"},
     "greeting() = join(Words.WORDS, \", \")\n"},
    {"Hello", "8b7a6f5e-4d3c-4b2a-9f8e-7d6c5b4a3f2e", "3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f", {"Greetings"},
     "main() = println(Greetings.greeting())\n"},
};

bool Write(const std::string& path, const std::string& bytes) {
  std::string dir = DirName(path);
  std::string partial;
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      partial = dir.substr(0, i);
      ::mkdir(partial.c_str(), 0755);
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string out = argv[1];
  const std::string depot = out + "/depot";
  bool ok = true;
  std::vector<CacheHeader> built;
  std::string project = "[deps]\nHello = \"8b7a6f5e-4d3c-4b2a-9f8e-7d6c5b4a3f2e\"\n";
  std::string manifest = "julia_version = \"1.11.7\"\nmanifest_format = \"2.0\"\n";
  for (const Pkg& p : kPackages) {
    Uuid uuid = *Uuid::Parse(p.uuid);
    std::string slug = VersionSlug(uuid, *ParseHexBytes(p.tree));
    std::string rel = std::string("packages/") + p.name + "/" + slug;
    std::string entry = "module " + std::string(p.name) + "\n";
    std::string proj = "name = \"" + std::string(p.name) + "\"\nuuid = \"" + p.uuid +
                       "\"\nversion = \"1.0.0\"\n";
    if (!p.deps.empty()) proj += "\n[deps]\n";
    for (const char* d : p.deps) {
      entry += "using " + std::string(d) + "\n";
      for (const Pkg& q : kPackages)
        if (std::string(q.name) == d) proj += std::string(d) + " = \"" + q.uuid + "\"\n";
    }
    entry += "include(\"impl.jl\")\nend # module\n";
    ok &= Write(depot + "/" + rel + "/Project.toml", proj);
    ok &= Write(depot + "/" + rel + "/src/" + p.name + ".jl", entry);
    ok &= Write(depot + "/" + rel + "/src/impl.jl", p.body);

    PackageCacheSpec spec;
    spec.layout = HeaderLayout::kB;
    spec.julia_version = "1.11.7";
    spec.git_branch = "release-1.11";
    spec.git_commit = "4d2dcd0d60cb7868f9c38135e61a0f9c459f623e";
    spec.name = p.name;
    spec.uuid = uuid;
    spec.build_id_lo = XXH64(p.name, std::string(p.name).size(), 1) | 1;
    spec.heap_crc = static_cast<uint32_t>(XXH64(p.name, std::string(p.name).size(), 2));
    spec.files = {EntryFile("@depot/" + rel + "/src/" + p.name + ".jl", entry),
                  IncludedFile("@depot/" + rel + "/src/impl.jl", p.body)};
    spec.required_modules = DefaultSysimageModules();
    for (const char* d : p.deps) {
      for (const CacheHeader& h : built)
        if (h.modules.front().name == d) {
          spec.requires_.push_back(PkgId{h.modules.front().uuid, d});
        }
    }
    // Required modules are transitive: every package loaded while compiling.
    for (const CacheHeader& h : built) spec.required_modules.push_back(RequiredModuleFor(h));
    std::string so = std::string("\x7f" "ELF example native code for ") + p.name + "\n";
    spec.crc_so = Crc32cStr(so);
    WrittenCache c = MakePackageCache(spec);
    std::string stem = "compiled/v1.11/" + std::string(p.name) + "/" + PackageSlug(uuid) + "_" +
                       Slug(static_cast<uint32_t>(spec.build_id_lo), 5);
    ok &= Write(depot + "/" + stem + ".ji", c.bytes);
    ok &= Write(depot + "/" + stem + ".so", so);
    built.push_back(c.header);

    manifest += "\n[[deps." + std::string(p.name) + "]]\n";
    if (!p.deps.empty()) {
      manifest += "deps = [";
      for (size_t i = 0; i < p.deps.size(); ++i) manifest += (i ? ", \"" : "\"") + std::string(p.deps[i]) + "\"";
      manifest += "]\n";
    }
    manifest += "git-tree-sha1 = \"" + std::string(p.tree) + "\"\nuuid = \"" + p.uuid +
                "\"\nversion = \"1.0.0\"\n";
  }
  ok &= Write(out + "/project/Project.toml", project);
  ok &= Write(out + "/project/Manifest.toml", manifest);

  std::string blob = GenericCloneTargets(CloneTargetEncoding::kLegacy32, "x86_64");
  std::string profile =
      "# The Julia that wrote the example caches (see docs/runtime-profile.md).\n"
      "julia_version = \"1.11.7\"\n"
      "git_branch = \"release-1.11\"\n"
      "git_commit = \"4d2dcd0d60cb7868f9c38135e61a0f9c459f623e\"\n"
      "os = \"Linux\"\narch = \"x86_64\"\npointer_size = 8\n"
      "julia_bin = \"/opt/julia-1.11.7/bin/julia\"\n"
      "image_file = \"/opt/julia-1.11.7/lib/julia/sys.so\"\n"
      "cpu_target = \"native\"\n"
      "stdlib_dir = \"/opt/julia-1.11.7/share/julia/stdlib/v1.11\"\n"
      "pkgimages = \"yes\"\ncache_flags = 0xa3\n"
      "accepted_clone_targets = [\"" + Hex64(XXH64(blob.data(), blob.size(), 0)) + "\"]\n";
  for (const auto& m : DefaultSysimageModules())
    profile += "\n[[sysimage_modules]]\nname = \"" + m.name + "\"\nbuild_id = \"" +
               m.build_id.ToString() + "\"\n";
  ok &= Write(out + "/runtime.toml", profile);
  if (!ok) {
    std::fprintf(stderr, "make_example: cannot write under %s\n", out.c_str());
    return 1;
  }
  return 0;
}
