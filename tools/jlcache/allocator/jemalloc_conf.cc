// Built into the CLI only when it links jemalloc (cmake/CliAllocator.cmake).
//
// jemalloc reads this string at its first allocation. The CLI is a short
// process whose heap is new every run: on a re-check most of its ~20 MB is
// touched once, and each 4 KiB page costs a fault (a fifth of the CPU time
// on the VMs we measured). Asking for transparent huge pages (madvise, so it
// works where the system's THP mode is "madvise") makes that one fault per
// 2 MiB (for the arena's growth, once huge_page_region.cc aligns it). A
// system with THP disabled ignores it. One arena: the I/O threads
// then share huge pages instead of each touching its own (measured a little
// faster; each thread keeps its own cache in front of it). MALLOC_CONF still
// overrides.
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,narenas:1";
}
