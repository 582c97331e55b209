/* A C99 user of the jlcache C ABI: opens the .ji given on the command line
 * and prints its header. Exit 0 for a valid file, 1 for a CRC failure, 2 for
 * an error (the message from jlcache_last_error goes to stderr). */
#include <inttypes.h>
#include <stdio.h>

#include "jlcache.h"

static const char* or_none(const char* s) { return s ? s : "(none)"; }

int main(int argc, char** argv) {
  jlcache_header* h = NULL;
  jlcache_status st;
  size_t i, n;

  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.ji\n", argv[0]);
    return 2;
  }
  if (jlcache_abi_version() != JLCACHE_ABI_VERSION) {
    fprintf(stderr, "ABI mismatch: library %d, header %d\n", (int)jlcache_abi_version(),
            JLCACHE_ABI_VERSION);
    return 2;
  }
  st = jlcache_header_open(argv[1], &h);
  if (st != JLCACHE_OK) {
    fprintf(stderr, "error %s: %s\n", jlcache_status_name(st), jlcache_last_error());
    return 2;
  }
  printf("layout %s format %d julia %s %s/%s\n", jlcache_header_layout(h),
         (int)jlcache_header_format_version(h), jlcache_header_julia_version(h),
         jlcache_header_os(h), jlcache_header_arch(h));
  printf("checksum 0x%016" PRIx64 " flags 0x%02x\n", jlcache_header_checksum(h),
         (unsigned)jlcache_header_flags(h));
  n = jlcache_header_module_count(h);
  for (i = 0; i < n; ++i) {
    jlcache_module m;
    if (jlcache_header_module_at(h, i, &m) != JLCACHE_OK) goto fail;
    printf("module %s %s 0x%016" PRIx64 "%016" PRIx64 "\n", m.name, or_none(m.uuid),
           m.build_id_hi, m.build_id_lo);
  }
  n = jlcache_header_include_count(h);
  for (i = 0; i < n; ++i) {
    jlcache_include inc;
    if (jlcache_header_include_at(h, i, &inc) != JLCACHE_OK) goto fail;
    printf("%s %s in %s%s%s by %s\n", inc.is_include ? "include" : "include_dependency",
           inc.path, or_none(inc.module), inc.submodule_path[0] ? "." : "", inc.submodule_path,
           inc.tracked_by_content ? "content" : "mtime");
  }
  n = jlcache_header_requires_count(h);
  for (i = 0; i < n; ++i) {
    jlcache_requires r;
    if (jlcache_header_requires_at(h, i, &r) != JLCACHE_OK) goto fail;
    printf("requires %s -> %s %s\n", or_none(r.module), r.name, or_none(r.uuid));
  }
  printf("required %zu clone_targets %" PRIu64 " pkgimage_crc 0x%08" PRIx32 "\n",
         jlcache_header_required_count(h), jlcache_header_clone_targets_size(h),
         jlcache_header_pkgimage_crc(h));
  printf("crc %s\n", jlcache_header_crc_ok(h) ? "ok" : "MISMATCH");
  st = jlcache_header_crc_ok(h) ? 0 : 1;
  jlcache_header_free(h);
  return st;

fail:
  fprintf(stderr, "error: %s\n", jlcache_last_error());
  jlcache_header_free(h);
  return 2;
}
