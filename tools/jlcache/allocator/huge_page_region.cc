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
// A reservation is mapped PROT_NONE and made writable 2 MiB at a time as
// the arena reaches it, so only what is handed out counts against the commit
// limit, also where the kernel does not overcommit (vm.overcommit_memory=2)
// and in a forked child. Where a reservation or an mprotect fails, or a
// request does not fit the rules below, jemalloc's default hooks serve it
// from then on: the heap is then as it was before, never wrong.
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
uintptr_t g_writable = 0;          // [reservation start, g_writable) is read-write
bool g_failed = false;             // a reservation or mprotect failed: stop trying
extent_hooks_t* g_default = nullptr;
extent_hooks_t g_hooks;

// Maps a new reservation of at least `size` bytes on a 2 MiB boundary.
bool Reserve(uintptr_t size) {
  const uintptr_t length = RoundUp(size > kReservation ? size : kReservation, kHugePage);
  void* raw = ::mmap(nullptr, length + kHugePage, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (raw == MAP_FAILED) return false;
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t begin = RoundUp(base, kHugePage), end = begin + length;
  if (begin > base) ::munmap(raw, begin - base);
  if (base + length + kHugePage > end) {
    ::munmap(reinterpret_cast<void*>(end), base + length + kHugePage - end);
  }
  ::madvise(reinterpret_cast<void*>(begin), length, MADV_HUGEPAGE);
  g_next = g_writable = begin;
  g_end = end;
  return true;
}

// Makes [start, start + size) read-write, in whole 2 MiB blocks so that
// each block can still be one huge page.
bool MakeWritable(uintptr_t start, uintptr_t size) {
  if (start + size <= g_writable) return true;
  const uintptr_t to = RoundUp(start + size, kHugePage);
  if (::mprotect(reinterpret_cast<void*>(g_writable), to - g_writable, PROT_READ | PROT_WRITE) != 0)
    return false;
  g_writable = to;
  return true;
}

// [start, start + size) from the current reservation (a new one if it is
// used up), writable; 0 once a reservation or an mprotect has failed.
uintptr_t TakeLocked(uintptr_t size, uintptr_t alignment) {
  if (g_failed) return 0;
  uintptr_t start = RoundUp(g_next, alignment);
  if (start + size > g_end) {
    if (!Reserve(size)) {
      g_failed = true;
      return 0;
    }
    start = g_next;  // the new reservation's start, 2 MiB-aligned
  }
  if (!MakeWritable(start, size)) {
    g_failed = true;
    return 0;
  }
  g_next = start + size;
  return start;
}

void* Alloc(extent_hooks_t*, void* new_addr, size_t size, size_t alignment, bool* zero,
            bool* commit, unsigned arena_ind) {
  if (new_addr == nullptr && alignment <= kHugePage && size <= kReservation) {
    pthread_mutex_lock(&g_mu);
    const uintptr_t start = TakeLocked(size, alignment);
    pthread_mutex_unlock(&g_mu);
    if (start != 0) {
      *zero = true;  // handed out once, never reused by this hook: still zero
      *commit = true;
      return reinterpret_cast<void*>(start);
    }
  }
  return g_default->alloc(g_default, new_addr, size, alignment, zero, commit, arena_ind);
}

[[gnu::constructor(101)]] void InstallHugePageRegion() {
  extent_hooks_t* current = nullptr;
  size_t length = sizeof(current);
  if (mallctl("arena.0.extent_hooks", &current, &length, nullptr, 0) != 0 || current == nullptr) {
    return;
  }
  g_default = current;
  g_hooks = *current;
  g_hooks.alloc = Alloc;
  // No dalloc or destroy: jemalloc then never unmaps an extent but retains
  // it for reuse (a reservation must not be unmapped piecewise).
  g_hooks.dalloc = nullptr;
  g_hooks.destroy = nullptr;
  extent_hooks_t* mine = &g_hooks;
  (void)mallctl("arena.0.extent_hooks", nullptr, nullptr, &mine, sizeof(mine));
}

}  // namespace
