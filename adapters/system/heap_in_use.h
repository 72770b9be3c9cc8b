#pragma once
// The heap bytes the process has allocated and not freed, from its
// allocator's own count: jemalloc's "stats.allocated" when jemalloc is the
// malloc (the mledger binary links it), glibc's mallinfo2() otherwise (test
// binaries). A bound on memory that frees as well as grows (a bulk load
// forgetting part of what it holds) reads this rather than the resident set,
// which an allocator gives back to the system late or never.
//
// Thread-safe. Costs a few microseconds (jemalloc refreshes its merged
// statistics; glibc walks its free lists): call it per batch, not per item.

#include <cstddef>
#include <cstdint>

namespace mledger {

size_t heap_in_use_bytes();

// Bytes the calling thread has allocated minus those it has freed since it
// started (jemalloc's per-thread counters; cheap). 0 under another
// allocator. The difference of two readings around a piece of work is what
// that work left allocated.
int64_t thread_heap_net_bytes();

}  // namespace mledger
