#include "adapters/system/heap_in_use.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace mledger {

namespace {

using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);

// jemalloc's mallctl when it is loaded (looked up once), else nullptr.
Mallctl jemalloc_mallctl() {
  static const Mallctl found = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  return found;
}

}  // namespace

size_t heap_in_use_bytes() {
  if (Mallctl mallctl = jemalloc_mallctl()) {
    uint64_t epoch = 1;
    size_t epoch_size = sizeof epoch;
    (void)mallctl("epoch", &epoch, &epoch_size, &epoch, epoch_size);  // refresh the statistics
    size_t allocated = 0;
    size_t allocated_size = sizeof allocated;
    if (mallctl("stats.allocated", &allocated, &allocated_size, nullptr, 0) == 0) return allocated;
  }
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

int64_t thread_heap_net_bytes() {
  Mallctl mallctl = jemalloc_mallctl();
  if (mallctl == nullptr) return 0;
  uint64_t allocated = 0, freed = 0;
  size_t size = sizeof(uint64_t);
  if (mallctl("thread.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  size = sizeof(uint64_t);
  if (mallctl("thread.deallocated", &freed, &size, nullptr, 0) != 0) return 0;
  return static_cast<int64_t>(allocated - freed);
}

size_t resident_set_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size_pages = 0, resident_pages = 0;
  const int got = std::fscanf(f, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(f);
  if (got != 2) return 0;
  return static_cast<size_t>(resident_pages) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t peak_resident_set_bytes() {
  struct rusage usage {};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<size_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
}

void release_free_heap() {
  if (Mallctl mallctl = jemalloc_mallctl()) {
    (void)mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
    (void)mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: MALLCTL_ARENAS_ALL
    return;
  }
  (void)malloc_trim(0);
}

}  // namespace mledger
