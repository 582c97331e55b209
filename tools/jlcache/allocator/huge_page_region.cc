// Built into the CLI only when it links jemalloc (cmake/CliAllocator.cmake).
//
// jemalloc grows its arena by mappings of 2, 2.5, 3, 3.5, 4, 5 MiB... and the
// kernel puts a mapping on a 2 MiB boundary only when its length is a
// multiple of 2 MiB. So most of them were not aligned, and every part outside
// a whole aligned 2 MiB block got 4 KiB pages despite MADV_HUGEPAGE: ~1,700
// page faults on a re-check of 400 packages, a fifth of its CPU time on the
// VMs we measured (benchmarks/RESULTS.md §16). Here arena 0 (the only one:
// narenas:1) grows instead from 2 MiB-aligned reservations of 64 MiB, handed
// out contiguously, so nearly all of the heap sits on huge pages.
//
// Only touched pages cost memory; MAP_NORESERVE keeps untouched ones out of
// the commit charge where the kernel overcommits. Where a reservation fails,
// or a request does not fit the rules below, jemalloc's default hooks serve
// it: the heap is then as it was before, never wrong.
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>

namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr uintptr_t kReservation = uintptr_t{64} << 20;

uintptr_t RoundUp(uintptr_t v, uintptr_t to) { return (v + to - 1) & ~(to - 1); }

// Hook calls are rare (a few per run) and may come from any thread; a
// pthread mutex allocates nothing, so it is safe inside jemalloc's hooks.
pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
uintptr_t g_next = 0, g_end = 0;  // the current reservation's free part
extent_hooks_t* g_default = nullptr;
extent_hooks_t g_hooks;

// Maps a new reservation of at least `size` bytes on a 2 MiB boundary.
bool Reserve(uintptr_t size) {
  const uintptr_t length = RoundUp(size > kReservation ? size : kReservation, kHugePage);
  void* raw = ::mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return false;
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t begin = RoundUp(base, kHugePage), end = begin + length;
  if (begin > base) ::munmap(raw, begin - base);
  if (base + length + kHugePage > end) {
    ::munmap(reinterpret_cast<void*>(end), base + length + kHugePage - end);
  }
  ::madvise(reinterpret_cast<void*>(begin), length, MADV_HUGEPAGE);
  g_next = begin;
  g_end = end;
  return true;
}

void* Alloc(extent_hooks_t*, void* new_addr, size_t size, size_t alignment, bool* zero,
            bool* commit, unsigned arena_ind) {
  if (new_addr == nullptr && alignment <= kHugePage && size <= kReservation) {
    pthread_mutex_lock(&g_mu);
    uintptr_t start = RoundUp(g_next, alignment);
    if (start + size > g_end && Reserve(size)) start = g_next;
    if (start + size <= g_end) {
      g_next = start + size;
      pthread_mutex_unlock(&g_mu);
      *zero = true;  // handed out once, never reused by this hook: still zero
      *commit = true;
      return reinterpret_cast<void*>(start);
    }
    pthread_mutex_unlock(&g_mu);
  }
  return g_default->alloc(g_default, new_addr, size, alignment, zero, commit, arena_ind);
}

// Returning true keeps an extent mapped: jemalloc then retains it for reuse.
// A reservation is never unmapped piecewise; the default hook would munmap.
bool Dalloc(extent_hooks_t*, void*, size_t, bool, unsigned) { return true; }
void Destroy(extent_hooks_t*, void*, size_t, bool, unsigned) {}

[[gnu::constructor(101)]] void InstallHugePageRegion() {
  extent_hooks_t* current = nullptr;
  size_t length = sizeof(current);
  if (mallctl("arena.0.extent_hooks", &current, &length, nullptr, 0) != 0 || current == nullptr) {
    return;
  }
  g_default = current;
  g_hooks = *current;
  g_hooks.alloc = Alloc;
  g_hooks.dalloc = Dalloc;
  g_hooks.destroy = Destroy;
  extent_hooks_t* mine = &g_hooks;
  (void)mallctl("arena.0.extent_hooks", nullptr, nullptr, &mine, sizeof(mine));
}

}  // namespace
